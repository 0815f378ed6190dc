"""The flow on diagonal A = diag(a_j), B = diag(b_j) for laws with unequal coordinates (C2, C7).

For `gaussian:sigmas=1,2` the coordinates differ, the diagonal entries of A receive different
gradients, and A = aI is not invariant; the set of diagonal A and B (other blocks 0) still is
when the off-diagonal gradients vanish there (checked here exactly). On it every entry is its own
coordinate, so the flow is the plain gradient flow of L(diag a, diag b).
"""
import sympy

from mesacheck.errors import InputError
from mesacheck.symbolic.derivation import Derivation
from mesacheck.symbolic.population import PopulationLoss, diagonal_point
from mesacheck.symbolic.reduced import T_SYMBOL, tidy


def diagonal_symbols(d):
    """Symbols a_1..a_d, b_1..b_d (real)."""
    avec = sympy.symbols(f"a_1:{d + 1}", real=True)
    bvec = sympy.symbols(f"b_1:{d + 1}", real=True)
    return avec, bvec


def derive_diagonal(dist, d, T, solve_stationary=True):
    """Derivation: loss on the diagonal set, its ODE, conserved quantity, invariance of the set,
    and (for d <= 2 with concrete T) its stationary points with u_j = a_j b_j."""
    if not isinstance(d, int) or d < 1 or d > 3:
        raise InputError("the diagonal system is derived for a concrete d in 1..3")
    avec, bvec = diagonal_symbols(d)
    pop = PopulationLoss(dist, d, T if isinstance(T, int) else T_SYMBOL)
    P, K = diagonal_point(d, avec, bvec)
    der = Derivation("Diagonal system A = diag(a_j), B = diag(b_j)", {"dist": dist.spec, "d": d, "T": T})
    L = sympy.expand(pop.loss_at(P, K))
    der.add("loss", "Population loss on the diagonal set", L, "L")
    gP, gK = pop.gradient_at(P, K)
    off = {}
    for j in range(d):
        for k in range(d):
            if j != k:
                for name, g in ((f"A ({j + 1},{k + 1})", gK[d + j, k]), (f"B ({j + 1},{k + 1})", gP[j, k])):
                    if sympy.expand(g) != 0:
                        off[name] = sympy.factor(g)
    der.add("offdiag_gradients", "Nonzero gradients of off-diagonal entries on the set", off)
    der.add("invariant", "The diagonal set is invariant under the flow", not off)
    ode = {}
    for j in range(d):
        ode[sympy.Symbol(f"\\dot{{a}}_{j + 1}")] = -sympy.factor(sympy.diff(L, avec[j]))
        ode[sympy.Symbol(f"\\dot{{b}}_{j + 1}")] = -sympy.factor(sympy.diff(L, bvec[j]))
    der.add("ode", "Gradient flow of the entries", ode)
    kappa = sum(x**2 for x in avec) - sum(x**2 for x in bvec)
    drift = sympy.simplify(sum(2 * avec[j] * -sympy.diff(L, avec[j]) - 2 * bvec[j] * -sympy.diff(L, bvec[j])
                               for j in range(d)))
    der.add("conserved", f"Conserved quantity (its d/dtau = {drift})", kappa, r"\kappa")
    equal = [sympy.expand(sympy.diff(L, avec[0]) - sympy.diff(L, avec[j])).subs(
        {**{x: avec[0] for x in avec}, **{x: bvec[0] for x in bvec}}) for j in range(1, d)]
    der.add("aI_invariant", "A = aI, B = bI stays invariant (diagonal gradients equal there)",
            all(sympy.simplify(e) == 0 for e in equal))
    if solve_stationary and isinstance(T, int) and d <= 2:
        der.add("stationary", "Stationary points with all u_j = a_j b_j > 0 (u_1, u_2, ...)",
                _stationary_products(L, avec, bvec))
    return der


def _stationary_products(L, avec, bvec):
    """Solve grad L = 0 with a_j > 0 fixed by the scaling symmetry a -> c a, b -> b / c.

    Returns the distinct tuples of u_j = a_j b_j at stationary points with every u_j > 0.
    """
    d = len(avec)
    eqs = [sympy.diff(L, x) for x in (*avec, *bvec)]
    # The loss is invariant under a -> c a, b -> b/c: fix a_1 = 1 and solve for the rest.
    fixed = [sympy.expand(e.subs(avec[0], 1)) for e in eqs]
    unknowns = [*avec[1:], *bvec]
    sols = sympy.solve(fixed, unknowns, dict=True)
    out = set()
    for s in sols:
        vals = {avec[0]: 1, **s}
        us = tuple(tidy(sympy.nsimplify(vals.get(avec[j], avec[j]) * vals.get(bvec[j], bvec[j]))) for j in range(d))
        if all(x.is_real and x.is_positive for x in us):
            out.add(sympy.Tuple(*us))
    return sorted(out, key=str)
