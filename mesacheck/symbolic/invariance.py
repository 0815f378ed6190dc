"""Invariance of the structured set {A = aI, B = bI, all other blocks 0} under the flow (C2).

The set is invariant exactly when, at every point of it, the population gradient of every entry
outside it vanishes and the diagonal entries of A (and of B) receive equal gradients. The
gradient is computed exactly (:mod:`mesacheck.symbolic.population`) for the fully general law
(`generic`: every mixed moment a free symbol), so an entry whose gradient is identically zero
there is zero for every law; the other entries give polynomials in a, b, T and H_{T-2} whose
coefficients are linear in the moments. Requiring them to vanish for all a, b and T gives the
moment equations; a law satisfies the invariance iff its moments satisfy them.
"""
from itertools import product

import sympy

from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.moment_symbol import MomentSymbol
from mesacheck.symbolic.derivation import Derivation
from mesacheck.symbolic.population import PopulationLoss, structured_point
from mesacheck.symbolic.symbols import T as T_SYMBOL
from mesacheck.symbolic.symbols import a, b

BLOCKS = {  # name -> (matrix, row slice, column slice) in units of d
    "W^KQ_11": ("K", 0, 0), "W^KQ_12": ("K", 0, 1), "A = W^KQ_21": ("K", 1, 0),
    "W^KQ_22": ("K", 1, 1), "B = W^PV_1": ("P", 0, 0), "W^PV_2": ("P", 0, 1),
}


def structured_gradient(dist, d, T):
    """Exact (dL/dW^PV, dL/dW^KQ) at A = aI, B = bI for this law, with a, b symbolic."""
    P, K = structured_point(d, a, b)
    return PopulationLoss(dist, d, T).gradient_at(P, K)


def _entries(gP, gK, d):
    """Yield (block, (row, col) within block, is_diagonal, gradient) for every entry."""
    for name, (mat, rb, cb) in BLOCKS.items():
        G = gK if mat == "K" else gP
        for i, j in product(range(d), repeat=2):
            yield name, (i, j), i == j, G[rb * d + i, cb * d + j]


def _coefficient_equations(expr):
    """Linear forms in the moments that must vanish for expr(a, b, T, H) = 0 identically."""
    expr = sympy.expand(expr)
    if expr == 0:
        return []
    hs = sorted(expr.atoms(sympy.harmonic), key=sympy.default_sort_key)
    gens = [a, b, T_SYMBOL] + hs
    return [c for c in sympy.Poly(expr, *gens).coeffs() if c != 0]


def _reduce(equations):
    """A row-reduced basis of linear moment equations. The unknowns are the moments and the
    real parts re(M) of complex moments (the gradient of a real parameter sees only those)."""
    parts = sorted({r for e in equations for r in e.atoms(sympy.re)}, key=sympy.default_sort_key)
    holders = {r: sympy.Dummy() for r in parts}
    hidden = [sympy.expand(e.xreplace(holders)) for e in equations]
    unknowns = list(holders.values()) + sorted(
        {m for e in hidden for m in e.atoms(MomentSymbol)}, key=sympy.default_sort_key)
    if not unknowns:
        return []
    M = sympy.Matrix([[e.coeff(x) for x in unknowns] for e in hidden])
    rref, pivots = M.rref()
    back = {v: k for k, v in holders.items()}
    basis = []
    for row in range(len(pivots)):
        form = sum(rref[row, k] * unknowns[k] for k in range(len(unknowns)))
        basis.append(sympy.factor_terms(form.xreplace(back)))
    return basis


def invariance_conditions(d, T=T_SYMBOL):
    """Moment equations (for the general law in dimension d) under which the set is invariant,
    and the blocks whose gradient vanishes for every law. Returns (zero_blocks, equations)."""
    gP, gK = structured_gradient(parse_dist("generic"), d, T)
    zero_blocks, nonzero = [], {}
    raw = []
    diag = {"A = W^KQ_21": [], "B = W^PV_1": []}
    for name, ij, is_diag, g in _entries(gP, gK, d):
        if is_diag and name in diag:
            diag[name].append(g)
            continue
        if sympy.expand(g) != 0:
            nonzero.setdefault(name, []).append(ij)
            raw.extend(_coefficient_equations(g))
    for name in BLOCKS:
        if name not in nonzero:
            zero_blocks.append(name)
    for name, gs in diag.items():  # diagonal entries must move together
        for g in gs[1:]:
            raw.extend(_coefficient_equations(g - gs[0]))
    return zero_blocks, nonzero, _reduce(raw)


def evaluate_condition(expr, dist, d):
    """The value of a moment equation's left side for a concrete law."""
    subs = {}
    for m in expr.atoms(MomentSymbol):
        alpha = m.alpha + (0,) * (d - len(m.alpha))
        beta = m.beta + (0,) * (d - len(m.beta))
        subs[m] = dist.moment(alpha, beta)
    return sympy.simplify(expr.xreplace(subs))


def law_invariant(dist, d, T=T_SYMBOL, masked=False):
    """Whether the set A = aI, B = bI is invariant for this law (its own exact gradient on the set,
    real parameters; see :func:`mesacheck.symbolic.reductions.reduction_for`)."""
    from mesacheck.symbolic.reductions import SCALAR, reduction_for

    return reduction_for(dist, d, None if T is T_SYMBOL else T, masked).system == SCALAR


def _imaginary_part(expr):
    """Im of an expression in the real a, b and (for symbolic T) H_(T-2), which SymPy cannot
    know to be real: harmonic numbers are hidden behind real symbols first."""
    hs = sorted(expr.atoms(sympy.harmonic), key=sympy.default_sort_key)
    held = {h: sympy.Dummy(real=True) for h in hs}
    return sympy.expand(sympy.im(expr.xreplace(held)))


def complex_invariance(dist, d, T=T_SYMBOL):
    """(invariant, nonzero) for complex parameters (the reference program's): on A = aI, B = bI
    with a, b real, every off-set entry's complex gradient dL/dRe + i dL/dIm must vanish and the
    diagonal entries' must be equal and real. ``nonzero``: {entry: gradient} that break it."""
    if dist.is_exchangeable:
        d = min(d, 4)
    P, K = structured_point(d, a, b)
    gP, gK = PopulationLoss(dist, d, T).complex_gradient_at(P, K)
    nonzero = {}
    for name, (i, j), is_diag, g in _entries(gP, gK, d):
        if not (is_diag and name in ("A = W^KQ_21", "B = W^PV_1")) and sympy.expand(g) != 0:
            nonzero[f"{name} ({i + 1},{j + 1})"] = sympy.factor(g)
    diag = [sympy.expand(gK[d + j, j]) for j in range(d)] + [sympy.expand(gP[j, j]) for j in range(d)]
    equal_real = (all(sympy.expand(x - diag[0]) == 0 for x in diag[:d])
                  and all(sympy.expand(x - diag[d]) == 0 for x in diag[d:])
                  and all(_imaginary_part(x) == 0 for x in diag))
    if not equal_real:
        nonzero["diagonal of A, B"] = sympy.Tuple(*diag)
    return not nonzero, nonzero


def derive_invariance(dist, d, T=T_SYMBOL):
    """Derivation: which blocks are always stationary on the set, the moment equations, and the
    law's verdict (with the moments that break it and their values)."""
    all_T = T is T_SYMBOL
    when = "for all a, b and every T >= 3" if all_T else f"for all a, b at T = {T}"
    der = Derivation("Invariance of the set A = aI, B = bI (claim C2)",
                     {"dist": dist.spec, "d": d, "T": "every T >= 3" if all_T else T}, kind="invariance")
    zero_blocks, nonzero, equations = invariance_conditions(d, T)
    der.add("zero_blocks", "Blocks whose gradient vanishes on the set for every law", zero_blocks)
    der.add("conditional_entries", "Entries whose gradient vanishes only under moment conditions",
            {k: ", ".join(f"({i + 1},{j + 1})" for i, j in v) for k, v in nonzero.items()})
    der.add("conditions", f"Moment equations (each = 0) making the set invariant {when}",
            [sympy.Eq(e, 0) for e in equations])
    broken = {}
    for e in equations:
        v = evaluate_condition(e, dist, d)
        if v != 0:
            broken[e] = v
    der.add("broken", "Equations this law violates (value of the left side)", broken)
    gP, gK = structured_gradient(dist, d, T)
    law_nonzero = {f"{name} ({i + 1},{j + 1})": sympy.factor(g)
                   for name, (i, j), is_diag, g in _entries(gP, gK, d)
                   if not (is_diag and name in ("A = W^KQ_21", "B = W^PV_1")) and sympy.expand(g) != 0}
    der.add("law_gradients", "Nonzero gradients of entries off the set, for this law", law_nonzero)
    diag_a = [sympy.expand(gK[d + j, j]) for j in range(d)]
    diag_b = [sympy.expand(gP[j, j]) for j in range(d)]
    equal = all(sympy.expand(x - diag_a[0]) == 0 for x in diag_a) and all(
        sympy.expand(x - diag_b[0]) == 0 for x in diag_b)
    invariant = not law_nonzero and equal
    der.add("diagonal_equal", "Diagonal entries of A (and of B) receive equal gradients", equal)
    der.add("invariant", "The set is invariant under the population flow for this law (real "
            "parameters: the population-faithful default for real laws)", invariant)
    c_ok, c_nonzero = complex_invariance(dist, d, T)
    der.add("invariant_complex", "The set is invariant for complex parameters too (the reference "
            "program's complex64 tensors; gradient dL/dRe + i dL/dIm)", c_ok)
    if not c_ok:
        der.add("complex_gradients", "Complex-parameter gradients that break it (imaginary part: the "
                "gradient of the entries' imaginary parts)", c_nonzero)
    if not invariant and not broken:
        der.notes.append("The law breaks invariance without violating the listed equations: "
                         "report this as a bug.")
    return der
