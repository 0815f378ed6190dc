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
    return [sympy.Matrix([sympy.Dummy(f"x_{i},{j}", real=True) for j in range(1, d + 1)])
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
    W = sympy.Matrix(d, d, lambda i, j: sympy.Dummy(f"w_{i + 1},{j + 1}", real=True))
    L_ols = sum(((xs[i + 1] - W * xs[i]).T * (xs[i + 1] - W * xs[i]))[0, 0] for i in range(t - 1)) / 2
    grad = sympy.Matrix(d, d, lambda i, j: sympy.diff(L_ols, W[i, j]))
    return -(a * b / (t - 1)) * grad.subs({w: 0 for w in W})


def residual(d, t):
    """yhat_t - What_t x_t, expanded (the zero vector when C1 holds)."""
    xs = tokens(d, t)
    return sympy.expand(model_prediction(xs, d, t) - gd_step(xs, d, t) * xs[t - 1])


def derive_one_step(d=2, t=3):
    """Derivation of C1 at a concrete size: the model's prediction on A = aI, B = bI, the gradient
    of the in-context least squares at W = 0, one GD step with eta = ab/(t - 1), and the residual
    yhat_t - What_t x_t (the zero vector), all with symbolic tokens x_{i,j} and symbolic a, b.

    >>> r = derive_one_step(1, 2)
    >>> r.value("residual")
    (0,)
    """
    from mesacheck.symbolic.derivation import Derivation

    if not (isinstance(d, int) and isinstance(t, int) and 1 <= d <= 4 and 2 <= t <= 6):
        raise ValueError(f"derive_one_step needs integers 1 <= d <= 4 and 2 <= t <= 6, got d={d!r}, t={t!r}")
    xs = tokens(d, t)
    der = Derivation(f"One-step-GD identity (claim C1), d = {d}, t = {t}",
                     {"d": d, "t": t, "A": "aI", "B": "bI"}, kind="one-step")
    yhat = sympy.expand(model_prediction(xs, d, t))
    der.add("prediction", "Prediction of the model (its definition, SymPy matrix products)",
            {f"yhat_({t},{r + 1})": sympy.factor(yhat[r]) for r in range(d)})
    W = sympy.Matrix(d, d, lambda i, j: sympy.Dummy(f"w_{i + 1},{j + 1}", real=True))
    L_ols = sum(((xs[i + 1] - W * xs[i]).T * (xs[i + 1] - W * xs[i]))[0, 0] for i in range(t - 1)) / 2
    der.add("ols", "In-context least squares L_OLS(W) = 1/2 sum_(i<t) ||x_(i+1) - W x_i||^2",
            L_ols, "L_{\\mathrm{OLS}}(W)")
    grad = sympy.Matrix(d, d, lambda i, j: sympy.diff(L_ols, W[i, j])).subs({w: 0 for w in W})
    der.add("gradient", "Its gradient at W = 0 (SymPy differentiation)",
            {f"grad L_OLS(0)_({i + 1},{j + 1})": sympy.factor(grad[i, j]) for i in range(d) for j in range(d)})
    step = gd_step(xs, d, t)
    der.add("step", "One GD step from W = 0 with step eta = ab/(t-1)",
            {f"What_({i + 1},{j + 1})": sympy.factor(step[i, j]) for i in range(d) for j in range(d)})
    applied = sympy.expand(step * xs[t - 1])
    der.add("gd_prediction", "The GD step applied to the last token, What_t x_t",
            {f"(What_t x_t)_{r + 1}": sympy.factor(applied[r]) for r in range(d)})
    der.add("residual", "Residual yhat_t - What_t x_t (expanded)",
            sympy.Tuple(*sympy.expand(yhat - applied)), "\\hat y_t - \\widehat W_t x_t")
    der.symbols.update({"a": a, "b": b})
    der.symbols.update({s.name: s for x in xs for s in x})
    return der
