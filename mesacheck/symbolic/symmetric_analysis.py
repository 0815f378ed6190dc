"""Stationary points of a reduced system, their stability, and the predictor they define.

A stationary *orbit* is a curve {(x / c, c y) : c > 0} of stationary points (the rescaling
symmetry). On the invariant support of the flow the W^PV coordinates y are fixed to the gauge
y = (1, s) (or y = (1) when there is one) and the W^KQ coordinates x are eliminated exactly
(:mod:`mesacheck.symbolic.stationary`); the flow from a start with conserved quantity kappa_0
reaches the orbit's point with kappa = kappa_0.
"""
import mpmath
import sympy

from mesacheck.symbolic import stationary as st


def split_xy(system):
    """(W^KQ symbols, their mults, W^PV symbols, their mults), W^PV with diag(B) first."""
    xs = [(s, m) for t, s, m in zip(system.types, system.symbols, system.mults) if t.mat == "K"]
    ys = [(s, m, t) for t, s, m in zip(system.types, system.symbols, system.mults) if t.mat == "P"]
    ys.sort(key=lambda e: (e[2].s2, not e[2].same))
    return [s for s, _ in xs], [m for _, m in xs], [s for s, _, _ in ys], [m for _, m, _ in ys]


def orbits(system):
    """Stationary orbits with y != 0 on a concrete system: list of dicts with the exact gauge
    values (``gauge``: symbol -> exact SymPy number or CRootOf-based expression) and ``how``."""
    xs, _, ys, _ = split_xy(system)
    L = system.loss
    if len(ys) == 1:
        Ly = sympy.expand(L.xreplace({ys[0]: 1}))
        sol = sympy.solve([sympy.diff(Ly, v) for v in xs], xs, dict=True)
        return [{"gauge": {**{v: s_[v] for v in xs}, ys[0]: sympy.Integer(1)},
                 "how": "exact: grad_x L = 0 is linear in x (gauge y = 1)"} for s_ in sol]
    if len(ys) == 2 and len(xs) <= 2:
        el = st.eliminate(L, xs, ys)
        p, s, x_of_s = el.p, el.s, el.x_of_s
        out = []
        for r in st.real_roots(p):
            gauge = {ys[0]: sympy.Integer(1), ys[1]: r}
            for v, xe in zip(xs, x_of_s):
                gauge[v] = xe.subs(s, r)
            out.append({"gauge": gauge, "root": r, "how": f"exact: real root of a degree-{p.degree()} polynomial "
                        "in s = y_2 / y_1 (x eliminated; CRootOf)"})
        return out
    return []


def mp_point(gauge, symbols):
    """The gauge values as mpf numbers (WORK_DPS digits)."""
    with mpmath.workdps(st.WORK_DPS):
        return {v: mpmath.mpf(str(sympy.N(gauge[v], st.WORK_DPS))) for v in symbols}


def scaled_point(system, gauge_mp, kappa0, sign=1):
    """The orbit's point with conserved quantity ``kappa0`` (mpf dict), y_1 of sign ``sign``."""
    xs, mx, ys, my = split_xy(system)
    with mpmath.workdps(st.WORK_DPS):
        mx = [mpmath.mpf(str(sympy.N(m, st.WORK_DPS))) for m in mx]
        my = [mpmath.mpf(str(sympy.N(m, st.WORK_DPS))) for m in my]
        xv, yv = [gauge_mp[v] for v in xs], [gauge_mp[v] for v in ys]
        c = st.scale_for_kappa(xv, yv, mx, my, mpmath.mpf(kappa0)) * sign
        return {**{v: gauge_mp[v] / c for v in xs}, **{v: gauge_mp[v] * c for v in ys}}


def jacobian_eigenvalues(system, point):
    """Eigenvalues of the Jacobian of the entrywise field at ``point`` (symbol -> mpf): those of
    -M^{-1/2} H M^{-1/2}, M = diag(mult), H the Hessian of L_red (similar matrices, so real)."""
    n = len(system.symbols)
    with mpmath.workdps(st.WORK_DPS):
        H = system.mp_hessian(point)
        w = [1 / mpmath.sqrt(mpmath.mpf(str(sympy.N(m, st.WORK_DPS)))) for m in system.mults]
        S = mpmath.matrix(n, n)
        for i in range(n):
            for j in range(n):
                S[i, j] = -w[i] * H[i, j] * w[j]
        ev = mpmath.eigsy(S, eigvals_only=True)
        return sorted([ev[k] for k in range(n)])


def stability(eigs):
    """Verdict from the field's Jacobian eigenvalues: one zero (the rescaling orbit) expected."""
    scale = max(abs(e) for e in eigs) or 1
    zero = [e for e in eigs if abs(e) <= mpmath.mpf("1e-20") * scale]
    pos = [e for e in eigs if e > mpmath.mpf("1e-20") * scale]
    if pos:
        return f"unstable ({len(pos)} positive eigenvalue(s))"
    return f"stable: {len(zero)} zero eigenvalue(s) (rescaling orbit), all others negative"


def predictor(system, point):
    """The learned predictor at ``point`` (symbol -> mpf): a dict of strings and mpf numbers.

    With A and B the only nonzero blocks, yhat_t = B Ghat_t A x_t, Ghat_t = sum_{i<t} x_{i+1} x_i^H
    / (t-1): one step of preconditioned GD from W_0 = 0 (update B [sum_i x_{i+1} x_i^H] A / (t-1)).
    Its distance from the vanilla step M -> eta M is the relative Frobenius distance of the map
    M -> B M A, i.e. of B (x) A, from the line eta I: sqrt(1 - (tr A tr B)^2 / (d^2 ||A||^2 ||B||^2)),
    eta = tr A tr B / d^2. For one colour, A = alpha I + beta (J - I) has eigenvalue
    alpha + (d-1) beta on the all-ones vector and alpha - beta on its complement.
    """
    from mesacheck.symbolic.symmetry import entry_type

    g, d = system.group, int(system.d)
    vals = {t: point.get(s, mpmath.mpf(0)) for t, s in zip(system.types, system.symbols)}
    with mpmath.workdps(st.WORK_DPS):
        A = mpmath.matrix(d, d)
        B = mpmath.matrix(d, d)
        for i in range(d):
            for j in range(d):
                A[i, j] = vals.get(entry_type(g, "K", d + i, j), 0)
                B[i, j] = vals.get(entry_type(g, "P", i, j), 0)
        trA = sum(A[i, i] for i in range(d))
        trB = sum(B[i, i] for i in range(d))
        nA, nB = mpmath.mnorm(A, "f"), mpmath.mnorm(B, "f")
        dist = mpmath.sqrt(max(1 - (trA * trB) ** 2 / (d**2 * nA**2 * nB**2), 0))
        eta = trA * trB / d**2
    others = {t.name(g.ncolours): mpmath.nstr(v, 12) for t, v in vals.items() if t.block not in ("A", "B") and v != 0}
    out = {"form": "yhat_t = B Ghat_t A x_t with Ghat_t = sum_{i<t} x_{i+1} x_i^H / (t-1): one step of "
                   "preconditioned gradient descent on the in-context least squares from W_0 = 0, "
                   "W_1 = B [sum_i x_{i+1} x_i^H] A / (t-1) (left output map B, right preconditioner A)",
           "A": _matrix_text(A, g), "B": _matrix_text(B, g),
           "eta_vanilla = tr A tr B / d^2": eta, "relative_distance_from_vanilla_gd": dist}
    if g.ncolours == 1:
        for name, M in (("A", A), ("B", B)):
            a, b = M[0, 0], (M[0, 1] if d > 1 else mpmath.mpf(0))
            out[f"{name}_eigenvalues"] = (f"{mpmath.nstr(a + (d - 1) * b, 15)} on the all-ones vector, "
                                         f"{mpmath.nstr(a - b, 15)} on its orthogonal complement")
            out[f"{name}_off / {name}_diag"] = b / a if a != 0 else mpmath.mpf(0)
    if others:
        out["other_nonzero_blocks"] = others
        out["form"] += " (plus the listed blocks: the predictor is then not of this form)"
    return out


def _matrix_text(M, g):
    d = M.rows
    if g.ncolours == 1 and d > 1:
        return f"{mpmath.nstr(M[0, 0], 15)} I + ({mpmath.nstr(M[0, 1], 15)}) (J - I)"
    if all(M[i, j] == 0 for i in range(d) for j in range(d) if i != j):
        return "diag(" + ", ".join(mpmath.nstr(M[i, i], 15) for i in range(d)) + ")"
    return "[" + "; ".join(", ".join(mpmath.nstr(M[i, j], 10) for j in range(d)) for i in range(d)) + "]"


def leading_root_in(el, var):
    """Dominant balance of the root s -> 0 of p(s) = sum c_k s^k (an
    :class:`~mesacheck.symbolic.stationary.Elimination`) as ``var`` -> oo: if
    deg_var c_1 = deg_var c_0 + g with g > 0 and every c_k s^k (k >= 2) is then of lower order,
    s ~ -LC(c_0) / (LC(c_1) var^g) (harmonic numbers count as order var^0: they grow like log).
    Returns (the leading term, a description) or None."""
    coeffs = el.coefficients()
    if var not in el.R.symbols or 0 not in coeffs or 1 not in coeffs:
        return None
    j = el.R.symbols.index(var)

    def deg_lc(c):
        top = max(m[j] for m in c.monoms())
        lc = el.R({m: v for m, v in c.terms() if m[j] == top})
        return top, lc.as_expr().xreplace(el.back) / var**top
    deg = {k: deg_lc(c)[0] for k, c in coeffs.items() if c != el.R.zero}
    g = deg[1] - deg[0]
    if g <= 0 or any(deg[k] - k * g >= deg[0] for k in deg if k >= 2):
        return None
    lead = sympy.factor(-deg_lc(coeffs[0])[1] / deg_lc(coeffs[1])[1]) / var**g
    return lead, (f"dominant balance c_0 + c_1 s = 0: deg c_0 = {deg[0]}, deg c_1 = {deg[1]}, and "
                  f"c_k s^k = O(var^(deg c_k - {g} k)) is of lower order for k >= 2")


def numeric_orbit(system, start, kappa0, max_steps=20000, tol=1e-4):
    """When no exact elimination applies: follow the entrywise flow from ``start`` (symbol ->
    number) by explicit Euler steps in mpmath (step halved whenever the loss rises, grown
    otherwise) until the field is below ``tol`` relative to its start, then polish with
    Gauss-Newton (:func:`mesacheck.symbolic.stationary.newton`) at the flow's kappa_0. The result
    is only reported with the certificate of :func:`mesacheck.symbolic.stationary.certificate`."""
    with mpmath.workdps(25):
        x = {s: mpmath.mpf(start.get(s, 0)) for s in system.symbols}
        mults = [mpmath.mpf(str(sympy.N(m, 25))) for m in system.mults]
        H = system.mp_hessian(x)
        n = len(mults)
        bound = max(sum(abs(H[i, j]) for j in range(n)) / mults[i] for i in range(n))
        h = 1 / bound
        loss = system.mp_loss(x)
        g0 = None
        for _ in range(max_steps):
            g = system.mp_gradient(x)
            field = [-gi / m for gi, m in zip(g, mults)]
            size = mpmath.sqrt(sum(f**2 for f in field))
            g0 = g0 or size
            if size <= tol * g0:
                break
            trial = {s: v + h * f for (s, v), f in zip(x.items(), field)}
            new_loss = system.mp_loss(trial)
            if new_loss > loss:
                h /= 2
                continue
            x, loss, h = trial, new_loss, h * 1.1
    return st.newton(system, x, kappa0)
