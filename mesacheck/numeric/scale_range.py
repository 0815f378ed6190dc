"""The range of a law's scale inside which the flows' floating-point results can be trusted.

Scale s = sqrt(mean_j E|x_1j|^2) (exact, then converted at the boundary). Under x -> s x the
structured coefficients scale as Q ~ s^6 and R ~ s^4, so u* = R/Q ~ 1/s^2, the limit values of
a and b are of order 1/s, and the time constant d/R ~ 1/s^4.

* Lower end MIN_SCALE = 1e-30: Q ~ s^6 stays far above float64's smallest normal number
  (2.2e-308) for every d and T the commands accept; at s = 1e-60 it underflows and the solver
  sees zeros and infinities.
* Upper end MAX_SCALE[kind] = TARGET_RTOL[kind] / ATOL[kind]: a and b converge to values of order 1/s,
  and a solver with absolute tolerance atol resolves them to a relative error of about
  atol * s. Measured for the reduced flow (gaussian, d = 5, T = 100): relative error of ab
  below 1e-8 up to s = 1e8, 1.4e-5 at s = 1e10 while still reporting "converged", and
  non-finite values at s = 1e30.
"""
import sympy

from mesacheck.errors import InputError

MIN_SCALE = sympy.Integer(10) ** -30
#: absolute tolerances of the flows' solvers on a and b (mesacheck.numeric.flows).
ATOL = {"reduced": 1e-14, "full": 1e-13, "empirical": 1e-9}
#: relative accuracy asked of the limit of ab (the empirical flow is limited by sampling anyway).
TARGET_RTOL = {"reduced": 1e-8, "full": 1e-8, "empirical": 1e-6}
#: TARGET_RTOL / ATOL, exactly.
MAX_SCALE = {"reduced": sympy.Integer(10) ** 6, "full": sympy.Integer(10) ** 5, "empirical": sympy.Integer(10) ** 3}


def max_scale(kind):
    """Largest supported scale for the flow ``kind`` ('reduced', 'full', 'empirical')."""
    return MAX_SCALE[kind]


def mean_second_moment(dist, d):
    """mean_j E|x_1j|^2 of a law with numeric parameters, exactly (a SymPy number)."""
    if dist.is_exchangeable:
        return dist.pattern_moment(((1, 1),), d)
    return sympy.Add(*[dist.moment(tuple(int(i == j) for i in range(d)), tuple(int(i == j) for i in range(d)))
                       for j in range(d)]) / d


def check_flow_scale(dist, d, kind):
    """Refuse (InputError, naming the range) a law whose scale is outside the supported range.

    The comparison is exact (no float can underflow or overflow here); returns the scale as a
    SymPy number.
    """
    s2 = mean_second_moment(dist, d)
    hi = max_scale(kind)
    spec = dist.spec if len(dist.spec) <= 60 else dist.spec[:57] + "..."
    if s2 == 0:
        raise InputError(f"--dist {spec}: x_1 = 0 almost surely, so the loss does not depend on the "
                         "parameters and there is no flow to integrate")
    if not MIN_SCALE**2 <= s2 <= hi**2:
        shown = sympy.N(sympy.sqrt(s2), 3)
        raise InputError(f"--dist {spec}: its scale sqrt(mean E|x_j|^2) = {shown} is outside the "
                         f"numerically supported range [1e-30, {float(hi):g}] of the {kind} flow "
                         "(float64 and the solver's tolerances); rescale the law (u* scales as 1/scale^2)")
    return sympy.sqrt(s2)
