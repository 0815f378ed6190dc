"""Figures of the full population flow: learned blocks as heatmaps, and trajectories.

Each function takes plain numbers, renders one PNG in memory and writes it atomically through
:mod:`mesacheck.fileio` (the caller validated the path with ``check_output_path`` beforehand).
"""
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402

from mesacheck.fileio import write_bytes  # noqa: E402

KQ_BLOCKS = ((r"$W^{KQ}_{11}$", 0, 0), (r"$W^{KQ}_{12}$", 0, 1), (r"$A = W^{KQ}_{21}$", 1, 0), (r"$W^{KQ}_{22}$", 1, 1))
PV_BLOCKS = ((r"$B = W^{PV}_{1}$", 0, 0), (r"$W^{PV}_{2}$", 0, 1))


def _write(fig, path):
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
    return write_bytes(path, buf.getvalue())


def _panel(ax, M, d, names, norm, title, annotate):
    rows, cols = M.shape
    im = ax.imshow(M, cmap="RdBu_r", norm=norm, interpolation="nearest")
    ax.set_xticks(range(cols), [str(k + 1) for k in range(cols)], fontsize=7)
    ax.set_yticks(range(rows), [str(k + 1) for k in range(rows)], fontsize=7)
    ax.set_xlabel("column", fontsize=8)
    ax.set_ylabel("row", fontsize=8)
    ax.axvline(d - 0.5, color="black", lw=1.6)
    if rows > d:
        ax.axhline(d - 0.5, color="black", lw=1.6)
    for name, rb, cb in names:
        ax.text(cb * d - 0.45, rb * d - 0.45, name, fontsize=8, va="top", ha="left",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    if annotate:
        lim = norm.vmax
        for i in range(rows):
            for j in range(cols):
                v = M[i, j]
                if abs(v) >= 5e-4 * lim:
                    ax.text(j, i + 0.18, f"{v:.3g}", fontsize=5.5, ha="center", va="center",
                            color="white" if abs(v) > 0.6 * lim else "black")
    ax.set_title(title, fontsize=9)
    return im


def plot_learned_blocks(path, kq, pv, title):
    """Heatmaps of W^KQ (2d x 2d) and W^PV (d x 2d) on one colour scale symmetric about 0, with
    the d x d blocks drawn and named and 1-indexed ticks; values written in the cells (d <= 6)."""
    kq, pv = np.real(np.asarray(kq, float)), np.real(np.asarray(pv, float))
    d = pv.shape[0]
    lim = float(max(np.max(np.abs(kq)), np.max(np.abs(pv)))) or 1.0
    norm = Normalize(vmin=-lim, vmax=lim)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 5.2), gridspec_kw={"width_ratios": [1, 1]})
    annotate = d <= 6
    _panel(ax1, kq, d, KQ_BLOCKS, norm, r"$W^{KQ}$ (rows: key half $x_i$ | $x_{i-1}$; columns: query half $x_t$ | $x_{t-1}$)", annotate)
    im = _panel(ax2, pv, d, PV_BLOCKS, norm, r"$W^{PV}$ (columns: value half $x_i$ | $x_{i-1}$)", annotate)
    cbar = fig.colorbar(im, ax=[ax1, ax2], fraction=0.025, pad=0.02)
    cbar.set_label(f"entry value (scale symmetric about 0, |max| = {lim:.3g})", fontsize=8)
    fig.suptitle(title, fontsize=10)
    return _write(fig, path)


def plot_trajectory(path, times, ab, offdiag, loss, title, u_star=None, best_loss=None, xlabel="tau", logx=True):
    """Three panels against time (tau, or epochs): a*b, the distance from the set A = aI, B = bI
    (log scale), and the loss, with the on-set optimum u* and its loss as reference lines."""
    t = np.asarray(times, float)
    keep = t > 0 if logx else np.ones(t.size, bool)  # on a log time axis the start (t = 0) is dropped
    t, ab, offdiag, loss = t[keep], np.asarray(ab)[keep], np.asarray(offdiag, float)[keep], np.asarray(loss)[keep]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    axes[0].plot(t, ab, lw=1.8, label="ab = mean_j A_jj B_jj")
    if u_star is not None and np.isfinite(u_star):
        axes[0].axhline(u_star, color="black", ls=":", label=f"best on the set: u* = {u_star:.6g}")
    axes[0].set_ylabel("a*b")
    pos = offdiag > 0
    if pos.any():
        axes[1].semilogy(t[pos], offdiag[pos], lw=1.5, color="tab:red")
    else:
        axes[1].text(0.5, 0.5, "identically 0: the flow stays on the set", ha="center",
                     transform=axes[1].transAxes)
    axes[1].set_ylabel("distance from A = aI, B = bI (Frobenius)")
    axes[2].plot(t, loss, lw=1.5, color="tab:green", label="population loss")
    if best_loss is not None and np.isfinite(best_loss):
        axes[2].axhline(best_loss, color="black", ls=":", label=f"best on the set: {best_loss:.6g}")
    axes[2].set_ylabel("loss")
    finite = np.asarray(loss, float)[np.isfinite(loss)]
    if finite.size and finite.min() > 0 and finite.max() > 100 * finite.min():
        axes[2].set_yscale("log")
    for ax in axes:
        if logx:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel + (" (log scale)" if logx else ""))
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _write(fig, path)
