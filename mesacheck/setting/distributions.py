"""The model zoo: initial-token distributions D of x_1 in C^d, with exact moments and a sampler.

A spec string (grammar in :mod:`mesacheck.setting.spec_grammar`) names a family and its
parameters; ``parse_dist`` returns the family object, which is not tied to a dimension d.
Moments are exact SymPy expressions (Rationals, factorials, parameters as given); ``sample`` is
the only place numbers enter, and it is seeded only through the ``rng`` it is given.

>>> parse_dist("gaussian:sigma=0.5").moment((4,), (0,))
3/16
>>> parse_dist("sparse:c=2").pattern_moment(((1, 1),), 5)
4/5
"""
import numbers
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Optional

import numpy as np
import sympy

from mesacheck.errors import InfiniteMomentError, InputError, MesacheckError, SpecError
from mesacheck.setting import spec_grammar as grammar
from mesacheck.setting.moment_symbol import P_NONZERO, MomentSymbol, iid_moment


class NotExchangeableError(MesacheckError):
    """A pattern moment (symbolic d) was asked of a law whose coordinates are not exchangeable."""


@dataclass(frozen=True)
class Param:
    """One key=value parameter of a family: its documentation and its range check."""

    key: str
    doc: str
    range: str = "> 0"
    check: Callable = lambda v: v > 0
    is_list: bool = False
    default: Optional[sympy.Expr] = None
    required: bool = True
    symbolic_ok: bool = True


def _exponents(alpha, beta):
    """Validate a moment's exponent vectors; return them as tuples of Python ints."""
    try:
        alpha, beta = tuple(map(_nonneg_int, alpha)), tuple(map(_nonneg_int, beta))
    except (TypeError, ValueError):
        raise InputError(f"moment exponents must be non-negative integers, got {alpha!r}, {beta!r}") from None
    if len(alpha) != len(beta) or not alpha:
        raise InputError(f"alpha and beta must have the same length d >= 1, got {alpha!r}, {beta!r}")
    return alpha, beta


def _nonneg_int(value):
    """int(value) for an Integral value >= 0 (bool excluded); ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, sympy.Integer)) or value < 0:
        raise ValueError(value)
    return int(value)


def _positive_int(name, value):
    """Return ``value`` as an int >= 1 or raise InputError naming it."""
    try:
        if _nonneg_int(value) >= 1:
            return int(value)
    except ValueError:
        pass
    raise InputError(f"{name} must be an integer >= 1, got {value!r}")


def _check_d(d):
    """Return d as an int >= 1 or raise InputError."""
    return _positive_int("d", d)


def _double_factorial_moment(n, scale):
    """E[(scale * N(0,1))^n]: 0 for odd n, (n-1)!! scale^n for even n."""
    return sympy.Integer(0) if n % 2 else sympy.factorial2(n - 1) * scale**n


class Distribution:
    """Base class of the families; subclasses set the class attributes and the moment rules."""

    name = ""
    description = ""
    PARAMS = ()
    EXAMPLES = ()
    is_real = True
    is_exchangeable = True

    def __init__(self, params, spec=None):
        self.params = dict(params)
        self._cache = {}
        self._validate(spec if spec is not None else self.spec)

    # -- construction ------------------------------------------------------------------------------
    @classmethod
    def from_body(cls, body, spec, col0):
        """Build the family from the text after ':' (None when there is no ':')."""
        if body is not None and not cls.PARAMS:
            raise grammar.fail(spec, f"{cls.name} takes no parameters", f"just {cls.name!r}")
        keys = [p.key for p in cls.PARAMS]
        values = {} if body is None else grammar.parse_params(
            body, spec, col0, {p.key for p in cls.PARAMS if p.is_list}, keys)
        for p in cls.PARAMS:
            if p.key not in values and p.default is not None:
                values[p.key] = p.default
        return cls({k: values[k] for k in keys if k in values}, spec)

    def _validate(self, spec):
        """Check presence and range of every parameter; SpecError naming the first bad one."""
        for p in self.PARAMS:
            if p.key not in self.params:
                if p.required:
                    raise grammar.fail(spec, f"missing key {p.key!r} for {self.name}",
                                       f"{self.name}:{p.key}=VALUE ({p.doc})")
                continue
            values = self.params[p.key] if p.is_list else (self.params[p.key],)
            for v in values:
                self._check_value(p, v, spec)

    def _check_value(self, p, value, spec):
        """Range check one value (symbols are positive by construction and pass if allowed)."""
        if isinstance(value, sympy.Symbol):
            if not p.symbolic_ok:
                raise grammar.fail(spec, f"{p.key} = {value} is a symbol", f"a number for {p.key} {p.range}")
        elif not p.check(value):
            raise grammar.fail(spec, f"{p.key} = {value} is out of range", f"{p.key} {p.range}")

    # -- description ---------------------------------------------------------------------------
    @property
    def spec(self):
        """Canonical spec string; parse_dist(self.spec).spec == self.spec."""
        parts = []
        for p in self.PARAMS:
            if p.key in self.params:
                v = self.params[p.key]
                text = ",".join(map(grammar.format_value, v)) if p.is_list else grammar.format_value(v)
                parts.append(f"{p.key}={text}")
        return self.name + (":" + ",".join(parts) if parts else "")

    @property
    def is_symbolic(self):
        """Whether any parameter (or moment) is a SymPy symbol, so the law cannot be sampled."""
        values = [v for p in self.params.values() for v in (p if isinstance(p, tuple) else (p,))]
        return any(isinstance(v, sympy.Basic) and v.free_symbols for v in values)

    def __repr__(self):
        return f"parse_dist({self.spec!r})"

    def __eq__(self, other):
        return isinstance(other, Distribution) and self.spec == other.spec

    def __hash__(self):
        return hash(self.spec)

    # -- dimension -------------------------------------------------------------------------------
    def for_dim(self, d):
        """Check that the law makes sense in dimension d (int >= 1); return self."""
        self._check_dim(_check_d(d))
        return self

    def _check_dim(self, d):
        """Family-specific dimension check (vector lengths); default: every d fits."""

    # -- moments ---------------------------------------------------------------------------------
    def moment(self, alpha, beta):
        """Exact E[prod_j x_j^alpha_j conj(x_j)^beta_j] for x in C^d, d = len(alpha)."""
        alpha, beta = _exponents(alpha, beta)
        self.for_dim(len(alpha))
        key = (alpha, beta)
        if key not in self._cache:
            self._cache[key] = sympy.Integer(1) if not any(alpha + beta) else self._moment(alpha, beta)
        return self._cache[key]

    def pattern_moment(self, pattern, d):
        """E[prod_k x_{j_k}^{a_k} conj(x_{j_k})^{b_k}] for distinct coordinates j_1..j_r.

        ``pattern`` is ((a_1, b_1), ..., (a_r, b_r)), one pair per distinct coordinate; a pair
        (0, 0) stands for a coordinate with no factor and changes nothing. ``d`` is an int or a
        SymPy symbol (a positive integer). Only for exchangeable laws.
        """
        if not self.is_exchangeable:
            raise NotExchangeableError(f"{self.spec} is not exchangeable; give a concrete d")
        pairs = _pattern(pattern)
        if not isinstance(d, sympy.Symbol) and _check_d(d) < len(pairs):
            raise InputError(f"a pattern of {len(pairs)} distinct coordinates needs d >= {len(pairs)}, "
                             f"got d = {d}")
        pairs = tuple(p for p in pairs if p != (0, 0))
        if not pairs:
            return sympy.Integer(1)
        return self._pattern_moment(pairs, d)

    def moment_order_finite(self, n):
        """Whether every absolute moment E[prod_j |x_j|^k_j] of total order n is finite."""
        return True

    @property
    def max_finite_moment(self):
        """The largest order n with every moment of order n finite (None: all orders are)."""
        return None

    def prob_nonzero(self, j, d):
        """P(x_j != 0) exactly, for coordinate j (0-based) in dimension d (int or symbol).

        Default 1: the law has a density, or its support avoids 0 in every coordinate.
        """
        return sympy.Integer(1)

    def nonzero_moment(self, j, k, n, d):
        """E[1{x_j != 0} |x_k|^n] for two distinct coordinates j != k, exactly (concrete d).

        Default: coordinates independent, so P(x_j != 0) E|x_k|^n.
        """
        alpha = tuple(n // 2 if i == k else 0 for i in range(d))
        if n % 2:
            raise InputError("nonzero_moment needs an even order n")
        return self.prob_nonzero(j, d) * self.moment(alpha, alpha)

    def _moment(self, alpha, beta):
        raise NotImplementedError

    def _pattern_moment(self, pairs, d):
        raise NotImplementedError

    # -- sampling --------------------------------------------------------------------------------
    def sample(self, m, d, rng):
        """m i.i.d. draws of x_1 in C^d as a complex128 array of shape (m, d)."""
        if self.is_symbolic:
            raise InputError(f"cannot sample {self.spec}: its parameters or moments are symbolic")
        m, d = _positive_int("m", m), _check_d(d)
        self._check_dim(d)
        if not isinstance(rng, np.random.Generator):
            raise InputError("rng must be a numpy.random.Generator")
        return np.asarray(self._sample(m, d, rng), dtype=np.complex128).reshape(m, d)

    def _sample(self, m, d, rng):
        raise NotImplementedError

    def _float(self, key):
        return float(self.params[key])


def _pattern(pattern):
    """Validate a pattern; return it as a tuple of (a, b) int pairs."""
    try:
        pairs = tuple((_nonneg_int(a), _nonneg_int(b)) for a, b in pattern)
    except (TypeError, ValueError):
        raise InputError(f"a pattern is a tuple of (a, b) pairs of non-negative ints, "
                         f"got {pattern!r}") from None
    return pairs


class _Independent(Distribution):
    """Independent coordinates: a moment is the product of one-coordinate moments."""

    def _coord_moment(self, p, q, j):
        """E[x_j^p conj(x_j)^q]; real laws use the real moment of order p + q."""
        return self._real_moment(p + q, j)

    def _real_moment(self, n, j):
        raise NotImplementedError

    def _moment(self, alpha, beta):
        return sympy.Mul(*(self._coord_moment(a, b, j) for j, (a, b) in enumerate(zip(alpha, beta))))

    def _pattern_moment(self, pairs, d):
        return sympy.Mul(*(self._coord_moment(a, b, 0) for a, b in pairs))


class Gaussian(_Independent):
    """Real N(0, sigma_j^2) coordinates: E x^n = (n-1)!! sigma^n for even n, 0 for odd n."""

    name = "gaussian"
    description = "independent real N(0, sigma^2) coordinates (one sigma, or one per coordinate)"
    PARAMS = (
        Param("sigma", "standard deviation of every coordinate", required=False),
        Param("sigmas", "per-coordinate standard deviations, d of them", is_list=True, required=False),
    )
    EXAMPLES = ("gaussian:sigma=1", "gaussian:sigmas=1,2,3")

    def _validate(self, spec):
        if ("sigma" in self.params) == ("sigmas" in self.params):
            raise grammar.fail(spec, "gaussian needs exactly one of sigma, sigmas",
                               "gaussian:sigma=S or gaussian:sigmas=S1,...,Sd")
        super()._validate(spec)

    @property
    def is_exchangeable(self):
        return "sigma" in self.params

    def _check_dim(self, d):
        if "sigmas" in self.params and len(self.params["sigmas"]) != d:
            raise SpecError(f"{self.spec} gives {len(self.params['sigmas'])} sigmas but d = {d}; "
                            f"expected exactly d sigmas")

    def _scale(self, j):
        return self.params["sigma"] if "sigma" in self.params else self.params["sigmas"][j]

    def _real_moment(self, n, j):
        return _double_factorial_moment(n, self._scale(j))

    def _sample(self, m, d, rng):
        scales = np.array([float(self._scale(j)) for j in range(d)])
        return rng.standard_normal((m, d)) * scales


class Sparse(Distribution):
    """x = c s e_k: a moment is c^n / d when it involves one coordinate with even order n, else 0."""

    name = "sparse"
    description = "x = c s e_k, k uniform on {1..d}, s = +/-1 equally likely (paper's Example 4.1)"
    PARAMS = (Param("c", "scale of the single non-zero coordinate"),)
    EXAMPLES = ("sparse:c=1",)

    def _moment(self, alpha, beta):
        support = [(a, b) for a, b in zip(alpha, beta) if a + b]
        return self._pattern_moment(tuple(support), len(alpha))

    def _pattern_moment(self, pairs, d):
        # Only one coordinate is ever non-zero, so two distinct coordinates give 0.
        if len(pairs) != 1 or sum(pairs[0]) % 2:
            return sympy.Integer(0)
        return self.params["c"] ** sum(pairs[0]) / d

    def prob_nonzero(self, j, d):
        return sympy.Integer(1) / d

    def nonzero_moment(self, j, k, n, d):
        return sympy.Integer(0)  # only one coordinate is ever non-zero

    def _sample(self, m, d, rng):
        k = rng.integers(0, d, size=m)
        s = 2.0 * rng.integers(0, 2, size=m) - 1.0
        x = np.zeros((m, d))
        x[np.arange(m), k] = self._float("c") * s
        return x


class FullOne(_Independent):
    """Deterministic x = c 1: every moment of total order n is c^n."""

    name = "full-one"
    description = "deterministic x = c (1, ..., 1)"
    PARAMS = (Param("c", "value of every coordinate"),)
    EXAMPLES = ("full-one:c=1",)

    def _real_moment(self, n, j):
        return self.params["c"] ** n

    def _sample(self, m, d, rng):
        return np.full((m, d), self._float("c"))


class Uniform(_Independent):
    """Uniform[-c, c] coordinates: E x^n = c^n / (n + 1) for even n, 0 for odd n."""

    name = "uniform"
    description = "independent Uniform[-c, c] coordinates"
    PARAMS = (Param("c", "half-width of the interval"),)
    EXAMPLES = ("uniform:c=1",)

    def _real_moment(self, n, j):
        return sympy.Integer(0) if n % 2 else self.params["c"] ** n / (n + 1)

    def _sample(self, m, d, rng):
        c = self._float("c")
        return rng.uniform(-c, c, size=(m, d))


class Rademacher(_Independent):
    """Coordinates +-c: E x^n = c^n for even n, 0 for odd n."""

    name = "rademacher"
    description = "independent coordinates +c or -c with probability 1/2 each"
    PARAMS = (Param("c", "magnitude of every coordinate"),)
    EXAMPLES = ("rademacher:c=1",)

    def _real_moment(self, n, j):
        return sympy.Integer(0) if n % 2 else self.params["c"] ** n

    def _sample(self, m, d, rng):
        return self._float("c") * (2.0 * rng.integers(0, 2, size=(m, d)) - 1.0)


class Laplace(_Independent):
    """Laplace(0, b) coordinates: E x^n = n! b^n for even n, 0 for odd n."""

    name = "laplace"
    description = "independent Laplace(0, b) coordinates (density exp(-|x|/b) / (2b))"
    PARAMS = (Param("b", "scale (E x^2 = 2 b^2)"),)
    EXAMPLES = ("laplace:b=1",)

    def _real_moment(self, n, j):
        return sympy.Integer(0) if n % 2 else sympy.factorial(n) * self.params["b"] ** n

    def _sample(self, m, d, rng):
        return rng.laplace(0.0, self._float("b"), size=(m, d))


class StudentT(_Independent):
    """scale * t_nu coordinates: E x^2k = scale^2k nu^k prod_{i<=k} (2i-1)/(nu-2i) for 2k < nu.

    Moments of order >= nu are infinite (odd ones undefined): InfiniteMomentError.
    """

    name = "student-t"
    description = "independent scale * t_nu coordinates (Student t, nu degrees of freedom)"
    PARAMS = (
        Param("nu", "degrees of freedom; moments of order >= nu are infinite",
              range="> 6 (so that the 6th moment is finite)", check=lambda v: v > 6, symbolic_ok=False),
        Param("scale", "multiplies the standard t variable", default=sympy.Integer(1)),
    )
    EXAMPLES = ("student-t:nu=10,scale=1",)

    def moment_order_finite(self, n):
        return bool(n < self.params["nu"])

    @property
    def max_finite_moment(self):
        return int(sympy.ceiling(self.params["nu"])) - 1

    def _real_moment(self, n, j):
        nu, scale = self.params["nu"], self.params["scale"]
        if n >= nu:
            raise InfiniteMomentError(f"the order-{n} moment of {self.spec} is infinite "
                                      f"(student-t moments of order n need nu > n; nu = {nu})")
        if n % 2:
            return sympy.Integer(0)
        k = n // 2
        ratios = (sympy.Rational(2 * i - 1) / (nu - 2 * i) for i in range(1, k + 1))
        return scale**n * nu**k * sympy.Mul(*ratios)

    def _sample(self, m, d, rng):
        return self._float("scale") * rng.standard_t(self._float("nu"), size=(m, d))


class CGaussian(_Independent):
    """Circular complex Gaussian coordinates: E[z^p conj(z)^q] = [p = q] p! sigma^(2p)."""

    name = "cgaussian"
    description = ("independent circular complex Gaussians with E|z|^2 = sigma^2 "
                   "(real and imaginary parts N(0, sigma^2/2))")
    PARAMS = (Param("sigma", "E|z|^2 = sigma^2"),)
    EXAMPLES = ("cgaussian:sigma=1",)
    is_real = False

    def _coord_moment(self, p, q, j):
        return sympy.factorial(p) * self.params["sigma"] ** (2 * p) if p == q else sympy.Integer(0)

    def _sample(self, m, d, rng):
        z = rng.standard_normal((m, d)) + 1j * rng.standard_normal((m, d))
        return self._float("sigma") / np.sqrt(2.0) * z


class Mixture(Distribution):
    """x = v_k with probability w_k: a moment is the exact weighted sum over the vectors."""

    name = "mixture"
    description = "finite mixture of explicit vectors: x = v_k with probability w_k"
    EXAMPLES = ("mixture:1/2*[1,0]+1/2*[0,1]", "mixture:1/4*[1+2i,-1]+3/4*[-1/2i,0]")
    PARAM_DOC = ("W1*[v11,...,v1d]+W2*[v21,...]+...: weights W > 0 summing exactly to 1, "
                 "entries real or complex (2, -0.5, 1+2i, -3i)")
    is_exchangeable = False

    @classmethod
    def from_body(cls, body, spec, col0):
        if body is None:
            raise grammar.fail(spec, "mixture has no terms", "mixture:W1*[v1,...]+W2*[...]+...")
        terms = grammar.parse_mixture(body, spec, col0)
        return cls({"weights": tuple(w for w, _ in terms), "vectors": tuple(v for _, v in terms)}, spec)

    def _validate(self, spec):
        weights, vectors = self.params["weights"], self.params["vectors"]
        for w in weights:
            if not w > 0:
                raise grammar.fail(spec, f"mixture weight {w} is not positive", "weights > 0")
        if sum(weights) != 1:
            raise grammar.fail(spec, f"mixture weights sum to {sum(weights)}", "weights summing exactly to 1")
        lengths = sorted({len(v) for v in vectors})
        if len(lengths) > 1:
            raise grammar.fail(spec, f"mixture vectors have different lengths {lengths}",
                               "vectors of one length d")

    @property
    def spec(self):
        terms = ("{}*[{}]".format(w, ",".join(map(grammar.format_complex, v)))
                 for w, v in zip(self.params["weights"], self.params["vectors"]))
        return "mixture:" + "+".join(terms)

    @property
    def is_real(self):
        return all(sympy.im(e) == 0 for v in self.params["vectors"] for e in v)

    def _check_dim(self, d):
        length = len(self.params["vectors"][0])
        if length != d:
            raise SpecError(f"{self.spec} has vectors of length {length} but d = {d}; expected length d")

    def prob_nonzero(self, j, d):
        self.for_dim(d)
        return sum((w for w, v in zip(self.params["weights"], self.params["vectors"]) if v[j] != 0),
                   sympy.Integer(0))

    def nonzero_moment(self, j, k, n, d):
        self.for_dim(d)
        return sum((w * sympy.Abs(v[k]) ** n for w, v in zip(self.params["weights"], self.params["vectors"])
                    if v[j] != 0), sympy.Integer(0))

    def _moment(self, alpha, beta):
        total = sympy.Integer(0)
        for w, v in zip(self.params["weights"], self.params["vectors"]):
            total += w * sympy.Mul(*(e**a * sympy.conjugate(e) ** b for e, a, b in zip(v, alpha, beta)))
        return sympy.expand(total)

    def _sample(self, m, d, rng):
        weights = np.array([float(w) for w in self.params["weights"]])
        vectors = np.array([[complex(e) for e in v] for v in self.params["vectors"]])
        k = rng.choice(len(weights), size=m, p=weights / weights.sum())
        return vectors[k]


class IID(_Independent):
    """I.i.d. real coordinates with symbolic moments: E x^n = m_n (Symbol, real), m_0 = 1."""

    name = "iid"
    description = "i.i.d. real coordinates with symbolic moments m_n = E[x^n] (m_0 = 1)"
    EXAMPLES = ("iid",)

    @property
    def is_symbolic(self):
        return True

    def prob_nonzero(self, j, d):
        return P_NONZERO

    def _real_moment(self, n, j):
        if n == 0:
            return sympy.Integer(1)
        # Even moments of a real law are E[x^2k] > 0 (unless x = 0 a.s., excluded).
        return iid_moment(n)


class SymmetricIID(IID):
    """I.i.d. real coordinates with a symmetric law: E x^n = m_n (Symbol) for even n, 0 for odd n.

    Symmetry kills the odd moments that break the invariance of A = aI, B = bI for a general
    i.i.d. law (the engine derives which: `mesacheck derive invariance --dist iid`).
    """

    name = "iid-symmetric"
    description = "i.i.d. real coordinates with a symmetric law: symbolic even moments m_n, odd ones 0"
    EXAMPLES = ("iid-symmetric",)

    def _real_moment(self, n, j):
        return sympy.Integer(0) if n % 2 else super()._real_moment(n, j)


class Generic(Distribution):
    """Any law on C^d: each mixed moment is its own MomentSymbol."""

    name = "generic"
    description = "any law on C^d: every mixed moment is its own symbol E[...]"
    EXAMPLES = ("generic",)
    is_real = False
    is_exchangeable = False

    @property
    def is_symbolic(self):
        return True

    def prob_nonzero(self, j, d):
        return P_NONZERO

    def _moment(self, alpha, beta):
        return MomentSymbol(alpha, beta)


REGISTRY = MappingProxyType({cls.name: cls for cls in (
    Gaussian, Sparse, FullOne, Uniform, Rademacher, Laplace, StudentT, CGaussian, Mixture, IID, SymmetricIID,
    Generic,
)})


def parse_dist(spec):
    """Parse a spec string (see spec_grammar) into its Distribution; SpecError if malformed."""
    name, body, col0 = grammar.split_spec(spec)
    cls = REGISTRY.get(name)
    if cls is None:
        raise grammar.fail(spec, f"unknown distribution {name!r}", "one of " + ", ".join(REGISTRY))
    return cls.from_body(body, spec, col0)
