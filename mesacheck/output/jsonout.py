"""JSON output: every document carries the mesacheck version, the command, the seed and tolerances.

Keys are sorted and floats written with repr precision so the same command with the same seed
gives byte-identical JSON.
"""
import json
import math

import numpy as np

from mesacheck import __version__


def _clean(obj):
    """Convert numpy / sympy scalars and arrays to plain JSON types; non-finite floats -> strings."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        value = float(obj)
        return value if math.isfinite(value) else str(value)
    if isinstance(obj, (np.complexfloating, complex)):
        return {"re": _clean(obj.real), "im": _clean(obj.imag)}
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def document(payload, argv=None, seed=None, tolerances=None):
    """Wrap ``payload`` (a dict) with the provenance fields every mesacheck JSON carries."""
    doc = {
        "mesacheck_version": __version__,
        "command": list(argv) if argv is not None else None,
        "seed": seed,
        "tolerances": tolerances or {},
    }
    doc.update(payload)
    return _clean(doc)


def dumps(payload, argv=None, seed=None, tolerances=None):
    """Serialise a payload as deterministic JSON text (sorted keys, indent 2)."""
    return json.dumps(document(payload, argv, seed, tolerances), sort_keys=True, indent=2)


#: keys that hold wall-clock times (they differ between runs of the same command).
TIMING_KEYS = ("seconds",)


def split_timings(obj, path="", keys=TIMING_KEYS):
    """(``obj`` without any key in ``keys`` at any depth, {json-path: value} of what was removed).

    For byte-identical JSON from equal commands: wall-clock times are left out, or gathered
    under one key the caller chooses to add.
    """
    removed = {}

    def strip(o, where):
        if isinstance(o, dict):
            out = {}
            for k, v in o.items():
                if k in keys:
                    removed[f"{where}/{k}"] = v
                else:
                    out[k] = strip(v, f"{where}/{k}")
            return out
        if isinstance(o, (list, tuple)):
            return [strip(v, f"{where}/{i}") for i, v in enumerate(o)]
        return o

    return strip(obj, path), removed
