"""The model zoo: exact moments against hand-derived closed forms and against samples."""
import argparse
import json
import math

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from mesacheck.cli import cmd_dists
from mesacheck.errors import InfiniteMomentError, InputError, SpecError
from mesacheck.setting.distributions import REGISTRY, NotExchangeableError, parse_dist
from mesacheck.setting.moment_symbol import MomentSymbol

R = sympy.Rational


def e1(dist, n):
    """E[x_1^n] in dimension 1."""
    return dist.moment((n,), (0,))


# -- closed forms derived by hand ----------------------------------------------------------------------
def test_gaussian_closed_forms():
    g = parse_dist("gaussian:sigma=2")
    assert e1(g, 2) == 4 and e1(g, 4) == 3 * 16 and e1(g, 6) == 15 * 64 and e1(g, 5) == 0
    s = sympy.Symbol("s", positive=True)
    assert e1(parse_dist("gaussian:sigma=s"), 4) == 3 * s**4
    scales = parse_dist("gaussian:sigmas=1,2,3")
    assert scales.moment((2, 2, 2), (0, 0, 0)) == 1 * 4 * 9
    assert scales.moment((1, 1, 0), (1, 1, 0)) == 4
    assert scales.moment((0, 0, 4), (0, 0, 0)) == 3 * 81


def test_uniform_rademacher_laplace_closed_forms():
    u = parse_dist("uniform:c=3")
    assert e1(u, 2) == 3 and e1(u, 4) == R(81, 5) and e1(u, 6) == R(729, 7)
    r = parse_dist("rademacher:c=2")
    assert e1(r, 4) == 16 and r.moment((1, 1), (0, 0)) == 0 and r.moment((1, 1), (1, 1)) == 16
    lap = parse_dist("laplace:b=1/2")
    assert e1(lap, 2) == R(1, 2) and e1(lap, 4) == R(24, 16) and e1(lap, 6) == R(720, 64)


def test_student_t_closed_forms():
    t = parse_dist("student-t:nu=8")
    # E t^2 = nu/(nu-2); E t^4 = 3 nu^2/((nu-2)(nu-4)); E t^6 = 15 nu^3/((nu-2)(nu-4)(nu-6)).
    assert e1(t, 2) == R(8, 6)
    assert e1(t, 4) == R(3 * 64, 6 * 4) == 8
    assert e1(t, 6) == R(15 * 512, 6 * 4 * 2) == 160
    assert e1(parse_dist("student-t:nu=8,scale=2"), 4) == 16 * 8
    with pytest.raises(InfiniteMomentError, match="order-8.*nu"):
        e1(t, 8)
    t7 = parse_dist("student-t:nu=7")
    with pytest.raises(InfiniteMomentError):
        e1(t7, 7)
    assert t7.moment((3, 3), (0, 0)) == 0  # each coordinate of order 3 < 7
    assert t7.moment_order_finite(6) and not t7.moment_order_finite(7)


def test_cgaussian_closed_forms():
    z = parse_dist("cgaussian:sigma=3")
    assert z.moment((1,), (1,)) == 9 and z.moment((2,), (2,)) == 2 * 81 and z.moment((3,), (3,)) == 6 * 729
    assert z.moment((2,), (0,)) == 0 and z.moment((1, 0), (0, 1)) == 0
    assert z.moment((1, 1), (1, 1)) == 81
    assert not z.is_real


def test_sparse_and_full_one_closed_forms():
    sp = parse_dist("sparse:c=2")
    assert sp.moment((2, 0, 0, 0), (0, 0, 0, 0)) == 1  # c^2 / d with d = 4
    assert sp.moment((2, 2, 0, 0), (0, 0, 0, 0)) == 0
    assert sp.moment((1, 0, 0, 0), (1, 0, 0, 0)) == 1
    assert sp.moment((3, 0, 0, 0), (1, 0, 0, 0)) == 4
    assert sp.moment((1, 0), (0, 0)) == 0
    one = parse_dist("full-one:c=3")
    assert one.moment((1, 1), (0, 0)) == 9 and one.moment((2, 0, 1), (1, 1, 0)) == 3**5


def test_mixture_closed_forms():
    mix = parse_dist("mixture:1/4*[1+2i,-1]+3/4*[-1/2i,0]")
    I = sympy.I
    assert sympy.expand(mix.moment((1, 0), (1, 0)) - R(23, 16)) == 0  # 5/4 + 3/16
    assert sympy.expand(mix.moment((1, 0), (0, 0)) - (R(1, 4) + I / 8)) == 0
    assert sympy.expand(mix.moment((1, 0), (0, 1)) - (-R(1, 4) - I / 2)) == 0
    assert not mix.is_real and not mix.is_exchangeable
    assert parse_dist("mixture:1/2*[1,-1]+1/2*[2,3]").is_real


def test_symbolic_families():
    iid = parse_dist("iid")
    from mesacheck.setting.moment_symbol import iid_moment

    m1, m2 = iid_moment(1), iid_moment(2)
    assert iid.moment((2, 1), (0, 0)) == m2 * m1
    assert iid.moment((1, 0), (1, 0)) == m2
    assert iid.pattern_moment(((1, 1), (1, 0)), sympy.Symbol("d", positive=True, integer=True)) == m2 * m1
    assert iid.is_symbolic and iid.is_real and iid.is_exchangeable
    gen = parse_dist("generic")
    assert gen.moment((1, 0, 2), (0, 1, 2)) == MomentSymbol((1, 0, 2), (0, 1, 2))
    assert gen.moment((0, 0), (0, 0)) == 1
    assert gen.is_symbolic and not gen.is_real and not gen.is_exchangeable


def test_zero_exponents_give_one():
    for cls in REGISTRY.values():
        dist = parse_dist(cls.EXAMPLES[0])
        d = 3 if "sigmas" in dist.spec else (2 if dist.name == "mixture" else 3)
        assert dist.moment((0,) * d, (0,) * d) == 1


# -- sampled moments: the sample is the oracle ----------------------------------------------------------
MONOMIALS = {
    1: [((1,), (0,)), ((2,), (0,)), ((1,), (1,)), ((0,), (2,)), ((3,), (0,)), ((4,), (0,)),
        ((2,), (2,)), ((3,), (1,)), ((6,), (0,)), ((3,), (3,)), ((4,), (2,))],
    2: [((1, 0), (0, 1)), ((2, 0), (0, 0)), ((1, 1), (1, 1)), ((2, 2), (0, 0)), ((2, 1), (1, 2)),
        ((2, 0), (2, 0)), ((3, 0), (1, 2)), ((4, 0), (0, 2)), ((0, 3), (0, 3)), ((1, 1), (0, 0))],
    3: [((1, 0, 0), (0, 1, 0)), ((1, 1, 0), (0, 0, 2)), ((1, 1, 1), (1, 1, 1)), ((2, 0, 1), (0, 2, 1)),
        ((2, 0, 0), (2, 0, 0)), ((0, 2, 0), (0, 0, 0)), ((2, 1, 1), (0, 1, 1)), ((0, 0, 3), (0, 0, 3))],
}


def _mixture(d, complex_entries):
    rows = [[1, -2, 3], [0, 1, -1], [2, 2, 0]]
    if complex_entries:
        rows = [["1+i", "-2i", "3"], ["0", "1-1/2i", "-1"], ["2", "i", "1/2+1/2i"]]
    terms = [f"{w}*[{','.join(map(str, row[:d]))}]" for w, row in zip(("1/2", "1/3", "1/6"), rows)]
    return "mixture:" + "+".join(terms)


def sampled_cases():
    """(spec, d, max per-coordinate order whose sample variance is finite)."""
    for d in (1, 2, 3):
        sigmas = "gaussian:sigmas=" + ",".join(["0.5", "1", "2"][:d])
        specs = ["gaussian:sigma=1", "gaussian:sigma=0.5", sigmas,
                 "sparse:c=1", "sparse:c=2", "full-one:c=1.5", "uniform:c=1", "uniform:c=3",
                 "rademacher:c=0.5", "laplace:b=1", "laplace:b=0.3", "student-t:nu=30,scale=1",
                 "cgaussian:sigma=1", "cgaussian:sigma=0.7", _mixture(d, False), _mixture(d, True)]
        for spec in specs:
            yield spec, d, 6
        # nu = 8: a monomial of per-coordinate order k has finite variance only if 2k < 8.
        yield "student-t:nu=8,scale=2", d, 3


@pytest.mark.parametrize("spec, d, max_order", list(sampled_cases()))
def test_sample_moments_match_exact_moments(spec, d, max_order):
    dist = parse_dist(spec)
    m = 200_000
    x = dist.sample(m, d, np.random.default_rng(20240 + d))
    for alpha, beta in MONOMIALS[d]:
        if max(a + b for a, b in zip(alpha, beta)) > max_order:
            continue
        values = np.prod(x ** np.array(alpha) * np.conj(x) ** np.array(beta), axis=1)
        exact = complex(dist.moment(alpha, beta))
        mean = values.mean()
        # Six standard errors of the sample mean, estimated from the sample itself.
        for part, target in ((np.real, exact.real), (np.imag, exact.imag)):
            se = part(values).std() / math.sqrt(m)
            tol = 6 * se + 1e-9 * (1 + abs(target))
            assert abs(part(mean) - target) <= tol, (spec, d, alpha, beta, mean, exact, se)


def test_sample_shape_dtype_and_seed():
    for cls in REGISTRY.values():
        for spec in cls.EXAMPLES:
            dist = parse_dist(spec)
            if dist.is_symbolic:
                with pytest.raises(InputError):
                    dist.sample(5, 2, np.random.default_rng(0))
                continue
            d = 3 if "sigmas" in spec else (2 if dist.name == "mixture" else 4)
            x = dist.sample(7, d, np.random.default_rng(1))
            assert x.shape == (7, d) and x.dtype == np.complex128
            if dist.is_real:
                assert np.all(x.imag == 0)
            np.testing.assert_array_equal(x, dist.sample(7, d, np.random.default_rng(1)))


def test_symbolic_parameter_cannot_be_sampled():
    with pytest.raises(InputError):
        parse_dist("gaussian:sigma=s").sample(3, 2, np.random.default_rng(0))


@pytest.mark.parametrize("m", [0, -1, 2.5, True])
def test_bad_sample_size(m):
    with pytest.raises(InputError):
        parse_dist("gaussian:sigma=1").sample(m, 2, np.random.default_rng(0))


# -- pattern moments ---------------------------------------------------------------------------------
EXCHANGEABLE = ["gaussian:sigma=1/2", "gaussian:sigma=s", "sparse:c=3", "sparse:c=c", "full-one:c=2",
                "uniform:c=2", "rademacher:c=3/2", "laplace:b=bscale", "student-t:nu=10,scale=2",
                "cgaussian:sigma=2", "iid"]


@st.composite
def placed_patterns(draw):
    """(d, pattern, coordinates): r <= d distinct coordinates carrying the pattern's pairs."""
    d = draw(st.integers(1, 3))
    r = draw(st.integers(0, d))
    pair = st.tuples(st.integers(0, 3), st.integers(0, 3)).filter(lambda p: sum(p) > 0)
    pattern = tuple(draw(st.lists(pair, min_size=r, max_size=r)))
    coords = draw(st.permutations(range(d)))[:r]
    return d, pattern, coords


@given(spec=st.sampled_from(EXCHANGEABLE), placed=placed_patterns())
@settings(deadline=None)
def test_pattern_moment_agrees_with_moment(spec, placed):
    dist = parse_dist(spec)
    d, pattern, coords = placed
    alpha, beta = [0] * d, [0] * d
    for (a, b), j in zip(pattern, coords):
        alpha[j], beta[j] = a, b
    assert sympy.simplify(dist.pattern_moment(pattern, d) - dist.moment(tuple(alpha), tuple(beta))) == 0


def test_sparse_pattern_moment_is_symbolic_in_d():
    d = sympy.Symbol("d", positive=True, integer=True)
    sp = parse_dist("sparse:c=c")
    c = sp.params["c"]
    assert sp.pattern_moment(((2, 0),), d) == c**2 / d
    assert sp.pattern_moment(((3, 1),), d) == c**4 / d
    assert sp.pattern_moment(((1, 1), (1, 1)), d) == 0
    assert sp.pattern_moment(((1, 0),), d) == 0
    assert sp.pattern_moment((), d) == 1
    assert sp.pattern_moment(((2, 0),), d).subs(d, 4) == sp.moment((2, 0, 0, 0), (0, 0, 0, 0))
    # A (0, 0) pair is a coordinate with no factor: it changes nothing.
    assert sp.pattern_moment(((2, 0), (0, 0)), d) == c**2 / d


def test_iid_pattern_moment_has_no_d():
    d = sympy.Symbol("d", positive=True, integer=True)
    assert d not in parse_dist("gaussian:sigma=s").pattern_moment(((2, 0), (1, 1)), d).free_symbols


@pytest.mark.parametrize("spec", ["gaussian:sigmas=1,2", "mixture:1*[1,2]", "generic"])
def test_pattern_moment_refuses_non_exchangeable(spec):
    with pytest.raises(NotExchangeableError, match="not exchangeable"):
        parse_dist(spec).pattern_moment(((2, 0),), sympy.Symbol("d", positive=True))


def test_pattern_longer_than_d_is_an_input_error():
    with pytest.raises(InputError):
        parse_dist("gaussian:sigma=1").pattern_moment(((1, 1), (1, 1)), 1)


# -- dimensions and bad arguments ------------------------------------------------------------------------
@pytest.mark.parametrize("d", [0, -1, 2.5, True, "2", None])
def test_for_dim_rejects_bad_d(d):
    with pytest.raises(InputError):
        parse_dist("gaussian:sigma=1").for_dim(d)


def test_for_dim_checks_vector_lengths():
    assert parse_dist("gaussian:sigmas=1,2").for_dim(2).spec == "gaussian:sigmas=1,2"
    with pytest.raises(SpecError, match="d = 3"):
        parse_dist("gaussian:sigmas=1,2").for_dim(3)
    with pytest.raises(SpecError, match="d = 1"):
        parse_dist("mixture:1*[1,2]").moment((2,), (0,))
    with pytest.raises(SpecError):
        parse_dist("mixture:1*[1,2]").sample(4, 3, np.random.default_rng(0))


@pytest.mark.parametrize("alpha, beta", [((1,), (1, 0)), ((-1,), (0,)), ((), ()), ((1.5,), (0,)), (1, 0)])
def test_bad_exponents(alpha, beta):
    with pytest.raises(InputError):
        parse_dist("gaussian:sigma=1").moment(alpha, beta)


def test_exchangeability_flags():
    flags = {spec: parse_dist(spec).is_exchangeable for spec in
             ["gaussian:sigma=1", "gaussian:sigmas=1,1", "sparse:c=1", "full-one:c=1", "mixture:1*[1]",
              "iid", "generic", "cgaussian:sigma=1"]}
    assert flags == {"gaussian:sigma=1": True, "gaussian:sigmas=1,1": False, "sparse:c=1": True,
                     "full-one:c=1": True, "mixture:1*[1]": False, "iid": True, "generic": False,
                     "cgaussian:sigma=1": True}


# -- the dists command -----------------------------------------------------------------------------------
def test_dists_json_lists_every_family(capsys):
    assert cmd_dists.run(argparse.Namespace(json=True, argv=["mesacheck", "dists", "--json"])) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [entry["name"] for entry in doc["distributions"]] == list(REGISTRY)
    by_name = {entry["name"]: entry for entry in doc["distributions"]}
    assert by_name["student-t"]["parameters"][0]["range"].startswith("> 6")
    assert by_name["cgaussian"]["examples"][0]["real"] is False


def test_dists_text_lists_every_family(capsys):
    assert cmd_dists.run(argparse.Namespace(json=False)) == 0
    out = capsys.readouterr().out
    for name, cls in REGISTRY.items():
        assert f"{name}: " in out
        for spec in cls.EXAMPLES:
            assert spec in out
