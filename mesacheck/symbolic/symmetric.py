"""``derive_symmetric``: the symmetry-reduced entrywise flow of a law, derived.

1. The law's symmetry group (coordinate permutations, sign flips, phase rotations), found from its
   definition and checked on its moments (:mod:`mesacheck.symbolic.symmetry`).
2. The fixed subspace of parameters and the exact loss on it, symbolic in T, and in d for an
   exchangeable law (:mod:`mesacheck.symbolic.reduced_system`).
3. The entrywise flow there (d theta_k / d tau = -(1/mult_k) dL/dtheta_k), its conserved quantity,
   and the smallest invariant set of types containing the Assumption 3.1 start.
4. At the given (d, T): the stationary orbits on that set (exact algebraic numbers), their
   stability, the limit reached from ``init`` to 30 digits with a certificate, and the predictor
   it defines (one step of preconditioned GD), with its distance from vanilla one-step GD.
5. How the limit behaves as T and d grow (dominant balance on the stationary polynomial, and a
   table of exact limits).
"""
import mpmath
import sympy

from mesacheck.errors import InputError
from mesacheck.symbolic import stationary as st
from mesacheck.symbolic import symmetric_analysis as sa
from mesacheck.symbolic.derivation import Derivation
from mesacheck.symbolic.reduced_system import build_system, exact_harmonic, start_types
from mesacheck.symbolic.symmetry import BLOCK_TITLES

#: (d, T) grid of the growth table (exchangeable laws with a two-coordinate W^PV support).
GROWTH_D = (2, 3, 5, 10, 20)
GROWTH_T = (10, 100, 1000, 10000)


def _is_infinite(T):
    return T is sympy.oo or (isinstance(T, str) and T.strip().lower() in ("oo", "inf", "infinity"))


def derive_symmetric(dist, d, T, masked=False, init=(0.5, 1.5), growth=True):
    """Derivation of the symmetry-reduced flow of ``dist`` (see module docstring).

    ``d``: int >= 1; ``T``: int >= 3 or 'oo'; ``masked``: the masked flow (off-diagonal entries of
    A and B held at 0); ``init``: (a0, b0) of the start A = a0 I, B = b0 I (the limit depends on
    it only through kappa_0 = d (a0^2 - b0^2) and the sign of b0).
    """
    limit_T = _is_infinite(T)
    if not limit_T and (not isinstance(T, int) or T < 3):
        raise InputError(f"T must be an integer >= 3 or 'oo', got {T!r}")
    system = build_system(dist, d, T, masked=masked, symbolic=True)
    der = Derivation("Symmetry-reduced entrywise flow" + (" (masked)" if masked else ""),
                     {"dist": dist.spec, "d": d, "T": "oo" if limit_T else T, "masked": masked,
                      "init": f"A = {init[0]:g} I, B = {init[1]:g} I"})
    g = system.group
    der.add("group", "Symmetry group of the law (generators checked on every moment of order <= 3+3)",
            g.describe())
    der.add("group_check", "How the group was found", str(g.source))
    sym_d = system.info["symbolic_d"]
    der.add("fixed_subspace", "Fixed subspace: coordinates (types) and how many entries each stands for"
            + (" (d symbolic)" if sym_d else ""),
            {f"{n} ({BLOCK_TITLES[t.block]}, {'diagonal' if t.same else 'off-diagonal'})": sympy.sympify(m)
             for n, t, m in zip(system.names, system.types, system.mults)})
    der.add("loss_fixed", "Population loss on the fixed subspace (exact, harmonic numbers H of T - 2; "
            "the closed form holds for every integer T >= 5)", system.loss, "L")
    der.add("ode_fixed", "Entrywise flow on the fixed subspace: d theta_k/d tau = -(1/mult_k) dL/dtheta_k",
            {f"d{n}/dtau": f for n, f in zip(system.names, system.field())})
    der.add("conserved", f"Conserved quantity kappa = ||W^KQ||^2 - ||W^PV||^2 (its d/dtau = {system.kappa_rate()})",
            system.kappa(), r"\kappa")
    support, steps = system.invariant_support(start_types(g))
    sub = system.restrict(support)
    der.add("support", "Smallest invariant set of types containing the start (types added per step)",
            [", ".join(t.name(g.ncolours) for t in step) for step in steps])
    der.add("loss_support", "Loss on that invariant set", sub.loss, "L")
    der.add("ode_support", "Entrywise flow on that invariant set",
            {f"d{t.name(g.ncolours)}/dtau": sympy.factor_terms(f) for t, f in zip(sub.types, sub.field())})
    off = [s for t, s in zip(sub.types, sub.symbols) if not t.same]
    if off:
        vanilla = {s: 0 for s in off}
        der.add("vanilla_gradients", "Gradients of the off-diagonal coordinates at the vanilla point "
                "(off-diagonal coordinates 0): nonzero, so no vanilla stationary point off the axes",
                {f"dL/d{t.name(g.ncolours)}": sympy.factor(sympy.diff(sub.loss, s).xreplace(vanilla))
                 for t, s in zip(sub.types, sub.symbols) if not t.same})
    if growth and sym_d:
        _growth(der, sub)
    if limit_T:
        der.notes.append("T = oo: the loss grows with T; see the growth results for the limit of the learned "
                         "predictor as T -> oo.")
        return der
    conc = sub.at(d=d if sym_d else None, T=T)
    full_conc = system.at(d=d if sym_d else None, T=T)
    _stationary(der, conc, full_conc, d, init)
    return der


def _stationary(der, conc, full_conc, d, init):
    """Stationary orbits at concrete (d, T), the limit from ``init`` with its certificate."""
    found = sa.orbits(conc)
    a0, b0 = init
    kappa0 = d * (a0**2 - b0**2)
    if not found:
        start = {s: (a0 if t.mat == "K" else b0) for t, s in zip(conc.types, conc.symbols) if t.same}
        pt = sa.numeric_orbit(conc, start, kappa0)
        found = [{"point": pt, "how": "numeric: the entrywise flow from the start (mpmath Euler), polished by "
                  "Gauss-Newton at the start's kappa (no exact elimination for this many coordinates)"}]
    rows, best = {}, None
    for k, o in enumerate(found):
        if "point" in o:
            pt = o["point"]
        else:
            gauge = sa.mp_point(o["gauge"], conc.symbols)
            pt = sa.scaled_point(conc, gauge, kappa0, sign=1 if b0 >= 0 else -1)
        eig = sa.jacobian_eigenvalues(conc, pt)
        verdict = sa.stability(eig)
        loss = conc.mp_loss(pt)
        rows[f"orbit {k + 1}"] = (f"{o['how']}; loss {mpmath.nstr(loss, 20)}; {verdict}; field Jacobian "
                                  f"eigenvalues {[mpmath.nstr(e, 6) for e in eig]}")
        # The flow keeps the diagonal entries' signs (a0 on A, b0 on B) in every case we checked
        # against the full flow; among stable orbits with those signs take the lowest loss.
        signs_ok = all(mpmath.sign(pt[v]) == (mpmath.sign(a0) if t.mat == "K" else mpmath.sign(b0))
                       for t, v in zip(conc.types, conc.symbols) if t.same and t.block in ("A", "B"))
        if verdict.startswith("stable") and signs_ok and (best is None or loss < best[1]):
            best = (o, loss, pt, eig)
    der.add("stationary_orbits", "Stationary orbits with W^PV != 0 on the invariant set (the origin is "
            "the other stationary point: a saddle)", rows)
    if best is None:
        der.notes.append("No stable stationary orbit with the start's diagonal signs on the invariant set.")
        return
    o, loss, pt, eig = best
    if "root" in o:
        der.add("stationary_root", "The stable orbit's s = (B off-diagonal)/(B diagonal), exactly", o["root"], "s^*")
    cert, rounded = st.certificate(full_conc, {**{s: mpmath.mpf(0) for s in full_conc.symbols}, **pt})
    der.add("limit", f"Limit of the flow from A = {a0:g} I, B = {b0:g} I (kappa_0 = {kappa0:g}), 30 digits",
            {n: sympy.Float(mpmath.nstr(rounded[s], st.DIGITS), st.DIGITS) for n, s in zip(full_conc.names, full_conc.symbols)
             if rounded[s] != 0})
    der.add("certificate", "max_k |(1/mult_k) dL/dtheta_k| at the reported 30-digit point (mpmath, 60 digits; "
            f"must be < {mpmath.nstr(st.CERT_TOL, 3)})", sympy.Float(mpmath.nstr(cert, 5), 5))
    der.add("certified", "Certificate below 1e-25", bool(cert < st.CERT_TOL))
    der.add("limit_loss", "Loss at the limit", sympy.Float(mpmath.nstr(loss, st.DIGITS), st.DIGITS))
    full_eig = sa.jacobian_eigenvalues(full_conc, {**{s: mpmath.mpf(0) for s in full_conc.symbols}, **rounded})
    der.add("stability_fixed", "Stability in the whole fixed subspace (field Jacobian eigenvalues)",
            f"{sa.stability(full_eig)}: {[mpmath.nstr(e, 6) for e in full_eig]}")
    pred = sa.predictor(full_conc, rounded)
    der.add("predictor", "The learned predictor", {k: (mpmath.nstr(v, 15) if isinstance(v, mpmath.mpf) else v)
                                                    for k, v in pred.items()})


def _growth(der, sub):
    """As T and d grow: dominant balance on the stationary polynomial (symbolic d, T), and a table
    of exact limits (gauge invariants s, r = A_off/A_diag, u = A_diag B_diag, distance)."""
    xs, _, ys, _ = sa.split_xy(sub)
    if len(ys) != 2 or len(xs) > 2:
        return
    el = st.eliminate(sub.loss, xs, ys)
    p = el.p
    der.add("stationary_polynomial", "Stationary polynomial p(s) in s = B_off / B_diag (gauge B_diag = 1), "
            "symbolic in d and T: its real roots are the stationary orbits", p.as_expr(), "p(s)")
    for var, label in ((sub.T, "T"), (sub.d, "d")):
        lead = sa.leading_root_in(el, var)
        if lead is not None:
            der.add(f"root_as_{label}_grows", f"The root s -> 0 as {label} -> oo (other parameters fixed): {lead[1]}",
                    lead[0], "s^*")
    table = {}
    with mpmath.workdps(st.WORK_DPS):
        for dv in GROWTH_D:
            for Tv in GROWTH_T:
                values = {sub.d: dv, sub.T: Tv}
                for holder, h in el.back.items():
                    values[holder] = exact_harmonic(Tv - 2, h.args[1] if len(h.args) > 1 else 1)
                values = {k: mpmath.mpf(v.p) / v.q if hasattr(v, "p") else mpmath.mpf(v) for k, v in values.items()}
                coeffs, x_of = el.numeric(values)
                roots = [r.real for r in mpmath.polyroots(coeffs, maxsteps=400, extraprec=400)
                         if abs(r.imag) <= mpmath.mpf(10) ** (-st.WORK_DPS // 2)]
                cells = []
                for r in sorted(roots):
                    xv = x_of(r)
                    rr = xv[1] / xv[0] if len(xv) == 2 else mpmath.mpf(0)
                    dist = mpmath.sqrt(1 - 1 / ((1 + (dv - 1) * rr**2) * (1 + (dv - 1) * r**2)))
                    cells.append(f"s={mpmath.nstr(r, 6)}, r={mpmath.nstr(rr, 6)}, u=A_diag*B_diag={mpmath.nstr(xv[0], 8)}, "
                                 f"dist={mpmath.nstr(dist, 4)}")
                table[f"d={dv}, T={Tv}"] = "; ".join(cells)
    der.add("growth_table", "Stationary orbits for growing d and T (real roots of p by mpmath.polyroots at "
            f"{st.WORK_DPS} digits; s = B_off/B_diag, r = A_off/A_diag, u = A_diag B_diag, dist = relative "
            "distance of B (x) A from vanilla GD)", table)


def derive_symmetric_cli(dist, d, T):
    """Entry point of ``mesacheck derive symmetric``: (Derivation, extra JSON fields)."""
    if not isinstance(d, int):
        raise InputError("--d: give a concrete d; the derivation is symbolic in d itself where the law allows")
    return derive_symmetric(dist, d, T), {}
