"""The flow on the diagonal set A = diag(a_j), B = diag(b_j), other blocks 0 (claims C2, C7).

For a law whose coordinates differ (``gaussian:sigmas=1,2``, a non-exchangeable mixture) the
diagonal entries of A receive different gradients and A = aI is not invariant; the diagonal set
still is when every other entry has zero gradient on it (decided exactly by
:mod:`mesacheck.symbolic.reductions`; always so for the masked flow). On it every entry is its
own coordinate, so the flow is the plain gradient flow of L(diag a, diag b), which is (derived by
the engine here, and by hand in the tests)

    L = (T-2)/2 sum_j (u_j^2 M6_j - 2 u_j M4_j + M2_j) + H_{T-2}/2 sum_{r != k} b_r^2 a_k^2 N_rk,

u_j = a_j b_j, M_n_j = E|x_j|^n, N_rk = E|x_r|^2 |x_k|^4. Stationary points: exact when the
coordinates decouple (every N_rk = 0: u_j = M4_j/M6_j), by SymPy's solver for two coupled
coordinates, and otherwise to 30 digits with a certificate (the exact gradient, evaluated at the
reported point with 60-digit arithmetic, is below 1e-25 in every component).
"""
import mpmath
import sympy

from mesacheck.errors import InputError, MesacheckError
from mesacheck.symbolic.derivation import Derivation
from mesacheck.symbolic.population import PopulationLoss, diagonal_point
from mesacheck.symbolic.reduced import at_T, is_infinite_T, tidy
from mesacheck.symbolic.symbols import T as T_SYMBOL
from mesacheck.symbolic.symbols import diagonal_rate_symbols, diagonal_symbols

#: digits reported for a certified numeric stationary point, and the certificate's bound on the
#: gradient; the point itself is kept to POINT_DIGITS so that the bound holds for every law scale
CERT_DIGITS, CERT_BOUND, POINT_DIGITS = 30, sympy.Float("1e-25"), 45
#: working precision of the numeric solve and of the certificate
SOLVE_DIGITS, CHECK_DIGITS = 60, 70
MAX_STEPS, MAX_ESCAPES = 2000, 5
#: the largest d the diagonal system is derived for (cost grows like d^5)
MAX_D = 8


def diagonal_loss(dist, d, T):
    """The exact population loss on the diagonal set, as a polynomial in a_1..a_d, b_1..b_d.

    T: the symbol T (closed form, exact for T >= 3), or an int: the closed form evaluated there
    with its harmonic number kept as H_{T-2} (the direct sum over prefixes below the closed
    form's range).
    """
    avec, bvec = diagonal_symbols(d)
    P, K = diagonal_point(d, avec, bvec)
    pop = PopulationLoss(dist, d, T_SYMBOL)
    L = sympy.expand(pop.loss_at(P, K))
    if T is T_SYMBOL:
        return L
    if T >= pop.min_T:
        return at_T(L, T)
    return sympy.expand(PopulationLoss(dist, d, T).loss_at(P, K))


def _poly(L, d):
    avec, bvec = diagonal_symbols(d)
    return sympy.Poly(L, *avec, *bvec)


def coupling(L, d):
    """{(r, k): coefficient of b_r^2 a_k^2 in L} for r != k with a nonzero coefficient."""
    avec, bvec = diagonal_symbols(d)
    poly = _poly(L, d)
    out = {}
    for r in range(d):
        for k in range(d):
            if r != k:
                exps = [0] * (2 * d)
                exps[k], exps[d + r] = 2, 2
                c = poly.coeff_monomial(tuple(exps))
                if c != 0:
                    out[(r, k)] = c
    return out


def _own_coefficients(L, d, j):
    """(c2, c1) with L's terms in a_j b_j alone = c2 (a_j b_j)^2 + c1 a_j b_j."""
    poly = _poly(L, d)
    e2, e1 = [0] * (2 * d), [0] * (2 * d)
    e2[j], e2[d + j] = 2, 2
    e1[j], e1[d + j] = 1, 1
    return poly.coeff_monomial(tuple(e2)), poly.coeff_monomial(tuple(e1))


def _limit_loss(L):
    """lim_{T -> oo} L / (T - 2): the normalised loss of an infinitely long training sequence."""
    return sympy.expand(sympy.limit(L / (T_SYMBOL - 2), T_SYMBOL, sympy.oo))


def derive_diagonal(dist, d, T, masked=False):
    """Derivation of the diagonal system: loss, ODE, conserved quantity, whether A = aI is
    invariant, the stationary point reached from positive starts, and the limits u_j = a_j b_j.

    Refuses (ReductionError) when the diagonal set is not invariant under the (masked, if
    ``masked``) flow of this law. ``T``: an int >= 3, the symbol T (closed forms), or 'oo' for
    the limit of the normalised loss L/(T-2) as T -> infinity.
    """
    from mesacheck.symbolic.reductions import DIAGONAL, SCALAR, require

    if not isinstance(d, int) or not 1 <= d <= MAX_D:
        raise InputError(f"the diagonal system is derived for a concrete d in 1..{MAX_D}, got d = {d}")
    limit_T = is_infinite_T(T)
    red = require(dist, d, None if limit_T else T, DIAGONAL, masked)
    avec, bvec = diagonal_symbols(d)
    flow = "masked flow" if masked else "flow"
    der = Derivation(f"Diagonal system A = diag(a_j), B = diag(b_j), {flow} (claims C2, C7)",
                     {"dist": dist.spec, "d": d, "T": "oo" if limit_T else T, "flow": red.flow},
                     kind="diagonal")
    der.add("reduction", "Exact reduced system (decided from the law's own population gradient)",
            red.describe())
    der.add("aI_invariant", "The smaller set A = aI, B = bI is invariant too", red.system == SCALAR)
    # A concrete T sums over the prefixes directly (exact rationals); 'oo' needs the closed form.
    L = _limit_loss(diagonal_loss(dist, d, T_SYMBOL)) if limit_T else diagonal_loss(dist, d, T)
    der.add("loss", "Population loss on the diagonal set" + (", divided by T - 2, as T -> infinity"
            if limit_T else ""), L, r"\lim_{T\to\infty} L/(T-2)" if limit_T else "L")
    adots, bdots = diagonal_rate_symbols(d)
    ode = {}
    for j in range(d):
        ode[adots[j]] = -sympy.factor(sympy.diff(L, avec[j]))
        ode[bdots[j]] = -sympy.factor(sympy.diff(L, bvec[j]))
    der.add("ode", "Gradient flow of the entries (each diagonal entry is its own coordinate)", ode)
    kappa = sum(x**2 for x in avec) - sum(x**2 for x in bvec)
    drift = sympy.expand(sum(2 * avec[j] * ode[adots[j]] - 2 * bvec[j] * ode[bdots[j]] for j in range(d)))
    der.add("conserved", "Conserved quantity (L is invariant under a -> c a, b -> b / c)", kappa, r"\kappa")
    der.add("conserved_drift", "d kappa / d tau along the flow", drift)
    point = stationary_point(L, d)
    der.add("coupled", "Pairs (r, k) with b_r^2 a_k^2 in the loss (coordinates interact through "
            "the in-context cross terms)", [sympy.Tuple(r + 1, k + 1) for r, k in sorted(coupling(L, d))])
    der.add("stationary_method", "How the stationary point was found", point.method)
    der.add("u_limits", "Limits u_j = a_j b_j at the stationary point (j = 1..d)", sympy.Tuple(*point.u))
    if point.free:
        der.notes.append("Coordinates " + ", ".join(str(j + 1) for j in point.free) + " are 0 almost "
                         "surely: their a_j, b_j receive no gradient and keep their initial values "
                         "(u_j = a_j(0) b_j(0)).")
    active = [point.u[j] for j in range(d) if j not in point.free]
    mean = sympy.Add(*active) / len(active) if active else None
    if mean is not None:
        der.add("ab_limit", "Mean over the non-degenerate coordinates of u_j (the a*b the simulation "
                "reports)", tidy(mean) if point.exact else mean, "u^*")
    if point.certificate is not None:
        der.add("certificate", "Certificate: max |dL/dtheta| at the reported 30-digit point (exact "
                "gradient, 60-digit arithmetic)", point.certificate)
        der.add("hessian_eigenvalues", "Eigenvalues of the Hessian of L there (one zero mode from "
                "the rescaling a -> c a, b -> b / c)", sympy.Tuple(*point.hessian))
    der.symbols.update({f"a_{j + 1}": avec[j] for j in range(d)})
    der.symbols.update({f"b_{j + 1}": bvec[j] for j in range(d)})
    der.symbols["T"] = T_SYMBOL
    return der


class StationaryPoint:
    """u_j at a stationary point; ``exact`` or certified numeric; ``free`` coordinates (0 a.s.)."""

    def __init__(self, u, method, exact, free=(), certificate=None, hessian=(), point=None):
        self.u, self.method, self.exact, self.free = tuple(u), method, exact, tuple(free)
        self.certificate, self.hessian, self.point = certificate, tuple(hessian), point


def stationary_point(L, d, off=()):
    """The stationary point of the diagonal loss that positive starts reach (see module doc).

    ``off``: coordinates already known to be switched off (a_j = b_j = 0 at the minimum, u_j = 0);
    L must then be the loss with them set to 0.
    """
    avec, bvec = diagonal_symbols(d)
    free = [j for j in range(d) if not (L.has(avec[j]) or L.has(bvec[j])) and j not in off]
    active = [j for j in range(d) if j not in free and j not in off]
    if not active:
        raise MesacheckError("the loss does not depend on A and B (x_1 = 0 almost surely?): no limit")
    couple = {k: v for k, v in coupling(L, d).items() if k[0] in active and k[1] in active}
    u = [avec[j] * bvec[j] for j in range(d)]  # free coordinates keep their initial product
    for j in off:
        u[j] = sympy.Integer(0)
    if not couple:
        for j in active:
            c2, c1 = _own_coefficients(L, d, j)
            u[j] = tidy(-c1 / (2 * c2))
        return StationaryPoint(u, "exact: the coordinates decouple, u_j = M4_j / M6_j", True, free)
    if L.free_symbols - set(avec) - set(bvec):
        raise InputError("the coupled diagonal system is solved for laws with numeric parameters "
                         "and a concrete T")
    if len(active) == 2:
        exact = _exact_two(L, d, active, u, free)
        if exact is not None:
            return exact
    return _certified(L, d, active, u, free, off)


def _positive(expr):
    """Whether a closed number (rationals, radicals, held H_n) is > 0: SymPy's own inference, else
    its 50-digit value, which decides any sign at a margin far above the rounding."""
    if expr.is_positive is not None:
        return bool(expr.is_positive)
    if expr.free_symbols:
        return False
    return bool(sympy.N(expr, 50) > sympy.Float("1e-40"))


def _exact_two(L, d, active, u, free):
    """Two coupled coordinates j, k: a_j dL/da_j = b_j dL/db_j = 0 give n_kj a_j^2 b_k^2 =
    n_jk a_k^2 b_j^2 = p with p^2 = n_jk n_kj u_j^2 u_k^2, so with u_j, u_k > 0 the stationary
    point solves the LINEAR system 2 c2_j u_j + c1_j + 2 sqrt(n_jk n_kj) u_k = 0 (and j <-> k).
    Returns the point if it is an exact positive local minimum, else None (then: numeric).

    Harmonic numbers are hidden behind positive symbols while solving, so the closed form stays
    in H_{T-2} instead of a rational with hundreds of digits.
    """
    hs = sorted(L.atoms(sympy.harmonic), key=sympy.default_sort_key)
    hide = {h: sympy.Dummy("h", positive=True) for h in hs}
    back = {v: k for k, v in hide.items()}
    Lh = sympy.expand(L.xreplace(hide))
    structure = _structure(Lh, d, active)
    if structure is None:
        return None
    c2, c1, n = structure
    j, k = active
    if not (n.get((j, k)) and n.get((k, j))):
        return None
    root = sympy.sqrt(n[(j, k)] * n[(k, j)])
    uj, uk = sympy.Dummy("u_j"), sympy.Dummy("u_k")
    sol = sympy.solve([2 * c2[j] * uj + c1[j] + 2 * root * uk, 2 * c2[k] * uk + c1[k] + 2 * root * uj],
                      [uj, uk], dict=True)
    if len(sol) != 1:
        return None
    vj, vk = (sympy.factor(sympy.radsimp(sol[0][x])) for x in (uj, uk))
    if not (_positive(vj.xreplace(back)) and _positive(vk.xreplace(back))):
        return None  # the minimum switches a coordinate off: found numerically instead
    # a point of the orbit (a_j = 1): n_kj a_j^2 b_k^2 = n_jk a_k^2 b_j^2 fixes a_k once b = u / a
    avec, bvec = diagonal_symbols(d)
    ak = sympy.sqrt(sympy.sqrt(n[(k, j)] * vk**2 / (n[(j, k)] * vj**2)))
    at = {avec[j]: 1, bvec[j]: vj, avec[k]: ak, bvec[k]: vk / ak}
    # the closed form solves the reduced linear system exactly; confirm it is a stationary point
    # of L itself (60-digit evaluation: radicals of H_{T-2} do not simplify symbolically)
    grad = [sympy.diff(Lh, x).subs(at).xreplace(back) for x in (avec[j], bvec[j], avec[k], bvec[k])]
    if not all(abs(sympy.N(g, CHECK_DIGITS)) < sympy.Float(10) ** (-(CHECK_DIGITS - 15)) for g in grad):
        return None
    H = sympy.hessian(Lh, [avec[j], bvec[j], avec[k], bvec[k]]).subs(at).xreplace(back).evalf(CHECK_DIGITS)
    with mpmath.workdps(CHECK_DIGITS):
        eigs = mpmath.eigsy(mpmath.matrix(H.tolist()))[0]
        if min(eigs) < -mpmath.mpf(10) ** (-CHECK_DIGITS // 2) * max(abs(e) for e in eigs):
            return None
    vj, vk = vj.xreplace(back), vk.xreplace(back)
    point = {x: sympy.sympify(v).xreplace(back) for x, v in at.items()}
    u[j], u[k] = vj, vk
    return StationaryPoint(u, "exact: two coupled coordinates reduce to a linear system in (u_1, u_2)",
                           True, free, point=point)


def _structure(L, d, active):
    """(c2, c1, n): L = sum_j (c2_j u_j^2 + c1_j u_j + c0_j) + sum_{r != k} n_rk b_r^2 a_k^2.

    Checked exactly against L; None if L has any other monomial (then no fast solve).
    """
    avec, bvec = diagonal_symbols(d)
    c2, c1 = {}, {}
    rebuilt = sympy.Integer(0)
    for j in active:
        c2[j], c1[j] = _own_coefficients(L, d, j)
        rebuilt += c2[j] * (avec[j] * bvec[j]) ** 2 + c1[j] * avec[j] * bvec[j]
    n = coupling(L, d)
    for (r, k), c in n.items():
        rebuilt += c * bvec[r] ** 2 * avec[k] ** 2
    rest = sympy.expand(L - rebuilt)
    if rest.has(*avec, *bvec):
        return None
    return c2, c1, n


class _Gradient:
    """The structured loss's gradient and Hessian in mpmath, variables ordered a_j, b_j (active)."""

    def __init__(self, c2, c1, n, active):
        def mp(c):  # exact coefficient (rationals, H_n) at the working precision
            return mpmath.mpf(sympy.N(c, mpmath.mp.dps + 10))
        self.active = list(active)
        self.c2 = {j: mp(c2[j]) for j in active}
        self.c1 = {j: mp(c1[j]) for j in active}
        self.n = {rk: mp(c) for rk, c in n.items()}

    def value(self, A, B):
        out = sum(self.c2[j] * (A[j] * B[j]) ** 2 + self.c1[j] * A[j] * B[j] for j in self.active)
        return out + sum(c * B[r] ** 2 * A[k] ** 2 for (r, k), c in self.n.items())

    def grad(self, A, B):
        gA = {k: 2 * self.c2[k] * A[k] * B[k] ** 2 + self.c1[k] * B[k] for k in self.active}
        gB = {r: 2 * self.c2[r] * A[r] ** 2 * B[r] + self.c1[r] * A[r] for r in self.active}
        for (r, k), c in self.n.items():
            gA[k] += 2 * c * A[k] * B[r] ** 2
            gB[r] += 2 * c * B[r] * A[k] ** 2
        return gA, gB

    def hessian(self, A, B):
        idx = {("a", j): i for i, j in enumerate(self.active)}
        idx.update({("b", j): len(self.active) + i for i, j in enumerate(self.active)})
        H = mpmath.zeros(len(idx))
        for j in self.active:
            ia, ib = idx[("a", j)], idx[("b", j)]
            H[ia, ia] += 2 * self.c2[j] * B[j] ** 2
            H[ib, ib] += 2 * self.c2[j] * A[j] ** 2
            H[ia, ib] += 4 * self.c2[j] * A[j] * B[j] + self.c1[j]
            H[ib, ia] = H[ia, ib]
        for (r, k), c in self.n.items():
            ia, ib = idx[("a", k)], idx[("b", r)]
            H[ia, ia] += 2 * c * B[r] ** 2
            H[ib, ib] += 2 * c * A[k] ** 2
            H[ia, ib] += 4 * c * A[k] * B[r]
            H[ib, ia] += 4 * c * A[k] * B[r]
        return H


def _minimise(G, active, j0):
    """A local minimum of L with a_{j0} = 1 (the rescaling symmetry fixed), from the decoupled
    guess: Levenberg-Marquardt descent while L still decreases at working precision, then Newton
    on grad L = 0; a saddle (negative Hessian eigenvalue) is left along its descent direction."""
    A = {j: mpmath.sqrt(max(-G.c1[j] / (2 * G.c2[j]), mpmath.mpf("1e-6"))) for j in active}
    s0 = A[j0]
    B = {j: A[j] * s0 for j in active}
    A = {j: A[j] / s0 for j in active}
    free = [("a", j) for j in active if j != j0] + [("b", j) for j in active]
    full = [("a", j) for j in active] + [("b", j) for j in active]
    pos = [full.index(v) for v in free]
    scale = max([abs(c) for c in (*G.c2.values(), *G.c1.values(), *G.n.values())])
    gtol = scale * mpmath.mpf(10) ** (-(SOLVE_DIGITS - 12))
    for _ in range(MAX_ESCAPES):
        A, B = _descend(G, A, B, free, pos, gtol)
        H = G.hessian(A, B)
        Hf = mpmath.matrix([[H[p, q] for q in pos] for p in pos])
        eigs, vecs = mpmath.eigsy(Hf)
        k = min(range(len(pos)), key=lambda i: eigs[i])
        if eigs[k] >= -mpmath.mpf(10) ** (-(SOLVE_DIGITS // 2)) * scale:
            return A, B
        # a saddle: step along the most negative curvature direction, then descend again
        length = mpmath.sqrt(sum(v**2 for v in A.values()) + sum(v**2 for v in B.values())) / 100
        for i, (kind, j) in enumerate(free):
            (A if kind == "a" else B)[j] += length * vecs[i, k]
    raise MesacheckError("the coupled diagonal system's minimisation kept reaching saddles")


def _descend(G, A, B, free, pos, gtol):
    """Levenberg-Marquardt until grad L is below gtol (see :func:`_minimise`)."""
    lam = mpmath.mpf("1e-3")
    f = G.value(A, B)
    for _ in range(MAX_STEPS):
        g = _gvec(G, A, B, free)
        gn = mpmath.norm(g)
        if gn < gtol:
            return A, B
        H = G.hessian(A, B)
        Hf = mpmath.matrix([[H[p, q] for q in pos] for p in pos])
        # Marquardt's scale-invariant damping (the laws' scales make H badly conditioned)
        floor = max(abs(Hf[i, i]) for i in range(len(pos))) * mpmath.mpf(10) ** -40
        D = mpmath.diag([abs(Hf[i, i]) + floor for i in range(len(pos))])
        while True:
            step = mpmath.lu_solve(Hf + lam * D, -g)
            A2, B2 = dict(A), dict(B)
            for (kind, j), dx in zip(free, step):
                (A2 if kind == "a" else B2)[j] += dx
            f2 = G.value(A2, B2)
            # L must decrease; only once it no longer changes at working precision (|f2 - f| at
            # the rounding level) is a smaller gradient accepted as progress instead
            flat = abs(f2 - f) <= abs(f) * mpmath.mpf(10) ** (-(SOLVE_DIGITS - 5))
            if f2 < f or (flat and mpmath.norm(_gvec(G, A2, B2, free)) < gn):
                A, B, f = A2, B2, f2
                lam = max(lam / 5, mpmath.mpf(10) ** (-SOLVE_DIGITS))
                break
            lam *= 10
            if lam > mpmath.mpf(10) ** 30:
                raise MesacheckError("the coupled diagonal system's minimisation stalled")
    raise MesacheckError(f"the coupled diagonal system's minimisation did not converge in {MAX_STEPS} steps")


def _gvec(G, A, B, free):
    gA, gB = G.grad(A, B)
    return mpmath.matrix([gA[j] if k == "a" else gB[j] for k, j in free])


def _certified(L, d, active, u, free, off=()):
    """Minimise L numerically (a_1 fixed to 1 by the rescaling symmetry), then certify the point
    with the exact gradient of L."""
    avec, bvec = diagonal_symbols(d)
    structure = _structure(L, d, active)
    if structure is None:
        raise MesacheckError("the diagonal loss has an unexpected monomial: no numeric solve")
    c2, c1, _ = structure
    # Fix the rescaling symmetry on the coordinate with the largest own gain c1^2 / c2: it stays
    # active, while a weak coordinate may be switched off (a_j = b_j = 0) by the coupling.
    j0 = max(active, key=lambda j: (c1[j] ** 2 / c2[j], -j))
    with mpmath.workdps(SOLVE_DIGITS):
        G = _Gradient(*structure, active)
        A, B = _minimise(G, active, j0)
        tiny = mpmath.mpf(10) ** (-(SOLVE_DIGITS // 2))
        values = {}
        for j in active:
            zero = abs(A[j]) < tiny and abs(B[j]) < tiny  # converged to the switched-off point 0
            values[avec[j]] = sympy.Integer(0) if zero else sympy.Float(A[j], POINT_DIGITS)
            values[bvec[j]] = sympy.Integer(0) if zero else sympy.Float(B[j], POINT_DIGITS)
    # certificate: every gradient component of the engine's L (exact coefficients), evaluated at
    # the rounded point (POINT_DIGITS) with CHECK_DIGITS arithmetic
    variables = [avec[j] for j in active] + [bvec[j] for j in active]
    worst = max(abs(sympy.diff(L, x).evalf(CHECK_DIGITS, subs=values)) for x in variables)
    if not worst < CERT_BOUND:
        raise MesacheckError(f"the numeric stationary point failed its certificate (|grad| = {worst:.3g})")
    H = sympy.hessian(L, variables).evalf(CHECK_DIGITS, subs=values)
    with mpmath.workdps(CHECK_DIGITS):
        eigs = mpmath.eigsy(mpmath.matrix(H.tolist()))[0]
    hessian = sorted(sympy.Float(e, 6) for e in eigs)
    switched = [j for j in active if values[avec[j]] == 0]
    if switched and len(switched) < len(active):
        # the minimum switches some coordinates off; the others may then solve exactly
        rest = L.xreplace({x: 0 for j in switched for x in (avec[j], bvec[j])})
        inner = stationary_point(rest, d, off=tuple(off) + tuple(switched))
        if inner.exact:
            names = ", ".join(str(j + 1) for j in switched)
            return StationaryPoint(inner.u, f"exact after a certified numeric minimisation switched off "
                                   f"coordinate(s) {names} (a_j = b_j = 0): {inner.method}", True, free,
                                   sympy.Float(worst, 3), hessian, values)
    for j in active:
        prod = values[avec[j]] * values[bvec[j]]
        u[j] = sympy.Integer(0) if prod == 0 else sympy.Float(prod.evalf(CHECK_DIGITS), CERT_DIGITS)
    method = (f"certified numeric (u_j to {CERT_DIGITS} digits): damped Newton at {SOLVE_DIGITS} digits; "
              f"the exact gradient at the point (kept to {POINT_DIGITS} digits) is below {CERT_BOUND} "
              "in every component")
    return StationaryPoint(u, method, False, free, sympy.Float(worst, 3), hessian, values)
