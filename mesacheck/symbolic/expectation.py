"""Exact population expectations E_{x_1, W} of sums over prefixes t and coordinates.

A population quantity here is  sum_{t=2}^{T-1} (t-1)^(-power) E[ sum_vars prod_factors ],
the factors being tokens x_{tau,j} or their conjugates. The W-expectation is a lattice-point
count (:mod:`mesacheck.symbolic.torus`), the x_1-expectation is the distribution's exact moment
of the factors' coordinates. Coordinates are either concrete (d an int) or summed symbolically
over set partitions (d a SymPy symbol, exchangeable laws only), with falling-factorial
multiplicities d (d-1) ... .
"""
from functools import lru_cache
from itertools import product

import sympy

from mesacheck.symbolic.torus import Aff, Factor, Term, count_term, valid_from, weighted_sum

I, I2 = "i", "i2"
T_VAR = Aff.var("t")


def x(time, cls, conj=False):
    """The token x_{time, cls} (conj=False) or its conjugate; ``time`` an Aff."""
    return Factor(conj, time, cls)


def embedded(var_form, a, d, conj=False):
    """Entry ``a`` of the embedding e_tau = (x_tau ; x_{tau-1}) at time ``var_form``."""
    shift, coord = divmod(a, d)
    return Factor(conj, var_form - Aff({}, shift), coord)


def prefix_ranges(*names):
    """In-context positions 1 <= v <= t for each summation variable."""
    return {n: (Aff({}, 1), T_VAR) for n in names}


def moment_exponents(factors, classes):
    """(alpha, beta) per class in ``classes`` order: how often each appears plain / conjugated."""
    alpha = {c: 0 for c in classes}
    beta = {c: 0 for c in classes}
    for f in factors:
        (beta if f.conj else alpha)[f.cls] += 1
    return tuple(alpha[c] for c in classes), tuple(beta[c] for c in classes)


def real_part(expr):
    """Real part of an expectation that is real by construction (|.|^2 sums).

    Harmonic numbers of T - 2 are real for T >= 3, which SymPy cannot know; they are hidden
    behind real placeholders while the real part is taken.
    """
    expr = sympy.expand(expr)
    if expr.is_real:
        return expr
    harmonics = sorted(expr.atoms(sympy.harmonic), key=sympy.default_sort_key)
    holders = [sympy.Dummy(real=True) for _ in harmonics]
    hidden = expr.xreplace(dict(zip(harmonics, holders)))
    return sympy.expand(sympy.re(hidden)).xreplace(dict(zip(holders, harmonics)))


@lru_cache(maxsize=None)
def _weight(formula, power, T):
    return weighted_sum(formula, power, T)


class Expectation:
    """Computes exact expectations for one distribution, dimension and horizon T.

    ``T`` is an int (exact rational weights) or a positive-integer SymPy symbol (closed forms,
    harmonic numbers where they arise; ``min_T`` records from which T they are exact).
    ``d`` is an int, or a SymPy symbol when the law is exchangeable.
    """

    def __init__(self, dist, d, T):
        self.dist, self.d, self.T = dist, d, T
        self.min_T = 3
        self._moment_cache = {}

    # -- x_1 moments -------------------------------------------------------------------------
    def moment(self, alpha, beta):
        """E[prod_j x_j^alpha_j conj(x_j)^beta_j] for concrete coordinates (cached)."""
        key = (alpha, beta)
        if key not in self._moment_cache:
            self._moment_cache[key] = self.dist.moment(alpha, beta)
        return self._moment_cache[key]

    def pattern_moment(self, pattern):
        """Moment of a pattern of distinct coordinates ((a, b) per coordinate), symbolic d."""
        key = ("pattern", pattern)
        if key not in self._moment_cache:
            self._moment_cache[key] = self.dist.pattern_moment(pattern, self.d)
        return self._moment_cache[key]

    # -- W expectation ----------------------------------------------------------------------
    def weight(self, factors, ranges, power):
        """sum_t (t-1)^(-power) E_W[sum_vars prod factors] (coordinates taken as labelled)."""
        formula = count_term(Term(list(factors), dict(ranges)))
        if not isinstance(self.T, int):
            self.min_T = max(self.min_T, valid_from(formula))
        return _weight(formula, power, self.T)

    def term(self, factors, ranges, power):
        """Full expectation of one term with concrete integer coordinate labels."""
        coords = sorted({f.cls for f in factors})
        w = self.weight(factors, ranges, power)
        if w == 0:
            return sympy.Integer(0)
        alpha, beta = moment_exponents(factors, coords)
        full_a = [0] * self.d
        full_b = [0] * self.d
        for c, a, b in zip(coords, alpha, beta):
            full_a[c], full_b[c] = a, b
        return w * self.moment(tuple(full_a), tuple(full_b))

    def index_sum(self, names, build, ranges, power):
        """sum over coordinates (one per name, each over 1..d) of the term ``build(assign)``.

        Concrete d: every assignment. Symbolic d: one representative per set partition of
        ``names`` (equal names in a block, distinct blocks distinct coordinates), times the
        number d(d-1)...(d-k+1) of assignments with that pattern.
        """
        total = sympy.Integer(0)
        if isinstance(self.d, int):
            for values in product(range(self.d), repeat=len(names)):
                total += self.term(build(dict(zip(names, values))), ranges, power)
            return total
        for blocks in _set_partitions(list(names)):
            assign = {n: k for k, block in enumerate(blocks) for n in block}
            factors = build(assign)
            w = self.weight(factors, ranges, power)
            if w == 0:
                continue
            alpha, beta = moment_exponents(factors, list(range(len(blocks))))
            mult = sympy.Integer(1)
            for k in range(len(blocks)):
                mult *= self.d - k
            total += mult * w * self.pattern_moment(tuple(zip(alpha, beta)))
        return total


def _set_partitions(items):
    """All set partitions of ``items`` as lists of blocks."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _set_partitions(rest):
        for k in range(len(part)):
            yield part[:k] + [[first] + part[k]] + part[k + 1 :]
        yield [[first]] + part


# -- the three kinds of entries of the population loss -----------------------------------------
#
# With V_abc(t) = sum_{i<=t} e_{i,a} conj(e_{i,b}) e_{t,c}, the loss of parameters P = W^PV,
# K = W^KQ is
#   L = 1/2 sum_r sum P_ra conj(P_ra') K_bc conj(K_b'c') QUAD[a'b'c', abc]
#       - Re sum_r P_ra K_bc LIN[r, abc] + CONST,
# QUAD = sum_t E[conj(V_a'b'c') V_abc]/(t-1)^2, LIN = sum_t E[conj(x_{t+1,r}) V_abc]/(t-1),
# CONST = sum_t E|x_{t+1}|^2 / 2.


def v_factors(a, b, c, d, var, conj=False):
    """Factors of V_abc (or its conjugate) with summation variable ``var``."""
    v = Aff.var(var)
    return [
        embedded(v, a, d, conj),
        embedded(v, b, d, not conj),
        embedded(T_VAR, c, d, conj),
    ]


def quad_factors(primed, plain, d):
    """Factors of conj(V_{primed}) V_{plain} (index triples)."""
    return v_factors(*plain, d, I) + v_factors(*primed, d, I2, conj=True)


def lin_factors(r, plain, d):
    """Factors of conj(x_{t+1, r}) V_{plain}."""
    return [x(T_VAR + Aff({}, 1), r, conj=True)] + v_factors(*plain, d, I)


QUAD_RANGES = prefix_ranges(I, I2)
LIN_RANGES = prefix_ranges(I)
