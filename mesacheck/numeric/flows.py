"""Gradient flows d theta/d tau = -grad L(theta), integrated with scipy's ``solve_ivp``.

Four flows, each returning a :class:`FlowResult`:

* :func:`reduced_flow` - the 2-D flow of (a, b) on the set {A = aI, B = bI, rest 0}, from the
  exact coefficients Q, R of :func:`mesacheck.symbolic.reduced.structured_coefficients`.
  Method: Radau (implicit, order 5) with the exact Jacobian, rtol 1e-10, atol 1e-14.
* :func:`full_population_flow` - every entry of W^KQ and W^PV under the exact population
  gradient (dense tensors built by symmetry class, :mod:`mesacheck.numeric.class_tensors`;
  any d whose (2d)^6 tensors fit the memory budget).
  Method: LSODA with the exact Hessian as Jacobian, rtol 1e-10, atol 1e-13.
* masked flows (``masked=True``) - the same, with the vector field's off-diagonal A and B
  components set to zero and the start projected onto that set (the small-step limit of the
  reference program's zeroing after each step).
* :func:`empirical_flow` - the same ODE with the gradient of the empirical loss on m sampled
  sequences (``model.loss_and_grad``). Method: RK45, rtol 1e-6, atol 1e-9 (the sampling error
  of ab is orders of magnitude above that).

Time scale and stopping: tau_0 = d / R is the time constant of the unstable direction at the
origin (eigenvalue R/d). Without ``tau_max`` the flow is integrated on [0, tau_1], then doubled
([tau_1, 2 tau_1], ...) until converged or a cap, tau_1 = tau_0 (4 + log(u*/u_0)) covering the
escape from a small start. Convergence criterion (stated in every result):
||F(theta_end)|| <= gtol * (R/d) * sqrt(|u*|)  (the field in its natural units: rate times
parameter scale) and |ab(tau_end) - ab(tau_end/2)| <= abtol * |u*| (ab settled over the last
doubling of tau).
"""
from contextlib import contextmanager
from dataclasses import dataclass, field
import math
import time

import numpy as np
from scipy.integrate import solve_ivp
from threadpoolctl import threadpool_limits

from mesacheck.errors import InputError
from mesacheck.numeric import boundary
from mesacheck.setting.distributions import Distribution, parse_dist
from mesacheck.setting.model import ProcessBatch, loss_and_grad, loss_only
from mesacheck.setting.params import Params
from mesacheck.setting.validate import check_int, check_positive

#: tensors kept in the in-process cache (the oldest is dropped first).
TENSOR_CACHE_SIZE = 4
#: samples of the trajectory summaries per integration chunk.
SAMPLES_PER_CHUNK = 40
#: doublings of tau after the first chunk before giving up.
MAX_DOUBLINGS = 40
#: solver of the empirical flow (stiff late phase: slow off-set modes beside fast ones).
EMPIRICAL_METHOD = "LSODA"
#: solver of the exact full flow: LSODA (Adams while non-stiff, BDF with the exact Hessian once
#: the slow off-set modes make the problem stiff).
FULL_METHOD = "LSODA"


@contextmanager
def one_blas_thread():
    """Run small dense linear algebra on one BLAS thread: the ODE solvers make thousands of small
    calls, and on a shared 2-core machine BLAS threads oversubscribe (measured: 15x slower)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@dataclass
class FlowResult:
    """A gradient-flow trajectory summarised: times and per-time summaries, the limit and verdict.

    ``ab``: mean_j Re A_jj B_jj; ``offdiag``: Frobenius norm of every entry except diag(A),
    diag(B) (distance from the structured set, all blocks); ``kappa``: the conserved quantity
    (a^2 - b^2 for the reduced flow, ||W^KQ||_F^2 - ||W^PV||_F^2 otherwise); ``loss``: L(theta).
    """

    kind: str
    dist: str
    d: int
    T: int
    method: str
    times: np.ndarray
    ab: np.ndarray
    offdiag: np.ndarray
    kappa: np.ndarray
    loss: np.ndarray
    status: str = "ok"
    message: str = ""
    converged: bool = False
    criterion: str = ""
    grad_norm: float = float("nan")
    u_star: float = float("nan")
    limit_params: Params = None
    limit_state: np.ndarray = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def kappa_drift(self):
        """max_tau |kappa(tau) - kappa(0)| over the samples."""
        return float(np.max(np.abs(self.kappa - self.kappa[0]))) if len(self.kappa) else float("nan")

    @property
    def ab_limit(self):
        """ab at the last time reached."""
        return float(self.ab[-1])

    def ab_at(self, tau):
        """ab interpolated (linearly between samples) at the times ``tau``."""
        return np.interp(tau, self.times, self.ab)

    def to_json_dict(self, trajectory=True):
        """Plain dict for :mod:`mesacheck.output.jsonout` (trajectory arrays optional)."""
        out = {
            "kind": self.kind, "dist": self.dist, "d": self.d, "T": self.T, "method": self.method,
            "status": self.status, "message": self.message, "converged": self.converged,
            "criterion": self.criterion, "tau_end": float(self.times[-1]),
            "ab_limit": self.ab_limit, "u_star_theory": self.u_star,
            "offdiag_end": float(self.offdiag[-1]), "offdiag_max": float(np.max(self.offdiag)),
            "kappa_drift": self.kappa_drift, "loss_end": float(self.loss[-1]),
            "grad_norm_end": self.grad_norm,
            # Wall-clock times stay out of the JSON so that equal commands give identical output.
            **{k: v for k, v in self.extra.items() if not k.endswith("seconds")},
        }
        if self.limit_params is not None:
            out["limit_W_KQ"] = self.limit_params.kq.real.tolist()
            out["limit_W_PV"] = self.limit_params.pv.real.tolist()
        if trajectory:
            out["trajectory"] = {"tau": self.times, "ab": self.ab, "offdiag": self.offdiag,
                                 "kappa": self.kappa, "loss": self.loss}
        return out


def _dist(dist):
    dist = dist if isinstance(dist, Distribution) else parse_dist(dist)
    if dist.is_symbolic:
        raise InputError(f"'{dist.spec}' has symbolic parameters: a flow needs numbers")
    return dist


_SCALES_CACHE = {}


def _Scales(dist, d, T):  # noqa: N802 - kept as the constructor name used throughout
    """Cached :class:`_ScalesImpl` per (law, d, T): the exact structured coefficients are derived once."""
    key = (dist.spec, d, T)
    if key not in _SCALES_CACHE:
        _SCALES_CACHE[key] = _ScalesImpl(dist, d, T)
    return _SCALES_CACHE[key]


class _ScalesImpl:
    """u* = R/Q (from the structured coefficients), tau_0 = d/R, field scale (R/d) sqrt|u*|."""

    def __init__(self, dist, d, T):
        from mesacheck.symbolic.reduced import structured_coefficients

        Q, R, C, _ = structured_coefficients(dist, d, T)
        self.Qx, self.Rx, self.Cx = Q, R, C
        self.rhs = boundary.reduced_rhs(Q, R, d)
        self.C = boundary.to_float(C, "C")
        self.u_star = self.rhs.u_star
        rate = abs(self.rhs.R) / d if self.rhs.R != 0 else abs(self.rhs.Q) / d
        self.tau0 = 1.0 / rate
        self.field_scale = rate * math.sqrt(max(abs(self.u_star), 1e-12))
        self.u_scale = max(abs(self.u_star), 1e-12)

    def tau_first(self, u0):
        return self.tau0 * (4.0 + max(0.0, math.log(self.u_scale / max(abs(u0), 1e-300))))


def _criterion(gtol, abtol, sc):
    return (f"||F(theta_end)|| <= {gtol:g} * (R/d) * sqrt|u*| = {gtol * sc.field_scale:.3g} and "
            f"|ab(tau_end) - ab(tau_end/2)| <= {abtol:g} * |u*| = {abtol * sc.u_scale:.3g}")


def _integrate(fun, y0, method, rtol, atol, jac, sc, u0, summarize, fnorm, tau_max, t_eval,
               gtol, abtol, progress=None):
    """Integrate until converged (chunks of doubling length) or exactly to ``tau_max``.

    Returns (times, states, status, message, converged, grad_norm).
    """
    opts = {"method": method, "rtol": rtol, "atol": atol}
    if jac is not None:
        opts["jac"] = jac
    times, states = [0.0], [np.asarray(y0, float)]
    status, message = "ok", ""

    def run(t0, t1, y, grid):
        sol = solve_ivp(fun, (t0, t1), y, t_eval=grid, **opts)
        ok = sol.success and sol.y.shape[1] == len(grid) and np.all(np.isfinite(sol.y))
        return sol, ok

    def settled(y_mid, y_end):
        gn = fnorm(y_end)
        du = abs(summarize(y_end, "ab") - summarize(y_mid, "ab"))
        return gn <= gtol * sc.field_scale and du <= abtol * sc.u_scale, gn

    with np.errstate(over="ignore", invalid="ignore"):
        if tau_max is not None:
            grid = np.unique(np.concatenate([
                np.linspace(0.0, tau_max, 4 * SAMPLES_PER_CHUNK + 1)[1:] if t_eval is None
                else np.asarray(t_eval, float), [tau_max / 2, tau_max]]))
            grid = grid[(grid > 0) & (grid <= tau_max)]
            sol, ok = run(0.0, tau_max, states[0], grid)
            if not ok:
                return times, states, "failed", sol.message or "non-finite state", False, float("nan")
            times.extend(sol.t.tolist())
            states.extend(sol.y.T)
            mid = states[int(np.argmin(np.abs(np.array(times) - tau_max / 2)))]
            conv, gn = settled(mid, states[-1])
            return times, states, "ok" if conv else "not converged", message, conv, gn
        t0, t1 = 0.0, sc.tau_first(u0)
        for k in range(MAX_DOUBLINGS + 1):
            grid = np.linspace(t0, t1, SAMPLES_PER_CHUNK + 1)[1:]
            if k == 0:  # the escape from the start is fast: resolve it on a geometric grid too
                grid = np.unique(np.concatenate([np.geomspace(t1 * 1e-4, t1, SAMPLES_PER_CHUNK), grid]))
            sol, ok = run(t0, t1, states[-1], grid)
            if not ok:
                return times, states, "failed", sol.message or "non-finite state", False, float("nan")
            y_mid = states[-1]
            times.extend(sol.t.tolist())
            states.extend(sol.y.T)
            conv, gn = settled(y_mid, states[-1])
            if progress is not None:
                progress(k, t1, gn)
            if conv and k >= 1:
                return times, states, "ok", message, True, gn
            t0, t1 = t1, 2.0 * t1
        return times, states, "not converged", f"cap tau = {t0:.3g} reached", False, gn


def _result(kind, dist, d, T, method, times, states, summarize, status, message, conv, gn, sc,
            gtol, abtol, seconds, to_params=None, extra=None):
    cols = {key: np.array([summarize(y, key) for y in states]) for key in ("ab", "offdiag", "kappa", "loss")}
    return FlowResult(
        kind=kind, dist=dist.spec, d=d, T=T, method=method, times=np.array(times), **cols,
        status=status, message=message, converged=conv, criterion=_criterion(gtol, abtol, sc),
        grad_norm=float(gn), u_star=sc.u_star, limit_state=np.array(states[-1]),
        limit_params=to_params(states[-1]) if to_params else None, seconds=seconds,
        extra=extra or {})


def _check_common(d, T, tau_max):
    d, T = check_int("d", d, 1), check_int("T", T, 3)
    if tau_max is not None:
        tau_max = check_positive("tau_max", tau_max)
    return d, T, tau_max


# -- (i) reduced flow ---------------------------------------------------------------------------
def reduced_flow(dist, d, T, a0, b0, tau_max=None, t_eval=None, gtol=1e-9, abtol=1e-9, masked=False):
    """Integrate the reduced flow of (a, b) from (a0, b0); see the module docstring.

    ``tau_max``: integrate exactly to it (then ``t_eval`` may give the sample times); None: run to
    convergence. ``extra['on_stable_manifold']`` records a0 + b0 == 0 (then ab -> 0, the saddle).
    Refuses (ReductionError) a law for which A = aI, B = bI is not invariant under the (masked, if
    ``masked``) population flow: the reduced flow would not be the flow of the model.
    """
    start = time.perf_counter()
    dist = _dist(dist)
    d, T, tau_max = _check_common(d, T, tau_max)
    a0, b0 = float(a0), float(b0)
    if not (math.isfinite(a0) and math.isfinite(b0)):
        raise InputError(f"init must be finite, got ({a0}, {b0})")
    from mesacheck.symbolic.reductions import SCALAR, require

    require(dist, d, T, SCALAR, masked)
    sc = _Scales(dist, d, T)
    rhs = sc.rhs

    # integrated in (p, q) = (a + b, a - b), where the saddle's stable manifold p = 0 is exactly
    # invariant in floating point (see boundary.ReducedRHS); summaries are in (a, b)
    def summarize(y, key):
        p, q = y
        a, b = (p + q) / 2, (p - q) / 2
        if key == "ab":
            return a * b
        if key == "offdiag":
            return 0.0
        if key == "kappa":
            return a * a - b * b
        u = a * b
        return 0.5 * rhs.Q * u * u - rhs.R * u + sc.C

    fnorm = lambda y: float(np.linalg.norm(rhs.fun(0.0, [(y[0] + y[1]) / 2, (y[0] - y[1]) / 2])))
    u0 = ((a0 + b0) / 2) ** 2
    times, states, status, msg, conv, gn = _integrate(
        rhs.fun_pq, [a0 + b0, a0 - b0], "Radau", 1e-10, 1e-14, rhs.jac_pq, sc, u0, summarize, fnorm,
        tau_max, t_eval, gtol, abtol)
    states = [np.array([(y[0] + y[1]) / 2, (y[0] - y[1]) / 2]) for y in states]

    def summarize_ab(y, key, pq=summarize):
        return pq([y[0] + y[1], y[0] - y[1]], key)
    return _result("reduced", dist, d, T, "Radau (exact Jacobian), rtol 1e-10, atol 1e-14", times,
                   states, summarize_ab, status, msg, conv, gn, sc, gtol, abtol,
                   time.perf_counter() - start,
                   extra={"a0": a0, "b0": b0, "on_stable_manifold": a0 + b0 == 0,
                          "a_limit": float(states[-1][0]), "b_limit": float(states[-1][1])})


# -- shared by the full flows ---------------------------------------------------------------------
def _initial_params(params0, d):
    if isinstance(params0, Params):
        if params0.d != d:
            raise InputError(f"params0 has d={params0.d}, expected d={d}")
        return params0.copy()
    try:
        a0, b0 = params0
    except (TypeError, ValueError):
        raise InputError(f"params0 must be a Params or a pair (a0, b0), got {params0!r}") from None
    return Params.diagonal(d, a0, b0)


def offdiag_mask(d, complex=False):
    """Flat 0/1 vector (Params.flatten order): 0 on the off-diagonal entries of A and B."""
    ones = Params(np.ones((2 * d, 2 * d)), np.ones((d, 2 * d)))
    if complex:
        ones = Params(ones.kq.astype(np.complex128) * (1 + 1j), ones.pv.astype(np.complex128) * (1 + 1j))
    return (ones.mask_offdiag_AB().flatten() != 0).astype(float)


def _param_summaries(d, is_complex, loss_fn):
    def summarize(y, key):
        p = Params.unflatten(y, d, complex=is_complex)
        if key == "ab":
            return p.ab()
        if key == "offdiag":
            return p.off_diagonal_norm()
        if key == "kappa":
            return float(np.sum(np.abs(p.kq) ** 2) - np.sum(np.abs(p.pv) ** 2))
        return loss_fn(y)
    return summarize


_TENSOR_CACHE = {}


def population_tensors(dist, d, T, budget=None):
    """(TensorLoss, build seconds) for (spec, d, T), built by symmetry class
    (:func:`mesacheck.numeric.class_tensors.build_tensors`) and cached in-process (0 s when
    cached). Refuses with BudgetError when the memory estimate exceeds ``budget`` (default
    :data:`mesacheck.numeric.class_tensors.MEMORY_BUDGET`)."""
    from mesacheck.numeric.class_tensors import MEMORY_BUDGET, build_tensors

    dist = _dist(dist)
    d, T = check_int("d", d, 1), check_int("T", T, 3)
    key = (dist.spec, d, T)
    if key in _TENSOR_CACHE:
        return _TENSOR_CACHE[key], 0.0
    tl, info = build_tensors(dist, d, T, MEMORY_BUDGET if budget is None else budget)
    if len(_TENSOR_CACHE) >= TENSOR_CACHE_SIZE:
        _TENSOR_CACHE.pop(next(iter(_TENSOR_CACHE)))
    _TENSOR_CACHE[key] = tl
    return tl, info["seconds"]


def population_tensors_entrywise(dist, d, T):
    """(TensorLoss, seconds) from the entry-by-entry engine ``PopulationLoss.all_entries`` (every
    (2d)^6 coefficient a SymPy object; minutes at d = 4). Kept as the independent route that the
    class-built tensors are tested and benchmarked against; not cached."""
    from mesacheck.symbolic.population import PopulationLoss

    dist = _dist(dist)
    start = time.perf_counter()
    quad, lin, const = PopulationLoss(dist, d, T).all_entries()
    return boundary.tensor_loss(quad, lin, const, d), time.perf_counter() - start


# -- (ii)/(iii) exact full population flow, masked or not -------------------------------------------
def full_population_flow(dist, d, T, params0, masked=False, tau_max=None, t_eval=None,
                         gtol=1e-7, abtol=1e-7, progress=None):
    """Flow of every entry under the exact population gradient (real parameters).

    ``params0``: a Params or (a0, b0) (Assumption 3.1 start). ``masked``: zero the off-diagonal A
    and B components of the field and of the start.
    """
    start = time.perf_counter()
    dist = _dist(dist)
    d, T, tau_max = _check_common(d, T, tau_max)
    p0 = _initial_params(params0, d)
    if p0.is_complex:
        raise InputError("the exact full population flow takes real parameters; use --empirical")
    tl, build = population_tensors(dist, d, T)
    sc = _Scales(dist, d, T)
    mask = offdiag_mask(d) if masked else np.ones(p0.flatten().size)
    if masked:
        p0.mask_offdiag_AB()

    def fun(t, y):
        return -mask * tl.grad_flat(y)

    def jac(t, y):  # exact: minus the (masked) Hessian
        return -mask[:, None] * tl.hessian_flat(y)

    summarize = _param_summaries(d, False, tl.loss_flat)
    fnorm = lambda y: float(np.linalg.norm(fun(0.0, y)))
    with one_blas_thread():
        times, states, status, msg, conv, gn = _integrate(
            fun, p0.flatten(), FULL_METHOD, 1e-10, 1e-13, jac, sc, max(abs(p0.ab()), 0.0), summarize,
            fnorm, tau_max, t_eval, gtol, abtol, progress=progress)
    kind = "full-masked" if masked else "full"
    return _result(kind, dist, d, T, f"{FULL_METHOD} (exact Hessian as Jacobian), rtol 1e-10, atol 1e-13",
                   times, states, summarize, status, msg, conv, gn, sc, gtol, abtol,
                   time.perf_counter() - start, to_params=lambda y: Params.unflatten(y, d),
                   extra={"tensor_build_seconds": build, "masked": masked})


# -- (iv) empirical flow ---------------------------------------------------------------------------
def _empirical_batch(dist, d, T, m, rng):
    return ProcessBatch.sample(dist.sample(m, d, rng), T, rng)


def empirical_flow(dist, d, T, m, params0, seed, masked=False, tau_max=None, t_eval=None,
                   gtol=1e-5, abtol=1e-5, sampling_error=True, progress=None, batch=None):
    """The flow with the gradient of the empirical loss on m sequences drawn with ``seed``.

    Sampling error of ab (``extra['ab_sampling_se']``): a second, independent sample (seed
    ``seed + 1``) is drawn and the flow restarted on it from the first limit point until it
    converges again; the two limits differ by the sampling noise of two independent samples, so
    the standard error of one is estimated as |ab_1 - ab_2| / sqrt(2) (a one-degree-of-freedom
    estimate: good to a factor of a few, not a confidence interval).
    ``batch``: integrate on this ProcessBatch instead of drawing one (``m`` must match it).
    """
    start = time.perf_counter()
    dist = _dist(dist)
    d, T, tau_max = _check_common(d, T, tau_max)
    m = check_int("m", m, 1)
    p0 = _initial_params(params0, d)
    cplx = p0.is_complex
    if masked:
        p0.mask_offdiag_AB()
    mask = offdiag_mask(d, cplx) if masked else np.ones(p0.flatten().size)
    sc = _Scales(dist, d, T)
    if batch is None:
        batch = _empirical_batch(dist, d, T, m, np.random.default_rng(seed))
    elif (batch.m, batch.d, batch.T) != (m, d, T):
        raise InputError(f"batch has (m, d, T) = {(batch.m, batch.d, batch.T)}, expected {(m, d, T)}")

    def make(batch):
        def fun(t, y):
            return -mask * loss_and_grad(Params.unflatten(y, d, complex=cplx), batch)[1].flatten()
        loss_fn = lambda y: loss_only(Params.unflatten(y, d, complex=cplx), batch)
        return fun, _param_summaries(d, cplx, loss_fn)

    fun, summarize = make(batch)
    fnorm = lambda y: float(np.linalg.norm(fun(0.0, y)))
    method = f"{EMPIRICAL_METHOD}, rtol 1e-6, atol 1e-9"
    times, states, status, msg, conv, gn = _integrate(
        fun, p0.flatten(), EMPIRICAL_METHOD, 1e-6, 1e-9, None, sc, abs(p0.ab()), summarize, fnorm, tau_max,
        t_eval, gtol, abtol, progress=progress)
    extra = {"m": m, "seed": seed, "masked": masked}
    if sampling_error and status != "failed":
        batch2 = _empirical_batch(dist, d, T, m, np.random.default_rng(seed + 1))
        fun2, summ2 = make(batch2)
        f2n = lambda y: float(np.linalg.norm(fun2(0.0, y)))
        _, st2, status2, _, conv2, _ = _integrate(
            fun2, states[-1], EMPIRICAL_METHOD, 1e-6, 1e-9, None, sc, sc.u_scale, summ2, f2n, None, None,
            gtol, abtol)
        ab1, ab2 = summarize(states[-1], "ab"), summ2(st2[-1], "ab")
        extra.update({"ab_second_sample": ab2, "second_sample_converged": conv2,
                      "ab_sampling_se": abs(ab1 - ab2) / math.sqrt(2.0),
                      "sampling_se_method": "|ab(seed) - ab(seed+1)| / sqrt(2), second flow "
                      "restarted from the first limit"})
    return _result("empirical-masked" if masked else "empirical", dist, d, T, method, times, states,
                   summarize, status, msg, conv, gn, sc, gtol, abtol, time.perf_counter() - start,
                   to_params=lambda y: Params.unflatten(y, d, complex=cplx), extra=extra)


# -- (v) any derived ODE, integrated until it comes to rest ------------------------------------------
def integrate_to_rest(field, states, y0, gtol=1e-12, rtol=1e-11, atol=1e-14, max_doublings=40):
    """Integrate dy/dtau = field(y) (SymPy expressions in ``states``) from y0 until the field's norm
    is below ``gtol`` times its initial norm; returns (y_end, tau_end, field norm at the end).

    Radau with the exact Jacobian; the horizon doubles from 1 until rest (or ``max_doublings``).
    Used to check a derived stationary point against the derived flow that should reach it.
    """
    import sympy

    fun = boundary.lambdify_checked(list(field), list(states), name="field")
    jac_expr = sympy.Matrix(list(field)).jacobian(list(states))
    jac = boundary.lambdify_checked(list(jac_expr), list(states), name="field_jacobian")
    n = len(states)
    y = np.asarray(y0, dtype=float)
    f0 = max(float(np.linalg.norm(fun(0.0, y))), 1e-300)
    t0, t1 = 0.0, 1.0
    for _ in range(max_doublings):
        sol = solve_ivp(fun, (t0, t1), y, method="Radau", rtol=rtol, atol=atol,
                        jac=lambda t, z: jac(t, z).reshape(n, n))
        if not sol.success or not np.all(np.isfinite(sol.y[:, -1])):
            raise InputError(f"the derived flow could not be integrated: {sol.message}")
        y = sol.y[:, -1]
        norm = float(np.linalg.norm(fun(0.0, y)))
        if norm <= gtol * f0:
            return y, t1, norm
        t0, t1 = t1, 2 * t1
    return y, t0, norm
