# -- added from the mutation triage (tools/MUTATION_TRIAGE.md) ---------------------------------------
def test_exchangeable_refusal_records_equal_diagonal_gradients():
    # an exchangeable law's diagonal entries receive equal gradients on A = aI, B = bI by symmetry:
    # the refusal says so with the bool False (not a missing value), and its sentence names only
    # the off-set gradient
    red = R.reduction_for(parse_dist("iid"), 3, 5)
    assert red.system == R.NONE
    assert red.unequal_diagonal is False
    assert "unequal" not in red.describe()


def test_exchangeable_refusal_passes_on_what_the_scalar_test_found(monkeypatch):
    """The decision logic alone, on a stubbed scalar test: an exchangeable law whose scalar set is
    not exact is refused (NONE) with the flow, d, T, evidence and diagonal finding of that test.
    (No exchangeable law found is refused under the masked flow, and none has unequal diagonal
    gradients; the stub checks that reduction_for records them all the same.)"""
    x = sympy.Symbol("x")
    found = (("W^KQ_11[1,2]", 3 * x),)
    monkeypatch.setattr(R, "_scalar_test", lambda dist, d, T, masked: (False, found, True))
    monkeypatch.setattr(R, "_CACHE", {})
    red = R.reduction_for(parse_dist("gaussian:sigma=1"), 2, 5, masked=True)
    assert red == R.Reduction(R.NONE, True, 2, 5, found, True)
    assert red.masked is True and red.unequal_diagonal is True
