"""The summary plot of a sweep: a metric against one grid axis with one line per value of another,
or a heatmap over two axes; one panel per combination of the remaining axes that vary.

Axis values are placed at equally spaced positions in their natural order (numbers ascending, T
with oo last, laws in the order given), so T = 10, 100, 1000, oo reads left to right. A verdict
metric is drawn as 1 (yes / true / PASS) and 0 (no / false / FAIL). Points that are not 'ok' are
gaps in a line plot and labelled cells in a heatmap; each panel says how many there are.
"""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mesacheck.errors import InputError  # noqa: E402

MAX_PANELS = 12
MAX_LINES = 12
VERDICT_VALUES = {"true": 1.0, "yes": 1.0, "pass": 1.0, "false": 0.0, "no": 0.0, "fail": 0.0}
AXIS_ORDER = ("family", "d", "T", "init", "lr", "seed")


def axis_columns(df):
    """The grid axes present in the table, in the order they are considered for the plot."""
    params = [c for c in df.columns if c.startswith("param_")]
    return [c for c in ("family", *params, "d", "T", "init", "lr", "seed") if c in df.columns]


def resolve_axis(df, name, option):
    """The column of an axis named by the user: family/dist/law, d, T, init, lr, seed, or a family
    parameter (p or param_p)."""
    if name is None:
        return None
    aliases = {"dist": "family", "law": "family"}
    col = aliases.get(name, name)
    if col not in df.columns and f"param_{name}" in df.columns:
        col = f"param_{name}"
    if col not in axis_columns(df):
        raise InputError(f"{option}: {name!r} is not an axis of this sweep; expected one of "
                         + ", ".join(c.replace("param_", "") for c in axis_columns(df)))
    return col


def _order(df, col):
    """The distinct values of an axis column in natural order (missing shown as '-')."""
    values = list(dict.fromkeys("-" if _missing(v) else v for v in df[col]))
    if col == "T":
        return sorted(values, key=lambda v: (v == "oo", int(v) if v not in ("oo", "-") else 0))
    if col in ("d", "lr", "seed") or col.startswith("param_"):
        return sorted(values, key=lambda v: (v == "-", 0.0 if v == "-" else float(v)))
    return values


def _missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def _label(col, v):
    name = col.replace("param_", "")
    text = f"{v:g}" if isinstance(v, float) else str(v)
    if len(text) > 42:
        text = text[:39] + "..."
    return f"{name} = {text}"


def metric_values(df, metric):
    """The metric as floats (verdicts mapped to 1/0) and the y-axis label."""
    col = df[metric]
    if col.dtype == object or str(col.dtype).startswith("str") or str(col.dtype) == "string":
        vals = [VERDICT_VALUES.get(str(v).strip().lower(), math.nan) if not _missing(v) else math.nan for v in col]
        return np.array(vals, float), f"{metric} (1 = yes/true/PASS, 0 = no/false/FAIL)"
    return col.to_numpy(dtype=float), metric


def choose_axes(df, x=None, lines=None):
    """(x, lines, panel axes): the requested ones, else x = the varying axis with the most values
    (laws last), lines = the varying axis with the fewest values among the rest."""
    varying = [c for c in axis_columns(df) if len(_order(df, c)) > 1]
    rest = [c for c in varying if c not in (x, lines)]
    if x is None and rest:
        non_law = [c for c in rest if c != "family"] or rest
        x = max(non_law, key=lambda c: len(_order(df, c)))
        rest.remove(x)
    if lines is None and rest:
        non_law = [c for c in rest if c != "family"] or rest
        lines = min(non_law, key=lambda c: len(_order(df, c)))
        rest.remove(lines)
    return x, lines, rest


def summary_plot(df, path, metric, x=None, lines=None, heatmap=False, title=""):
    """Write the summary plot of the table ``df`` to ``path`` (PNG); return the path."""
    if metric not in df.columns:  # no point produced it (all refused, say): plot the gaps
        df = df.assign(**{metric: math.nan})
    x, lines, panel_axes = choose_axes(df, x, lines)
    y, ylabel = metric_values(df, metric)
    ok = (df["status"] == "ok").to_numpy()
    y = np.where(ok, y, np.nan)
    combos = [()]
    for col in panel_axes:
        combos = [c + ((col, v),) for c in combos for v in _order(df, col)]
    combos = [c for c in combos if _select(df, c).any()] or [()]
    shown = combos[:MAX_PANELS]
    ncols = min(3, len(shown))
    nrows = math.ceil(len(shown) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.0 * ncols, 3.8 * nrows), squeeze=False)
    for k, combo in enumerate(shown):
        ax = axes[k // ncols][k % ncols]
        mask = _select(df, combo)
        sub = df[mask]
        ysub = y[mask]
        if heatmap and x is not None and lines is not None:
            verdict = ylabel != metric
            im = _heatmap(ax, sub, ysub, x, lines, (0.0, 1.0) if verdict else (None, None))
            bar = fig.colorbar(im, ax=ax, fraction=0.046, label=metric)
            if verdict:
                bar.set_ticks([0, 1])
                bar.set_ticklabels(["no", "yes"])
        else:
            _lines(ax, sub, ysub, x, lines, ylabel)
        bad = int((sub["status"] != "ok").sum())
        caption = "; ".join(_label(c, v) for c, v in combo)
        if bad:
            caption += ("; " if caption else "") + f"{bad} point(s) not ok"
        ax.set_title(caption, fontsize=8)
    for k in range(len(shown), nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    more = f" (first {MAX_PANELS} of {len(combos)} panels)" if len(combos) > MAX_PANELS else ""
    fixed = "; ".join(_label(c, _order(df, c)[0]) for c in axis_columns(df) if len(_order(df, c)) == 1)
    fig.suptitle((title + more).strip() + (f"\n{fixed}" if fixed else ""), fontsize=10)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=110)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return path


def _select(df, combo):
    """Boolean mask of the rows with the axis values ``combo`` ((column, value) pairs)."""
    mask = np.ones(len(df), bool)
    for col, v in combo:
        mask &= np.array([("-" if _missing(w) else w) == v for w in df[col]], dtype=bool)
    return mask


def _positions(sub, col, order):
    index = {v: i for i, v in enumerate(order)}
    return np.array([index["-" if _missing(v) else v] for v in sub[col]])


def _lines(ax, sub, ysub, x, lines, ylabel):
    if x is None:
        ax.plot(np.zeros(len(ysub)), ysub, "o")
        ax.set_xticks([])
    else:
        order = _order(sub, x)
        groups = _order(sub, lines)[:MAX_LINES] if lines is not None else [None]
        cmap = plt.get_cmap("viridis" if len(groups) > 6 else "tab10")
        for g, value in enumerate(groups):
            sel = np.ones(len(sub), bool) if lines is None else np.array(
                [("-" if _missing(w) else w) == value for w in sub[lines]])
            pos, vals = _positions(sub[sel], x, order), ysub[sel]
            idx = np.argsort(pos, kind="stable")
            color = cmap(g / max(len(groups) - 1, 1)) if len(groups) > 6 else cmap(g % 10)
            ax.plot(pos[idx], vals[idx], "o-", ms=4, lw=1.4, color=color,
                    label=None if lines is None else _label(lines, value))
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels([_label(x, v).split(" = ", 1)[1] for v in order], fontsize=7,
                           rotation=30 if len(order) > 8 else 0)
        ax.set_xlabel(x.replace("param_", ""))
        if lines is not None and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.grid(alpha=0.3)


def _heatmap(ax, sub, ysub, x, yaxis, limits=(None, None)):
    xo, yo = _order(sub, x), _order(sub, yaxis)
    grid = np.full((len(yo), len(xo)), np.nan)
    status = np.full((len(yo), len(xo)), "", dtype=object)
    px, py = _positions(sub, x, xo), _positions(sub, yaxis, yo)
    for i, j, v, st in zip(py, px, ysub, sub["status"]):
        grid[i, j] = v
        status[i, j] = st
    im = ax.imshow(np.ma.masked_invalid(grid), origin="lower", aspect="auto", cmap="viridis",
                   vmin=limits[0], vmax=limits[1])
    if grid.size <= 150:
        for i in range(len(yo)):
            for j in range(len(xo)):
                text = f"{grid[i, j]:.3g}" if np.isfinite(grid[i, j]) else (status[i, j] or "")
                ax.text(j, i, text, ha="center", va="center", fontsize=6, rotation=0 if len(text) < 6 else 90,
                        color="white" if np.isfinite(grid[i, j]) else "black")
    ax.set_xticks(range(len(xo)))
    ax.set_xticklabels([_label(x, v).split(" = ", 1)[1] for v in xo], fontsize=7)
    ax.set_yticks(range(len(yo)))
    ax.set_yticklabels([_label(yaxis, v).split(" = ", 1)[1] for v in yo], fontsize=7)
    ax.set_xlabel(x.replace("param_", ""))
    ax.set_ylabel(yaxis.replace("param_", ""))
    return im
