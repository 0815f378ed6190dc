"""What a full population flow converged to: blocks, stationarity, Hessian verdict, predictor.

Given the exact tensors (:class:`~mesacheck.numeric.tensor_loss.TensorLoss`) and a limit point:

* the learned blocks of W^KQ = [[K11, K12], [A, K22]] and W^PV = [B, P2], each fitted to
  alpha I + beta (J - I) (the form an exchangeable law's symmetry allows) with the residual;
* stationarity: the norm of the exact gradient (for a masked flow: of its allowed components,
  and of the full gradient, which need not vanish);
* the Hessian's eigenvalues. Zero modes are |lambda| <= ZERO_RTOL * max |lambda|. They are
  attributed to (i) the continuous rescaling symmetry W^KQ -> c W^KQ, W^PV -> W^PV / c, whose
  tangent (W^KQ, -W^PV) is a null vector at every stationary point, and (ii) inert entries, on
  which the loss does not depend at all (their rows of the tensors vanish). Any other zero mode
  is probed by the loss along it (L(theta + s v) - L(theta) for s = +-1e-2, +-1e-1);
* the predictor: with A and B the only nonzero blocks, yhat_t = B Ghat_t A x_t,
  Ghat_t = sum_i x_{i+1} x_i^H / (t-1): one step of preconditioned gradient descent on the
  in-context least squares (left output map B, right preconditioner A); its distance from vanilla
  one-step GD (B Ghat A = eta Ghat) is the relative Frobenius distance of B (x) A from the line
  eta I, i.e. sqrt(1 - (tr A tr B)^2 / (d^2 ||A||_F^2 ||B||_F^2)).
"""
import numpy as np

from mesacheck.setting.params import Params

#: an eigenvalue is a zero mode when |lambda| <= ZERO_RTOL * max |lambda|.
ZERO_RTOL = 1e-7
#: a block counts as zero when its Frobenius norm is below this fraction of the largest block's.
BLOCK_ZERO_RTOL = 1e-6
#: step sizes of the loss probe along unexplained zero modes (relative to the parameter norm).
PROBE_STEPS = (1e-2, 1e-1)

BLOCK_NAMES = ("W^KQ_11", "W^KQ_12", "A = W^KQ_21", "W^KQ_22", "B = W^PV_1", "W^PV_2")


def blocks(params):
    """The six d x d blocks as a dict name -> array (real parts)."""
    d = params.d
    K, P = np.real(params.kq), np.real(params.pv)
    return {"W^KQ_11": K[:d, :d], "W^KQ_12": K[:d, d:], "A = W^KQ_21": K[d:, :d],
            "W^KQ_22": K[d:, d:], "B = W^PV_1": P[:, :d], "W^PV_2": P[:, d:]}


def fit_identity_ones(M):
    """(alpha, beta, residual): M ~ alpha I + beta (J - I) with alpha = mean diagonal, beta = mean
    off-diagonal; residual = ||M - fit||_F."""
    d = M.shape[0]
    alpha = float(np.mean(np.diag(M)))
    beta = float((M.sum() - np.trace(M)) / (d * (d - 1))) if d > 1 else 0.0
    fit = beta * np.ones((d, d)) + (alpha - beta) * np.eye(d)
    return alpha, beta, float(np.linalg.norm(M - fit))


def vanilla_distance(A, B):
    """(eta*, relative distance) of M -> B M A from the vanilla step M -> eta M, as linear maps:
    eta* = tr A tr B / d^2 minimises ||B (x) A - eta I||_F."""
    d = A.shape[0]
    nA, nB = np.linalg.norm(A), np.linalg.norm(B)
    if nA == 0 or nB == 0:
        return 0.0, float("nan")
    eta = float(np.trace(A) * np.trace(B) / d**2)
    rel2 = 1.0 - (np.trace(A) * np.trace(B)) ** 2 / (d**2 * nA**2 * nB**2)
    return eta, float(np.sqrt(max(rel2, 0.0)))


def predictor(params):
    """Describe the learned predictor (see module docstring) as a dict."""
    blk = blocks(params)
    norms = {k: float(np.linalg.norm(v)) for k, v in blk.items()}
    top = max(norms.values()) or 1.0
    nonzero = [k for k, v in norms.items() if v > BLOCK_ZERO_RTOL * top]
    A, B = blk["A = W^KQ_21"], blk["B = W^PV_1"]
    eta, dist = vanilla_distance(A, B)
    out = {"nonzero_blocks": nonzero, "block_norms": norms, "eta_vanilla": eta,
           "relative_distance_from_vanilla_gd": dist,
           "fits": {k: dict(zip(("alpha", "beta", "residual"), fit_identity_ones(v))) for k, v in blk.items()}}
    signs = np.sign(np.diag(A))
    if np.any(signs < 0) and np.any(signs > 0):
        # a start off the set can end with some columns of A and B negated: report the fit of
        # A S and B S, S = diag(signs), beside the raw one
        S = np.diag(signs)
        out["column_signs"] = signs.tolist()
        out["fits_after_column_signs"] = {k: dict(zip(("alpha", "beta", "residual"), fit_identity_ones(M @ S)))
                                          for k, M in (("A = W^KQ_21", A), ("B = W^PV_1", B))}
    if set(nonzero) <= {"A = W^KQ_21", "B = W^PV_1"}:
        out["form"] = ("yhat_t = B Ghat_t A x_t, Ghat_t = sum_{i<t} x_{i+1} x_i^H / (t-1): one step of "
                       "preconditioned GD on the in-context least squares from W_0 = 0 (update "
                       "B [sum_i x_{i+1} x_i^H] A / (t-1): left output map B, right preconditioner A)")
    else:
        out["form"] = ("yhat_t = W^PV (E_t E_t^H / (t-1)) W^KQ e_t with blocks " + ", ".join(nonzero)
                       + " nonzero: not of the form B Ghat_t A x_t")
    return out


def inert_entries(tl):
    """Boolean flat mask (Params.flatten order) of entries on which the loss does not depend."""
    n, d = tl.n, tl.d
    q = np.abs(tl.q4)
    k_inert = (q.sum(axis=(0, 1, 2)) == 0) & (np.abs(tl.l3).sum(axis=(0, 1)) == 0)
    a_inert = q.sum(axis=(1, 2, 3)) == 0
    p_inert = np.zeros((d, n), dtype=bool)
    for r in range(d):
        p_inert[r] = a_inert & (np.abs(tl.l3[r]).sum(axis=1) == 0)
    return np.concatenate([k_inert.ravel(), p_inert.ravel()])


def hessian_verdict(tl, vec, allowed=None):
    """Eigen-analysis of the Hessian at ``vec`` restricted to the ``allowed`` coordinates (flat
    boolean mask; all by default). Returns a dict with the spectrum summary and the verdict."""
    allowed = np.ones(vec.size, bool) if allowed is None else np.asarray(allowed, bool)
    H = tl.hessian_flat(vec)[np.ix_(allowed, allowed)]
    w, V = np.linalg.eigh(H)
    scale = float(np.max(np.abs(w))) or 1.0
    tol = ZERO_RTOL * scale
    zero = np.abs(w) <= tol
    negative = w < -tol
    P, K = tl.split(vec)
    rescale = np.concatenate([K.ravel(), -P.ravel()])[allowed]
    inert = inert_entries(tl)[allowed]
    # Explained null space: the rescaling tangent and the inert coordinate axes.
    explained = [rescale / np.linalg.norm(rescale)] if np.linalg.norm(rescale) > 0 else []
    explained += [np.eye(allowed.sum())[k] for k in np.flatnonzero(inert)]
    Z = V[:, zero]
    E = np.array(explained).T if explained else np.zeros((allowed.sum(), 0))
    # Rank of the explained vectors inside the null space, and what is left over.
    proj = Z.T @ E if E.size else np.zeros((Z.shape[1], 0))
    explained_rank = int(np.linalg.matrix_rank(proj, tol=1e-6)) if proj.size else 0
    rescale_in_null = bool(E.size and np.linalg.norm(Z @ (Z.T @ E[:, 0])) > 1 - 1e-6) if explained else False
    unexplained = int(zero.sum()) - explained_rank
    probes = []
    if unexplained > 0:
        Q, _ = np.linalg.qr(np.hstack([E, Z])) if E.size else np.linalg.qr(Z)
        rest = Z - Q[:, : explained_rank] @ (Q[:, : explained_rank].T @ Z) if explained_rank else Z
        U, S, _ = np.linalg.svd(rest, full_matrices=False)
        base = tl.loss_flat(vec)
        norm = max(np.linalg.norm(vec), 1.0)
        for u in U[:, :unexplained].T:
            full = np.zeros(vec.size)
            full[allowed] = u
            probes.append([float(tl.loss_flat(vec + s * sg * norm * full) - base)
                           for s in PROBE_STEPS for sg in (1, -1)])
    if negative.any():
        verdict = f"saddle: {int(negative.sum())} negative eigenvalue(s)"
    elif unexplained == 0:
        verdict = ("local minimum: every zero mode is explained by the rescaling symmetry or by inert "
                   "entries; all other eigenvalues are positive")
    elif all(min(p) > 0 for p in probes):
        verdict = (f"local minimum (degenerate): {unexplained} zero mode(s) beyond the symmetries, "
                   "along which the loss grows at higher order")
    else:
        verdict = f"undecided: {unexplained} zero mode(s) beyond the symmetries with a non-increasing loss probe"
    pos = w[~zero]
    return {"n": int(allowed.sum()), "eig_min": float(w[0]), "eig_max": float(w[-1]),
            "smallest_nonzero": float(np.min(np.abs(pos))) if pos.size else float("nan"),
            "zero_modes": int(zero.sum()), "zero_tolerance": f"|lambda| <= {ZERO_RTOL:g} * max|lambda| = {tol:.3g}",
            "negative": int(negative.sum()), "rescaling_in_null_space": rescale_in_null,
            "inert_entries": int(inert.sum()), "explained_zero_modes": explained_rank,
            "unexplained_zero_modes": unexplained, "probes": probes, "verdict": verdict,
            "eigenvalues": w}


def analyse_limit(tl, params, masked=False):
    """Stationarity, Hessian verdict and predictor at a flow's limit (see module docstring)."""
    from mesacheck.numeric.flows import offdiag_mask

    vec = params.flatten()
    g = tl.grad_flat(vec)
    allowed = offdiag_mask(params.d).astype(bool) if masked else np.ones(vec.size, bool)
    out = {"loss": tl.loss_flat(vec), "grad_norm": float(np.linalg.norm(g[allowed])),
           "grad_norm_full": float(np.linalg.norm(g)),
           "hessian": hessian_verdict(tl, vec, allowed), "predictor": predictor(params)}
    return out


def params_of(vec, d):
    """Params from a flat real vector."""
    return Params.unflatten(vec, d)


def best_on_set_loss(dist, d, T):
    """min over u of L(A = aI, B = bI) with ab = u: C - R^2 / (2Q), exact, rounded once."""
    from mesacheck.numeric import flows
    from mesacheck.numeric.boundary import to_float

    sc = flows._Scales(flows._dist(dist), d, T)
    return to_float(sc.Cx - sc.Rx**2 / (2 * sc.Qx), "best on-set loss")
