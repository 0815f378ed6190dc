"""Helpers shared by the claim modules: law / size resolution, seeds, the exact-enumeration sizes.

The oracles the checks use as route 2 live in the numeric layer and never read a symbolic
result: the exact enumeration of :mod:`mesacheck.numeric.quadrature` (the model's own numeric
code summed over a rule that is exact for the integrand), the integrators of
:mod:`mesacheck.numeric.flows`, and the samplers of the laws.
"""
import numpy as np

from mesacheck.errors import InputError
from mesacheck.numeric.boundary import to_float
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.params import Params

#: relative tolerance of a comparison with an exact enumeration (float64 sums of ~1e5 terms)
ENUM_RTOL = 1e-9
#: training length of the exact enumerations (their cost grows like (3T)^d)
ENUM_T = 5


def resolve(settings, dist, d, T):
    """(Distribution, d, T) from the settings' overrides or the claim's defaults."""
    spec = settings.dist or dist
    law = parse_dist(spec)
    d = settings.d or d
    T = settings.T or T
    if T < 3:
        raise InputError(f"T must be >= 3, got {T}")
    law.for_dim(d)
    return law, d, T


def law_dim(law, d):
    """The dimension a law fixes (mixtures, per-coordinate sigmas), else ``d``."""
    if law.name == "mixture":
        return len(law.params["vectors"][0])
    if law.name == "gaussian" and "sigmas" in law.params:
        return len(law.params["sigmas"])
    return d


#: largest number of sequences an exact enumeration of a check may visit at the larger dimension
ENUM_BUDGET = 300_000


def enum_dim(law, quick):
    """Dimension of an exact enumeration: the law's own, else 3 when the enumeration of the loss
    at T = ENUM_T stays within ENUM_BUDGET sequences (not with --quick), else 2."""
    from mesacheck.numeric.quadrature_rules import x1_rule_size

    fixed = law_dim(law, None)
    if fixed is not None:
        return fixed
    if quick:
        return 2
    size = x1_rule_size(law, 3, 6) * (3 * (ENUM_T - 2) + 1) ** 3
    return 3 if size <= ENUM_BUDGET else 2


def rng_for(settings, salt):
    """A Generator seeded by (seed, salt): every check has its own reproducible stream."""
    return np.random.default_rng([int(settings.seed), int(salt)])


def fl(expr, what="value"):
    """Exact SymPy scalar -> float through the one numeric boundary."""
    return to_float(expr, what)


def on_set(d, u=None, a=None, b=None):
    """Params with A = aI, B = bI (given a, b, or u = ab >= 0 split as a = b = sqrt(u))."""
    if u is not None:
        s = float(np.sqrt(abs(u)))
        a, b = s, (s if u >= 0 else -s)
    return Params.diagonal(d, a, b)


def diagonal_params(avals, bvals):
    """Params with A = diag(avals), B = diag(bvals), all other blocks 0."""
    d = len(avals)
    p = Params.zeros(d)
    idx = np.arange(d)
    p.kq[d + idx, idx] = avals
    p.pv[idx, idx] = bvals
    return p
