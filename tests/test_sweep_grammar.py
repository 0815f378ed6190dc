"""Sweep grammars: value lists and ranges (exact), families of laws, grid points and their keys."""
from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from mesacheck.errors import InputError, SpecError
from mesacheck.setting.distributions import parse_dist
from mesacheck.sweep import grid as grid_module
from mesacheck.sweep import lists
from mesacheck.sweep.families import expand_family
from mesacheck.sweep.grid import build_grid

F = Fraction


# -- lists and ranges ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("2..8", [2, 3, 4, 5, 6, 7, 8]),
    ("10,100,1000", [10, 100, 1000]),
    ("1..2:1/4", [F(1), F(5, 4), F(3, 2), F(7, 4), F(2)]),
    ("1..2:0.3", [F(1), F(13, 10), F(16, 10), F(19, 10)]),  # stops at the last value <= 2
    ("5..1:-2", [5, 3, 1]),
    ("3, 1..3", [3, 1, 2]),  # repeats kept once, first position
    ("-1/2,.5,2.5e-1,1E2", [F(-1, 2), F(1, 2), F(1, 4), F(100)]),
])
def test_lists_and_ranges_are_exact(text, expected):
    assert lists.parse_list(text) == [F(v) for v in expected]


def test_decimal_step_has_no_drift():
    values = lists.parse_list("0.1..0.9:0.1")
    assert values == [F(k, 10) for k in range(1, 10)]
    assert sum(values) == F(9, 2)


def test_T_lists_take_oo_and_d_lists_do_not():
    assert lists.T_values("10,100,1000,oo") == [10, 100, 1000, "oo"]
    assert lists.T_values(["3..5", "inf"]) == [3, 4, 5, "oo"]
    with pytest.raises(InputError, match="only --T takes oo"):
        lists.int_values("2,oo", "--d", 1, 64)


@pytest.mark.parametrize("text, fn, match", [
    ("1..2:0", lambda t: lists.parse_list(t, "--x"), "must not be 0"),
    ("2..1", lambda t: lists.parse_list(t, "--x"), "point from the first"),
    ("1..2:-1", lambda t: lists.parse_list(t, "--x"), "point from the first"),
    ("1..", lambda t: lists.parse_list(t, "--x"), "not a value or a range"),
    ("1...2", lambda t: lists.parse_list(t, "--x"), "not a value or a range"),
    ("a", lambda t: lists.parse_list(t, "--x"), "not a value or a range"),
    ("1,,2", lambda t: lists.parse_list(t, "--x"), "empty item"),
    ("", lambda t: lists.parse_list(t, "--x"), "empty item"),
    ("1e999999999", lambda t: lists.parse_list(t, "--x"), "out of range"),
    ("1..1000000", lambda t: lists.parse_list(t, "--x"), "at most 10000"),
    ("2", lists.T_values, "expected integers in \\[3"),
    ("1.5", lambda t: lists.int_values(t, "--d", 1, 64), "not an integer"),
    ("0..2", lambda t: lists.int_values(t, "--d", 1, 64), "out of range"),
    ("0,1e-3", lambda t: lists.positive_values(t, "--lr"), "out of range"),
    ("1", lambda t: lists.init_values([t]), "pairs A0,B0"),
    ("1,2,3", lambda t: lists.init_values([t]), "pairs A0,B0"),
    ("2e6,1", lambda t: lists.init_values([t]), "too large"),
])
def test_bad_lists_are_refused_naming_the_option(text, fn, match):
    with pytest.raises(InputError, match=match) as info:
        fn(text)
    assert str(info.value).startswith("--")


@given(first=st.fractions(min_value=-100, max_value=100, max_denominator=50),
       step=st.fractions(min_value=F(1, 50), max_value=10, max_denominator=50),
       n=st.integers(0, 40), down=st.booleans())
def test_ranges_walk_exact_rational_steps(first, step, n, down):
    step = -step if down else step
    last = first + n * step
    values = lists.parse_list(f"{first}..{last}:{step}")
    assert values == [first + k * step for k in range(n + 1)]


@given(values=st.lists(st.fractions(min_value=0, max_value=10**6, max_denominator=10**4), min_size=1, max_size=8))
def test_value_lists_round_trip_through_their_text(values):
    text = ",".join(str(v) for v in values)
    assert lists.parse_list(text) == list(dict.fromkeys(values))


# -- families of laws ------------------------------------------------------------------------------
def _specs(family):
    return [law.spec for law in expand_family(family)]


def test_a_scalar_key_with_several_values_is_a_family():
    assert _specs("gaussian:sigma=0.5,1,2") == ["gaussian:sigma=1/2", "gaussian:sigma=1", "gaussian:sigma=2"]
    assert _specs("student-t:nu=7..9, scale=1/2") == [f"student-t:nu={n},scale=1/2" for n in (7, 8, 9)]
    laws = expand_family("gaussian:sigma=0.5..1:0.25")
    assert [law.params for law in laws] == [(("sigma", F(1, 2)),), (("sigma", F(3, 4)),), (("sigma", F(1)),)]


def test_a_list_valued_key_is_one_law_and_varies_only_through_a_bound_name():
    assert _specs("gaussian:sigmas=1,2") == ["gaussian:sigmas=1,2"]
    assert _specs("gaussian:sigmas=1,s; s=1..3") == ["gaussian:sigmas=1,1", "gaussian:sigmas=1,2",
                                                      "gaussian:sigmas=1,3"]
    with pytest.raises(SpecError, match="ambiguous"):
        expand_family("gaussian:sigmas=1..3")


def test_mixture_family_weights_stay_exact_and_sum_to_one():
    laws = expand_family("mixture:p*[1,0]+(1-p)*[0,1]; p=0.1..0.9:0.1")
    assert len(laws) == 9 and all(law.reason is None for law in laws)
    for k, law in enumerate(laws, start=1):
        weights = parse_dist(law.spec).params["weights"]
        assert weights == (sympy.Rational(k, 10), 1 - sympy.Rational(k, 10))
        assert law.params == (("p", F(k, 10)),)


def test_points_whose_law_is_refused_carry_the_reason():
    laws = expand_family("mixture:p*[1,0]+(1-p)*[0,1]; p=0..1:0.5")
    assert [law.reason is None for law in laws] == [False, True, False]
    assert "not positive" in laws[0].reason and "not positive" in laws[2].reason
    two = expand_family("mixture:p*[1,0]+q*[0,1]; p=1/2,1/3; q=1/2,2/3")
    assert ["sum to 7/6" in (x.reason or "") for x in two] == [False, True, False, False]
    assert "sum to 5/6" in two[2].reason
    zero = expand_family("mixture:1/q*[1]+(1-1/q)*[2]; q=0,2")
    assert zero[0].spec is None and "division by zero" in zero[0].reason and zero[1].reason is None
    neg = expand_family("gaussian:sigma=-1,1")
    assert "out of range" in neg[0].reason and neg[1].reason is None
    with pytest.raises(SpecError, match="out of range"):  # one law, not a family: bad input
        expand_family("gaussian:sigma=-1")


def test_names_in_values_and_entries():
    assert _specs("gaussian:sigma=2*s/3; s=3,6") == ["gaussian:sigma=2", "gaussian:sigma=4"]
    assert _specs("mixture:1/2*[c,1+2i]+1/2*[-c,(c-1)]; c=2") == ["mixture:1/2*[2,1+2i]+1/2*[-2,1]"]
    assert _specs("gaussian:sigma=s") == ["gaussian:sigma=s"]  # an unbound name stays a symbol


@pytest.mark.parametrize("family, match", [
    ("gaussian:sigma=(1-q)", "not bound"),
    ("gaussian:sigma=1; p=0.5", "not used"),
    ("mixture:1-p*[1,0]+p*[0,1]; p=1/2", "parentheses"),
    ("mixture:p*[1,0]+(1-p)*[0,1]; d=1/2", "reserved"),
    ("gaussian:sigma=1,2; sigma=3", "both a key with a list of values and a bound name"),
    ("gaussian:foo=1,2", "unknown key"),
    ("gaussian:sigma=s,1; s=1", "numbers or ranges"),
    ("gaussian:sigma=s; s=1; s=2", "bound twice"),
    ("mixture:p*[1,0]+(1-p)*[0,1]; p=__import__", "not a value or a range"),
    ("mixture:p*[1,0]+(1-p)*[0,1]; p", "NAME=LIST"),
    ("mixture:p*[1,0]+(1-p)**[0,1]; p=1/2", "expression"),
    ("mixture:p*[c*d,0]+(1-p)*[0,1]; p=1/2", "mixture entry"),
    ("bogus:x=1,2", "unknown distribution"),
    ("gaussian:sigma=1$", "unexpected character"),
    ("gaussian:sigma=(1)", "without a bound name"),
    ("mixture:(1/2)*[1]+(1/2)*[2]", "without a bound name"),
    ("mixture:1/2*[1,0]+1/3*[0,1]", "sum to 5/6"),
])
def test_malformed_families_are_bad_input(family, match):
    with pytest.raises((SpecError, InputError), match=match) as info:
        expand_family(family)
    assert len(str(info.value).splitlines()) == 1


@given(p=st.fractions(min_value=F(1, 10**6), max_value=1 - F(1, 10**6), max_denominator=10**6))
def test_any_rational_mixture_weight_gives_a_valid_law(p):
    (law,) = expand_family(f"mixture:p*[1,0]+(1-p)*[0,-1]; p={p}")
    assert law.reason is None
    w = parse_dist(law.spec).params["weights"]
    assert sum(w) == 1 and w[0] == sympy.Rational(p.numerator, p.denominator)


@given(values=st.lists(st.fractions(min_value=F(1, 1000), max_value=1000, max_denominator=1000),
                       min_size=2, max_size=6, unique=True))
def test_a_family_is_the_list_of_its_single_laws(values):
    family = "laplace:b=" + ",".join(str(v) for v in values)
    assert _specs(family) == [parse_dist(f"laplace:b={v}").spec for v in values]


# -- grid points and keys --------------------------------------------------------------------------
def test_grid_order_defaults_and_refusals():
    pts = build_grid("flow", ["gaussian:sigma=1,2", "mixture:1/2*[1,0]+1/2*[0,1]"], "2..3", "5,oo")
    assert len(pts) == 3 * 2 * 2
    assert [(p.law.spec, p.d, p.T) for p in pts[:3]] == [
        ("gaussian:sigma=1", 2, 5), ("gaussian:sigma=1", 2, "oo"), ("gaussian:sigma=1", 3, 5)]
    assert all(p.init == (F(1, 10), F(1, 10)) for p in pts)  # the WHAT's default start
    assert "finite T" in pts[1].refused
    mix = [p for p in pts if p.law.spec.startswith("mixture")]
    assert [p.refused is None for p in mix] == [True, False, False, False]
    assert "length 2 but d = 3" in mix[2].refused


@pytest.mark.parametrize("kwargs, match", [
    ({"lr": "1e-3"}, "--lr does not apply to derive-limit"),
    ({"settings": {"epochs": 3}}, "--epochs does not apply"),
    ({"d": ""}, "empty item"),
])
def test_grid_refuses_options_that_do_not_apply(kwargs, match):
    args = {"what": "derive-limit", "dist": "gaussian:sigma=1", "d": "2", "T": "5", **kwargs}
    with pytest.raises(InputError, match=match):
        build_grid(**args)


def test_simulate_needs_lr_and_epochs():
    with pytest.raises(InputError, match="needs --lr"):
        build_grid("simulate", "gaussian:sigma=1", "2", "5", settings={"epochs": 1})
    with pytest.raises(InputError, match="needs --epochs"):
        build_grid("simulate", "gaussian:sigma=1", "2", "5", lr="0.1")


def test_keys_identify_the_computation_and_the_version(monkeypatch):
    (a,) = build_grid("derive-limit", "gaussian:sigma=1", "2", "5")
    key = a.key
    b = build_grid("derive-limit", "gaussian:sigma=1.0,2", "2", "5")[0]
    assert a.key == b.key  # same law, written differently and reached from a family
    (c,) = build_grid("derive-limit", "gaussian:sigma=1", "2", "6")
    (m,) = build_grid("derive-limit", "gaussian:sigma=1", "2", "5", settings={"masked": True})
    (r,) = build_grid("recovery", "gaussian:sigma=1", "2", "5")
    assert len({a.key, c.key, m.key, r.key}) == 4
    monkeypatch.setattr(grid_module, "__version__", "99.0")
    assert key != build_grid("derive-limit", "gaussian:sigma=1", "2", "5")[0].key
