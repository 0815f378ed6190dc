"""A symmetry-reduced system: the fixed subspace of a law's symmetry group, the exact loss on it and
the entrywise gradient flow it carries.

Coordinates are the types of :mod:`mesacheck.symbolic.symmetry`: type k stands for ``mult[k]``
matrix entries that move together, so the entrywise flow d theta / d tau = -grad L reads, on the
subspace,

    d theta_k / d tau = -(1 / mult_k) dL_red / d theta_k,

L_red(theta) = L(lift(theta)) (each entry's gradient is dL_red/dtheta_k divided by the number of
entries it shares theta_k with). It is *not* the gradient flow of L_red. The rescaling
W^KQ -> c W^KQ, W^PV -> W^PV / c leaves L invariant; its conserved quantity under the entrywise
flow is kappa = ||W^KQ||_F^2 - ||W^PV||_F^2 = sum_K mult theta^2 - sum_P mult theta^2.

The loss is held as a sparse polynomial over QQ (:mod:`sympy.polys.rings`); SymPy expressions
are produced on demand. Every engine-internal symbol (coordinates, d, T) is a ``sympy.Dummy``.
"""
from dataclasses import dataclass, field

import mpmath
import sympy
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

from mesacheck.errors import BudgetError, InputError
from mesacheck.symbolic.subspace_loss import subspace_loss
from mesacheck.symbolic.symmetry import ParamType, detect_symmetry

T_DUMMY = sympy.Dummy("T", integer=True, positive=True)
D_DUMMY = sympy.Dummy("d", integer=True, positive=True)
#: largest T - 2 for which concrete systems are built with exact harmonic numbers.
MAX_EXACT_T = 20000


def exact_harmonic(n, q=1):
    """H_n^(q) as a SymPy Rational (binary splitting; sympy.harmonic(9998, 2) takes seconds)."""
    from mesacheck.symbolic.lattice_classes import _harmonic

    if n > MAX_EXACT_T:
        raise BudgetError(f"exact harmonic numbers H_{n} are too large (T - 2 <= {MAX_EXACT_T}); "
                          "use T = oo for the limit")
    v = _harmonic(int(n), int(q))
    return sympy.Rational(v.numerator, v.denominator)


def substitute(expr, subs):
    """``expr.subs(subs)`` with harmonic numbers of the substituted T evaluated fast and exactly."""
    repl = {}
    for h in expr.atoms(sympy.harmonic):
        n = h.args[0].subs(subs)
        if n.is_Integer:
            repl[h] = exact_harmonic(n, h.args[1] if len(h.args) > 1 else 1)
    return expr.xreplace(repl).subs(subs)


def start_types(group):
    """The types that are nonzero at the Assumption 3.1 start: diag(A) and diag(B) per colour."""
    out = []
    for c in range(group.ncolours):
        out += [ParamType("K", 1, 0, c, c, True), ParamType("P", 0, 0, c, c, True)]
    return out


def masked_out(t):
    """Whether the masked flow holds this type at zero (off-diagonal entries of A and B)."""
    return (not t.same) and ((t.mat == "K" and (t.s1, t.s2) == (1, 0)) or (t.mat == "P" and t.s2 == 0))


def zero_generators(poly, indices):
    """``poly`` with the generators at ``indices`` set to 0 (drops the terms that contain them)."""
    if not indices:
        return poly
    return poly.ring({m: c for m, c in poly.terms() if all(m[k] == 0 for k in indices)})


def mp_eval(poly, gens, point):
    """A ring polynomial at ``point`` (generator -> mpf; absent generators 0), in mpmath."""
    idx = [point.get(g) for g in gens]
    total = mpmath.mpf(0)
    for monom, coeff in poly.terms():
        term = mpmath.mpf(coeff.numerator) / coeff.denominator if hasattr(coeff, "numerator") else mpmath.mpf(str(coeff))
        for v, e in zip(idx, monom):
            if e:
                if v is None:
                    term = 0
                    break
                term *= v**e
        total += term
    return total


@dataclass
class ReducedSystem:
    """Loss, ODE and conserved quantity on span(types); ``poly`` lives in ring ``R`` whose first
    generators are the coordinates (``symbols``), ``back`` restores harmonic numbers."""

    dist: object
    group: object
    types: list
    symbols: list
    mults: list
    R: object
    poly: object
    back: dict
    d: object
    T: object
    masked: bool = False
    info: dict = field(default_factory=dict)

    @property
    def names(self):
        return [t.name(self.group.ncolours) for t in self.types]

    @property
    def gens(self):
        return self.R.gens[: len(self.symbols)]

    @property
    def loss(self):
        """The loss as a SymPy expression."""
        return self.poly.as_expr().xreplace(self.back)

    def _expr(self, p):
        return p.as_expr().xreplace(self.back)

    def grad_polys(self):
        return [self.poly.diff(g) for g in self.gens]

    def gradient(self):
        """dL_red/dtheta_k for every coordinate (SymPy, expanded)."""
        return [self._expr(p) for p in self.grad_polys()]

    def field(self):
        """The entrywise flow: d theta_k / d tau = -(1/mult_k) dL_red / d theta_k."""
        return [-g / m for g, m in zip(self.gradient(), self.mults)]

    def kappa(self):
        """sum_K mult theta^2 - sum_P mult theta^2 (conserved: rescaling symmetry)."""
        return sum((m * s**2 * (1 if t.mat == "K" else -1) for t, m, s in zip(self.types, self.mults, self.symbols)),
                   sympy.Integer(0))

    def kappa_rate(self):
        """d kappa / d tau along the entrywise flow, exactly: sum_k (2 mult_k theta_k sign_k) x
        (-(1/mult_k) dL/dtheta_k); the mults cancel, leaving -2 (sum_K - sum_P) theta dL/dtheta."""
        total = self.R.zero
        for t, g in zip(self.types, self.gens):
            total += (2 if t.mat == "K" else -2) * g * self.poly.diff(g)
        return -self._expr(total)

    def restrict(self, keep):
        """The system on a subset of the types (the others held at 0)."""
        keep = set(keep)
        idx = [k for k, t in enumerate(self.types) if t in keep]
        poly = zero_generators(self.poly, [k for k in range(len(self.gens)) if k not in idx])
        return ReducedSystem(self.dist, self.group, [self.types[k] for k in idx], [self.symbols[k] for k in idx],
                             [self.mults[k] for k in idx], *self._rering(poly, [self.symbols[k] for k in idx]),
                             self.d, self.T, self.masked, dict(self.info))

    def _rering(self, poly, symbols):
        """(R, poly, back) with the coordinates ``symbols`` as the first generators."""
        expr = poly.as_expr()
        others = [g for g in self.R.symbols[len(self.symbols):]]
        R2, *_ = ring([*symbols, *others], self.R.domain)
        return R2, R2(expr), dict(self.back)

    def at(self, d=None, T=None):
        """The system at concrete d and/or T (exact: harmonic numbers become rationals)."""
        values = {}
        if d is not None and not isinstance(self.d, int):
            values[self.d] = d
        if T is not None and not isinstance(self.T, int):
            values[self.T] = T
            for h, hv in self.back.items():
                values[h] = exact_harmonic(T - 2, hv.args[1] if len(hv.args) > 1 else 1)
        if not values:
            return self
        if self.R.domain == QQ:
            poly = self.poly
            for g, sym in zip(self.R.gens, self.R.symbols):
                if sym in values:
                    poly = poly.subs(g, QQ(values[sym].p, values[sym].q) if hasattr(values[sym], "p")
                                     else QQ(int(values[sym])))
            others = [s for s in self.R.symbols[len(self.symbols):] if s not in values]
            R2, *_ = ring([*self.symbols, *others], QQ)
            poly = R2(poly.as_expr())
        else:
            expr = substitute(self.loss, {k: v for k, v in values.items() if k in (self.d, self.T)})
            from mesacheck.symbolic.stationary import hide_harmonics

            expr, _ = hide_harmonics(expr)
            others = sorted(expr.free_symbols - set(self.symbols), key=sympy.default_sort_key)
            R2, *_ = ring(list(self.symbols), QQ.frac_field(*others) if others else QQ)
            poly = R2(sympy.expand(expr))
        mults = [sympy.sympify(m).subs(values) for m in self.mults]
        group = detect_symmetry(self.dist, d) if (d is not None and not isinstance(self.d, int)) else self.group
        back = {} if T is not None else dict(self.back)
        return ReducedSystem(self.dist, group, list(self.types), list(self.symbols), mults, R2, poly, back,
                             d if d is not None else self.d, T if T is not None else self.T, self.masked,
                             dict(self.info))

    def invariant_support(self, start):
        """The smallest set of types containing ``start`` on whose span the flow stays: add every
        type whose gradient does not vanish identically when all types outside the set are 0.
        Returns (support, steps) with the types added at each step."""
        support = [t for t in self.types if t in set(start)]
        steps = [list(support)]
        grads = dict(zip(self.types, self.grad_polys()))
        while True:
            outside = [k for k, t in enumerate(self.types) if t not in set(support)]
            new = [t for t in self.types if t not in set(support) and zero_generators(grads[t], outside) != self.R.zero]
            if not new:
                return support, steps
            support += new
            steps.append(new)

    # -- mpmath evaluation (concrete systems) --------------------------------------------------
    def mp_point(self, values):
        """{ring generator: mpf} from {symbol: value}."""
        return {g: mpmath.mpf(values[s]) if s in values else mpmath.mpf(0) for g, s in zip(self.gens, self.symbols)}

    def mp_loss(self, values):
        return mp_eval(self.poly, self.R.gens, self.mp_point(values))

    def mp_gradient(self, values):
        pt = self.mp_point(values)
        return [mp_eval(p, self.R.gens, pt) for p in self.grad_polys()]

    def mp_hessian(self, values):
        pt = self.mp_point(values)
        grads = self.grad_polys()
        n = len(self.gens)
        H = mpmath.matrix(n, n)
        for i in range(n):
            for j in range(i, n):
                H[i, j] = H[j, i] = mp_eval(grads[i].diff(self.gens[j]), self.R.gens, pt)
        return H


def build_system(dist, d, T, masked=False, symbolic=True):
    """The reduced system of ``dist`` on its symmetry-fixed subspace.

    ``symbolic``: derive in symbolic T, and in symbolic d when the law is exchangeable (one colour
    of symbolic size); the concrete (d, T) are then substituted with :meth:`ReducedSystem.at`.
    ``masked``: drop the off-diagonal types of A and B (the masked flow holds them at zero).
    """
    if not isinstance(d, int) or d < 1:
        raise InputError(f"d must be a concrete integer >= 1, got {d!r}")
    dist.for_dim(d)
    sym_d = symbolic and dist.is_exchangeable and dist.name not in ("mixture", "generic")
    dd = D_DUMMY if sym_d else d
    TT = T_DUMMY if symbolic else T
    group = detect_symmetry(dist, dd)
    types = [t for t in group.types() if not (masked and masked_out(t))]
    symbols = [sympy.Dummy(t.name(group.ncolours), real=True) for t in types]
    sl = subspace_loss(dist, group, types, TT, symbols)
    return ReducedSystem(dist, group, types, symbols, [group.mult(t) for t in types], sl.R, sl.poly, sl.back,
                         dd, TT, masked, {"quad_terms": sl.quad_terms, "lin_terms": sl.lin_terms,
                                          "symbolic_d": sym_d})
