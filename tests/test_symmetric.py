"""Symmetry-reduced systems: the group, the restricted loss, the entrywise ODE, and two routes that
must agree (the reduced flow and the full flow started on the subspace; the certified stationary
point and the limit of the full flow)."""
import mpmath
import numpy as np
import pytest
import sympy

from mesacheck.errors import ReductionError
from mesacheck.numeric import flows
from mesacheck.numeric.class_tensors import build_tensors
from mesacheck.numeric.reduced_numeric import reduced_numeric
from mesacheck.numeric.symmetric_flow import symmetric_flow
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic.reduced_system import build_system, start_types
from mesacheck.symbolic.subspace_loss import subspace_loss
from mesacheck.symbolic.symmetric import derive_symmetric
from mesacheck.symbolic.symmetry import detect_symmetry, lift


@pytest.mark.parametrize("spec, d, colours, flips, phases, ntypes", [
    ("full-one:c=1", 4, [[0, 1, 2, 3]], set(), set(), 12),
    ("gaussian:sigma=1", 3, [[0, 1, 2]], {0}, set(), 6),
    ("sparse:c=2", 3, [[0, 1, 2]], {0}, set(), 6),
    ("cgaussian:sigma=1", 2, [[0, 1]], {0}, {0}, 6),
    ("gaussian:sigmas=1,2,1", 3, [[0, 2], [1]], {0, 1}, set(), 12),
    ("mixture:1/2*[1,0]+1/2*[0,1]", 2, [[0, 1]], set(), set(), 12),
    ("mixture:1/4*[1+2i,-1]+3/4*[-1/2i,0]", 2, [[0], [1]], set(), set(), 24),
])
def test_detected_groups(spec, d, colours, flips, phases, ntypes):
    g = detect_symmetry(parse_dist(spec), d)
    assert g.colours == colours and g.flips == flips and g.phases == phases
    assert len(g.types()) == ntypes


def test_group_types_cover_the_fixed_subspace():
    """Every entry of a type has the same value after a group element acts (here: transposition
    and, for gaussian, a flip): lift(theta) is fixed by the group's generators."""
    for spec, flip in (("full-one:c=1", False), ("gaussian:sigma=1", True)):
        g = detect_symmetry(parse_dist(spec), 3)
        vals = {t: k + 1.0 for k, t in enumerate(g.types())}
        kq, pv = map(np.array, lift(g, vals))
        perm = np.eye(3)[[1, 0, 2]]
        U = perm @ (np.diag([-1.0, 1, 1]) if flip else np.eye(3))
        Ut = np.kron(np.eye(2), U)
        assert np.allclose(Ut.T @ kq @ Ut, kq) and np.allclose(U.T @ pv @ Ut, pv)


@pytest.mark.parametrize("spec, d, T", [("full-one:c=1", 3, 7), ("gaussian:sigmas=1,1,2", 3, 6),
                                        ("mixture:1/4*[1+2i,-1]+3/4*[-1/2i,0]", 2, 5), ("sparse:c=2", 4, 12)])
def test_restricted_loss_equals_full_tensors_at_lifted_points(spec, d, T):
    dist = parse_dist(spec)
    g = detect_symmetry(dist, d)
    types = g.types()
    syms = [sympy.Dummy(t.name(g.ncolours), real=True) for t in types]
    expr = subspace_loss(dist, g, types, T, syms).expr
    tl, _ = build_tensors(dist, d, T)
    rng = np.random.default_rng(4)
    for _ in range(3):
        vals = [sympy.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 6))) for _ in types]
        exact = float(expr.xreplace(dict(zip(syms, vals))))
        kq, pv = lift(g, dict(zip(types, vals)))
        num = tl.loss(np.array(pv, float), np.array(kq, float))
        assert abs(exact - num) <= 1e-12 * abs(num)  # float tensors: rounding only


def test_symbolic_d_and_T_system_specialises_to_the_concrete_one():
    dist = parse_dist("full-one:c=2")
    sym = build_system(dist, 3, 7, symbolic=True).at(d=3, T=7)
    conc = build_system(dist, 3, 7, symbolic=False)
    # same types, same order: compare the losses with the symbols identified
    loss_conc = conc.loss.xreplace(dict(zip(conc.symbols, sym.symbols)))
    assert sympy.expand(sym.loss - loss_conc) == 0
    assert [sympy.sympify(m) for m in sym.mults] == [sympy.sympify(m) for m in conc.mults]


def test_structured_set_loss_is_the_hand_formula_and_kappa_is_conserved():
    """On A = aI, B = bI the reduced loss is g(ab) = 1/2[(T-2)(u^2 S6 - 2u S4 + S2) + u^2 H C] with
    S_k = d c^k, C = d(d-1) c^6 for full-one (see tests/test_symbolic_engine.py), in symbolic d, T."""
    dist = parse_dist("full-one:c=3")
    system = build_system(dist, 4, 10, symbolic=True)
    d, T = system.d, system.T
    names = dict(zip(system.names, system.symbols))
    a, b = names["A_diag"], names["B_diag"]
    onset = system.loss.xreplace({s: 0 for n, s in names.items() if n not in ("A_diag", "B_diag")})
    u, c = a * b, 3
    hand = sympy.Rational(1, 2) * ((T - 2) * (u**2 * d * c**6 - 2 * u * d * c**4 + d * c**2)
                                   + u**2 * sympy.harmonic(T - 2) * d * (d - 1) * c**6)
    assert sympy.expand(onset - hand) == 0
    assert system.kappa_rate() == 0


def test_invariant_support_of_full_one_and_gaussian():
    fo = build_system(parse_dist("full-one:c=1"), 5, 20)
    support, steps = fo.invariant_support(start_types(fo.group))
    assert sorted(t.name(1) for t in support) == ["A_diag", "A_off", "B_diag", "B_off"]
    ga = build_system(parse_dist("gaussian:sigma=1"), 5, 20)
    support, _ = ga.invariant_support(start_types(ga.group))
    assert sorted(t.name(1) for t in support) == ["A_diag", "B_diag"]


@pytest.mark.parametrize("spec, d, T, masked", [("full-one:c=1", 5, 100, False), ("full-one:c=1", 5, 100, True),
                                                ("gaussian:sigmas=1,2,3", 3, 20, False),
                                                ("mixture:1/2*[1,0]+1/2*[0,1]", 2, 9, False)])
def test_reduced_flow_and_full_flow_agree(spec, d, T, masked):
    """Two routes: the full flow (every entry, tensors) started on the subspace stays on it and its
    entries follow the reduced ODE. Both solved with rtol 1e-10: entries agree to 1e-8."""
    grid = np.linspace(0, 0.05, 11)[1:]
    red = symmetric_flow(spec, d, T, (0.5, 1.5), masked=masked, tau_max=0.05, t_eval=grid)
    full = flows.full_population_flow(spec, d, T, (0.5, 1.5), masked=masked, tau_max=0.05, t_eval=grid)
    assert np.max(np.abs(red.limit_params.flatten() - full.limit_params.flatten())) <= 1e-8
    assert np.allclose(red.ab, full.ab, atol=1e-8, rtol=0) and np.allclose(red.offdiag, full.offdiag, atol=1e-8, rtol=0)
    # the full flow stays on the subspace: its projection residual is round-off
    rn = reduced_numeric(parse_dist(spec), d, T, masked=masked, support="all")
    _, resid = rn.project(full.limit_params)
    assert resid <= 1e-10


def test_certified_stationary_point_is_the_full_flow_limit():
    """derive_symmetric's 30-digit limit (certificate < 1e-25) against the exact full flow's limit,
    d = 5, T = 100, full-one, from (0.5, 1.5): the flow's convergence tolerance (1e-7 on the field)
    bounds the difference; 1e-6 is asserted."""
    der = derive_symmetric(parse_dist("full-one:c=1"), 5, 100, growth=False)
    assert der.get("certified") is True and float(der.get("certificate")) < 1e-25
    lim = {k: float(v) for k, v in der.get("limit").items()}
    res = flows.full_population_flow("full-one:c=1", 5, 100, (0.5, 1.5))
    A, B = res.limit_params.A, res.limit_params.B
    assert abs(A[0, 0] - lim["A_diag"]) < 1e-6 and abs(A[0, 1] - lim["A_off"]) < 1e-6
    assert abs(B[0, 0] - lim["B_diag"]) < 1e-6 and abs(B[0, 1] - lim["B_off"]) < 1e-6
    assert abs(float(der.get("limit_loss")) - res.loss[-1]) < 1e-8
    pred = der.get("predictor")
    assert float(pred["relative_distance_from_vanilla_gd"]) > 0.1  # not vanilla one-step GD
    assert "stable" in der.get("stability_fixed")


def test_certificate_rejects_a_perturbed_point():
    """The certificate can fail: moving the reported point by 1e-20 breaks the 1e-25 bound."""
    from mesacheck.symbolic import stationary as st

    system = build_system(parse_dist("gaussian:sigma=1"), 3, 10, symbolic=False)
    sup, _ = system.invariant_support(start_types(system.group))
    conc = system.restrict(sup)
    der = derive_symmetric(parse_dist("gaussian:sigma=1"), 3, 10, growth=False)
    with mpmath.workdps(st.WORK_DPS):
        point = {s: mpmath.mpf(str(der.get("limit")[n])) for n, s in zip(conc.names, conc.symbols)}
    good, _ = st.certificate(conc, point)
    assert good < st.CERT_TOL
    bad = dict(point)
    first = conc.symbols[0]
    bad[first] += mpmath.mpf("1e-20")
    worst, _ = st.certificate(conc, bad)
    assert worst > st.CERT_TOL


def test_gaussian_symmetric_limit_is_the_reduced_u_star():
    """For a symmetric i.i.d. law the symmetric system reduces to A = aI, B = bI and its limit has
    ab = u* = R/Q of derive_reduced (exact, two routes)."""
    from mesacheck.symbolic.reduced import derive_reduced

    der = derive_symmetric(parse_dist("gaussian:sigma=1"), 5, 100, growth=False)
    lim = der.get("limit")
    u = sympy.Float(lim["A_diag"], 30) * sympy.Float(lim["B_diag"], 30)
    assert abs(u - derive_reduced(parse_dist("gaussian:sigma=1"), 5, 100).get("ab_limit")) < 1e-25


def test_diagonal_system_needs_sign_symmetry():
    with pytest.raises(ReductionError):
        reduced_numeric(parse_dist("full-one:c=1"), 3, 10, kind="diagonal")


def test_numeric_fallback_is_certified_and_matches_the_reduced_flow():
    """gaussian:sigmas=1,2,3: three W^PV coordinates, no exact elimination: the Gauss-Newton point is
    certified (< 1e-25) and equals the integrated reduced flow's limit (tolerance of that flow)."""
    der = derive_symmetric(parse_dist("gaussian:sigmas=1,2,3"), 3, 20, growth=False)
    assert der.get("certified") is True
    assert "numeric" in der.get("stationary_orbits")["orbit 1"]
    res = symmetric_flow("gaussian:sigmas=1,2,3", 3, 20, (0.5, 1.5))
    flow = dict(zip(res.extra["coordinates"], res.extra["theta"]))
    assert all(abs(float(v) - flow[k]) < 1e-6 for k, v in der.get("limit").items())
