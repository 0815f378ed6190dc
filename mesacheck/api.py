"""The Python API of mesacheck: ``import mesacheck as mc``.

Five functions, each a thin layer over the engine that the command line uses too:

* :func:`dist` - a law of the first token from its spec (``"laplace:b=1"``);
* :func:`derive` - an exact derivation (limit, ode, invariance, recovery, diagonal) as a
  :class:`~mesacheck.symbolic.derivation.Derivation`, dispatched through the reductions exactly
  like ``mesacheck derive``;
* :func:`verify` - the checks of claims C1-C7, as a :class:`VerifyReport` with verdicts;
* :func:`flow` - integrate the reduced or the full population gradient flow;
* :func:`latex_document` - the LaTeX appendix of ``mesacheck latex`` from a :class:`VerifyReport`;
* :func:`text`, :func:`latex` - the printer of every mesacheck output, for a single value.

Bad arguments raise :class:`mesacheck.errors.MesacheckError` with a one-line message naming the
argument; a string where a law is expected is parsed with the spec grammar (never evaluated).

>>> import mesacheck as mc
>>> law = mc.dist("laplace:b=1")
>>> r = mc.derive("limit", law, d=5, T="oo")
>>> r.value("ab_limit")                  # m4/m6 = 24/720 for Laplace(b=1)
1/30
>>> u_T = r.value("ab_limit_T")          # the closed form in T, with the engine's symbol T
>>> u_T.subs(r.symbols["T"], 3)          # (T-2) m4 / ((T-2) m6 + (d-1) m2 m4 H_(T-2)) at T = 3
1/38
>>> print(r.text().splitlines()[0])
Reduced flow on the set A = aI, B = bI (claim C2)
"""
import math

from mesacheck.errors import InputError

_WHATS = ("limit", "ode", "invariance", "recovery", "diagonal")


def dist(spec):
    """The initial-token law of a spec string (see ``mesacheck dists``), or ``spec`` itself if it is
    already a :class:`~mesacheck.setting.distributions.Distribution`.

    Parameters
    ----------
    spec : str or Distribution
        e.g. ``"gaussian:sigma=1"``, ``"sparse:c=1"``, ``"mixture:1/2*[1,0]+1/2*[0,1]"``, or with a
        named parameter ``"gaussian:sigma=s"`` for symbolic answers.

    Returns
    -------
    Distribution

    Examples
    --------
    >>> dist("gaussian:sigma=1/2").spec
    'gaussian:sigma=1/2'
    >>> dist(3)
    Traceback (most recent call last):
    ...
    mesacheck.errors.InputError: spec: expected a distribution spec string (e.g. 'gaussian:sigma=1') or a Distribution, got int
    """
    return _law(spec, "spec")


def _law(value, name):
    from mesacheck.setting.distributions import Distribution, parse_dist

    if isinstance(value, Distribution):
        return value
    if isinstance(value, str):
        return parse_dist(value)
    raise InputError(f"{name}: expected a distribution spec string (e.g. 'gaussian:sigma=1') or a "
                     f"Distribution, got {type(value).__name__}")


def _T(T, name="T"):
    import sympy

    if T is sympy.oo or (isinstance(T, float) and math.isinf(T) and T > 0):
        return "oo"
    if isinstance(T, str) and T.strip().lower() in ("oo", "inf", "infinity"):
        return "oo"
    if isinstance(T, bool) or not isinstance(T, int) or T < 3:
        raise InputError(f"{name}: expected an integer >= 3 or 'oo', got {T!r}")
    return T


def _d(d, name="d"):
    import sympy

    if d == "d" or (isinstance(d, sympy.Symbol) and d.name == "d"):
        return "d"
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise InputError(f"{name}: expected an integer >= 1 or 'd' (symbolic), got {d!r}")
    return d


def derive(what, law, d=5, T=100, masked=False):
    """An exact derivation for a law, as a :class:`~mesacheck.symbolic.derivation.Derivation`.

    The reduced system is chosen exactly as ``mesacheck derive`` does
    (:mod:`mesacheck.symbolic.reductions`): A = aI, B = bI when that set is invariant for the
    law and the flow, else the diagonal set, else a :class:`~mesacheck.errors.ReductionError`
    saying what to use instead.

    Parameters
    ----------
    what : {'limit', 'ode', 'invariance', 'recovery', 'diagonal'}
    law : str or Distribution
        the law of the first token (a spec string is parsed).
    d : int or 'd'
        token dimension; ``'d'`` for symbolic d (exchangeable laws; limit, ode, recovery).
    T : int or 'oo'
        training sequence length (>= 3), or ``'oo'`` (also ``math.inf``, ``sympy.oo``) for closed
        forms in T and their limit T -> infinity.
    masked : bool
        the masked flow (off-diagonal entries of A and B held at 0).

    Returns
    -------
    Derivation
        ``.value(name)`` (SymPy), ``.names``, ``.symbols`` (the engine's symbols, for ``.subs``),
        ``.latex()``, ``.text()``, ``.to_json()``; displays as LaTeX in Jupyter.

    Examples
    --------
    >>> r = derive("limit", "gaussian:sigma=1", d=5, T=100)
    >>> r.value("ab_limit")
    49/(2*harmonic(98) + 245)
    >>> float(r.value("ab_limit"))                                  # doctest: +ELLIPSIS
    0.19190508852...
    >>> r.value("system")
    'scalar'
    >>> "\\\\label{eq:limit-limit}" in r.latex(label_prefix="limit")
    True
    >>> derive("limt", "gaussian:sigma=1")
    Traceback (most recent call last):
    ...
    mesacheck.errors.InputError: what: expected one of limit, ode, invariance, recovery, diagonal, got 'limt'
    """
    from mesacheck.symbolic import dispatch

    if what not in _WHATS:
        raise InputError(f"what: expected one of {', '.join(_WHATS)}, got {what!r}")
    if not isinstance(masked, bool):
        raise InputError(f"masked: expected True or False, got {masked!r}")
    return dispatch.derive(what, _law(law, "law"), _d(d), _T(T), masked)


class VerifyReport:
    """The verdicts of :func:`verify`: one :class:`~mesacheck.checks.verdict.ClaimReport` per claim.

    ``verdicts`` maps claim -> 'PASS' / 'FAIL' / 'N/A'; ``passed`` is True when every claim passed
    or does not apply; ``report["C2"]`` is a claim's report (its checks, routes, compared values);
    ``table()`` the plain-text table of ``mesacheck verify``; ``to_json()`` its JSON; in Jupyter
    it displays as an HTML table.
    """

    def __init__(self, reports, settings):
        self.reports = list(reports)
        self.settings = settings

    @property
    def verdicts(self):
        """claim -> 'PASS', 'FAIL' or 'N/A'."""
        return {r.claim: r.verdict for r in self.reports}

    @property
    def passed(self):
        """Whether every claim passed (or does not apply to the law)."""
        from mesacheck.checks.runner import exit_code

        return exit_code(self.reports) == 0

    def __getitem__(self, claim):
        for r in self.reports:
            if r.claim == str(claim).upper():
                return r
        raise KeyError(f"no report for {claim!r}; this run has {', '.join(r.claim for r in self.reports)}")

    def __iter__(self):
        return iter(self.reports)

    def table(self):
        """The plain-text verdict table (as printed by ``mesacheck verify``)."""
        from mesacheck.checks.verdict import format_table

        return format_table(self.reports)

    def to_json(self):
        """JSON-ready dict: the claims' reports and the overall verdict."""
        return {"claims": [r.to_json() for r in self.reports], "passed": self.passed,
                "settings": self.settings.to_json()}

    def __repr__(self):
        return "VerifyReport(" + ", ".join(f"{k}: {v}" for k, v in self.verdicts.items()) + ")"

    def _repr_html_(self):
        import html

        rows = []
        for r in self.reports:
            n_pass = sum(c.status == "pass" for c in r.checks)
            rows.append(f"<tr><td>{r.claim}</td><td><b>{r.verdict}</b></td><td>{n_pass}/{len(r.checks)}</td>"
                        f"<td style='text-align:left'>{html.escape(r.title)}</td></tr>")
        return ("<table><tr><th>claim</th><th>verdict</th><th>checks</th><th>statement</th></tr>"
                + "".join(rows) + "</table>")

    def _repr_latex_(self):
        rows = r" \\ ".join(r"\text{%s} & \text{%s} & %d/%d" % (
            r.claim, r.verdict, sum(c.status == "pass" for c in r.checks), len(r.checks)) for r in self.reports)
        return r"$$\begin{array}{lll} \text{claim} & \text{verdict} & \text{checks} \\ \hline %s \end{array}$$" % rows


def verify(claims=None, dist=None, d=None, T=None, quick=False, seed=0, budget=None):
    """Run the checks of claims (default all of C1-C7) and return their verdicts.

    Parameters
    ----------
    claims : str, list of str, or None
        ``"C2"``, ``["C2", "C4"]``; None for all.
    dist : str or Distribution, optional
        a law overriding each claim's own (claims about another law report N/A statements).
    d, T : int, optional
        dimension and training length overrides.
    quick : bool
        smaller samples and fewer cases (the command's ``--quick``).
    seed : int
        seed of every Monte Carlo check.
    budget : float, optional
        time budget per check, in seconds.

    Returns
    -------
    VerifyReport

    Examples
    --------
    >>> rep = verify("C1", quick=True)
    >>> rep.verdicts
    {'C1': 'PASS'}
    >>> rep.passed
    True
    >>> [c.id for c in rep["C1"].checks][:1]
    ['C1.symbolic']
    """
    from mesacheck.checks.runner import normalise_claims, run_claims
    from mesacheck.checks.verdict import Settings

    if claims is None:
        claims = []
    elif isinstance(claims, str):
        claims = [claims]
    elif not isinstance(claims, (list, tuple)) or not all(isinstance(c, str) for c in claims):
        raise InputError(f"claims: expected a claim name like 'C2' or a list of them, got {claims!r}")
    claims = normalise_claims(claims)
    spec = _law(dist, "dist").spec if dist is not None else None
    if d is not None:
        d = _d(d)
        if d == "d":
            raise InputError("d: verify needs a concrete dimension")
    if T is not None:
        T = _T(T)
        if T == "oo":
            raise InputError("T: verify needs a concrete training length")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed: expected an integer >= 0, got {seed!r}")
    if budget is not None and (not isinstance(budget, (int, float)) or not budget > 0):
        raise InputError(f"budget: expected a positive number of seconds, got {budget!r}")
    settings = Settings(dist=spec, d=d, T=T, quick=bool(quick), seed=seed, budget=budget)
    return VerifyReport(run_claims(claims, settings, progress=None), settings)


def flow(law, d=5, T=100, init=(0.1, 0.1), full=False, masked=False, tau=None):
    """Integrate the gradient flow from the Assumption 3.1 start A = a0 I, B = b0 I.

    A thin wrapper over :mod:`mesacheck.numeric.flows`: the reduced flow of (a, b) by default
    (refused with a ReductionError when A = aI, B = bI is not invariant for the law), or with
    ``full=True`` every entry under the exact population gradient (d <= 3, T <= 12).

    Parameters
    ----------
    law : str or Distribution
    d, T : int
    init : (float, float)
        (a0, b0).
    full : bool
        the exact full population flow instead of the reduced one.
    masked : bool
        hold the off-diagonal entries of A and B at 0.
    tau : float, optional
        integrate exactly to this flow time (default: until converged).

    Returns
    -------
    FlowResult
        ``.ab_limit``, ``.times``, ``.ab``, ``.offdiag``, ``.converged``, ``.criterion``, ...

    Examples
    --------
    >>> res = flow("gaussian:sigma=1", d=5, T=100, init=(0.5, 1.5))
    >>> res.converged, round(res.ab_limit, 9)
    (True, 0.191905089)
    """
    from mesacheck.numeric import flows

    law = _law(law, "law")
    d, T = _d(d), _T(T)
    if d == "d":
        raise InputError("d: a flow needs a concrete dimension, got 'd'")
    if T == "oo":
        raise InputError("T: a flow needs a concrete training length, got 'oo'")
    try:
        a0, b0 = (float(x) for x in init)
    except (TypeError, ValueError):
        raise InputError(f"init: expected a pair (a0, b0) of numbers, got {init!r}") from None
    if full:
        return flows.full_population_flow(law, d, T, (a0, b0), masked=masked, tau_max=tau)
    return flows.reduced_flow(law, d, T, a0, b0, tau_max=tau, masked=masked)


def text(expr):
    """Plain text of a derived value with the engine's display names (``T``, not SymPy's ``_T``),
    ``H_98`` for harmonic numbers and ``^`` for powers: the printer of every mesacheck output.

    Examples
    --------
    >>> r = derive("limit", "sparse:c=1", d=3, T="oo")
    >>> str(r.value("ab_limit_T")), text(r.value("ab_limit_T"))
    ('1', '1')
    >>> text(derive("ode", "gaussian:sigma=1", d=2, T="oo").value("C"))  # (T - 2) d m2 / 2
    'T - 2'
    """
    from mesacheck.symbolic import printing

    return printing.text(expr)


def latex(expr):
    """LaTeX of a derived value (amsmath only), with the engine's display names.

    Examples
    --------
    >>> latex(derive("ode", "gaussian:sigma=1", d=2, T="oo").value("Q"))  # d((T-2) m6 + (d-1) m2 m4 H_(T-2))
    '6 \\\\left(5 T + H_{T - 2} - 10\\\\right)'
    """
    from mesacheck.symbolic import printing

    return printing.latex(expr)


def latex_document(report):
    """The LaTeX appendix (as ``mesacheck latex`` writes it) for a :class:`VerifyReport`.

    Examples
    --------
    >>> tex = latex_document(verify("C1", quick=True))
    >>> tex.startswith("\\\\documentclass") and "\\\\section{C1" in tex
    True
    """
    from mesacheck.output.latex import document

    if not isinstance(report, VerifyReport):
        raise InputError(f"report: expected the VerifyReport of mesacheck.verify, got {type(report).__name__}")
    return document(report.reports, dist=report.settings.dist)
