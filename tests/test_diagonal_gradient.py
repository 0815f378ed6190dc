"""The mpmath gradient and Hessian that the diagonal system's numeric minimiser uses
(mesacheck/symbolic/diagonal.py, ``_Gradient``), against SymPy's derivatives of the same
structured loss  sum_j (c2_j (a_j b_j)^2 + c1_j a_j b_j) + sum_{r != k} n_rk b_r^2 a_k^2."""
import mpmath
import pytest
import sympy

from mesacheck.symbolic.diagonal import _Gradient

R = sympy.Rational
C2 = {0: R(3, 2), 1: R(5, 7), 2: R(2, 1)}
C1 = {0: R(-4, 3), 1: R(-1, 2), 2: R(-9, 5)}
N = {(0, 1): R(1, 3), (1, 0): R(2, 5), (2, 0): R(1, 7), (1, 2): R(3, 11)}
ACTIVE = [0, 1, 2]
POINT_A = {0: R(1, 1), 1: R(7, 10), 2: R(-3, 4)}
POINT_B = {0: R(6, 5), 1: R(-2, 3), 2: R(5, 4)}


def _sympy_loss():
    a = sympy.symbols("a0:3")
    b = sympy.symbols("b0:3")
    L = sum(C2[j] * (a[j] * b[j]) ** 2 + C1[j] * a[j] * b[j] for j in ACTIVE)
    L += sum(c * b[r] ** 2 * a[k] ** 2 for (r, k), c in N.items())
    at = {**{a[j]: POINT_A[j] for j in ACTIVE}, **{b[j]: POINT_B[j] for j in ACTIVE}}
    return L, list(a) + list(b), at


def _gradient():
    with mpmath.workdps(40):
        G = _Gradient(C2, C1, N, ACTIVE)
        A = {j: mpmath.mpf(POINT_A[j].p) / POINT_A[j].q for j in ACTIVE}
        B = {j: mpmath.mpf(POINT_B[j].p) / POINT_B[j].q for j in ACTIVE}
        return G, A, B


def test_value_and_gradient():
    L, xs, at = _sympy_loss()
    G, A, B = _gradient()
    with mpmath.workdps(40):
        assert float(G.value(A, B)) == pytest.approx(float(L.subs(at)), rel=1e-30)
        gA, gB = G.grad(A, B)
        for j in ACTIVE:
            assert float(gA[j]) == pytest.approx(float(sympy.diff(L, xs[j]).subs(at)), rel=1e-25, abs=1e-30)
            assert float(gB[j]) == pytest.approx(float(sympy.diff(L, xs[3 + j]).subs(at)), rel=1e-25, abs=1e-30)


def test_hessian_is_the_exact_second_derivative():
    L, xs, at = _sympy_loss()
    H_exact = sympy.hessian(L, xs).subs(at)
    G, A, B = _gradient()
    with mpmath.workdps(40):
        H = G.hessian(A, B)
        for p in range(6):
            for q in range(6):
                assert float(H[p, q]) == pytest.approx(float(H_exact[p, q]), rel=1e-25, abs=1e-30), (p, q)


def test_coefficients_are_kept_to_the_working_precision():
    # 1/3 at 40 working digits: the stored coefficient must not be a float-precision copy
    with mpmath.workdps(40):
        G = _Gradient({0: R(1, 3)}, {0: R(-1, 3)}, {}, [0])
        assert abs(G.c2[0] - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -38
