"""Comparisons of two routes, each returning an :class:`Outcome` that records what was compared.

``exact_equal`` compares SymPy values exactly (their difference simplifies to 0, with harmonic
numbers hidden so H_998 is not expanded); ``close`` compares floats with a stated relative and
absolute tolerance; ``same`` compares verdicts (strings, booleans, tuples). A check function
combines several comparisons with :func:`all_of`.
"""
import math
from dataclasses import dataclass, field
from typing import Optional

import sympy

from mesacheck.symbolic import printing


@dataclass
class Outcome:
    """Result of a check: pass/fail, a detail line, the compared values (quantity, route 1,
    route 2, as text), and for Monte Carlo the bound on the false-failure probability."""

    passed: bool
    detail: str = ""
    compared: list = field(default_factory=list)
    false_failure: Optional[float] = None


def _text(v):
    """The value as text for tables and JSON, carrying its LaTeX form for the report (the one
    printer's :func:`~mesacheck.symbolic.printing.shown`: long exact values as 12-digit decimals)."""
    return printing.shown(v)


def _zero(diff):
    """Whether an exact difference is 0: harmonic numbers of a concrete argument are evaluated
    (exact rationals), those of a symbolic argument hidden behind symbols (so simplify does not
    try to expand H_(T-2))."""
    diff = sympy.sympify(diff, strict=True)
    hs = sorted(diff.atoms(sympy.harmonic), key=sympy.default_sort_key)
    reps = {h: (sympy.harmonic(*h.args) if not h.free_symbols else sympy.Dummy(positive=True)) for h in hs}
    held = diff.xreplace(reps)
    return sympy.expand(held) == 0 or sympy.simplify(held) == 0


def exact_equal(quantity, v1, v2):
    """Outcome: v1 == v2 exactly (SymPy; tuples elementwise)."""
    if isinstance(v1, (tuple, list, sympy.Tuple)) or isinstance(v2, (tuple, list, sympy.Tuple)):
        ok = len(v1) == len(v2) and all(_zero(sympy.sympify(x, strict=True) - sympy.sympify(y, strict=True))
                                        for x, y in zip(v1, v2))
    else:
        ok = _zero(sympy.sympify(v1, strict=True) - sympy.sympify(v2, strict=True))
    return Outcome(ok, "" if ok else f"{quantity}: route 1 != route 2", [(quantity, _text(v1), _text(v2))])


def close(quantity, v1, v2, rtol, atol=0.0):
    """Outcome: |v1 - v2| <= atol + rtol |v2| (floats or arrays; NaN fails)."""
    import numpy as np

    a, b = np.asarray(v1, dtype=complex), np.asarray(v2, dtype=complex)
    err = np.abs(a - b)
    bound = atol + rtol * np.abs(b)
    ok = bool(a.shape == b.shape and np.all(np.isfinite(a)) and np.all(err <= bound))
    worst = float(np.max(err)) if err.size else 0.0
    shown1, shown2 = _array_text(a), _array_text(b)
    return Outcome(ok, f"{quantity}: max |route 1 - route 2| = {worst:.3g}", [(quantity, shown1, shown2)])


def _array_text(x):
    """A compared array for display: a number (complex as a + bi), up to six numbers, or its size."""
    import numpy as np

    if x.size > 6:  # the size, never a Python tuple such as (7,)
        return f"{x.size} values" if x.ndim == 1 else "x".join(map(str, x.shape)) + " array"
    values = [complex(v) if v.imag != 0 else float(v.real) for v in x.ravel()]
    return _text(values[0]) if x.size == 1 else _text(tuple(values))


def same(quantity, v1, v2):
    """Outcome: two verdicts (strings, booleans, tuples) are equal."""
    ok = v1 == v2
    return Outcome(ok, "" if ok else f"{quantity}: {v1!r} vs {v2!r}", [(quantity, _text(v1), _text(v2))])


def all_of(*outcomes, detail=""):
    """Combine outcomes: pass iff all pass; compared values and false-failure bounds accumulate."""
    ok = all(o.passed for o in outcomes)
    compared = [c for o in outcomes for c in o.compared]
    bounds = [o.false_failure for o in outcomes if o.false_failure is not None]
    text = "; ".join(x for x in [detail] + [o.detail for o in outcomes if o.detail] if x)
    return Outcome(ok, text, compared, sum(bounds) if bounds else None)


def finite(x):
    """Whether x is a finite float."""
    return isinstance(x, float) and math.isfinite(x)
