r"""One section per claim: the statement with the paper's numbering, the assumptions in force, the
derivation as numbered equations (every one a result of a Derivation object), and the verdicts.

With a law given by the user (``mesacheck latex --dist SPEC``) every claim is stated for that law;
a claim about another law (Proposition 4.1 is about the Gaussian, Example 4.1 about the sparse
law, C6 about laws that leave the set) is marked "not applicable to this law" and shows the law's
own derived values instead. The derivations are those the checks computed (kept in the claim
reports); the few that no check needs (the invariance conditions, C1 at a concrete size) are
derived here.
"""
from dataclasses import dataclass, field

import sympy

from mesacheck.output.latex.verdicts import verdict_table
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic import printing
from mesacheck.symbolic.derivation_tex import fragment, is_limit_T, result_latex, slug
from mesacheck.symbolic.tex_display import REPORT_WIDTH
from mesacheck.symbolic.tex_prose import prose, tt

#: the paper's numbering, per claim
PAPER = {
    "C1": "the one-step gradient-descent identity (the paper's mesa-optimizer construction)",
    "C2": "Theorem 4.1, under Assumption 4.1, from the initialisation of Assumption 3.1",
    "C3": "Theorem 4.2, with Assumption 4.2",
    "C4": "Proposition 4.1",
    "C5": "Example 4.1",
    "C6": "the analysis beyond Assumption 4.1: full-one start, masked and unmasked training",
    "C7": "beyond the paper: laws the paper did not try",
}
SHORT = {"C1": "One step of gradient descent in context", "C2": "Emergence", "C3": "Capability",
         "C4": "The Gaussian law fails", "C5": "The sparse law succeeds", "C6": "Beyond Assumption 4.1",
         "C7": "Beyond the paper"}
_C3_NAMES = ("reduction", "geometric", "geometric_checked", "excess", "condition", "test_error_t", "u_T",
             "excess_T", "recovers_T", "u_inf", "excess_inf", "recovers_inf")
_VERDICT_NAMES = ("u_T", "excess_T", "recovers_T", "u_inf", "excess_inf", "recovers_inf")
_RATIO_NAMES = ("ratio_counts", "nonzero_total", "u_T", "ratio_T", "u_inf", "ratio_inf")


@dataclass
class Context:
    """What the document is for: the user's law (None: each claim's own), and the specs to set
    in typewriter type."""

    dist: str = None
    specs: tuple = field(default_factory=tuple)


def _find(report, kind, **inputs):
    """The first derivation of ``kind`` in the report whose inputs match (values compared as text)."""
    for _, der in report.derivations:
        if der.kind == kind and all(str(der.inputs.get(k)) == str(v) for k, v in inputs.items()):
            return der
    return None


def _some(report, kind, limit_T=None):
    for _, der in report.derivations:
        if der.kind == kind and (limit_T is None or is_limit_T(der) == limit_T):
            return der
    return None


def _results(der, prefix, names, skip=()):
    """LaTeX of the named results of ``der`` (all of them when ``names`` is None)."""
    chosen = [r for r in der.results if (names is None or r.name in names) and r.name not in skip]
    if names is not None:
        chosen.sort(key=lambda r: list(names).index(r.name))
    return "\n\n".join(x for x in (result_latex(der, r, prefix, REPORT_WIDTH) for r in chosen) if x)


def _approx(expr):
    """' (approximately 0.191905088526)' for an exact number, else ''."""
    if isinstance(expr, sympy.Basic) and not expr.free_symbols and expr.is_real:
        return r" ($\approx %s$)" % printing.decimal_latex(float(sympy.N(expr, 30)))
    return ""


def _law_name(spec):
    return tt(spec)


def _default(claim):
    from mesacheck.checks.runner import claim_module

    return getattr(claim_module(claim), "DEFAULT", (None, None, None))


def _law_of(report, ctx):
    spec = ctx.dist or _default(report.claim)[0]
    return parse_dist(spec) if spec else None


def _para(title, body):
    return r"\paragraph{%s.} %s" % (title, body)


def _not_applicable(claim, about, law, extra=""):
    return (r"\paragraph{Applicability.} Claim %s (%s) is about %s; it is \textbf{not applicable to "
            r"this law} (%s). %s" % (claim, PAPER[claim], about, _law_name(law.spec), extra))


def applicability(report, dist):
    """None when the claim is about the law ``dist`` (a spec), else why it is not (LaTeX)."""
    from mesacheck.symbolic.reductions import NONE, SCALAR, reduction_for

    if dist is None or report.claim in ("C1", "C7"):
        return None
    law = parse_dist(dist)
    d = (report.settings or {}).get("d") or _default(report.claim)[1] or 2
    try:
        system = reduction_for(law, min(d, 4) if law.is_exchangeable else d, None).system
    except Exception:  # noqa: BLE001 - e.g. a law of another fixed dimension: say nothing
        return None
    if report.claim == "C2" and system != SCALAR:
        return "Assumption 4.1 fails for this law"
    if report.claim == "C3" and system == NONE:
        return "no reduced system is exact for this law"
    if report.claim == "C4" and not (law.name == "gaussian" and "sigma" in law.params):
        return "it is about the Gaussian law"
    if report.claim == "C5" and law.name != "sparse":
        return "it is about the sparse law"
    if report.claim == "C6" and system == SCALAR:
        return "it is about laws that leave the set; this law keeps it"
    return None


# -- C1 -----------------------------------------------------------------------------------------------
def c1(report, ctx):
    from mesacheck.symbolic.one_step import derive_one_step

    der = derive_one_step(2, 3)
    return "\n\n".join([
        _para("Claim", r"For every sequence $x_1,\dots,x_t$ (any vectors, not only paths of the process) "
              r"and all real $a$, $b$: if $A=aI$, $B=bI$ and all other blocks are zero, then "
              r"$\hat y_t=\widehat W_t x_t$ with $\widehat W_t=-\eta\nabla L_{\mathrm{OLS}}(0)$ and "
              r"$\eta=ab/\rho_t$: the prediction is one gradient step on the in-context least squares, "
              r"applied to the last token."),
        _para("Assumptions in force", r"None on the law of $x_1$: the identity is algebraic. The "
              r"parameters have the form that Assumption 3.1's initialisation gives."),
        _para("Derivation", r"SymPy multiplies out the model's definition \eqref{eq:model} and "
              r"differentiates $L_{\mathrm{OLS}}$, here at $d=2$, $t=3$ with symbolic real tokens "
              r"$x_{i,j}$ (token $i$, coordinate $j$); the checks below repeat this at several "
              r"$(d,t)$ and test the two numeric engines of the model on random complex sequences."),
        fragment(der, "c1", heading=False, width=REPORT_WIDTH),
    ])


# -- C2 -----------------------------------------------------------------------------------------------
def _invariance(law, d, T):
    """(invariance derivation for every T at d = 2 (or the law's own d <= 4), the same at the
    concrete ``T`` (its complex-parameter verdict is decided there: with symbolic T SymPy cannot
    tell that H_(T-2) is real), the law's Reduction in dimension d)."""
    from mesacheck.symbolic.invariance import derive_invariance
    from mesacheck.symbolic.reductions import reduction_for
    from mesacheck.symbolic.symbols import T as T_SYMBOL

    d_inv = 2
    try:
        law.for_dim(2)
    except Exception:  # noqa: BLE001 - a law of another fixed dimension
        d_inv = min(d, 4)
    return (derive_invariance(law, d_inv, T_SYMBOL), derive_invariance(law, d_inv, T),
            reduction_for(law, d, None))


def c2(report, ctx):
    law = _law_of(report, ctx)
    _, d0, T0 = _default("C2")
    red_T = _some(report, "reduced", limit_T=False)
    red_oo = _some(report, "reduced", limit_T=True)
    settings = report.settings or {}
    d = red_oo.inputs["d"] if red_oo is not None else (settings.get("d") or d0)
    T = red_T.inputs["T"] if red_T is not None else (settings.get("T") or T0)
    inv, inv_T, red = _invariance(law, d, T)
    holds = r"whose moments satisfy Assumption 4.1 (derived below)" if red_oo is not None else \
        r"if its moments satisfied Assumption 4.1 (they do not, see below)"
    out = [_para("Claim", r"(%s.) For the law %s, %s, the gradient flow from $A=a_0I$, $B=b_0I$ stays on "
                 r"the set $\{A=aI,\ B=bI$, all other blocks $0\}$, conserves $a^2-b^2$, and drives $ab$ to "
                 r"an explicit limit $u^*$, a closed form in $d$, $T$ and the moments of the law, from every "
                 r"start off a line of initialisations that go to the saddle at the origin."
                 % (PAPER["C2"], _law_name(law.spec), holds))]
    out.append(_para("Assumptions in force", r"Assumption 3.1 (initialisation, Section~\ref{sec:setting}). "
                     r"Assumption 4.1 asks that the set be invariant under the population flow: at every "
                     r"point of it the gradient of every entry off the set must vanish and the diagonal "
                     r"entries of $A$ (and of $B$) must receive equal gradients. mesacheck derives what "
                     r"this means for the moments of $x_1$: in dimension $d=%d$," % inv.inputs["d"]))
    out.append(_results(inv, "c2", ("zero_blocks", "conditions")))
    if inv.inputs["d"] < 4:
        out.append(r"In higher dimension the same computation adds conditions on moments of up to four "
                   r"coordinates (\texttt{mesacheck derive invariance --d 4} prints them; $d=4$ decides "
                   r"every $d$ for a law with exchangeable coordinates).")
    out.append(r"For the law %s:" % _law_name(law.spec))
    out.append(_results(inv, "c2", ("broken", "invariant")))
    out.append(r"At $T=%s$:" % T)
    out.append(_results(inv_T, f"c2-t{T}", ("invariant_complex", "complex_gradients")))
    out.append(r"In dimension $d=%s$: %s." % (d, prose(red.describe())))
    if red_oo is None:
        out.append(_c2_not_invariant(law, d, red))
        return "\n\n".join(out)
    out.append(_para("Derivation", r"On the set, for every integer $T\ge 3$ (closed forms in $T$ with "
                     r"harmonic numbers), in dimension $d=%s$:" % printing.latex(sympy.sympify(d)) if not isinstance(d, str)
                     else ""))
    out.append(_results(red_oo, "c2", None, skip=("reduction",)))
    if red_T is not None:
        T = red_T.inputs["T"]
        u_T = red_T.get("ab_limit")
        out.append(r"At the paper's training length $T=%s$ the coefficients of $g$ are exact rationals "
                   r"and harmonic numbers, and the limit of $ab$ is%s" % (T, _approx(u_T) and ""))
        out.append(_results(red_T, f"c2-t{T}", ("loss_u", "ab_limit")))
        out.append(r"that is, $u^*\approx %s$, below its limit as $T\to\infty$ \eqref{eq:c2-limit}."
                   % printing.decimal_latex(float(sympy.N(u_T, 30))) if not u_T.free_symbols else "")
    return "\n\n".join(x for x in out if x)


def _c2_not_invariant(law, d, red):
    from mesacheck.symbolic import dispatch
    from mesacheck.symbolic.reductions import DIAGONAL

    text = [r"\paragraph{Applicability.} Assumption 4.1 fails for %s: Theorem 4.1 is \textbf{not "
            r"applicable to this law}." % _law_name(law.spec)]
    if red.system == DIAGONAL:
        der = dispatch.derive("limit", law, d, "oo")
        text.append(r"The diagonal set is invariant instead (C7 derives its flow); the law's own limits "
                    r"as $T\to\infty$ are")
        text.append(_results(der, "c2-own", ("u_limits", "ab_limit")))
    else:
        text.append(r"No reduced set is invariant: only the full flow is exact for this law (see C6).")
    return "\n\n".join(text)


# -- C3 -----------------------------------------------------------------------------------------------
def c3(report, ctx):
    law = _law_of(report, ctx)
    rec = _find(report, "recovery", dist=law.spec)
    out = [_para("Claim", r"(%s.) Let $u$ be the limit of $ab$ that training reaches (C2). The learned "
                 r"one-step-GD predictor recovers the process, $\hat y_t-x_{t+1}\to 0$ as the test "
                 r"position $t\to\infty$ for almost every $x_1$, if and only if $E_\infty(u)=0$, that is, "
                 r"$|x_{1,j}|^2\in\{0,1/u\}$ almost surely for every $j$. This is Assumption 4.2 at the "
                 r"learned $u$, a stronger condition than Assumption 4.1; it is decided for finite $T$ "
                 r"($u=u^*_T$) and as $T\to\infty$." % PAPER["C3"]),
           _para("Assumptions in force", r"Assumption 3.1; Assumption 4.1 or, for a law with unequal "
                 r"coordinates, invariance of the diagonal set (the reduced system below); $\mu=\lambda_k"
                 r"/\lambda_j\neq 1$, which holds for almost every $W$.")]
    if rec is None:
        out.append(r"No reduced system is exact for %s, so the learned $u$ is not given by a reduced "
                   r"flow and the claim is not applicable to this law." % _law_name(law.spec))
        return "\n\n".join(out)
    out.append(_para("Derivation", r"For the law %s:" % _law_name(law.spec)))
    out.append(_results(rec, "c3", _C3_NAMES))
    if ctx.dist is None:
        g = _find(report, "recovery", dist="gaussian:sigma=1")
        if g is not None:
            out.append(_para("The paper's counterexample", r"For the Gaussian law %s the same derivation "
                             r"gives" % _law_name(g.inputs["dist"])))
            out.append(_results(g, "c3-gaussian", _VERDICT_NAMES))
    return "\n\n".join(x for x in out if x)


# -- C4 -----------------------------------------------------------------------------------------------
def c4(report, ctx):
    law = _law_of(report, ctx)
    rec = _find(report, "recovery", dist=law.spec)
    gaussian = law.name == "gaussian" and "sigma" in law.params
    out = [_para("Claim", r"(%s.) For $x_1\sim N(0,\sigma^2 I)$ the trained model under-predicts: the ratio "
                 r"$r_T$ of the paper's figures stays below $1$ and tends to $1/5$ as $T\to\infty$, for "
                 r"every $d$ and $\sigma$ (the paper's simulations: $0.2$ at $d=5$)." % PAPER["C4"]),
           _para("Assumptions in force", r"Assumptions 3.1 and 4.1 (the Gaussian law satisfies it); the "
                 r"ratio is averaged over the coordinates with $x_{t+1,j}\neq 0$ (one definition, used "
                 r"everywhere).")]
    if not gaussian:
        own = ""
        if rec is not None and rec.has("ratio_inf"):
            own = r"For %s the same derivation gives the law's own ratio (below), $r_\infty=%s$." % (
                _law_name(law.spec), printing.latex(rec.get("ratio_inf")))
        out.append(_not_applicable("C4", r"the Gaussian law", law, own))
    if rec is not None:
        out.append(_para("Derivation", r"For the law %s:" % _law_name(law.spec)))
        out.append(_results(rec, "c4", _RATIO_NAMES))
    return "\n\n".join(x for x in out if x)


# -- C5 -----------------------------------------------------------------------------------------------
def c5(report, ctx):
    law = _law_of(report, ctx)
    red = _some(report, "reduced", limit_T=False)
    out = [_para("Claim", r"(%s.) For $x_1=c\,s\,e_k$ with $k$ uniform on $\{1,\dots,d\}$ and $s=\pm1$ "
                 r"with equal probability, the population loss at the learned $u^*$ is $0$ for every $T$ "
                 r"and $d$: the test error of the trained model tends to $0$." % PAPER["C5"]),
           _para("Assumptions in force", r"Assumptions 3.1, 4.1 and 4.2 (the sparse law satisfies both: "
                 r"$|x_{1,j}|^2\in\{0,c^2\}$).")]
    if law.name != "sparse":
        own = ""
        if red is not None:
            own = r"For %s the loss at the learned $u^*$ is \eqref{eq:c5-loss-at-limit}." % _law_name(law.spec)
        out.append(_not_applicable("C5", r"the sparse law", law, own))
    if red is not None:
        out.append(_para("Derivation", r"For the law %s at $d=%s$, $T=%s$:" % (
            _law_name(law.spec), red.inputs["d"], red.inputs["T"])))
        out.append(_results(red, "c5", ("loss_u", "ab_limit", "loss_at_limit")))
    return "\n\n".join(x for x in out if x)


# -- C6 -----------------------------------------------------------------------------------------------
def c6(report, ctx):
    from mesacheck.symbolic.invariance import derive_invariance
    from mesacheck.symbolic.reductions import SCALAR, reduction_for
    from mesacheck.symbolic.symbols import T as T_SYMBOL

    law = _law_of(report, ctx)
    masked = _some(report, "reduced")
    d = masked.inputs["d"] if masked is not None else 2
    out = [_para("Claim", r"(%s.) For the full-one start $x_1=c\mathbf{1}$ the set $\{A=aI,\ B=bI\}$ is not "
                 r"invariant: the off-diagonal entries of $A$ and $B$ receive a nonzero gradient on it, "
                 r"and no stationary point of the unmasked flow has the form $A=aI$, $B=bI$ except the "
                 r"origin; the full flow converges to a point off the set. The masked flow (off-diagonal "
                 r"entries of $A$, $B$ held at $0$) stays on the set and converges to the stationary value "
                 r"$u^*$ of its reduced flow." % PAPER["C6"]),
           _para("Assumptions in force", r"Assumption 3.1; Assumption 4.1 is \emph{not} assumed.")]
    if reduction_for(law, d, None).system == SCALAR:
        out.append(_not_applicable("C6", r"laws that leave the set", law,
                                   r"For it the set is invariant (see C2); the checks below test C6's "
                                   r"statements anyway, so a FAIL there confirms that this law keeps the "
                                   r"set."))
    inv = derive_invariance(law, d, T_SYMBOL)
    out.append(_para("Derivation", r"For the law %s at $d=%s$, for every $T\ge 3$:" % (_law_name(law.spec), d)))
    out.append(_results(inv, "c6", ("law_gradients", "diagonal_equal", "invariant")))
    if masked is not None:
        out.append(r"The masked flow at $T=%s$:" % masked.inputs["T"])
        out.append(_results(masked, "c6-masked", ("loss_u", "ode", "ab_limit")))
    return "\n\n".join(x for x in out if x)


# -- C7 -----------------------------------------------------------------------------------------------
def c7(report, ctx):
    out = [_para("Claim", r"(%s.) The derivations of C2--C5 carry over to any law with the moments they "
                 r"need: for each law below mesacheck decides which reduced system is exact (the set "
                 r"$\{A=aI,\ B=bI\}$, or the diagonal set $\{A=\operatorname{diag}(a_j),\ "
                 r"B=\operatorname{diag}(b_j)\}$ when the coordinates differ), derives the limit of $ab$ "
                 r"(of each $u_j$) and decides recovery." % PAPER["C7"]),
           _para("Assumptions in force", r"Assumption 3.1; invariance of the reduced set, decided for "
                 r"each law from its own population gradient; finite moments up to order $6$ (and up to "
                 r"order $8$ for a Monte Carlo check of the sampler).")]
    laws = []
    for _, der in report.derivations:
        spec = der.inputs.get("dist")
        if spec and spec not in laws:
            laws.append(spec)
    for spec in laws:
        tag = "c7-" + slug(spec)
        out.append(r"\subsubsection*{The law %s}" % _law_name(spec))
        red_oo = _find(report, "reduced", dist=spec, T="oo")
        diag_oo = _find(report, "diagonal", dist=spec, T="oo")
        rec = _find(report, "recovery", dist=spec)
        if red_oo is not None:
            out.append(_results(red_oo, tag, ("reduction", "ab_limit_T", "ab_limit")).replace(
                r"\eqref{eq:%s-stable-manifold}" % tag, r"$a_0+b_0=0$"))
        if diag_oo is not None:
            out.append(_results(diag_oo, tag, ("reduction", "stationary_method", "u_limits", "ab_limit")))
        if rec is not None:
            out.append(_results(rec, tag, ("excess_inf", "recovers_inf")))
    skipped = [s for s in report.skipped if s["id"].startswith("C7.reduced[")]
    for s in skipped:
        out.append(prose(s["statement"] + ": " + s["reason"] + ".", ctx.specs))
    return "\n\n".join(x for x in out if x)


BUILDERS = {"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6, "C7": c7}


def claim_section(report, ctx):
    """The section of one claim (a claim whose report could not run gets its verdicts only)."""
    head = r"\section{%s: %s}\label{sec:%s}" % (report.claim, SHORT.get(report.claim, ""), report.claim.lower())
    build = BUILDERS.get(report.claim)
    try:
        body = build(report, ctx) if build else ""
    except Exception as exc:  # noqa: BLE001 - the document must still say what happened
        body = r"\emph{The derivation could not be written: %s.}" % prose(f"{type(exc).__name__}: {exc}")
    return "\n\n".join([head, body, r"\needspace{10\baselineskip}\subsection*{Verdicts}",
                        verdict_table(report, ctx.specs)])
