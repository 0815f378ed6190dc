"""The engine's own SymPy symbols, all of them ``sympy.Dummy``.

A user's parameter (``gaussian:sigma=R``) is a plain ``sympy.Symbol``; a Dummy is never equal to
a Symbol, whatever the names, so no spec can collide with a quantity the engine uses (the audit
found ``sigma=R`` silently replaced by the engine's slope R). The names here are display names
only; the printer (:mod:`mesacheck.symbolic.printing`) shows them without SymPy's ``_`` prefix,
and the spec grammar reserves them so that a printed formula is never ambiguous.

Each symbol is created once, at import, so every module sees the same object; per-dimension
families (the diagonal system's a_1..a_d) are cached.
"""
from functools import lru_cache

import sympy

# -- the structured set and its flow --------------------------------------------------------------
a = sympy.Dummy("a", real=True)  #: A = a I (lower-left block of W^KQ)
b = sympy.Dummy("b", real=True)  #: B = b I (left block of W^PV)
u = sympy.Dummy("u", real=True)  #: u = a b
tau = sympy.Dummy("tau", real=True)  #: flow time
a0 = sympy.Dummy("a_0", real=True)  #: initial a
b0 = sympy.Dummy("b_0", real=True)  #: initial b
adot = sympy.Dummy("adot", real=True)  #: da/dtau (a label in ODE tables)
bdot = sympy.Dummy("bdot", real=True)  #: db/dtau
Q = sympy.Dummy("Q", positive=True)  #: curvature of g(u) (abstract, for the stability analysis)
R = sympy.Dummy("R", positive=True)  #: slope -g'(0) (abstract)
s = sympy.Dummy("s", real=True)  #: a parameter along a line

# -- sizes ------------------------------------------------------------------------------------------
T = sympy.Dummy("T", integer=True, positive=True)  #: training sequence length
d = sympy.Dummy("d", integer=True, positive=True)  #: token dimension
t = sympy.Dummy("t", integer=True, positive=True)  #: prefix length (test position)

# -- capability -------------------------------------------------------------------------------------
mu = sympy.Dummy("mu")  #: lambda_k / lambda_j
m = sympy.Dummy("m", integer=True, positive=True)  #: a summation index



@lru_cache(maxsize=None)
def diagonal_symbols(dim):
    """(a_1..a_dim, b_1..b_dim): the diagonal entries of A and B, real Dummies (cached per dim)."""
    avec = tuple(sympy.Dummy(f"a_{j}", real=True) for j in range(1, dim + 1))
    bvec = tuple(sympy.Dummy(f"b_{j}", real=True) for j in range(1, dim + 1))
    return avec, bvec


@lru_cache(maxsize=None)
def diagonal_rate_symbols(dim):
    """Labels adot_j, bdot_j for the rows of the diagonal system's ODE table."""
    return (tuple(sympy.Dummy(f"adot_{j}", real=True) for j in range(1, dim + 1)),
            tuple(sympy.Dummy(f"bdot_{j}", real=True) for j in range(1, dim + 1)))


def engine_symbols():
    """Name -> symbol for the symbols a user may substitute into a derivation (``r.symbols``)."""
    return {"a": a, "b": b, "u": u, "tau": tau, "T": T, "d": d, "t": t, "a_0": a0, "b_0": b0}
