"""Numbers for a symmetry-reduced system: its entrywise field, Jacobian, and the lift to matrices.

A concrete :class:`~mesacheck.symbolic.reduced_system.ReducedSystem` (numbers for d, T and the
law's parameters) becomes numpy functions of the coordinate vector theta through
:func:`mesacheck.numeric.boundary.lambdify_checked` (free symbols checked against the declared
coordinates). :func:`lift` maps theta to the full (W^KQ, W^PV), so a reduced trajectory can be
compared entry by entry with the full flow.
"""
import numpy as np
import sympy

from mesacheck.errors import InputError, ReductionError
from mesacheck.numeric.boundary import lambdify_checked, to_float
from mesacheck.setting.params import Params
from mesacheck.symbolic.reduced_system import ReducedSystem, build_system, start_types
from mesacheck.symbolic.symmetry import SymmetryGroup, entry_type


class ReducedNumeric:
    """field(theta) = -(1/mult) grad L_red, its Jacobian, the loss, and the lift to Params."""

    def __init__(self, system):
        if not isinstance(system.d, int) or not isinstance(system.T, int):
            raise InputError("a numeric reduced system needs concrete d and T")
        self.system = system
        syms = system.symbols
        self.mults = np.array([to_float(sympy.sympify(m), "multiplicity") for m in system.mults])
        grads = system.gradient()
        self._grad = lambdify_checked(grads, syms, name="reduced_gradient")
        hess = [sympy.diff(g, s) for g in grads for s in syms]
        self._hess = lambdify_checked(hess, syms, name="reduced_hessian")
        self._loss = lambdify_checked([system.loss], syms, name="reduced_loss")
        self.n = len(syms)
        self._index = self._entry_index()

    def grad(self, theta):
        """dL_red / dtheta (not divided by the multiplicities)."""
        return self._grad(0.0, theta)

    def field(self, t, theta):
        """The entrywise flow: -(1/mult_k) dL_red/dtheta_k."""
        return -self._grad(0.0, theta) / self.mults

    def jac(self, t, theta):
        return -self._hess(0.0, theta).reshape(self.n, self.n) / self.mults[:, None]

    def loss(self, theta):
        return float(self._loss(0.0, theta)[0])

    def entry_grad_norm(self, theta):
        """Frobenius norm of the full (entrywise) gradient at lift(theta): each of the mult_k
        entries of type k has gradient (1/mult_k) dL_red/dtheta_k, the rest 0 by symmetry."""
        g = self._grad(0.0, theta) / self.mults
        return float(np.sqrt(np.sum(self.mults * g**2)))

    def _entry_index(self):
        g, d = self.system.group, self.system.d
        pos = {t: k for k, t in enumerate(self.system.types)}
        kq = np.full((2 * d, 2 * d), -1)
        pv = np.full((d, 2 * d), -1)
        for i in range(2 * d):
            for j in range(2 * d):
                kq[i, j] = pos.get(entry_type(g, "K", i, j), -1)
                if i < d:
                    pv[i, j] = pos.get(entry_type(g, "P", i, j), -1)
        return kq, pv

    def lift(self, theta):
        """Params with every entry set from its type (0 for entries outside the types)."""
        kq_i, pv_i = self._index
        th = np.concatenate([np.asarray(theta, float), [0.0]])
        return Params(th[kq_i], th[pv_i])

    def project(self, params):
        """theta from Params: the mean of each type's entries; and the residual norm of the entries
        that do not match the subspace (0 when the params lie on it)."""
        kq_i, pv_i = self._index
        theta = np.zeros(self.n)
        for k in range(self.n):
            vals = np.concatenate([params.kq[kq_i == k], params.pv[pv_i == k]])
            theta[k] = vals.mean() if vals.size else 0.0
        back = self.lift(theta)
        resid = np.sqrt(np.sum((params.kq - back.kq) ** 2) + np.sum((params.pv - back.pv) ** 2))
        return theta, float(resid)


def diagonal_group(dist, d):
    """The group used by the diagonal system: every coordinate its own colour, all sign flips (the
    law must be sign-symmetric in every coordinate, else the diagonal set is not invariant)."""
    from mesacheck.symbolic.symmetry import detect_symmetry

    g = detect_symmetry(dist, d)
    if len(g.flips) != g.ncolours:
        raise ReductionError(f"'{dist.spec}' is not sign-symmetric in every coordinate: the diagonal set "
                             "is not invariant (use the symmetric or full system)")
    return SymmetryGroup(d, [[j] for j in range(d)], set(range(d)), set(g.phases and range(d)),
                         {"note": "diagonal system: coordinates not identified"})


def reduced_numeric(dist, d, T, kind="symmetric", masked=False, support="start"):
    """A concrete ReducedNumeric for ``kind`` in {'symmetric', 'diagonal'}; ``support='start'``
    restricts it to the smallest invariant set containing the Assumption 3.1 start, ``'all'``
    keeps the whole fixed subspace."""
    from mesacheck.symbolic.reduced_system import masked_out
    from mesacheck.symbolic.subspace_loss import subspace_loss

    if kind == "symmetric":
        system = build_system(dist, d, T, masked=masked, symbolic=False)
    else:
        group = diagonal_group(dist, d)
        types = [t for t in group.types() if not (masked and masked_out(t))]
        symbols = [sympy.Dummy(t.name(group.ncolours), real=True) for t in types]
        sl = subspace_loss(dist, group, types, T, symbols)
        system = ReducedSystem(dist, group, types, symbols, [group.mult(t) for t in types], sl.R, sl.poly,
                               sl.back, d, T, masked, {})
    if support == "start":
        sup, _ = system.invariant_support(start_types(system.group))
        system = system.restrict(sup)
    return ReducedNumeric(system)
