"""Figures of the full population flow: learned blocks as heatmaps, and trajectories.

Each function takes plain numbers, renders one PNG in memory and writes it atomically through
:mod:`mesacheck.fileio` (the caller validated the path with ``check_output_path`` beforehand).
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402


KQ_BLOCKS = ((r"$W^{KQ}_{11}$", 0, 0), (r"$W^{KQ}_{12}$", 0, 1), (r"$A = W^{KQ}_{21}$", 1, 0), (r"$W^{KQ}_{22}$", 1, 1))
PV_BLOCKS = ((r"$B = W^{PV}_{1}$", 0, 0), (r"$W^{PV}_{2}$", 0, 1))


def _write(fig, path):
    """Through the package's one writer: PNG plus a vector PDF beside it (or the vector file asked)."""
    from mesacheck.output.style import save

    return save(fig, path)[0]


def _panel(ax, M, d, names, norm, title, annotate):
    """One matrix: cells on the shared scale, block boundaries drawn, each block named at its centre
    (in a box, so the name reads over any colour), 1-indexed ticks; values in the cells when
    ``annotate`` (small d only: at d >= 4 they would not fit)."""
    rows, cols = M.shape
    im = ax.imshow(M, cmap="RdBu_r", norm=norm, interpolation="nearest")
    ax.set_xticks(range(cols), [str(k + 1) for k in range(cols)], fontsize=6)
    ax.set_yticks(range(rows), [str(k + 1) for k in range(rows)], fontsize=6)
    ax.set_xlabel("column", fontsize=7)
    ax.set_ylabel("row", fontsize=7)
    ax.axvline(d - 0.5, color="black", lw=1.2)
    if rows > d:
        ax.axhline(d - 0.5, color="black", lw=1.2)
    for name, rb, cb in names:
        ax.text(cb * d + (d - 1) / 2, rb * d + (d - 1) / 2, name, fontsize=8, va="center", ha="center",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.5", "lw": 0.5, "alpha": 0.8})
    if annotate:
        lim = norm.vmax
        for i in range(rows):
            for j in range(cols):
                v = M[i, j]
                if abs(v) >= 5e-4 * lim:
                    ax.text(j, i, f"{v:.2g}", fontsize=5, ha="center", va="center",
                            color="white" if abs(v) > 0.6 * lim else "black")
    ax.set_title(title, fontsize=8)
    return im


def plot_learned_blocks(path, kq, pv, title):
    """Heatmaps of W^KQ (2d x 2d) and W^PV (d x 2d) on one colour scale symmetric about 0, with
    the d x d blocks drawn and named and 1-indexed ticks; values written in the cells (d <= 3)."""
    from mesacheck.output.style import TEXT, style

    kq, pv = np.real(np.asarray(kq, float)), np.real(np.asarray(pv, float))
    d = pv.shape[0]
    lim = float(max(np.max(np.abs(kq)), np.max(np.abs(pv)))) or 1.0
    norm = Normalize(vmin=-lim, vmax=lim)
    with style():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(TEXT, 3.4), gridspec_kw={"width_ratios": [1, 1]})
        annotate = d <= 3
        _panel(ax1, kq, d, KQ_BLOCKS, norm, r"$W^{KQ}$ (rows: $x_i$ | $x_{i-1}$; columns: $x_t$ | $x_{t-1}$)",
               annotate)
        im = _panel(ax2, pv, d, PV_BLOCKS, norm, r"$W^{PV}$ (columns: value $x_i$ | $x_{i-1}$)", annotate)
        for ax in (ax1, ax2):
            ax.grid(False)
        cbar = fig.colorbar(im, ax=[ax1, ax2], fraction=0.025, pad=0.02)
        cbar.set_label(f"entry (one scale, symmetric about 0; |max| = {lim:.3g})")
        fig.suptitle(title)
        return _write(fig, path)


def plot_trajectory(path, times, ab, offdiag, loss, title, u_star=None, best_loss=None, xlabel="tau", logx=True):
    """Three panels against time (tau, or epochs): a*b, the distance from the set A = aI, B = bI
    (log axis clipped at 1e-15 of its largest value), and the loss, with the on-set optimum u* and
    its loss as labelled reference lines."""
    from mesacheck.output.style import COLORS, TEXT, style

    t = np.asarray(times, float)
    keep = t > 0 if logx else np.ones(t.size, bool)  # on a log time axis the start (t = 0) is dropped
    t, ab, offdiag, loss = t[keep], np.asarray(ab)[keep], np.asarray(offdiag, float)[keep], np.asarray(loss)[keep]
    with style():
        fig, axes = plt.subplots(1, 3, figsize=(TEXT, 2.7))
        axes[0].plot(t, ab, color=COLORS[0], label="ab = mean_j A_jj B_jj")
        if u_star is not None and np.isfinite(u_star):
            axes[0].axhline(u_star, color="black", ls=":", lw=0.9, label=f"best on A = aI, B = bI: u* = {u_star:.6g}")
        axes[0].set_ylabel("a*b")
        pos = offdiag > 0
        if pos.any():
            floor = 1e-15 * float(np.max(offdiag))
            shown = np.where(offdiag > floor, offdiag, np.nan)
            axes[1].semilogy(t, shown, color=COLORS[3])
            axes[1].set_ylim(bottom=max(floor, float(np.nanmin(shown)) / 3))
            axes[1].set_title(f"(values below {floor:.0e} not drawn)" if np.any(~pos) else "", fontsize=6)
        else:
            axes[1].text(0.5, 0.5, "identically 0:\nthe flow stays on the set", ha="center", va="center",
                         transform=axes[1].transAxes)
            axes[1].set_xticks([])
            axes[1].set_yticks([])
        axes[1].set_ylabel("distance from the set")
        axes[2].plot(t, loss, color=COLORS[2], label="population loss")
        if best_loss is not None and np.isfinite(best_loss):
            axes[2].axhline(best_loss, color="black", ls=":", lw=0.9, label=f"best on the set: {best_loss:.6g}")
        axes[2].set_ylabel("loss")
        finite = np.asarray(loss, float)[np.isfinite(loss)]
        if finite.size and finite.min() > 0 and finite.max() > 100 * finite.min():
            axes[2].set_yscale("log")
        for ax in axes:
            if logx and ax.has_data():
                ax.set_xscale("log")
            ax.set_xlabel(xlabel + (" (log)" if logx else ""))
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.28))
        fig.suptitle(title)
        fig.tight_layout()
        return _write(fig, path)
