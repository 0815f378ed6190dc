"""The symmetry-reduced entrywise flow, integrated: a second route to the full population flow.

Started on the fixed subspace of the law's symmetry group, the full flow stays there and its
type coordinates obey d theta_k / d tau = -(1/mult_k) dL_red/dtheta_k. This module integrates
that reduced ODE (exact coefficients from :mod:`mesacheck.symbolic.reduced_system`, numbers
through the boundary) with the same solver settings, time scale and convergence criterion as
:func:`mesacheck.numeric.flows.full_population_flow`, and lifts the result to (W^KQ, W^PV).
"""
import time

import numpy as np

from mesacheck.errors import InputError
from mesacheck.numeric import flows
from mesacheck.numeric.reduced_numeric import reduced_numeric
from mesacheck.setting.params import Params

#: reduced systems kept in the in-process cache.
_CACHE = {}


def reduced_system_numeric(dist, d, T, masked=False, kind="symmetric"):
    """A cached ReducedNumeric (support: the smallest invariant set containing the start)."""
    key = (dist.spec, d, T, masked, kind)
    if key not in _CACHE:
        _CACHE[key] = reduced_numeric(dist, d, T, kind=kind, masked=masked)
    return _CACHE[key]


def symmetric_flow(dist, d, T, init, masked=False, tau_max=None, t_eval=None, gtol=1e-7, abtol=1e-7,
                   kind="symmetric"):
    """Integrate the reduced entrywise flow from A = a0 I, B = b0 I (``init`` = (a0, b0)).

    Returns a FlowResult of kind 'symmetric' (or 'symmetric-masked', 'diagonal'); its
    ``limit_params`` are the lifted matrices and ``extra['theta']`` the final coordinates with
    ``extra['coordinates']`` their names.
    """
    start = time.perf_counter()
    dist = flows._dist(dist)
    d, T, tau_max = flows._check_common(d, T, tau_max)
    try:
        a0, b0 = (float(v) for v in init)
    except (TypeError, ValueError):
        raise InputError(f"init must be a pair (a0, b0), got {init!r}") from None
    rn = reduced_system_numeric(dist, d, T, masked, kind)
    theta0, resid = rn.project(Params.diagonal(d, a0, b0))
    if resid > 0:
        raise InputError("the start is not in the reduced system's subspace")
    sc = flows._Scales(dist, d, T)

    def summarize(y, key):
        p = rn.lift(y)
        if key == "ab":
            return p.ab()
        if key == "offdiag":
            return p.off_diagonal_norm()
        if key == "kappa":
            return float(np.sum(p.kq**2) - np.sum(p.pv**2))
        return rn.loss(y)

    fnorm = lambda y: float(np.linalg.norm(rn.field(0.0, y) * np.sqrt(rn.mults)))  # entrywise norm
    with flows.one_blas_thread():
        times, states, status, msg, conv, gn = flows._integrate(
            rn.field, theta0, flows.FULL_METHOD, 1e-10, 1e-13, rn.jac, sc, abs(a0 * b0), summarize, fnorm,
            tau_max, t_eval, gtol, abtol)
    name = kind + ("-masked" if masked else "")
    res = flows._result(name, dist, d, T, f"{flows.FULL_METHOD} (exact Jacobian), rtol 1e-10, atol 1e-13", times,
                        states, summarize, status, msg, conv, gn, sc, gtol, abtol, time.perf_counter() - start,
                        to_params=rn.lift,
                        extra={"masked": masked, "coordinates": rn.system.names, "theta": np.array(states[-1]),
                               "mults": rn.mults})
    res.extra["trajectory_theta"] = np.array(states)
    return res
