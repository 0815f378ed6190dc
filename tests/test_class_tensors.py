"""Coefficient tensors by symmetry class against independent routes: direct lattice enumeration
(written here from SETTING.md), the entry-by-entry engine (exact equality), and a brute-force
Monte Carlo estimate of the loss and gradient at d = 5."""
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from mesacheck.numeric import boundary, flows
from mesacheck.numeric.class_tensors import build_tensors
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.model import ProcessBatch, loss_and_grad
from mesacheck.setting.params import Params
from mesacheck.symbolic import lattice_classes as lc
from mesacheck.symbolic.class_values import ClassValues
from mesacheck.symbolic.population import PopulationLoss


def enumerate_count(rgs, shifts, positions, t):
    """Oracle: sum over the in-context positions of E_W[product], straight from x_tau = W^(tau-1) x_1
    with independent uniform phases: 1 when every coordinate's phase exponent vanishes; a factor at
    time tau < 1 is x_0 = 0."""
    variables = [v for v in ("i", "i2") if any(p[0] == v for p in positions)]
    n = 0
    for vals in itertools.product(range(1, t + 1), repeat=len(variables)):
        env = dict(zip(variables, vals), t=t)
        exps, alive = {}, True
        for blk, (var, conj), s in zip(rgs, positions, shifts):
            tau = env[var] - s
            if tau < 1:
                alive = False
                break
            exps[blk] = exps.get(blk, 0) + (-(tau - 1) if conj else tau - 1)
        n += alive and all(v == 0 for v in exps.values())
    return n


quad_class = st.tuples(st.sampled_from(lc.set_partitions(6)), st.tuples(*[st.sampled_from((0, 1))] * 6))


@settings(max_examples=60, deadline=None)
@given(cls=quad_class)
def test_quad_class_counts_and_weights_match_enumeration(cls):
    rgs, shifts = cls
    w = lc.weight_of(rgs, shifts, "quad")
    counts = {t: enumerate_count(rgs, shifts, lc.QUAD_POSITIONS, t) for t in range(2, 11)}
    assert all(w.expr.at(t) == n for t, n in counts.items())
    for T in (3, 5, 8, 11):
        direct = sum((Fraction(counts[t], (t - 1) ** 2) for t in range(2, T)), Fraction(0))
        assert w.at(T) == direct
    # the closed form in symbolic T agrees with the exact value at a T beyond the tabulated head
    Ts = sympy.Symbol("Ts", integer=True, positive=True)
    assert sympy.nsimplify(w.symbolic(Ts).subs(Ts, 11)) == sympy.Rational(w.at(11).numerator, w.at(11).denominator)


def test_every_lin_class_matches_enumeration():
    for (rgs, shifts), w in lc.all_classes("lin"):
        for t in range(2, 10):
            assert w.expr.at(t) == enumerate_count(rgs, shifts, lc.LIN_POSITIONS, t), (rgs, shifts, t)


def test_class_count_is_small():
    nonzero = [c for c, w in lc.all_classes("quad") if not w.is_zero]
    assert len(lc.all_classes("quad")) == 203 * 64 and 0 < len(nonzero) < 203 * 64


@pytest.mark.parametrize("spec, d, Ts", [
    ("full-one:c=1", 1, (3, 4, 7)),
    ("gaussian:sigma=1/2", 2, (3, 5, 12)),
    ("gaussian:sigmas=1,2", 2, (4, 9)),
    ("mixture:1/4*[1+2i,-1]+3/4*[-1/2i,0]", 2, (5,)),
    ("cgaussian:sigma=1", 2, (6,)),
    ("sparse:c=2", 3, (4,)),
])
def test_class_values_equal_entry_by_entry_engine_exactly(spec, d, Ts):
    dist = parse_dist(spec)
    n = 2 * d
    triples = list(itertools.product(range(n), repeat=3))
    for T in Ts:
        old, new = PopulationLoss(dist, d, T), ClassValues(dist, d, T)
        for p in triples:
            for q in triples:
                assert sympy.expand(old.quad(p, q) - new.quad(p, q)) == 0, (T, p, q)
            for r in range(d):
                assert sympy.expand(old.lin(r, p) - new.lin(r, p)) == 0, (T, r, p)
        assert sympy.expand(old.const() - new.const()) == 0


@pytest.mark.parametrize("spec, d, T", [("full-one:c=1", 2, 7), ("laplace:b=1", 2, 9),
                                        ("mixture:1/2*[1,0,2]+1/4*[0,1,-1]+1/4*[1/2,1/2,1/2]", 3, 4)])
def test_float_tensors_equal_entrywise_tensors(spec, d, T):
    """Tolerance: both sides are exact values rounded to float64 (the class route may round the
    weight and the moment separately: relative 2^-52 per entry)."""
    dist = parse_dist(spec)
    new, _ = build_tensors(dist, d, T)
    old, _ = flows.population_tensors_entrywise(dist, d, T)
    assert np.max(np.abs(new.q4 - old.q4)) <= 4 * 2.0**-52 * np.max(np.abs(old.q4))
    assert np.max(np.abs(new.l3 - old.l3)) <= 4 * 2.0**-52 * max(np.max(np.abs(old.l3)), 1.0)
    assert new.const == old.const


def test_hessian_matches_finite_differences():
    tl, _ = build_tensors(parse_dist("full-one:c=1"), 3, 10)
    rng = np.random.default_rng(2)
    x = 0.3 * rng.standard_normal(tl.size)
    H = tl.hessian_flat(x)
    h = 1e-6
    fd = np.array([(tl.grad_flat(x + h * e) - tl.grad_flat(x - h * e)) / (2 * h) for e in np.eye(tl.size)])
    # central differences of a quartic: error O(h^2 * 4th derivative), far below 1e-6 relative here
    assert np.max(np.abs(fd - H)) <= 1e-6 * np.max(np.abs(H))
    assert np.allclose(H, H.T, atol=1e-12 * np.max(np.abs(H)))


MC_SEQUENCES, MC_BATCHES, MC_Z = 60000, 20, 5.0


@pytest.mark.parametrize("spec", ["full-one:c=1", "gaussian:sigma=1", "mixture:1/2*[1,0,0,0,1]+1/2*[0,1,1,0,0]"])
def test_loss_and_gradient_equal_monte_carlo_at_d5(spec):
    """Brute force: the model's empirical loss and gradient on sampled sequences, 20 independent
    batches of 3000, at a dense random point, d = 5, T = 12. Every component within 5 standard
    errors of the exact value (a false alarm has probability < 1e-4 over all 151 components)."""
    dist, d, T = parse_dist(spec), 5, 12
    tl, _ = flows.population_tensors(dist, d, T)
    rng = np.random.default_rng(7)
    p = Params.dense_gaussian(d, 0.2, rng)
    losses, grads = [], []
    for _ in range(MC_BATCHES):
        batch = ProcessBatch.sample(dist.sample(MC_SEQUENCES // MC_BATCHES, d, rng), T, rng)
        loss, g = loss_and_grad(p, batch)
        losses.append(loss)
        grads.append(g.flatten())
    losses, grads = np.array(losses), np.array(grads)
    se_l = losses.std(ddof=1) / math.sqrt(MC_BATCHES)
    se_g = grads.std(0, ddof=1) / math.sqrt(MC_BATCHES)
    exact_l, exact_g = tl.loss_flat(p.flatten()), tl.grad_flat(p.flatten())
    assert abs(losses.mean() - exact_l) <= MC_Z * se_l + 1e-12
    assert np.all(np.abs(grads.mean(0) - exact_g) <= MC_Z * se_g + 1e-12)
    # the comparison can fail: a 10% error in the exact loss would be detected
    assert abs(losses.mean() - 1.1 * exact_l) > MC_Z * se_l


def test_boundary_rounds_large_harmonic_weights_correctly():
    w = lc.weight_of((0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0), "quad")
    exact = w.at(10000)
    assert boundary.exact_to_complex(exact).real == float(exact)
    assert boundary.exact_product_to_complex(exact, sympy.Rational(3, 7)).real == float(exact * Fraction(3, 7))
