"""Claim C1 derived symbolically: on A = aI, B = bI the model's prediction is one gradient step
on the in-context least squares.

For tokens x_1..x_{t+1} (symbols), the model's definition gives
yhat_t = W^PV E_t E_t^H W^KQ e_t / (t - 1), and one GD step from W_0 = 0 with step eta on
L_OLS(W) = 1/2 sum_{i<t} ||x_{i+1} - W x_i||^2 gives What_t = -eta grad L_OLS(0); with
eta = ab/(t - 1) the two predictions What_t x_t and yhat_t are the same polynomial.
"""
import sympy

from mesacheck.symbolic.symbols import a, b


def tokens(d, t):
    """Real symbolic tokens x_1..x_{t+1} as d x 1 matrices (Dummies x_{i,j})."""
    return [sympy.Matrix([sympy.Dummy(f"x_{i}{j}", real=True) for j in range(1, d + 1)])
            for i in range(1, t + 2)]


def model_prediction(xs, d, t):
    """yhat_t from the model's definition with W^KQ = [[0, 0], [aI, 0]], W^PV = [bI, 0]."""
    zero = sympy.zeros(d, 1)
    es = [sympy.Matrix.vstack(xs[i], xs[i - 1] if i > 0 else zero) for i in range(t)]
    K = sympy.zeros(2 * d, 2 * d)
    P = sympy.zeros(d, 2 * d)
    K[d:, :d] = a * sympy.eye(d)
    P[:, :d] = b * sympy.eye(d)
    S = sympy.zeros(2 * d, 2 * d)
    for e in es:
        S += e * e.T
    return P * S * K * es[t - 1] / (t - 1)


def gd_step(xs, d, t):
    """What_t = W_0 - eta grad L_OLS(W_0) with W_0 = 0, eta = ab/(t-1), the gradient by SymPy."""
    W = sympy.Matrix(d, d, lambda i, j: sympy.Dummy(f"w_{i}{j}", real=True))
    L_ols = sum(((xs[i + 1] - W * xs[i]).T * (xs[i + 1] - W * xs[i]))[0, 0] for i in range(t - 1)) / 2
    grad = sympy.Matrix(d, d, lambda i, j: sympy.diff(L_ols, W[i, j]))
    return -(a * b / (t - 1)) * grad.subs({w: 0 for w in W})


def residual(d, t):
    """yhat_t - What_t x_t, expanded (the zero vector when C1 holds)."""
    xs = tokens(d, t)
    return sympy.expand(model_prediction(xs, d, t) - gd_step(xs, d, t) * xs[t - 1])
