r"""LaTeX captions of derived results: prose with the math in math mode, the left side of the
display, and the equation label, per (derivation kind, result name).

The plain-text caption of every result stays where the result is made (terminal and JSON use it);
this table is the paper-ready wording of the same statements. ``{p}`` in a caption is replaced by
the label prefix, so a caption can refer to an earlier display (``\eqref{eq:{p}-ode}``). A name
ending in ``@oo`` is the caption used when the derivation is for T -> infinity. A result without
an entry here is shown with its plain-text caption converted by :func:`tex_prose.prose`.
"""
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Caption:
    """How one result is shown in LaTeX: ``tex`` (prose before the display), ``lhs`` (left side,
    LaTeX math, '' for none), ``label`` (suffix of \\label{eq:PREFIX-label}; None: no display, the
    value goes inline), ``after`` (prose after the display)."""

    tex: str
    lhs: str = ""
    label: Optional[str] = None
    after: str = ""
    key: str = "%s"


C = Caption
REDUCTION = C(r"Reduced system, decided exactly from this law's own population gradient on the set:")

CAPTIONS = {
    # -- the reduced flow on A = aI, B = bI (claim C2) -------------------------------------------------
    ("reduced", "reduction"): REDUCTION,
    ("reduced", "loss_u"): C(r"On the set $\{A=aI,\ B=bI\}$ (all other blocks $0$) the population loss "
                             r"depends on $(a,b)$ only through $u=ab$:", "g(u)", "loss"),
    ("reduced", "Q"): C(r"Its curvature, slope and constant are", "Q", "Q"),
    ("reduced", "R"): C("", "R", "R"),
    ("reduced", "C"): C("", "C", "C"),
    ("reduced", "Q_positive"): C(r"$Q>0$ for every integer $T\ge 3$ and $d\ge 1$:"),
    ("reduced", "R_positive"): C(r"$R>0$ for every integer $T\ge 3$ and $d\ge 1$:"),
    ("reduced", "ode_general"): C(
        r"The gradient flow moves matrix entries: each of the $d$ diagonal entries of $A$ moves by "
        r"$-\partial L/\partial A_{jj}=-\tfrac1d\,\partial g(ab)/\partial a$, and likewise for $B$. "
        r"For $g(u)=\tfrac{Q}{2}u^2-Ru+C$ the flow on the set is therefore", "", "ode-general",
        r"which is not the gradient flow of $(a,b)\mapsto L(aI,bI)$ (that one lacks the factor $1/d$)."),
    ("reduced", "ode"): C(r"With this law's $Q$ and $R$:", "", "ode"),
    ("reduced", "conserved"): C(r"Since $g$ depends on $(a,b)$ only through $ab$, "
                                r"$a\,\partial_a g=b\,\partial_b g$, and the quantity", r"\kappa",
                                "conserved"),
    ("reduced", "conserved_drift"): C(r"is conserved: its derivative along the flow is", 
                                      r"\frac{\mathrm{d}\kappa}{\mathrm{d}\tau}", "conserved-drift"),
    ("reduced", "udot"): C(r"The product $u=ab$ evolves by", r"\dot u", "udot"),
    ("reduced", "ab_limit_T@oo"): C(r"Its stationary value $u^*=R/Q$, the limit of $ab$ from every start "
                                    r"off the stable manifold \eqref{eq:{p}-stable-manifold}, is, for every "
                                    r"integer $T\ge 3$,", "u^*", "limit-T"),
    ("reduced", "ab_limit@oo"): C(r"As $T\to\infty$:", r"\lim_{T\to\infty} u^*", "limit"),
    ("reduced", "ab_limit"): C(r"The limit of $ab$ at this $T$, the stationary value $u^*=R/Q$:", "u^*",
                               "limit"),
    ("reduced", "loss_at_limit"): C(r"The loss there, $g(u^*)=C-R^2/(2Q)$:", "g(u^*)", "loss-at-limit"),
    ("reduced", "eig_origin"): C(r"At the origin the Jacobian of \eqref{eq:{p}-ode-general} has the "
                                 r"eigenvalues", "", "eig-origin",
                                 r"one negative and one positive: the origin is a saddle."),
    ("reduced", "eig_curve"): C(r"At a point $(a,\,u^*/a)$ of the curve of equilibria $ab=u^*$ the "
                                r"eigenvalues are", "", "eig-curve",
                                r"zero along the curve and negative across it: every equilibrium on the "
                                r"curve attracts transversally."),
    ("reduced", "stable_manifold"): C(r"The stable eigenvector at the origin spans the line", "",
                                      "stable-manifold",
                                      r"the stable manifold of the saddle: from these initialisations "
                                      r"$ab\to 0$."),
    ("reduced", "stable_manifold_invariant"): C(r"The field is parallel to that line on it (the line is "
                                                r"invariant):"),
    ("reduced", "converging"): C(r"Every other initialisation converges to $ab=u^*$, because "
                                 r"$\mathrm{d}u/\mathrm{d}\tau=-(a^2+b^2)\,g'(u)/d$ has the sign of "
                                 r"$u^*-u$ and $a^2+b^2>0$ off the origin:"),
    # -- the diagonal set (claims C2, C7) ---------------------------------------------------------------
    ("diagonal", "reduction"): REDUCTION,
    ("diagonal", "aI_invariant"): C(r"The smaller set $\{A=aI,\ B=bI\}$ is invariant too:"),
    ("diagonal", "loss"): C(r"The population loss on the diagonal set $\{A=\operatorname{diag}(a_j),\ "
                            r"B=\operatorname{diag}(b_j)\}$ is", "L", "loss"),
    ("diagonal", "loss@oo"): C(r"The population loss on the diagonal set, divided by $T-2$, tends as "
                               r"$T\to\infty$ to", r"\lim_{T\to\infty}\frac{L}{T-2}", "loss"),
    ("diagonal", "ode"): C(r"Each diagonal entry is its own coordinate, so the flow is the gradient flow "
                           r"of these entries:", "", "ode"),
    ("diagonal", "conserved"): C(r"The loss is invariant under $a_j\mapsto c\,a_j$, $b_j\mapsto b_j/c$, so",
                                 r"\kappa", "conserved"),
    ("diagonal", "conserved_drift"): C(r"is conserved:", r"\frac{\mathrm{d}\kappa}{\mathrm{d}\tau}",
                                       "conserved-drift"),
    ("diagonal", "coupled"): C(r"Pairs $(r,k)$ whose term $b_r^2a_k^2$ appears in the loss (the coordinates "
                               r"interact through the in-context cross terms):"),
    ("diagonal", "stationary_method"): C(r"The stationary point reached from positive starts was found by:"),
    ("diagonal", "u_limits"): C(r"The limits $u_j=a_jb_j$ there, $j=1,\dots,d$:", r"(u^*_j)_{j}", "limits"),
    ("diagonal", "ab_limit"): C(r"Their mean over the non-degenerate coordinates (the $ab$ the simulation "
                                r"reports):", "u^*", "limit"),
    ("diagonal", "certificate"): C(r"Certificate: the largest $|\partial L/\partial\theta|$ at the reported "
                                   r"30-digit point (exact gradient, 60-digit arithmetic):", "", "certificate"),
    ("diagonal", "hessian_eigenvalues"): C(r"Eigenvalues of the Hessian of $L$ there (one zero mode from the "
                                           r"rescaling $a\mapsto ca$, $b\mapsto b/c$):", "", "hessian"),
    # -- capability (claims C3-C5) -----------------------------------------------------------------------
    ("recovery", "reduction"): REDUCTION,
    ("recovery", "geometric"): C(r"With $\mu=\lambda_k/\lambda_j$, the in-context cross term of the error "
                                 r"has the closed form", "", "geometric",
                                 r"bounded by $2/|1-\mu|$ for $\mu\neq 1$ (almost every $W$), so it "
                                 r"vanishes after division by $t-1$ as $t\to\infty$."),
    ("recovery", "geometric_checked"): C(r"SymPy's summation agrees with this closed form:"),
    ("recovery", "excess"): C(r"Hence, at $u=ab$, the test error $\mathrm{E}\|\hat y_t-x_{t+1}\|^2$ tends, as "
                              r"the test position $t\to\infty$, to", r"E_\infty(u)", "excess"),
    ("recovery", "condition"): C(r"Since $\sum_j|x_j|^2(u|x_j|^2-1)^2\ge 0$ for every $x_1$, the model "
                                 r"recovers $x_{t+1}$ for almost every $x_1$ if and only if", "",
                                 "condition",
                                 r"that is, $|x_j|^2\in\{0,1/u\}$ almost surely for every $j$."),
    ("recovery", "test_error_t"): C(r"At a finite test position $t$ the test error is", "e_t(u)", "test-error"),
    ("recovery", "u_T"): C(r"The learned $u$ at training length $T$:", r"u^*_T", "u-T"),
    ("recovery", "excess_T"): C(r"and the limit of the test error there:", r"E_\infty(u^*_T)", "excess-T"),
    ("recovery", "recovers_T"): C(r"Recovery at this $T$:"),
    ("recovery", "u_inf"): C(r"The learned $u$ as $T\to\infty$:", r"u^*_\infty", "u-inf"),
    ("recovery", "excess_inf"): C(r"and the limit of the test error there:", r"E_\infty(u^*_\infty)",
                                  "excess-inf"),
    ("recovery", "recovers_inf"): C(r"Recovery as $T\to\infty$:"),
    ("recovery", "ratio_counts"): C(r"Summed over $i$, the expectations over $W$ of "
                                    r"$\bar x_{t+1,j}\,x_{i+1,j}\,\bar x_{i,k}\,x_{t,k}$ are, for "
                                    r"$k=j$ and for $k\neq j$ (written $c_{k=j}$ and $c_{k\neq j}$),", "",
                                    "ratio-counts",
                                    r"so the cross terms average to $0$ and $\mathrm{E}_W[\hat y_{t,j}/x_{t+1,j}]"
                                    r"=u_j|x_{1,j}|^2$.", "c_{%s}"),
    ("recovery", "nonzero_total"): C(r"The expected number of nonzero coordinates,", r"p_{\neq 0}", "nonzero"),
    ("recovery", "ratio_T"): C(r"The ratio of the paper's figures is the mean of $\operatorname{Re}"
                               r"(\hat y_{t,j}/x_{t+1,j})$ over the coordinates with $x_{t+1,j}\neq 0$; "
                               r"its population value is $\sum_j u_j\,\mathrm{E}|x_j|^2/p_{\neq 0}$, "
                               r"which at the learned $u^*_T$ is", r"r_T", "ratio-T"),
    ("recovery", "ratio_inf"): C(r"and as $T\to\infty$", r"r_\infty", "ratio"),
    # -- invariance of the set (claim C2) ----------------------------------------------------------------
    ("invariance", "zero_blocks"): C(r"Blocks whose gradient vanishes on the set for every law:"),
    ("invariance", "conditional_entries"): C(r"Entries whose gradient vanishes only under moment "
                                             r"conditions:"),
    ("invariance", "conditions"): C(r"The set is invariant (for all $a$, $b$ and every $T\ge 3$) if and only "
                                    r"if the law's moments satisfy", "", "invariance"),
    ("invariance", "broken"): C(r"Equations this law violates (the value of their left side):", "",
                                "violated"),
    ("invariance", "law_gradients"): C(r"Gradients of entries off the set that do not vanish for this law:",
                                       "", "off-set-gradients"),
    ("invariance", "diagonal_equal"): C(r"The diagonal entries of $A$ (and of $B$) receive equal gradients:"),
    ("invariance", "invariant"): C(r"The set is invariant under the population flow of this law (real "
                                   r"parameters):"),
    ("invariance", "invariant_complex"): C(r"The set is invariant for complex parameters $z$ too (with the "
                                           r"reference program's gradient $\partial L/\partial(\operatorname{Re}z)"
                                           r" + i\,\partial L/\partial(\operatorname{Im}z)$):"),
    ("invariance", "complex_gradients"): C(r"Complex-parameter gradients that break it:", "", "complex-gradients"),
    # -- one gradient step in context (claim C1) ---------------------------------------------------------
    ("one-step", "prediction"): C(r"With $A=aI$, $B=bI$ and all other blocks $0$, the model's definition "
                                  r"$\hat y_t=W^{PV}E_tE_t^{\top}W^{KQ}e_t/\rho_t$, multiplied out by SymPy, "
                                  r"gives", "", "prediction"),
    ("one-step", "ols"): C(r"The in-context least-squares loss is", r"L_{\mathrm{OLS}}(W)", "ols"),
    ("one-step", "gradient"): C(r"and its gradient at $W=0$, by SymPy differentiation,", "", "gradient"),
    ("one-step", "step"): C(r"One gradient step from $W_0=0$ with step size $\eta=ab/\rho_t$ gives "
                            r"$\widehat W_t=-\eta\nabla L_{\mathrm{OLS}}(0)$:", "", "step"),
    ("one-step", "gd_prediction"): C(r"Applied to the last token:", "", "gd-prediction"),
    ("one-step", "residual"): C(r"The difference, expanded, is the zero vector:", "", "residual"),
}


def caption(kind, name, limit_T=False):
    """The :class:`Caption` of result ``name`` of a derivation of ``kind``, or None."""
    if limit_T and (kind, name + "@oo") in CAPTIONS:
        return CAPTIONS[(kind, name + "@oo")]
    return CAPTIONS.get((kind, name))
