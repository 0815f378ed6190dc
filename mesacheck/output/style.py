"""The one figure style of mesacheck, and the one way figures are written.

Sizes fit a two-column paper: ``COLUMN`` (3.25 in) for one column, ``TEXT`` (6.75 in) across
both. Fonts are sized for print at that width (8 pt text, 7 pt ticks and legends). Figures are
written atomically (:mod:`mesacheck.fileio`) in the format of the name asked for (.png, or vector
.pdf / .svg); the figures `reproduce` writes into its folder come as a PNG and a vector PDF. The style is
applied through a context (``with style():``), never by changing matplotlib's global state.
"""
import io
import os
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mesacheck.errors import InputError  # noqa: E402
from mesacheck.fileio import write_bytes  # noqa: E402

COLUMN, TEXT = 3.25, 6.75
#: matplotlib settings of every mesacheck figure
RC = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7,
    "ytick.labelsize": 7, "legend.fontsize": 6.5, "legend.frameon": False, "lines.linewidth": 1.3,
    "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.5, "axes.spines.top": False,
    "axes.spines.right": False, "figure.dpi": 100, "savefig.dpi": 200, "pdf.fonttype": 42,
    "savefig.bbox": "tight", "savefig.pad_inches": 0.03,
}
#: line colours (colour-blind safe: Okabe-Ito)
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
VECTOR = (".pdf", ".svg")


@contextmanager
def style():
    """Apply the mesacheck figure style inside the block only."""
    with matplotlib.rc_context(RC):
        yield


def save(fig, path, vector_beside=False):
    """Write ``fig`` to ``path`` in the format of its suffix (.png, .pdf, .svg), atomically; with
    ``vector_beside`` (figures written into a folder the user asked for) also a vector .pdf beside
    a .png. Closes the figure; returns the list of paths written."""
    from mesacheck.fileio import check_output_path

    base, ext = os.path.splitext(path)
    ext = ext.lower()
    targets = [(path, ext[1:] or "png")]
    if vector_beside and ext not in VECTOR:
        targets.append((base + ".pdf", "pdf"))
    for target, _ in targets[1:]:  # the companion file is validated like the one asked for
        check_output_path(target, "figure")
    written = []
    try:
        for target, fmt in targets:
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt)
            written.append(write_bytes(target, buf.getvalue()))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return written
