"""Property-based checks of the "for all" statements."""
import numpy as np
import sympy
from hypothesis import given, strategies as st

from mesacheck.numeric.flows import reduced_flow
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.model import predictions
from mesacheck.setting.params import Params
from mesacheck.symbolic.invariance import evaluate_condition, invariance_conditions
from mesacheck.symbolic.reduced import derive_reduced

FAMILIES = ["gaussian:sigma={}", "sparse:c={}", "uniform:c={}", "rademacher:c={}", "laplace:b={}"]
_COND = {}


def conditions(d):
    if d not in _COND:
        _COND[d] = invariance_conditions(d)[2]
    return _COND[d]


@given(fam=st.sampled_from(FAMILIES), scale=st.sampled_from(["1/2", "1", "2"]),
       a0=st.floats(-2, 2), b0=st.floats(-2, 2))
def test_reduced_flow_reaches_one_step_gd_solution(fam, scale, a0, b0):
    """Off the line a0 + b0 = 0 (and off the origin) the reduced flow reaches ab = u* = R/Q."""
    from hypothesis import assume
    assume(abs(a0 + b0) > 0.05 and abs(a0 - b0) > 1e-3)
    law = parse_dist(fam.format(scale))
    ustar = float(derive_reduced(law, 3, 8).get("ab_limit"))
    res = reduced_flow(law, 3, 8, a0, b0)
    assert res.converged
    assert abs(res.ab_limit - ustar) <= 1e-5 * abs(ustar)


@given(fam=st.sampled_from(FAMILIES), scale=st.sampled_from(["1/3", "1", "3/2"]))
def test_iid_symmetric_laws_satisfy_invariance_equations(fam, scale):
    law = parse_dist(fam.format(scale))
    assert all(evaluate_condition(e, law, 2) == 0 for e in conditions(2))


vec = st.lists(st.integers(-2, 2), min_size=2, max_size=2)


@given(vectors=st.lists(vec, min_size=1, max_size=3), weights=st.lists(st.integers(1, 3), min_size=3, max_size=3))
def test_mixture_invariance_verdict_matches_equations(vectors, weights):
    """For a random mixture of vectors, the set is invariant iff the moment equations hold."""
    from hypothesis import assume
    from mesacheck.symbolic.invariance import derive_invariance
    assume(any(any(v) for v in vectors))
    w = weights[: len(vectors)]
    total = sum(w)
    spec = "mixture:" + "+".join(f"{k}/{total}*[{v[0]},{v[1]}]" for k, v in zip(w, vectors))
    law = parse_dist(spec)
    holds = all(evaluate_condition(e, law, 2) == 0 for e in conditions(2))
    assert derive_invariance(law, 2, 5).get("invariant") == holds


@given(d=st.integers(1, 4), T=st.integers(3, 10), a=st.floats(-3, 3), b=st.floats(-3, 3),
       seed=st.integers(0, 2**31 - 1))
def test_one_step_gd_identity(d, T, a, b, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, T, d)) + 1j * rng.normal(size=(2, T, d))
    Y = predictions(Params.diagonal(d, a, b), X)
    for t in range(2, T):
        W = (a * b / (t - 1)) * np.einsum("sia,sib->sab", X[:, 1:t], X[:, : t - 1].conj())
        ref = np.einsum("sab,sb->sa", W, X[:, t - 1])
        assert np.allclose(Y[:, t - 2], ref, rtol=1e-10, atol=1e-10 * max(1.0, np.abs(ref).max()))
