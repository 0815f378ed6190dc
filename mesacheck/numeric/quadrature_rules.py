"""Exact quadrature rules for the two sources of randomness of the process: x_1 ~ D and the phases.

Phases. W = diag(exp(i theta_j)), theta_j i.i.d. Uniform[0, 2 pi). The N-point uniform rule
theta in {2 pi n / N : n = 0..N-1}, weights 1/N, gives (1/N) sum_n exp(i k 2 pi n / N) = [N | k],
while the exact mean of exp(i k theta) is [k = 0]. The two agree whenever |k| < N. On the
product grid (N^d points, weights N^-d) the rule therefore integrates *exactly* every
trigonometric polynomial sum_k c_k prod_j exp(i k_j theta_j) whose exponents all satisfy
|k_j| < N, and it fails for exp(i N theta_j) (rule: 1, truth: 0).

First token. :func:`x1_rule` returns nodes and weights exact for a stated class of functions:

* finite-support laws (sparse, full-one, rademacher, mixture): the support itself with the
  exact probabilities (rounded once to float64), exact for *every* function of x_1;
* independent real coordinates (gaussian with sigma or sigmas, uniform, laplace, student-t): the
  tensor product of one-dimensional n-point Gauss rules of the coordinate laws, exact for every
  polynomial in x whose degree in each coordinate is <= 2n - 1;
* cgaussian: real and imaginary parts are independent N(0, sigma^2 / 2); the product of Gauss
  rules over the 2d real variables, exact for every polynomial in (x, conj x) whose degree in
  each coordinate (x_j and conj x_j together) is <= 2n - 1.

The Gauss rules come from the law's exact moments (``dist.moment``, SymPy): the three-term
recurrence coefficients alpha_k, beta_k of the monic orthogonal polynomials are computed *exactly*
in rational arithmetic by Chebyshev's algorithm from the moments m_0..m_{2n-1}; only then are they
rounded once to float64 (through the numeric boundary) and the n x n Jacobi matrix is
diagonalised (Golub-Welsch): nodes are its eigenvalues, weights m_0 times the squared first
components of its unit eigenvectors. The ill-conditioned step (moments -> recurrence) is exact;
the eigenproblem of a symmetric tridiagonal matrix is well conditioned.

Moments needed: n nodes use m_0..m_{2n-1}. For a law symmetric about 0 (every continuous law in
the zoo) the odd moments are 0 by symmetry and are not asked of the law, so only the even moments
up to 2n - 2 must be finite; in addition the moment of order ``degree`` must be finite, else the
expectations the rule is asked for do not exist. Either failure raises InfiniteMomentError naming
the moment.
"""
from functools import lru_cache
from itertools import product

import numpy as np
import sympy
from scipy.linalg import eigh_tridiagonal

from mesacheck.errors import InfiniteMomentError, InputError
from mesacheck.numeric.boundary import to_complex, to_float
from mesacheck.setting import distributions as zoo
from mesacheck.setting.validate import check_int

#: families with independent real coordinates, each symmetric about 0.
SYMMETRIC_REAL = (zoo.Gaussian, zoo.Uniform, zoo.Laplace, zoo.StudentT)
#: families whose x_1 takes finitely many values.
FINITE_SUPPORT = (zoo.Sparse, zoo.FullOne, zoo.Rademacher, zoo.Mixture)


# -- phases -------------------------------------------------------------------------------------------
def phase_rule(d, N):
    """Product N-point uniform rule for the phases theta in [0, 2 pi)^d.

    Parameters
    ----------
    d : int >= 1
    N : int >= 1
        Points per coordinate.

    Returns
    -------
    theta : (N^d, d) float64, theta[:, j] in {2 pi n / N}
    weights : (N^d,) float64, all N^-d

    Exactness: E[f(theta)] is reproduced exactly for every trigonometric polynomial
    f = sum_k c_k exp(i k . theta) with |k_j| < N for all j (the rule gives [N | k_j] where the
    truth is [k_j = 0]); exp(i N theta_j) gets 1 instead of 0.
    """
    d, N = check_int("d", d, 1), check_int("N", N, 1)
    theta = phase_nodes(np.arange(N**d), d, N)
    return theta, np.full(N**d, float(N) ** -d)


def phase_nodes(index, d, N):
    """theta of the product grid at flat indices ``index`` (digit j of index in base N -> theta_j)."""
    index = np.asarray(index, dtype=np.int64)
    digits = (index[:, None] // (N ** np.arange(d, dtype=np.int64))[None, :]) % N
    return (2.0 * np.pi / N) * digits


# -- one-dimensional Gauss rules from exact moments ----------------------------------------------------
def recurrence_from_moments(moments, n):
    """Exact (alpha_0..alpha_{n-1}, beta_0..beta_{n-1}) of the monic orthogonal polynomials.

    ``moments``: exact SymPy numbers m_0..m_{2n-1}. Chebyshev's algorithm (Gautschi, Orthogonal
    Polynomials, 2004, sec. 2.1.7) in rational arithmetic: p_{k+1} = (x - alpha_k) p_k
    - beta_k p_{k-1}, beta_0 = m_0. InputError if the moment matrix is not positive definite
    (a law with fewer than n support points).
    """
    mu = [sympy.Integer(m) if isinstance(m, int) else m for m in moments]
    if len(mu) < 2 * n:
        raise InputError(f"{n} Gauss nodes need {2 * n} moments, got {len(mu)}")
    prev = [sympy.Integer(0)] * (2 * n)
    cur = list(mu[: 2 * n])
    alpha, beta = [cur[1] / cur[0]], [cur[0]]
    for k in range(1, n):
        nxt = [sympy.Integer(0)] * (2 * n)
        for l in range(k, 2 * n - k):
            nxt[l] = sympy.expand(cur[l + 1] - alpha[k - 1] * cur[l] - beta[k - 1] * prev[l])
        if not nxt[k] > 0:
            raise InputError(f"the moment matrix of order {k + 1} is not positive definite: "
                             f"the law has fewer than {n} support points")
        alpha.append(nxt[k + 1] / nxt[k] - cur[k] / cur[k - 1])
        beta.append(nxt[k] / cur[k - 1])
        prev, cur = cur, nxt
    return alpha, beta


def gauss_rule(moments, n):
    """n-point Gauss rule (nodes, weights) in float64 for the law with exact moments m_0..m_{2n-1}.

    Exact (up to the final rounding) for every polynomial of degree <= 2n - 1. Golub-Welsch on the
    Jacobi matrix built from the exact recurrence, each coefficient rounded once to float64.
    """
    alpha, beta = recurrence_from_moments(moments, n)
    diag = np.array([to_float(a, "recurrence alpha") for a in alpha])
    off = np.sqrt([to_float(b, "recurrence beta") for b in beta[1:]])
    if n == 1:
        return diag.copy(), np.array([to_float(beta[0], "m_0")])
    nodes, vecs = eigh_tridiagonal(diag, off)
    weights = to_float(beta[0], "m_0") * vecs[0] ** 2
    if all(a == 0 for a in alpha):
        # A symmetric law (all alpha_k = 0): make the rule exactly symmetric, so that odd
        # monomials integrate to 0 up to the rounding of the sum, not of the eigensolver.
        nodes, weights = (nodes - nodes[::-1]) / 2, (weights + weights[::-1]) / 2
    return nodes, weights


# -- coordinate laws ---------------------------------------------------------------------------------
def gauss_points(degree):
    """Nodes per real coordinate, n = degree // 2 + 1, so that 2n - 1 >= degree."""
    return degree // 2 + 1


def _coordinate_moment(dist, d, j, p, q):
    alpha = tuple(p if i == j else 0 for i in range(d))
    beta = tuple(q if i == j else 0 for i in range(d))
    return dist.moment(alpha, beta)


def _real_part_moments(dist, d, j, count, imaginary):
    """Exact E[(Re x_j)^k] (or Im) for k < count, from the law's complex moments by the binomial
    expansion Re z = (z + conj z)/2, Im z = (z - conj z)/(2i)."""
    out = []
    for k in range(count):
        total = sympy.Integer(0)
        for r in range(k + 1):
            sign = (-1) ** (k - r) if imaginary else 1
            total += sympy.binomial(k, r) * sign * _coordinate_moment(dist, d, j, r, k - r)
        scale = (2 * sympy.I) ** k if imaginary else sympy.Integer(2) ** k
        out.append(sympy.expand(total / scale))
    return out


def _check_moment(dist, order, degree):
    if not dist.moment_order_finite(order):
        raise InfiniteMomentError(
            f"{dist.spec}: the order-{order} moment is infinite; an exact rule of per-coordinate "
            f"degree {degree} needs it")


@lru_cache(maxsize=256)
def _coordinate_rule(dist, d, j, n, part):
    """Gauss rule of one real variable: coordinate j of a symmetric real law (part 'x'), or the
    real / imaginary part of a cgaussian coordinate ('re' / 'im')."""
    if part == "x":
        # Odd moments are 0 by symmetry and are not asked (they may not exist as integrals).
        moments = [sympy.Integer(0) if k % 2 else _coordinate_moment(dist, d, j, k, 0)
                   for k in range(2 * n)]
    else:
        moments = _real_part_moments(dist, d, j, 2 * n, imaginary=(part == "im"))
    return gauss_rule(moments, n)


def _product(rules):
    """Tensor product of 1-D rules [(nodes, weights), ...] -> ((n, k) nodes, (n,) weights)."""
    grids = np.meshgrid(*[r[0] for r in rules], indexing="ij")
    wgrids = np.meshgrid(*[r[1] for r in rules], indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=1)
    weights = np.prod(np.stack([w.ravel() for w in wgrids], axis=1), axis=1)
    return nodes, weights


def _finite_support(dist, d):
    """(nodes, weights) of a finite-support law, weights the exact probabilities."""
    if isinstance(dist, zoo.Mixture):
        nodes = [[to_complex(e, "mixture entry") for e in v] for v in dist.params["vectors"]]
        weights = [to_float(w, "mixture weight") for w in dist.params["weights"]]
    elif isinstance(dist, zoo.FullOne):
        nodes, weights = [[to_float(dist.params["c"], "c")] * d], [1.0]
    elif isinstance(dist, zoo.Rademacher):
        c = to_float(dist.params["c"], "c")
        nodes = [list(s) for s in product((c, -c), repeat=d)]
        weights = [0.5**d] * len(nodes)
    else:  # Sparse: c s e_k, k uniform on {1..d}, s = +-1
        c = to_float(dist.params["c"], "c")
        nodes = [[s * c if i == k else 0.0 for i in range(d)] for k in range(d) for s in (1.0, -1.0)]
        weights = [1.0 / (2 * d)] * (2 * d)
    return np.array(nodes, dtype=np.complex128).reshape(-1, d), np.array(weights, dtype=np.float64)


def _check_law(dist, d):
    """Refuse laws the rules cannot treat; return d."""
    d = check_int("d", d, 1)
    if not isinstance(dist, zoo.Distribution):
        raise InputError(f"dist must be a Distribution (parse_dist(spec)), got {type(dist).__name__}")
    if dist.is_symbolic:
        raise InputError(f"{dist.spec} has symbolic parameters or moments: exact enumeration needs "
                         "numbers (give every parameter a value)")
    if not isinstance(dist, FINITE_SUPPORT + SYMMETRIC_REAL + (zoo.CGaussian,)):
        raise InputError(f"no quadrature rule for the family {dist.name!r}")
    dist.for_dim(d)
    return d


def x1_rule_size(dist, d, degree):
    """Number of nodes :func:`x1_rule` returns (computed without building the rule)."""
    d = _check_law(dist, d)
    check_int("degree", degree, 0)
    if isinstance(dist, zoo.Mixture):
        return len(dist.params["weights"])
    sizes = {zoo.FullOne: 1, zoo.Rademacher: 2**d, zoo.Sparse: 2 * d}
    if type(dist) in sizes:
        return sizes[type(dist)]
    real_vars = 2 * d if isinstance(dist, zoo.CGaussian) else d
    return gauss_points(degree) ** real_vars


def x1_rule(dist, d, degree):
    """Nodes and weights for E[f(x_1)], x_1 ~ dist in C^d, exact for polynomials of a given degree.

    Parameters
    ----------
    dist : Distribution
        A numeric law of the zoo (symbolic ``iid`` / ``generic`` laws and symbolic parameters are
        refused with InputError).
    d : int >= 1
    degree : int >= 0
        Per-coordinate degree: the rule is exact for every polynomial in (x, conj x) in which
        each coordinate j appears with total power (of x_j and conj x_j together) <= degree.

    Returns
    -------
    nodes : (n, d) complex128
    weights : (n,) float64, positive, summing to 1 (to rounding)

    Notes
    -----
    Finite-support laws: the support with its exact probabilities, exact for every function.
    Continuous laws: a tensor product of n = degree // 2 + 1 point Gauss rules per real variable,
    exact for per-coordinate degree <= 2n - 1 (>= degree; nothing higher, in general: the rule
    misses the moment of order 2n). Raises InfiniteMomentError if a moment the rule needs (even
    moments up to 2n - 2, and the order ``degree``) is infinite.
    """
    d = _check_law(dist, d)
    degree = check_int("degree", degree, 0)
    if isinstance(dist, FINITE_SUPPORT):
        return _finite_support(dist, d)
    n = gauss_points(degree)
    _check_moment(dist, degree, degree)  # 2n - 2 <= degree: covers the even moments used
    if isinstance(dist, zoo.CGaussian):
        rules = [_coordinate_rule(dist, d, j, n, part) for j in range(d) for part in ("re", "im")]
        real, weights = _product(rules)
        return real[:, 0::2] + 1j * real[:, 1::2], weights
    nodes, weights = _product([_coordinate_rule(dist, d, j, n, "x") for j in range(d)])
    return nodes.astype(np.complex128), weights
