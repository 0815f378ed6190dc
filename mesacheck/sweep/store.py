"""A sweep's output folder: one file per finished point, and the tables built from them.

Layout of ``--out DIR``::

    DIR/points/KEY.json   one record per finished point, written atomically the moment it arrives
    DIR/results.jsonl     the table of the current grid, one JSON object per row
    DIR/results.csv       the same table as CSV
    DIR/results.parquet   the same table as Parquet (pyarrow)
    DIR/summary.png       the summary plot
    DIR/sweep.json        what was swept, the grid options, and one entry per run

Every file is written through :mod:`mesacheck.fileio` (temporary file, then rename), so an
interrupted sweep leaves complete files only, and every finished point is on disk before the next
one is awaited: a rerun of the same grid finds them by key and computes only the rest.
"""
import io
import json
import math
import os

from mesacheck.errors import InputError
from mesacheck.fileio import check_output_path, write_bytes, write_text

TABLES = ("results.jsonl", "results.csv", "results.parquet")
PLOT, MANIFEST, POINTS = "summary.png", "sweep.json", "points"


def _plain(obj):
    """JSON-safe copy: non-finite floats -> None, tuples -> lists."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy scalars
        return _plain(obj.item())
    return obj


def dumps(obj):
    """Deterministic one-line JSON of plain data (NaN written as null)."""
    return json.dumps(_plain(obj), sort_keys=True, allow_nan=False)


class Store:
    """The output folder of a sweep (see the module docstring). Validates every path it will
    write before any computation; creates ``out`` (whose parent must exist) and ``out/points``."""

    def __init__(self, out):
        if not isinstance(out, (str, os.PathLike)) or not str(out):
            raise InputError(f"--out: expected a folder name, got {out!r}")
        full = os.path.abspath(os.fspath(out))
        shown = os.fspath(out)
        if os.path.islink(full):
            raise InputError(f"--out {shown!r} is a symbolic link; give the real path")
        if os.path.exists(full) and not os.path.isdir(full):
            raise InputError(f"--out {shown!r} exists and is not a folder")
        parent = os.path.dirname(full)
        if not os.path.isdir(full) and not os.path.isdir(parent):
            raise InputError(f"--out {shown!r}: folder {parent} does not exist")
        try:
            os.makedirs(os.path.join(full, POINTS), exist_ok=True)
        except OSError as exc:
            raise InputError(f"--out {shown!r}: cannot create it: {exc.strerror or exc}") from None
        if os.path.islink(os.path.join(full, POINTS)):
            raise InputError(f"--out {shown!r}: {POINTS}/ is a symbolic link")
        self.root = full
        for name in TABLES + (PLOT, MANIFEST):
            check_output_path(os.path.join(full, name), "--out")
        if not os.access(os.path.join(full, POINTS), os.W_OK | os.X_OK):
            raise InputError(f"--out {shown!r}: {POINTS}/ is not writable")

    def path(self, name):
        """Absolute path of a file in the folder."""
        return os.path.join(self.root, name)

    # -- points ------------------------------------------------------------------------------------
    def load(self):
        """{key: record} of every readable point file (unreadable ones are ignored: recomputed)."""
        out = {}
        folder = self.path(POINTS)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".json") or name.startswith("."):
                continue
            try:
                with open(os.path.join(folder, name), encoding="utf-8") as fh:
                    record = json.load(fh)
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and record.get("key") == name[:-5]:
                out[record["key"]] = record
        return out

    def save(self, record):
        """Write one point's record atomically to points/KEY.json."""
        write_text(os.path.join(self.path(POINTS), record["key"] + ".json"), dumps(record) + "\n")

    # -- tables ------------------------------------------------------------------------------------
    def write_tables(self, df):
        """Write the table as JSON lines, CSV and Parquet (each atomically); return the paths."""
        records = df.to_dict(orient="records")
        write_text(self.path("results.jsonl"), "".join(dumps(r) + "\n" for r in records))
        text = io.StringIO()
        df.to_csv(text, index=False)
        write_text(self.path("results.csv"), text.getvalue())
        buf = io.BytesIO()
        df.to_parquet(buf, index=False, engine="pyarrow")
        write_bytes(self.path("results.parquet"), buf.getvalue())
        return [self.path(n) for n in TABLES]

    def write_manifest(self, manifest):
        """Write sweep.json, keeping the list of earlier runs of the same folder."""
        runs = []
        try:
            with open(self.path(MANIFEST), encoding="utf-8") as fh:
                runs = list(json.load(fh).get("runs", []))
        except (OSError, ValueError, AttributeError):
            pass
        manifest = dict(manifest)
        runs = [r for r in runs if r.get("run_id") != manifest["run"]["run_id"]] + [manifest.pop("run")]
        manifest["runs"] = runs
        write_text(self.path(MANIFEST), json.dumps(_plain(manifest), sort_keys=True, indent=2) + "\n")
        return self.path(MANIFEST)


def reusable(record, budget_s, memory_mb):
    """Whether a stored record answers its point for a run with these budgets: always, unless it
    ran out of a budget that is now larger (or gone), or it failed for a reason outside the point
    (a lost worker), which is worth another try."""
    if record.get("retry"):
        return False
    limited = record.get("budget_limited") or ""
    if limited == "time":
        old = record.get("budget_s")
        return budget_s is not None and old is not None and budget_s <= old
    if limited == "memory":
        old = record.get("memory_mb")
        return memory_mb is not None and old is not None and memory_mb <= old
    return True
