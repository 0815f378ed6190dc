"""The one place where exact SymPy results become floating-point numbers.

Nothing else in mesacheck calls ``lambdify`` or ``float()`` on SymPy objects. Three crossings:

* :func:`to_float` - one exact scalar (a rational, a harmonic number, ...) to a Python float;
* :func:`reduced_rhs` - the reduced (a, b) flow of :func:`mesacheck.symbolic.reduced.reduced_field`
  as a ``solve_ivp`` right-hand side ``f(t, y)`` and its Jacobian, generated with
  ``sympy.lambdify(cse=True)`` after checking the expressions' free symbols against the declared
  state and constant symbols (an undeclared symbol is a bug: it is refused by name, never given a
  default value);
* :func:`tensor_loss` - the exact population loss coefficients of
  :class:`mesacheck.symbolic.population.PopulationLoss` as dense numpy tensors, with a fast
  loss / gradient for real parameters;
* :func:`exact_to_complex`, :func:`exact_product_to_complex` - exact class values (Fractions,
  SymPy Rationals) to floats, correctly rounded, for :mod:`mesacheck.numeric.class_tensors`.

Precision: every exact number is evaluated with ``evalf(EVALF_DIGITS)`` (30 significant digits)
and then rounded once to the nearest IEEE double, so the converted value is within one unit in the
last place (relative 1.1e-16) of the exact value.
"""
from fractions import Fraction

import numpy as np
import sympy

from mesacheck.errors import InputError, MesacheckError
from mesacheck.numeric.tensor_loss import TensorLoss  # noqa: F401 - re-exported

#: digits used by evalf before rounding to float64 (more than enough for a correctly rounded double).
EVALF_DIGITS = 30
#: relative accuracy of every converted number (half an ulp of float64).
CONVERSION_RTOL = 2.0**-53


class UndeclaredSymbolError(MesacheckError, ValueError):
    """An expression handed to the numeric boundary contains a symbol that was not declared."""


def _free_symbol_names(symbols):
    return ", ".join(sorted(str(s) for s in symbols))


def _sympify(expr, what):
    """Accept SymPy objects and Python numbers only: strings are never parsed here."""
    if isinstance(expr, sympy.Basic):
        return expr
    if isinstance(expr, (int, float, complex)) and not isinstance(expr, bool):
        return sympy.Number(expr) if not isinstance(expr, complex) else sympy.Float(expr.real) + sympy.I * sympy.Float(expr.imag)
    raise InputError(f"{what}: expected a SymPy expression or a number, got {type(expr).__name__}")


def to_float(expr, what="value"):
    """An exact real SymPy scalar as a Python float (evalf(30), then rounded once).

    Raises UndeclaredSymbolError if ``expr`` has free symbols (say which), and InputError if it is
    not real and finite.

    >>> to_float(sympy.Rational(1, 5))
    0.2
    """
    e = _sympify(expr, what)
    if e.free_symbols:
        raise UndeclaredSymbolError(
            f"{what} has free symbols {_free_symbol_names(e.free_symbols)}: give the distribution "
            "parameters numbers before integrating")
    v = e.evalf(EVALF_DIGITS)
    re_v, im_v = v.as_real_imag()
    if im_v != 0 and abs(complex(im_v)) > 1e-25 * max(1.0, abs(complex(re_v))):
        raise InputError(f"{what} is not real: {e}")
    out = float(re_v)
    if not np.isfinite(out):
        raise InputError(f"{what} is not finite: {e}")
    return out


def to_complex(expr, what="value"):
    """An exact SymPy scalar as a Python complex (evalf(30), each part rounded once)."""
    e = _sympify(expr, what)
    if e.free_symbols:
        raise UndeclaredSymbolError(f"{what} has free symbols {_free_symbol_names(e.free_symbols)}")
    re_v, im_v = e.evalf(EVALF_DIGITS).as_real_imag()
    return complex(float(re_v), float(im_v))


def exact_to_complex(value, what="value"):
    """An exact scalar (int, Fraction, SymPy number) as a Python complex.

    Rationals (ints, Fractions, SymPy Rationals, and complex numbers with rational parts) are
    rounded once, correctly, by exact integer division (so H_9998 with its ~4300-digit
    denominator costs microseconds); any other SymPy number goes through :func:`to_complex`
    (evalf(30), then rounded). Free symbols raise UndeclaredSymbolError.
    """
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return complex(float(Fraction(value)), 0.0)
    e = _sympify(value, what)
    if e.is_Rational:
        return complex(float(Fraction(int(e.p), int(e.q))), 0.0)
    re_v, im_v = e.as_real_imag()
    if re_v.is_Rational and im_v.is_Rational:
        return complex(float(Fraction(int(re_v.p), int(re_v.q))), float(Fraction(int(im_v.p), int(im_v.q))))
    return to_complex(e, what)


def exact_product_to_complex(weight, moment, what="coefficient"):
    """weight * moment (a Fraction times an exact SymPy number) as a complex, rounded once when
    both are rational (exact product first)."""
    m = _sympify(moment, what)
    if m.is_Rational:
        return complex(float(Fraction(weight) * Fraction(int(m.p), int(m.q))), 0.0)
    re_v, im_v = m.as_real_imag()
    if re_v.is_Rational and im_v.is_Rational:
        w = Fraction(weight)
        return complex(float(w * Fraction(int(re_v.p), int(re_v.q))), float(w * Fraction(int(im_v.p), int(im_v.q))))
    return to_complex(sympy.Rational(weight.numerator, weight.denominator) * m, what)


def check_free_symbols(exprs, declared, what="expression"):
    """Raise UndeclaredSymbolError naming every free symbol of ``exprs`` not in ``declared``."""
    declared = set(declared)
    free = set()
    for e in exprs:
        free |= set(_sympify(e, what).free_symbols)
    extra = free - declared
    if extra:
        raise UndeclaredSymbolError(
            f"{what} has undeclared symbols {_free_symbol_names(extra)} "
            f"(declared: {_free_symbol_names(declared) or 'none'})")


def lambdify_checked(exprs, states, constants=None, name="f"):
    """Generate ``f(t, y, *constant values)`` returning the numpy array of ``exprs``.

    ``states`` and ``constants`` are ordered lists of SymPy symbols; every free symbol of ``exprs``
    must be one of them (else UndeclaredSymbolError). The function's docstring records the order.
    Uses ``sympy.lambdify(..., 'numpy', cse=True)``.
    """
    constants = list(constants or [])
    states = list(states)
    flat = list(exprs)
    check_free_symbols(flat, states + constants, what=name)
    raw = sympy.lambdify([*states, *constants], flat, modules="numpy", cse=True)
    n = len(states)
    shape = (len(flat),)

    def func(t, y, *cvals):
        if len(cvals) != len(constants):
            raise InputError(f"{name} needs {len(constants)} constant(s) "
                             f"({_free_symbol_names(constants)}), got {len(cvals)}")
        vals = raw(*(y[k] for k in range(n)), *cvals)
        return np.array(vals, dtype=np.float64).reshape(shape)

    func.__name__ = name
    func.__doc__ = (f"{name}(t, y{', ' + ', '.join(map(str, constants)) if constants else ''}): "
                    f"y = ({', '.join(map(str, states))}); returns ({', '.join(map(str, flat))}). "
                    "Generated by mesacheck.numeric.boundary.lambdify_checked.")
    return func


class ReducedRHS:
    """Numeric right-hand side of the reduced flow, ``y = (a, b)``, for ``solve_ivp``.

    Attributes: ``fun(t, y)``, ``jac(t, y)`` (2 x 2), the floats ``Q``, ``R``, ``d`` and
    ``u_star = R/Q`` (converted from the exact value), and the SymPy ``field``.
    """

    def __init__(self, field, jac_expr, Q, R, d, u_star):
        from mesacheck.symbolic.reduced import a, b

        self.field = field
        self.Q, self.R, self.d, self.u_star = Q, R, d, u_star
        self._f = lambdify_checked(list(field), [a, b], name="reduced_field")
        self._j = lambdify_checked(list(jac_expr), [a, b], name="reduced_jacobian")
        # The same field in p = a + b, q = a - b, derived symbolically: dp/dtau = -p g'(ab)/d is
        # then EXACTLY 0 at p = 0 in floating point, so a start on the stable manifold a + b = 0
        # of the saddle stays on it (in (a, b) rounding pushes it off, and the saddle amplifies it).
        p, q = sympy.Dummy("p", real=True), sympy.Dummy("q", real=True)
        to_ab = {a: (p + q) / 2, b: (p - q) / 2}
        fpq = sympy.Matrix([sympy.factor(field[0] + field[1]), sympy.factor(field[0] - field[1])]).subs(to_ab)
        fpq = fpq.applyfunc(sympy.factor)
        self._fpq = lambdify_checked(list(fpq), [p, q], name="reduced_field_pq")
        self._jpq = lambdify_checked(list(fpq.jacobian([p, q])), [p, q], name="reduced_jacobian_pq")

    def fun(self, t, y):
        """(da/dtau, db/dtau) at y = (a, b)."""
        return self._f(t, y)

    def jac(self, t, y):
        """The 2 x 2 Jacobian d(field)/d(a, b) at y."""
        return self._j(t, y).reshape(2, 2)

    def fun_pq(self, t, y):
        """(dp/dtau, dq/dtau) at y = (p, q) = (a + b, a - b)."""
        return self._fpq(t, y)

    def jac_pq(self, t, y):
        """The 2 x 2 Jacobian of :meth:`fun_pq`."""
        return self._jpq(t, y).reshape(2, 2)


def reduced_rhs(Q, R, d):
    """The reduced flow da/dtau = -b (Q ab - R)/d, db/dtau = -a (Q ab - R)/d as numeric functions.

    ``Q``, ``R``: exact SymPy numbers (from ``structured_coefficients``); ``d``: the dimension.
    The field comes from :func:`mesacheck.symbolic.reduced.reduced_field`; its only declared free
    symbols are the states a and b, so a Q or R still holding a symbol (e.g. sigma) is refused
    with an error naming it.
    """
    from mesacheck.symbolic.reduced import a, b, reduced_field

    Qe, Re_, de = _sympify(Q, "Q"), _sympify(R, "R"), _sympify(d, "d")
    field = sympy.Matrix(reduced_field(Qe, Re_, de))
    jac = field.jacobian([a, b])
    check_free_symbols(list(field) + list(jac), [a, b], what="reduced flow field")
    if Qe == 0:
        raise MesacheckError("Q = 0: the loss on the structured set does not depend on ab")
    Qf, Rf, df = to_float(Qe, "Q"), to_float(Re_, "R"), to_float(de, "d")
    u_star = to_float(Re_ / Qe, "u* = R/Q")
    return ReducedRHS(field, jac, Qf, Rf, df, u_star)


def tensor_loss(quad, lin, const, d):
    """Dense numeric tensors from the exact dicts of ``PopulationLoss.all_entries()`` (the
    entry-by-entry engine; :mod:`mesacheck.numeric.class_tensors` builds the same tensors by class).

    Each exact coefficient is converted once (evalf(30), rounded to float64: relative error
    <= 2^-53); only real parts are kept (see :mod:`mesacheck.numeric.tensor_loss`). Returns a
    :class:`~mesacheck.numeric.tensor_loss.TensorLoss`.
    """
    n = 2 * d
    Q = np.zeros((n,) * 6)
    for (primed, plain), v in quad.items():
        Q[(*primed, *plain)] = to_complex(v, "QUAD coefficient").real
    L = np.zeros((d, n, n, n))
    for (r, plain), v in lin.items():
        L[(r, *plain)] = to_complex(v, "LIN coefficient").real
    return TensorLoss(Q, L, to_float(const, "CONST"), d)
