"""PNG figures (matplotlib, Agg backend): reproductions of the paper's figures and flow trajectories.

Every function takes plain numbers (numpy arrays, floats), writes one PNG and returns its path;
none computes theory values itself. Files are written atomically (mesacheck.fileio): a failed or
interrupted run never leaves a truncated figure; the format follows the suffix (.png, .pdf, .svg).
"""
import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mesacheck.errors import InputError  # noqa: E402
from mesacheck.fileio import write_bytes  # noqa: E402

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def _save(fig, path):
    fmt = os.path.splitext(path)[1].lower().lstrip(".") or "png"
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight")
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


def plot_runs(path, runs, key, ylabel, title, theory=(), flow_key=None, logy=False):
    """One curve per run: simulated ``run[key]`` vs ``run['epoch']`` (solid) and, when present,
    the population flow ``run[flow_key]`` at tau = epoch * lr (dashed); theory lines as
    horizontal lines. ``runs``: list of dicts with 'label', 'epoch', key (and flow_key)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, run in enumerate(runs):
        c = COLORS[k % len(COLORS)]
        y = np.asarray(run[key], float)
        ax.plot(run["epoch"], y, color=c, lw=1.8, label=f"simulated, {run['label']}")
        if flow_key and run.get(flow_key) is not None:
            ax.plot(run["epoch"], run[flow_key], color=c, lw=1.2, ls="--",
                    label=f"{run.get('flow_label', 'flow')}, {run['label']}")
    _hlines(ax, theory)
    if logy:
        ax.set_yscale("symlog", linthresh=1e-6)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
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
