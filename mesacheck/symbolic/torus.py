"""Exact expectations over the random unitary W = diag(lambda_1..lambda_d), by counting.

Every population quantity is a sum, over in-context positions (summation variables i, i2, ...),
of products of tokens x_tau,j = lambda_j^(tau-1) z_j and their conjugates. Since
E[lambda^n] = [n == 0] for independent uniform phases, the W-expectation of one product is 1
when the exponent of every coordinate vanishes and 0 otherwise. The expectation of the sum is
therefore the number of lattice points (i, i2, ...) in a box with bounds affine in the prefix
length t that satisfy linear equations: this module counts them exactly, for concrete t and as a
polynomial in symbolic t valid for t >= t0.

Pure Python integers and Fractions: no floating point, no numpy.
"""
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from itertools import product
from math import ceil, floor

import sympy

from mesacheck.symbolic.symbols import t as T_SYM  # the prefix length, a Dummy



class Aff:
    """An affine form sum_v coef[v] * v + const over named integer variables (one is 't').

    Immutable; coefficients are Fractions so elimination stays exact.
    """

    __slots__ = ("coef", "const")

    def __init__(self, coef=None, const=0):
        self.coef = {k: Fraction(v) for k, v in (coef or {}).items() if v != 0}
        self.const = Fraction(const)

    @staticmethod
    def var(name, shift=0):
        """The form ``name + shift``."""
        return Aff({name: 1}, shift)

    def __add__(self, other):
        if not isinstance(other, Aff):
            return Aff(self.coef, self.const + other)
        coef = dict(self.coef)
        for k, v in other.coef.items():
            coef[k] = coef.get(k, 0) + v
        return Aff(coef, self.const + other.const)

    def __neg__(self):
        return Aff({k: -v for k, v in self.coef.items()}, -self.const)

    def __sub__(self, other):
        return self + (-other)

    def scale(self, s):
        return Aff({k: v * s for k, v in self.coef.items()}, self.const * s)

    def get(self, name):
        return self.coef.get(name, Fraction(0))

    def substitute(self, name, form):
        """Replace variable ``name`` by the affine form ``form``."""
        c = self.get(name)
        if c == 0:
            return self
        rest = Aff({k: v for k, v in self.coef.items() if k != name}, self.const)
        return rest + form.scale(c)

    def evaluate(self, values):
        return sum((v * values[k] for k, v in self.coef.items()), self.const)

    def key(self):
        return (tuple(sorted(self.coef.items())), self.const)

    def __repr__(self):
        terms = [f"{v}*{k}" for k, v in sorted(self.coef.items())]
        return " + ".join(terms + [str(self.const)])


@dataclass(frozen=True)
class Factor:
    """One token factor x_{tau, cls} (conj=False) or conj(x_{tau, cls}) (conj=True).

    ``time`` is an Aff in the summation variables and t; ``cls`` labels the coordinate (two
    factors with the same label are the same coordinate, different labels distinct ones).
    """

    conj: bool
    time: Aff
    cls: object


@dataclass
class Term:
    """A sum over the variables ``ranges`` (name -> (lo, hi) Affs in t, inclusive) of a product
    of factors. Its W-expectation is the number of points where all exponents vanish."""

    factors: list
    ranges: dict = field(default_factory=dict)

    def equations(self):
        """Exponent of each coordinate class as an affine form (must all vanish)."""
        out = {}
        for f in self.factors:
            e = f.time - Aff({}, 1)
            e = -e if f.conj else e
            out[f.cls] = out[f.cls] + e if f.cls in out else e
        return [e for e in out.values()]

    def inequalities(self):
        """Forms that must be >= 0: variable ranges and x_tau != x_0 (tau >= 1) per factor."""
        ineq = []
        for v, (lo, hi) in self.ranges.items():
            ineq.append(Aff.var(v) - lo)
            ineq.append(hi - Aff.var(v))
        for f in self.factors:
            ineq.append(f.time - Aff({}, 1))
        return ineq

    def signature(self):
        """A hashable description of the counting problem (for caching)."""
        eqs = tuple(sorted(e.key() for e in self.equations()))
        ineqs = tuple(sorted(set(i.key() for i in self.inequalities())))
        return (tuple(sorted(self.ranges)), eqs, ineqs)


def _brute_count(variables, eqs, ineqs, t):
    """Count lattice points directly at concrete t (the independent check of the formulas)."""
    bounds = []
    for v in variables:
        lo, hi = None, None
        for q in ineqs:
            c = q.get(v)
            if c == 0 or any(q.get(w) != 0 for w in variables if w != v):
                continue
            rest = q.evaluate({"t": t, v: 0})
            if c > 0:
                b = ceil(-rest / c)
                lo = b if lo is None else max(lo, b)
            else:
                b = floor(rest / -c)
                hi = b if hi is None else min(hi, b)
        if lo is None or hi is None:
            raise ValueError(f"variable {v} is unbounded")
        bounds.append(range(lo, hi + 1))
    n = 0
    for point in product(*bounds):
        vals = dict(zip(variables, point), t=t)
        if all(e.evaluate(vals) == 0 for e in eqs) and all(q.evaluate(vals) >= 0 for q in ineqs):
            n += 1
    return n


@dataclass(frozen=True)
class CountFormula:
    """count(t) = sum_k coeffs[k] t^k for every integer t >= t0; ``small`` holds count(t) for
    t in [t_min, t0). Built by :func:`count_term`."""

    coeffs: tuple
    t0: int
    small: tuple  # ((t, count), ...)

    def at(self, t):
        """The exact count at a concrete integer t."""
        if t >= self.t0:
            return sum(c * t**k for k, c in enumerate(self.coeffs))
        for tt, n in self.small:
            if tt == t:
                return n
        raise ValueError(f"count requested at t={t} below the tabulated range")

    def expr(self, t=T_SYM):
        """The polynomial (valid for t >= t0) as a SymPy expression."""
        return sum(sympy.Rational(c.numerator, c.denominator) * t**k for k, c in enumerate(self.coeffs))


def _eliminate(variables, eqs):
    """Gaussian elimination of the equations in the summation variables.

    Returns (substitutions {var: Aff in free vars and t}, residual conditions on t alone), or
    None when the system is inconsistent for every t.
    """
    eqs = [e for e in eqs if e.coef or e.const != 0]
    subs = {}
    residual = []
    pending = list(eqs)
    while pending:
        e = pending.pop()
        for v, form in subs.items():
            e = e.substitute(v, form)
        pivot = next((v for v in variables if v not in subs and e.get(v) != 0), None)
        if pivot is None:
            if e.get("t") == 0 and e.const != 0:
                return None
            if e.get("t") != 0:
                residual.append(e)
            continue
        c = e.get(pivot)
        form = (e - Aff.var(pivot).scale(c)).scale(Fraction(-1) / c)
        subs = {v: f.substitute(pivot, form) for v, f in subs.items()}
        subs[pivot] = form
    return subs, residual


def _eventual_sign(form):
    """Sign of an affine form in t alone for all large t, and the t after which it is constant."""
    a, b = form.get("t"), form.const
    if a != 0:
        root = -b / a
        return (1 if a > 0 else -1), floor(root) + 1
    return (1 if b > 0 else (-1 if b < 0 else 0)), 0


def _max_form(forms, lower):
    """The dominant bound among affine forms in t (max for lower bounds, min for upper) for
    large t, and a t after which it stays dominant."""
    best = forms[0]
    t0 = 0
    for f in forms[1:]:
        diff = f - best
        s, tt = _eventual_sign(diff)
        t0 = max(t0, tt)
        if (s > 0) == lower and s != 0:
            best = f
    for f in forms:
        t0 = max(t0, _eventual_sign(f - best)[1])
    return best, t0


def _poly_of(form):
    """Coefficients (c0, c1) of an affine form in t alone."""
    return (form.const, form.get("t"))


def _poly_mul(p, q):
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return tuple(out)


def _count_one_var(v, ineqs):
    """Eventual count of integer v satisfying the inequalities (each involves v and t only)."""
    lows, highs, t_only = [], [], []
    for q in ineqs:
        c = q.get(v)
        rest = q.substitute(v, Aff({}, 0))
        if c == 0:
            t_only.append(rest)
        elif c > 0:
            if c != 1:
                raise NotImplementedError("non-unit coefficient in a bound")
            lows.append(-rest)
        else:
            if c != -1:
                raise NotImplementedError("non-unit coefficient in a bound")
            highs.append(rest)
    lo, t1 = _max_form(lows, lower=True)
    hi, t2 = _max_form(highs, lower=False)
    length = hi - lo + Aff({}, 1)
    s, t3 = _eventual_sign(length)
    t0 = max(t1, t2, t3)
    ok, t4 = _t_conditions(t_only)
    t0 = max(t0, t4)
    if s <= 0 or not ok:
        return (Fraction(0),), t0
    return _poly_of(length), t0


def _t_conditions(forms):
    """Whether all forms (in t alone) are eventually >= 0, and from which t."""
    t0, ok = 0, True
    for f in forms:
        s, tt = _eventual_sign(f)
        t0 = max(t0, tt)
        ok = ok and s >= 0
    return ok, t0


def count_term(term, t_min=2):
    """Exact W-expectation of ``term`` as a :class:`CountFormula` in the prefix length t.

    The formula is derived by elimination and interval counting (valid for t >= t0); t0 is then
    lowered as far as direct counting confirms, and smaller t are tabulated by direct counting.
    """
    return _count_cached(term.signature(), t_min)


@lru_cache(maxsize=None)
def _count_cached(signature, t_min):
    names, eq_keys, ineq_keys = signature
    eqs = [Aff(dict(c), k) for c, k in eq_keys]
    ineqs = [Aff(dict(c), k) for c, k in ineq_keys]
    variables = list(names)
    solved = _eliminate(variables, eqs)
    if solved is None:
        coeffs, t0 = (Fraction(0),), t_min
    else:
        subs, residual = solved
        # A residual condition a*t + b = 0 with a != 0 holds at one t only: tabulate past it.
        t0 = max([t_min] + [floor(-r.const / r.get("t")) + 1 for r in residual])
        if residual:
            coeffs = (Fraction(0),)
        else:
            reduced = []
            for q in ineqs:
                for v, form in subs.items():
                    q = q.substitute(v, form)
                reduced.append(q)
            for v, form in subs.items():
                if any(c.denominator != 1 for c in form.coef.values()) or form.const.denominator != 1:
                    raise NotImplementedError("non-integral elimination (not totally unimodular)")
            free = [v for v in variables if v not in subs]
            coeffs = (Fraction(1),)
            rest = reduced
            for v in free:
                mine = [q for q in rest if q.get(v) != 0 and all(q.get(w) == 0 for w in free if w != v)]
                coupled = [q for q in rest if q.get(v) != 0 and q not in mine]
                if coupled:
                    raise NotImplementedError("inequalities couple two free variables")
                rest = [q for q in rest if q.get(v) == 0]
                p, tv = _count_one_var(v, mine)
                coeffs = _poly_mul(coeffs, p)
                t0 = max(t0, tv)
            ok, tv = _t_conditions(rest)
            t0 = max(t0, tv)
            if not ok:
                coeffs = (Fraction(0),)
    coeffs = _trim(coeffs)
    # Lower t0 while direct counting agrees with the polynomial (beyond t0 it is exact).
    while t0 > t_min and _brute_count(variables, eqs, ineqs, t0 - 1) == _eval(coeffs, t0 - 1):
        t0 -= 1
    small = tuple((t, _brute_count(variables, eqs, ineqs, t)) for t in range(t_min, t0))
    return CountFormula(coeffs, t0, small)


def _trim(coeffs):
    coeffs = list(coeffs)
    while len(coeffs) > 1 and coeffs[-1] == 0:
        coeffs.pop()
    return tuple(coeffs)


def _eval(coeffs, t):
    return sum(c * t**k for k, c in enumerate(coeffs))


def brute_count(term, t):
    """Direct lattice-point count of ``term`` at concrete t (used by tests as a second route)."""
    return _brute_count(list(term.ranges), term.equations(), term.inequalities(), t)


def weighted_sum(formula, power, T, t_start=2):
    """sum_{t=t_start}^{T-1} count(t) / (t-1)^power, exactly.

    ``T`` is an int (a Fraction-free SymPy Rational is returned) or a SymPy symbol, in which case
    the closed form (harmonic numbers where they arise) holds for T >= formula.t0 + 1 and the
    caller is told that bound by :func:`valid_from`.
    """
    if isinstance(T, int):
        total = Fraction(0)
        for t in range(t_start, T):
            n = formula.at(t)
            if n:
                total += Fraction(n) / Fraction(t - 1) ** power
        return sympy.Rational(total.numerator, total.denominator)
    head = sum(
        (sympy.Rational(n) / sympy.Integer(tt - 1) ** power for tt, n in formula.small if tt >= t_start),
        sympy.Integer(0),
    )
    lower = max(formula.t0, t_start)
    return head + _power_sum(formula.coeffs, power, lower, T)


def _power_sum(coeffs, power, lower, T):
    """sum_{t=lower}^{T-1} (sum_k coeffs[k] t^k) / (t-1)^power in closed form.

    With s = t - 1 the summand is a Laurent polynomial in s: non-negative powers are summed by
    Faulhaber (SymPy), each s^(-q) gives harmonic(T-2, q) - harmonic(lower-2, q).
    """
    s = sympy.Dummy("s", integer=True, positive=True)
    poly = sympy.expand(sum(sympy.Rational(c.numerator, c.denominator) * (s + 1) ** k for k, c in enumerate(coeffs)))
    total = sympy.Integer(0)
    for (k,), c in sympy.Poly(poly, s).terms():
        e = k - power
        if e >= 0:
            total += c * sympy.summation(s**e, (s, lower - 1, T - 2))
        else:
            q = -e
            total += c * (sympy.harmonic(T - 2, q) - sympy.harmonic(lower - 2, q))
    return sympy.expand(total)


def valid_from(formula):
    """Smallest T for which :func:`weighted_sum` with symbolic T is exact."""
    return formula.t0 + 1
