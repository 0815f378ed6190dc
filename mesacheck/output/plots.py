"""PNG figures (matplotlib, Agg backend): reproductions of the paper's figures and flow trajectories.

Every function takes plain numbers (numpy arrays, floats), writes one PNG and returns its path;
none computes theory values itself. Files are written atomically (mesacheck.fileio): a failed or
interrupted run never leaves a truncated PNG.
"""
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mesacheck.errors import InputError  # noqa: E402
from mesacheck.fileio import write_bytes  # noqa: E402

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def _save(fig, path):
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        write_bytes(path, buf.getvalue())
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return path


def _hlines(ax, lines):
    styles = (":", "-.", "--")
    for k, (label, value) in enumerate(lines):
        if value is not None and np.isfinite(value):
            ax.axhline(value, color="black", ls=styles[k % 3], lw=1.2, label=f"{label} = {value:.6g}")


def plot_runs(path, runs, key, ylabel, title, theory=(), flow_key=None, logy=False, band_key=None,
              popgd_key=None, note=None):
    """One curve per run: simulated ``run[key]`` vs ``run['epoch']`` (solid), with a shaded band
    +- 2 ``run[band_key]`` (across-replicate standard error) when given; the population flow
    ``run[flow_key]`` at tau = epoch * lr (dashed) and population gradient descent
    ``run[popgd_key]`` (dash-dot) when present; theory values as horizontal lines.
    ``runs``: list of dicts with 'label', 'epoch', key (and the optional keys). ``note``: a line
    of small text under the axes."""
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for k, run in enumerate(runs):
        c = COLORS[k % len(COLORS)]
        x = np.asarray(run["epoch"], float)
        y = np.asarray(run[key], float)
        if logy:
            y = np.where(y > 0, y, np.nan)  # exact zeros (and round-off) are not drawn on a log axis
        ax.plot(x, y, color=c, lw=1.8, label=f"simulated, {run['label']}")
        band = run.get(band_key) if band_key else None
        if band is not None:
            b = np.asarray(band, float)
            ax.fill_between(x, y - 2 * b, y + 2 * b, color=c, alpha=0.2, lw=0)
        if flow_key and run.get(flow_key) is not None:
            ax.plot(x, run[flow_key], color=c, lw=1.2, ls="--", label=f"{run.get('flow_label', 'flow')}, {run['label']}")
        if popgd_key and run.get(popgd_key) is not None:
            ax.plot(x, run[popgd_key], color=c, lw=1.2, ls="-.", label=f"population GD, {run['label']}")
    if logy:
        # A log axis cannot show 0: theory values <= 0 go into the legend as text only.
        shown = [(lab, v) for lab, v in theory if v is not None and v > 0]
        for lab, v in theory:
            if v is not None and v <= 0:
                ax.plot([], [], " ", label=f"{lab} = {v:.6g} (not drawn: log axis)")
        theory = shown
        ax.set_yscale("log")
    _hlines(ax, theory)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    if note:
        fig.text(0.01, -0.02, note, fontsize=7, ha="left", va="top", wrap=True)
    return _save(fig, path)


def plot_deviations(path, labels, deviations, title, converged=None, limit=2.0):
    """Horizontal bars: one deviation (in standard errors) per label on a symmetric-log axis (linear
    within +-3), with +-``limit`` marked and each value written beside its bar. ``converged``
    (optional, one bool or None per label): runs that are not converged are drawn gray (their
    deviation is the remaining distance to the limit, not sampling noise). None / NaN: 'n/a'."""
    n = len(labels)
    fig, ax = plt.subplots(figsize=(8, 0.3 * n + 1.6))
    ys = np.arange(n)[::-1]
    vals = np.array([np.nan if v is None else float(v) for v in deviations])
    conv = list(converged) if converged is not None else [True] * n
    ticks = []
    for y, v, ok, lab in zip(ys, vals, conv, labels):
        if not np.isfinite(v):
            ticks.append(f"{lab}  (n/a)")
            continue
        color = "0.6" if ok is False else ("tab:blue" if abs(v) <= limit else "tab:red")
        ax.barh(y, v, color=color, height=0.6)
        ticks.append(f"{lab}  ({v:.3g}{', not converged' if ok is False else ''})")
    ax.set_xscale("symlog", linthresh=3)
    ax.axvline(0, color="black", lw=0.8)
    for sgn in (-1, 1):
        ax.axvline(sgn * limit, color="gray", ls=":", lw=1)
    finite = vals[np.isfinite(vals)]
    span = max(10.0, 3 * float(np.max(np.abs(finite)))) if finite.size else 10.0
    ax.set_xlim(-span, span)
    ax.set_yticks(ys)
    ax.set_yticklabels(ticks, fontsize=7)
    ax.set_xlabel(f"deviation in sampling standard errors (symmetric log axis; dotted: +-{limit:g})")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, path)


def plot_heatmaps(path, matrices, title):
    """Heatmaps of real matrices: ``matrices`` is a list of (caption, 2-D array), one per panel,
    laid out in rows of two (W^KQ, W^PV)."""
    n = len(matrices)
    rows = (n + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(9, 3.6 * rows), squeeze=False)
    for k, (caption, M) in enumerate(matrices):
        ax = axes[k // 2][k % 2]
        M = np.real(np.asarray(M))
        lim = float(np.max(np.abs(M))) or 1.0
        im = ax.imshow(M, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(caption, fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046)
    for k in range(n, 2 * rows):
        axes[k // 2][k % 2].axis("off")
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def plot_flow(path, result):
    """A FlowResult: ab(tau) with the theory u*, and the distance from the structured set."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    t = np.asarray(result.times)
    ax1.plot(t, result.ab, lw=1.8, label="ab(tau)")
    _hlines(ax1, [("u* (structured set, exact)", result.u_star)])
    ax1.set_xlabel("tau")
    ax1.set_ylabel("a*b")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    off = np.maximum(np.asarray(result.offdiag, float), 1e-300)
    ax2.semilogy(t, off, lw=1.5)
    ax2.set_xlabel("tau")
    ax2.set_ylabel("distance from the structured set")
    ax2.grid(alpha=0.3)
    fig.suptitle(f"{result.kind} flow, {result.dist}, d={result.d}, T={result.T} ({result.status})",
                 fontsize=10)
    return _save(fig, path)
