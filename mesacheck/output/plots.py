"""Figures of the reproductions (matplotlib, the style of :mod:`mesacheck.output.style`).

Every function takes plain numbers (numpy arrays, floats), writes one figure (PNG plus a vector
PDF beside it, atomically) and returns the paths; none computes theory values itself.

Rules the figures follow: a loss on a log axis is clipped at a stated floor (never a symlog
axis); every theory line carries its value and meaning in the legend; when two theory lines are
closer than the eye can separate at the figure's scale, a second panel zooms on the late epochs
around them; heatmaps use one colour scale symmetric about 0 per figure, with the blocks drawn
and named and 1-indexed coordinates.
"""
import numpy as np

from mesacheck.output.style import COLORS, TEXT, save, style

#: theory lines closer than this fraction of the y-range get a zoom panel
CLOSE = 0.02
#: relative floor of a loss on a log axis (double precision of the loss scale)
LOG_FLOOR = 1e-15


def _hlines(ax, lines):
    styles = (":", "--", "-.")
    for k, (label, value) in enumerate(lines):
        if value is not None and np.isfinite(value):
            ax.axhline(value, color="black", ls=styles[k % 3], lw=0.9, label=f"{label} = {value:.6g}")


def _curves(ax, runs, key, flow_key, popgd_key, band_key, floor=None):
    for k, run in enumerate(runs):
        c = COLORS[k % len(COLORS)]
        x = np.asarray(run["epoch"], float)
        y = np.asarray(run[key], float)
        if floor is not None:
            y = np.where(y > floor, y, np.nan)
        ax.plot(x, y, color=c, lw=1.4, label=f"simulated, {run['label']}")
        band = run.get(band_key) if band_key else None
        if band is not None:
            b = np.asarray(band, float)
            ax.fill_between(x, y - 2 * b, y + 2 * b, color=c, alpha=0.2, lw=0)
        if flow_key and run.get(flow_key) is not None:
            ax.plot(x, run[flow_key], color=c, lw=1.0, ls="--", label=f"{run.get('flow_label', 'flow')}, {run['label']}")
        if popgd_key and run.get(popgd_key) is not None:
            ax.plot(x, run[popgd_key], color=c, lw=1.0, ls="-.", label=f"population GD, {run['label']}")


def _theory_window(runs, key, theory):
    """(lo, hi) of a zoom on the theory lines when two of them are closer than CLOSE of the
    figure's y-range, else None."""
    vals = [v for _, v in theory if v is not None and np.isfinite(v)]
    if len(vals) < 2:
        return None
    data = [np.asarray(r[key], float) for r in runs]
    ys = np.concatenate([d[np.isfinite(d)] for d in data] + [np.asarray(vals)])
    span = float(np.max(ys) - np.min(ys)) if ys.size else 0.0
    gap = max(vals) - min(vals)
    if 0 < gap < CLOSE * span:
        return min(vals) - 2.5 * gap, max(vals) + 2.5 * gap
    return None


def plot_runs(path, runs, key, ylabel, title, theory=(), flow_key=None, logy=False, band_key=None,
              popgd_key=None, note=None, vector_beside=True):
    """One curve per run: simulated ``run[key]`` vs ``run['epoch']`` (solid), a band of +-2
    ``run[band_key]`` (across-replicate standard error) when given, the population flow
    ``run[flow_key]`` at tau = epoch * lr (dashed) and population gradient descent
    ``run[popgd_key]`` (dash-dot) when present; theory values as labelled horizontal lines.

    ``logy``: a log axis clipped at LOG_FLOOR times the largest value (stated in the note);
    values below it (exact zeros, round-off) are not drawn. A second panel zooms on the theory
    lines when two of them are closer than CLOSE of the y-range.
    """
    import matplotlib.pyplot as plt

    theory = list(theory)
    notes = [note] if note else []
    floor = None
    if logy:
        peak = max((np.nanmax(np.asarray(r[key], float)) for r in runs if len(r[key])), default=1.0)
        floor = LOG_FLOOR * peak if np.isfinite(peak) and peak > 0 else 1e-300
        notes.append(f"log axis clipped at {floor:.1e} (= {LOG_FLOOR:g} x the largest value: double "
                     "precision); smaller values, exact zeros included, are not drawn")
    window = None if logy else _theory_window(runs, key, theory)
    with style():
        if window is None:
            fig, ax = plt.subplots(figsize=(TEXT * 0.62, 2.5))
            zoom = None
        else:
            fig, (ax, zoom) = plt.subplots(1, 2, figsize=(TEXT, 2.5), gridspec_kw={"width_ratios": [2.2, 1]})
        if logy:
            for lab, v in theory:
                if v is not None and v <= floor:
                    ax.plot([], [], " ", label=f"{lab} = {v:.6g} (below the floor: not drawn)")
            theory = [(lab, v) for lab, v in theory if v is not None and v > floor]
        _curves(ax, runs, key, flow_key, popgd_key, band_key, floor)
        if logy:
            ax.set_yscale("log")
            low = min((np.nanmin(np.where(np.asarray(r[key], float) > floor, r[key], np.nan))
                       for r in runs if np.any(np.asarray(r[key], float) > floor)), default=floor)
            ax.set_ylim(bottom=max(floor, low / 3))
        _hlines(ax, theory)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        fig.suptitle(title, fontsize=8)
        if zoom is not None:
            _curves(zoom, runs, key, flow_key, popgd_key, band_key)
            _hlines(zoom, theory)
            last = max(float(np.max(r["epoch"])) for r in runs)
            zoom.set_xlim(0.5 * last, last)
            zoom.set_ylim(*window)
            zoom.set_title("zoom on the theory lines (last half)", fontsize=7)
            zoom.set_xlabel("epoch")
        handles, labels = ax.get_legend_handles_labels()
        ncol = 3 if zoom is not None else 2
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol, fontsize=6)
        rows = (len(handles) + ncol - 1) // ncol
        if notes:
            fig.text(0.02, -0.03 - 0.05 * rows, "\n".join(notes), fontsize=6, ha="left", va="top", wrap=True)
        return save(fig, path, vector_beside)


def plot_deviations(path, labels, deviations, title, converged=None, limit=2.0, clip=10.0, vector_beside=True):
    """Horizontal bars: one deviation (in standard errors) per label, on a LINEAR axis clipped at
    +-``clip`` (a longer bar ends in an arrow; every value is written beside its bar), with
    +-``limit`` marked. ``converged`` (one bool or None per label): runs that are not converged are
    drawn gray (their deviation is the remaining distance to the limit, not sampling noise)."""
    import matplotlib.pyplot as plt

    n = len(labels)
    with style():
        fig, ax = plt.subplots(figsize=(TEXT, 0.16 * n + 0.9))
        ys = np.arange(n)[::-1]
        vals = np.array([np.nan if v is None else float(v) for v in deviations])
        conv = list(converged) if converged is not None else [True] * n
        ticks = []
        for y, v, ok, lab in zip(ys, vals, conv, labels):
            if not np.isfinite(v):
                ticks.append(f"{lab} (n/a)")
                continue
            color = "0.6" if ok is False else (COLORS[0] if abs(v) <= limit else COLORS[3])
            shown = float(np.clip(v, -clip, clip))
            ax.barh(y, shown, color=color, height=0.6)
            if abs(v) > clip:
                ax.annotate("", xy=(np.sign(v) * clip * 1.04, y), xytext=(np.sign(v) * clip * 0.9, y),
                            arrowprops={"arrowstyle": "->", "color": color, "lw": 1})
            at = shown + (0.2 if shown >= 0 else -0.2) + (np.sign(v) * 0.08 * clip if abs(v) > clip else 0)
            ax.text(at, y, f"{v:.3g}", fontsize=6, va="center", ha="left" if shown >= 0 else "right")
            ticks.append(f"{lab}{' (not converged)' if ok is False else ''}")
        ax.axvline(0, color="black", lw=0.8)
        for sgn in (-1, 1):
            ax.axvline(sgn * limit, color="gray", ls=":", lw=0.9)
        ax.set_xlim(-clip * 1.35, clip * 1.35)
        ax.set_yticks(ys)
        ax.set_yticklabels(ticks, fontsize=6)
        ax.set_xlabel(f"deviation in sampling standard errors (linear; clipped at +-{clip:g}, the value is "
                      f"written; dotted: +-{limit:g})")
        ax.set_title(title)
        ax.grid(axis="y", visible=False)
        return save(fig, path, vector_beside)


def plot_heatmaps(path, pairs, title, vector_beside=True):
    """Learned matrices: ``pairs`` is a list of (caption, W^KQ (2d x 2d), W^PV (d x 2d)), one row
    of two panels each, on ONE colour scale symmetric about 0 for the whole figure, blocks drawn
    and named, coordinates 1-indexed."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    from mesacheck.output.flow_plots import KQ_BLOCKS, PV_BLOCKS, _panel

    lim = max(max(float(np.max(np.abs(kq))), float(np.max(np.abs(pv)))) for _, kq, pv in pairs) or 1.0
    norm = Normalize(vmin=-lim, vmax=lim)
    rows = len(pairs)
    with style():
        fig, axes = plt.subplots(rows, 2, figsize=(TEXT, 3.3 * rows), squeeze=False,
                                 gridspec_kw={"width_ratios": [1, 1], "hspace": 0.45})
        im = None
        for k, (caption, kq, pv) in enumerate(pairs):
            kq, pv = np.real(np.asarray(kq, float)), np.real(np.asarray(pv, float))
            d = pv.shape[0]
            _panel(axes[k][0], kq, d, KQ_BLOCKS, norm, f"$W^{{KQ}}$, {caption}", d <= 3)
            im = _panel(axes[k][1], pv, d, PV_BLOCKS, norm, f"$W^{{PV}}$, {caption}", d <= 3)
            for ax in axes[k]:
                ax.grid(False)
        cbar = fig.colorbar(im, ax=axes.ravel().tolist(), fraction=0.02, pad=0.02)
        cbar.set_label(f"entry (one scale, symmetric about 0; |max| = {lim:.3g})")
        fig.suptitle(title)
        return save(fig, path, vector_beside)


def plot_flow(path, result):
    """A FlowResult: ab(tau) with its theory line, and the distance from the set A = aI, B = bI
    (log axis clipped at 1e-15 of its largest value; identically 0 is said, not drawn)."""
    import matplotlib.pyplot as plt

    with style():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(TEXT, 2.5))
        t = np.asarray(result.times)
        ax1.plot(t, result.ab, color=COLORS[0], label="ab(tau)")
        label = ("u* of the reduced system (exact)" if result.kind == "reduced" else
                 "u* on A = aI, B = bI (reference; the full flow may leave the set)")
        _hlines(ax1, [(label, result.u_star)])
        ax1.set_xlabel("tau")
        ax1.set_ylabel("a*b")
        ax1.legend()
        off = np.asarray(result.offdiag, float)
        if np.all(off == 0):
            ax2.text(0.5, 0.5, "identically 0:\nthe flow stays on A = aI, B = bI", ha="center", va="center",
                     transform=ax2.transAxes)
            ax2.set_yticks([])
        else:
            floor = LOG_FLOOR * float(np.max(off))
            ax2.semilogy(t, np.where(off > floor, off, np.nan), color=COLORS[3])
            ax2.set_ylim(bottom=floor)
            ax2.set_title(f"log axis clipped at {floor:.1e}", fontsize=7)
        ax2.set_xlabel("tau")
        ax2.set_ylabel("distance from the set")
        fig.suptitle(f"{result.kind} flow, {result.dist}, d={result.d}, T={result.T} ({result.status})")
        return save(fig, path)
