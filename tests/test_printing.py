"""The one printer: display names of the engine's Dummies, harmonic numbers, equations, booleans,
no Python syntax; the prose converter and the line breaking of displays."""
import random
import re
import shutil
import subprocess

import pytest
import sympy

from mesacheck.setting.moment_symbol import P_NONZERO, iid_moment
from mesacheck.symbolic import printing, symbols
from mesacheck.symbolic.tex_display import broken, equation, tex_width
from mesacheck.symbolic.tex_prose import math, prose

PYTHON_SYNTAX = re.compile(r"\*\*|harmonic\(|Eq\(|\bTrue\b|\bFalse\b|sqrt\(|conjugate\(")


def engine_dummies():
    """Every Dummy the engine creates at import or on demand, with the name it must print as."""
    out = {s: s.name for s in (symbols.a, symbols.b, symbols.u, symbols.tau, symbols.a0, symbols.b0,
                               symbols.Q, symbols.R, symbols.s, symbols.T, symbols.d, symbols.t,
                               symbols.mu, symbols.m)}
    avec, bvec = symbols.diagonal_symbols(3)
    out.update({x: x.name for x in avec + bvec})
    out.update({iid_moment(n): f"m_{n}" for n in range(1, 7)})
    out[P_NONZERO] = "p_nz"
    return out


@pytest.mark.parametrize("sym,name", list(engine_dummies().items()), ids=lambda x: str(x))
def test_every_dummy_prints_by_its_display_name(sym, name):
    assert isinstance(sym, sympy.Dummy)
    assert str(sym).startswith("_")  # SymPy's own printer shows the Dummy prefix ...
    text = printing.text(sym)
    assert text == name and not text.startswith("_")  # ... ours never does
    tex = printing.latex(sym)
    assert not tex.startswith("_") and "\\_" not in tex


def test_known_latex_names():
    assert printing.latex(symbols.T) == "T"
    assert printing.latex(symbols.a0) == "a_{0}"
    assert printing.latex(symbols.tau) == r"\tau"
    assert printing.latex(P_NONZERO) == r"p_{\neq 0}"
    adots, _ = symbols.diagonal_rate_symbols(2)
    assert printing.latex(adots[0]) == r"\dot{a}_{1}"
    assert printing.text(adots[0]) == "da_1/dtau"
    assert printing.latex(symbols.adot) == r"\dot{a}"


def test_harmonic_numbers():
    H98 = sympy.harmonic(98, evaluate=False)
    assert printing.text(H98) == "H_98"
    assert printing.latex(H98) == "H_{98}"
    HT = sympy.harmonic(symbols.T - 2)
    assert printing.text(HT) == "H_(T - 2)"
    assert printing.latex(HT) == "H_{T - 2}"
    assert printing.latex(HT**2) == r"\left(H_{T - 2}\right)^{2}"
    assert printing.text(sympy.harmonic(symbols.T, 2)) == "H^(2)_T"


def test_equations_booleans_powers_and_conjugates():
    eq = sympy.Eq(symbols.a0 + symbols.b0, 0)
    assert printing.text(eq) == "a_0 + b_0 = 0"
    assert printing.latex(eq) == "a_{0} + b_{0} = 0"
    assert printing.text(sympy.true) == "yes" and printing.text(sympy.false) == "no"
    assert printing.latex(sympy.true) == r"\text{yes}"
    assert printing.text(symbols.a**2 * symbols.b**3) == "a^2*b^3"
    assert printing.text(sympy.conjugate(sympy.Symbol("z"))) == "conj(z)"
    assert printing.text(sympy.I * symbols.a) in ("i*a", "a*i")
    assert printing.latex(sympy.oo) == r"\infty"


def test_no_python_syntax_in_any_printed_form():
    T, a, b = symbols.T, symbols.a, symbols.b
    exprs = [sympy.Eq(a**2 * sympy.harmonic(T - 2), sympy.sqrt(b)), sympy.true, sympy.false,
             sympy.Tuple(a**2, sympy.harmonic(98, evaluate=False)), sympy.oo * a]
    for e in exprs:
        for out in (printing.text(e), printing.latex(e)):
            assert not PYTHON_SYNTAX.search(out.replace("sqrt(", "")), out
            assert "sqrt(" not in printing.latex(e)
            assert not re.search(r"(^|[\s(+\-*/=,{])_[A-Za-z]", out), out


def test_shown_values_long_exact_as_decimal():
    long = sympy.Rational(10**45 + 7, 3 * 10**44)
    s = printing.shown(long)
    assert s.approx == pytest.approx(float(long))
    assert r"\ldots" in s.latex and "exact value" in s
    short = printing.shown(sympy.Rational(49, 2) / (sympy.harmonic(98, evaluate=False) + 3))
    assert short.latex.startswith(r"\frac{49}{2 \left(") and "H_{98}" in short.latex and r"\ldots" not in short.latex
    assert printing.shown(2.5e-7).latex == r"2.5 \times 10^{-7}"
    assert printing.shown((0.5, 0.25)).latex == r"\bigl(0.5,\ 0.25\bigr)"


# -- prose ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("lim_(T->oo) u*", r"$\lim_{T\to \infty}\, u^{*}$"),
    ("E_inf(u) = 0 at the learned u", r"$E_{\infty}(u) = 0$ at the learned $u$"),
    ("sum_j u_j M4_j", r"$\sum_{j}\, u_{j} M_{4,j}$"),
    ("rel 1e-9", r"rel $10^{-9}$"),
    ("A = aI, B = bI (other blocks 0)", r"$A = aI$, $B = bI$ (other blocks $0$)"),
    ("for gaussian:sigma=1 only", r"for \texttt{gaussian:sigma=1} only"),
    ("converged=True", r"$\mathrm{converged}=\text{yes}$"),
    ("x > 0 and |y| < 1", r"$x > 0$ and $|y| < 1$"),
])
def test_prose(text, expected):
    assert prose(text) == expected


def test_prose_never_leaves_encoding_dependent_characters_in_text_mode():
    rng = random.Random(7)
    alphabet = "abcxyzTudj_^*()[]{}<>|=+-/,.:;'!?%&#$~\\ 0123456789"
    for _ in range(300):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        out = prose(s)
        text_mode = re.sub(r"(?<!\\)\$.*?(?<!\\)\$", "", out)
        assert not re.search(r"[<>|]", text_mode), (s, out)
        assert len(re.findall(r"(?<!\\)\$", out)) % 2 == 0, (s, out)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex missing")
def test_random_prose_and_displays_compile(tmp_path):
    """300 random plain-text strings through prose(), and long expressions through equation(),
    compile without errors or overfull boxes."""
    rng = random.Random(11)
    alphabet = "abcxyzTudj_^*()[]{}<>|=+-/,.:;'!?%&#$~\\ 0123456789"
    paras = [prose("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))) for _ in range(300)]
    a, b = symbols.a, symbols.b
    long = sum(sympy.Rational(k + 1, 7) * a**k * b**(12 - k) * sympy.harmonic(symbols.T - 2) for k in range(13))
    displays = [equation("L", long, "eq:long"), equation("", sympy.Eq(long, 0), "eq:long-eq"),
                equation("u", sympy.Tuple(*[sympy.Rational(10**12 + k, 7 * 10**11) for k in range(9)]), "eq:tuple")]
    doc = ("\\documentclass[11pt,a4paper]{article}\\usepackage[margin=2.2cm]{geometry}\\usepackage{amsmath}"
           "\\setlength{\\emergencystretch}{3em}\\begin{document}\n" + "\n\n".join(paras + displays)
           + "\n\\end{document}\n")
    (tmp_path / "p.tex").write_text(doc)
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "p.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    log = (tmp_path / "p.log").read_text(errors="replace")
    assert proc.returncode == 0, "\n".join(l for l in log.splitlines() if l.startswith("!"))
    assert "Overfull \\hbox" not in log


def test_math_converts_notation():
    assert math("W^PV E_t") == r"W^{PV}\, E_{t}"
    assert math("x_(t+1,j) != 0") == r"x_{t+1,j} \neq  0"
    assert math("dL/dA_11") == r"\partial L/\partial A_{11}"


# -- displays -------------------------------------------------------------------------------------------
def test_broken_lines_fit_and_reassemble():
    a, b = symbols.a, symbols.b
    expr = sum(a**k * b**(20 - k) for k in range(21))
    lines = broken(expr, width=40)
    assert len(lines) > 2
    assert all(tex_width(ln) <= 44 for ln in lines)
    joined = " ".join(lines)
    assert joined.count("a^{") + joined.count(" a ") + joined.count("a b") >= 19


def test_equation_environments():
    a, b = symbols.a, symbols.b
    short = equation("u^*", a / b, "eq:x-short")
    assert short.startswith("\\begin{equation}\\label{eq:x-short}") and "split" not in short
    long = equation("L", sum(a**k * b**(30 - k) for k in range(31)), "eq:x-long")
    assert "\\begin{split}" in long and "&\\quad" in long
    no_lhs = equation("", sympy.Eq(sum(a**k * b**(30 - k) for k in range(31)), 0), "eq:x-eq")
    assert "\\begin{multline}" in no_lhs and no_lhs.count("\\label") == 1


@pytest.mark.parametrize("value, text, tex", [
    (complex(1, 2), "1 + 2i", r"1 + 2\,\mathrm{i}"),
    (complex(0, -0.5), "-0.5i", r"-0.5\,\mathrm{i}"),
    (complex(3, 0), "3", "3"),
    ((complex(1, -1), 0.5), "(1 - 1i, 0.5)", r"\bigl(1 - 1\,\mathrm{i},\ 0.5\bigr)"),
])
def test_complex_values_are_printed_as_a_plus_bi(value, text, tex):
    """Python's complex syntax ((1+2j)) must not reach a table or a document."""
    out = printing.shown(value)
    assert str(out) == text and out.latex == tex
    assert "j" not in str(out) + out.latex
