"""Plain-text prose written by mesacheck -> LaTeX prose with every formula in math mode.

Check statements, route descriptions, tolerances and captions are written once, in the plain-text
notation of the terminal output (``lim_(T->oo) u*``, ``E_inf(u) = sum_j (u_j^2 M6_j - ...)``,
``W^PV E_t E_t^H``). :func:`prose` turns such a sentence into LaTeX: English words stay text,
each run of formula words becomes one ``$...$`` with that notation translated (``u^*``,
``\\lim_{T\\to\\infty}``, ``\\sum_j``, ``M_{6,j}``, ``W^{PV}``), and distribution specs become
``\\texttt``. Only mesacheck's own strings (and specs that passed the spec grammar) are converted;
every character that TeX treats specially is escaped, so the output always compiles, and ``<``,
``>``, ``|`` never reach text mode (where the OT1 encoding would print other glyphs).

>>> prose("lim_(T->oo) u* from the closed form")
'$\\\\lim_{T\\\\to \\\\infty}\\\\, u^{*}$ from the closed form'
>>> prose("rel 1e-9")
'rel $10^{-9}$'
"""
import re

#: spec-like tokens: a family name, a colon, then a body without spaces
_FAMILIES = ("gaussian", "sparse", "full-one", "uniform", "rademacher", "laplace", "student-t",
             "cgaussian", "mixture", "iid-symmetric", "iid", "generic")
_SPEC = re.compile(r"\b(?:%s)(?::[A-Za-z0-9_=,.*+\-\[\]/]*[A-Za-z0-9\]]|(?=[\s,;:)]|$))"
                   % "|".join(re.escape(f) for f in sorted(_FAMILIES, key=len, reverse=True)))
_CODE = re.compile(r"`([^`]+)`")
#: Python names in dev text (sympy.limit, reductions.reduction_for): set as code
_DOTTED_NAME = re.compile(r"\b[a-z][a-z_]{2,}(?:\.[a-z_][a-z_0-9]{1,})+\b")
_ACRONYMS = re.compile(r"[A-Z]{3,}(?:/[A-Z]{3,})+")
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
          "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"}
_NAMED = {"yhat": r"\hat{y}", "What": r"\widehat{W}", "oo": r"\infty", "inf": r"\infty",
          "lim": r"\lim", "sum": r"\sum", "max": r"\max", "min": r"\min", "log": r"\log",
          "exp": r"\exp", "Re": r"\operatorname{Re}", "re": r"\operatorname{Re}",
          "Im": r"\operatorname{Im}", "diag": r"\operatorname{diag}", "det": r"\det",
          "grad": r"\nabla", "OLS": r"\mathrm{OLS}", "nz": r"\neq 0", "ab": "ab", "aI": "aI",
          "bI": "bI", "True": r"\text{yes}", "False": r"\text{no}", "None": r"\text{none}"}
#: lower-case words that are formulas, not English
_MATH_WORDS = set(_GREEK) | {"yhat", "oo", "inf", "lim", "sum", "max", "min", "sqrt", "conj", "re",
                             "ab", "aI", "bI", "dtau", "dL", "da", "db", "diag", "log", "exp",
                             "grad", "What", "Re", "Im"}
_OPS = [("->", r"\to "), ("<=", r"\le "), (">=", r"\ge "), ("!=", r"\neq "), ("||", r"\|"),
        ("{", r"\{"), ("}", r"\}"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#"), ("$", r"\$"),
        ("~", r"\sim "), ("\\", r"\backslash "), ('"', "")]
_MTOKEN = re.compile(r"(?P<num>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)|(?P<id>[A-Za-z]+[0-9]*)|(?P<op>->|<=|>=|!=|\|\||.)",
                     re.S)
_TEXT_ESC = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
             "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
             "<": r"$<$", ">": r"$>$", "|": r"$|$", "*": r"$*$"}
_TT_ESC = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
           "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def text_escape(s):
    """Plain text -> LaTeX text mode (specials escaped; < > | * set in math)."""
    return "".join(_TEXT_ESC.get(ch, ch) for ch in str(s))


def tt(s):
    """``\\texttt`` of a spec or a command (characters escaped; breakable after commas)."""
    body = "".join(_TT_ESC.get(ch, ch) for ch in str(s))
    return r"\texttt{%s}" % body.replace(",", r",\allowbreak{}").replace("+", r"+\allowbreak{}")


#: Python words in dev text, shown as English
_PY_WORDS = {"True": "yes", "False": "no", "None": "none", "True,": "yes,", "False,": "no,",
             "True;": "yes;", "False;": "no;"}
_ABBREVIATIONS = {"a.e", "i.e", "e.g", "vs", "iff", "cf", "etc", "w.r.t", "i.i.d"}


def _is_english(core, prev_math, next_core, first):
    """Whether a word (stripped of punctuation) is English text rather than a formula."""
    if not core or core in _ABBREVIATIONS:
        return True
    if core == "a":
        nxt = next_core or ""
        return not (prev_math or (nxt and not _english_shape(nxt)))
    if core in ("A", "I"):
        return first and bool(next_core) and _english_shape(next_core)
    return _english_shape(core)


def _english_shape(core):
    if core in _MATH_WORDS:
        return False
    return bool(re.fullmatch(r"[A-Za-z][a-z]+(?:-[a-z]+)*(?:'s)?|[A-Z][a-z]+(?:-[A-Za-z]+)*|[a-z]+-[a-z0-9-]+|[A-Z]{3,}[0-9]*|C[1-7](?:-C[1-7])?|SymPy|GD|NaN|MC",
                             core))


def _strip(word):
    return word.strip("()[],;:.'\"?!")


def prose(s, specs=()):
    """LaTeX text for the plain-text sentence ``s`` (see the module docstring).

    ``specs``: extra literal strings to typeset as ``\\texttt`` (e.g. the law's canonical spec).

    >>> prose("the derived u*_T and E_inf(u*) for gaussian:sigma=1")
    'the derived $u^{*}_{T}$ and $E_{\\\\infty}(u^{*})$ for \\\\texttt{gaussian:sigma=1}'
    """
    s = str(s)
    keep = {}

    def hold(tex):
        key = f"\x00{len(keep)}\x00"
        keep[key] = tex
        return key

    for spec in sorted(set(specs), key=len, reverse=True):
        if spec:
            s = s.replace(spec, hold(tt(spec)))
    s = _CODE.sub(lambda m: hold(tt(m.group(1))), s)
    s = _SPEC.sub(lambda m: hold(tt(m.group(0))), s)
    s = _DOTTED_NAME.sub(lambda m: hold(tt(m.group(0))), s)
    s = _ACRONYMS.sub(lambda m: hold(text_escape(m.group(0))), s)
    s = re.sub(r"'([A-Za-z ]+)'", lambda m: hold("`" + text_escape(m.group(1)) + "'"), s)
    words = s.split()
    out, run = [], []

    def flush():
        if run:
            body = " ".join(run)
            lead = re.match(r"[(\[]*", body).group(0) if body[:1] == "(" and body.count("(") > body.count(")") else ""
            body = body[len(lead):]
            trail = re.search(r"[,;:.]*$", body).group(0)
            while body[len(body) - len(trail) - 1: len(body) - len(trail)] == ")" and \
                    body.count(")") > body.count("("):
                trail = body[len(body) - len(trail) - 1] + trail
            body = body[: len(body) - len(trail)] if trail else body
            # separate formulas at top-level ", " so that the line can break between them
            pieces = [math(p) for p in _top_level_split(body)] if body else []
            tex = ", ".join(f"${p}$" for p in pieces if p.strip())
            out.append(text_escape(lead) + tex + text_escape(trail))
            run.clear()

    words = [_PY_WORDS.get(w, w) for w in words]
    for k, w in enumerate(words):
        if "\x00" in w:
            flush()
            out.append(_restore(w, keep))
            continue
        core = _strip(w)
        nxt = _strip(words[k + 1]) if k + 1 < len(words) else None
        first = k == 0 or words[k - 1].endswith(".")
        if run and re.match(r"\([A-Za-z]\w*=", w):
            flush()  # a parameter list "(d=3, T=5)" after a formula is its own group, not an argument
        if _is_english(core, bool(run), nxt, first) and not re.search(r"[=_^<>|*/]", w):
            flush()
            out.append(text_escape(w))
        else:
            run.append(w)
    flush()
    return " ".join(x for x in out if x)


def _restore(word, keep):
    parts = re.split(r"(\x00[0-9]+\x00)", word)
    return "".join(keep[p] if p in keep else text_escape(p) for p in parts)


def math(s):
    """A formula in mesacheck's plain-text notation -> LaTeX math (no ``$``).

    >>> math("E_inf(u) = sum_j (u_j^2 M6_j - 2 u_j M4_j + M2_j)")
    'E_{\\\\infty}(u) = \\\\sum_{j} (u_{j}^{2} M_{6,j} - 2\\\\, u_{j} M_{4,j} + M_{2,j})'
    """
    toks = [(m.lastgroup, m.group(m.lastgroup)) for m in _MTOKEN.finditer(s)]
    tex, _ = _convert(toks, 0, None)
    tex = re.sub(r"(\\[A-Za-z]+) +(?=[_^(,)])", r"\1", tex)
    # infinity is never applied to arguments: "t -> oo (d=3)" keeps its space
    return re.sub(r"\\infty\(", r"\\infty\\ (", tex).strip()


def _number(n):
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)[eE]([+-]?[0-9]+)", n)
    if not m:
        return n
    mant, exp = m.group(1), int(m.group(2))
    mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
    return (r"10^{%d}" % exp) if mant == "1" else r"%s \times 10^{%d}" % (mant, exp)


def _ident(word, nxt_op, prev_op=None):
    """One identifier: Greek, named operators, d/dx, letters followed by digits (M4 -> M_{4})."""
    m = re.fullmatch(r"([A-Za-z]+?)([0-9]+)", word)
    if m and m.group(1) not in ("e",):
        return r"%s_{%s}" % (_ident(m.group(1), None), m.group(2))
    if word in _GREEK:
        return "\\" + word + " "
    if word == "E" and nxt_op != "_":
        return r"\operatorname{E}"
    if word in _NAMED:
        return _NAMED[word] + ("" if _NAMED[word].endswith("}") or len(_NAMED[word]) < 3 else " ")
    if word.startswith("d") and len(word) > 1 and (word[1:] in _GREEK or len(word) == 2) and \
            (nxt_op == "/" or prev_op == "/"):
        rest = word[1:]
        if rest[0].isupper():
            return r"\partial " + rest
        return r"\mathrm{d}" + ("\\" + rest + " " if rest in _GREEK else rest)
    if len(word) <= 2 or word.isupper():
        return word
    return r"\mathrm{%s}" % word


def _script(toks, i):
    """The argument of _ or ^ starting at toks[i]: (tex, next index)."""
    if i >= len(toks):
        return "{}", i
    kind, val = toks[i]
    if val == "(":
        inner, j = _convert(toks, i + 1, ")")
        return "{%s}" % inner.strip(), j
    if kind == "id":
        if val in ("inf", "oo"):
            return r"{\infty}", i + 1
        if val == "nz":
            return r"{\neq 0}", i + 1
        if len(val) > 1 and val.isupper() and val not in ("KQ", "PV", "H", "T"):
            return r"{\mathrm{%s}}" % val, i + 1
        m = re.fullmatch(r"([A-Za-z]+?)([0-9]+)", val)
        if m:
            return "{%s%s}" % m.groups(), i + 1
        return "{%s}" % val, i + 1
    if kind == "num":
        # x_11, M4_j: digits then maybe a letter index glued as in u_j
        return "{%s}" % val, i + 1
    if val == "*":
        return "{*}", i + 1
    return "{}", i


def _convert(toks, i, closer):
    """Convert tokens from i up to ``closer`` (or the end); returns (tex, index after closer)."""
    out = []
    prev_operand = False
    while i < len(toks):
        kind, val = toks[i]
        if closer and val == closer:
            return "".join(out), i + 1
        if kind == "num":
            if prev_operand and out and out[-1] == " ":
                out[-1] = r"\, "
            out.append(_number(val))
            prev_operand = True
            i += 1
            continue
        if kind == "id":
            nxt = toks[i + 1][1] if i + 1 < len(toks) else "end"
            if val == "x" and nxt in (" ", "end") and _prev_is_number(out):
                out.append(r"\times ")
                i += 1
                prev_operand = False
                continue
            if val in ("sqrt", "conj") and nxt == "(":
                inner, j = _convert(toks, i + 2, ")")
                out.append((r"\sqrt{%s}" if val == "sqrt" else r"\overline{%s}") % inner.strip())
                i = j
                prev_operand = True
                continue
            word = _ident(val, nxt, toks[i - 1][1] if i > 0 else None)
            # digits glued to a subscripted name: M4_j -> M_{4,j}
            m = re.fullmatch(r"(.+)_\{([0-9]+)\}", word)
            if m and nxt == "_" and i + 2 < len(toks):
                sub, j = _script(toks, i + 2)
                out.append(r"%s_{%s,%s}" % (m.group(1), m.group(2), sub[1:-1]))
                i = j
                prev_operand = True
                continue
            if prev_operand and out and out[-1] == " " and not word.startswith("\\"):
                out[-1] = r"\, "
            out.append(word)
            prev_operand = True
            i += 1
            continue
        # operators
        if val in ("_", "^"):
            sub, j = _script(toks, i + 1)
            out.append(_after_script(out, val) + val + sub)
            i = j
            continue
        if val == "*":
            nxt = toks[i + 1][1] if i + 1 < len(toks) else "end"
            after_name = i > 0 and toks[i - 1][0] == "id"
            if after_name and (nxt in ("end", " ", "_", "(", ")", ",", "^") or closer == nxt):
                out.append(_after_script(out, "^") + "^{*}")
            else:
                out.append(r"\, ")
            i += 1
            continue
        if val == " ":
            if out and out[-1] not in (" ", r"\, "):
                out.append(" ")
            i += 1
            continue
        if val == ",":
            out.append(",")
            i += 1
            if i < len(toks) and toks[i][1] == " ":
                out.append(r"\ ")
                i += 1
            prev_operand = False
            continue
        if val == "(" and closer is None or val == "(":
            inner, j = _convert(toks, i + 1, ")")
            out.append("(" + inner + (")" if j <= len(toks) and toks[j - 1][1] == ")" else ""))
            i = j
            prev_operand = True
            continue
        if val == ")":  # unmatched
            out.append(")")
            i += 1
            continue
        mapped = dict(_OPS).get(val)
        if val == "'":
            mapped = _after_script(out, "^") + "'"
        out.append(mapped if mapped is not None else val)
        prev_operand = val in ("]", "'", "|") and False
        i += 1
    return "".join(out), i


def _after_script(out, kind):
    """'{}' when the current atom already carries a ``kind`` script (a prime counts as '^'), so
    that ``x^^2``, ``u*^2``, ``u^*_T^2`` or ``x_1_2`` never give TeX's double-script error."""
    present = set()
    for item in reversed(out):
        if not item.strip():  # TeX ignores spaces in math: x^{2} ^{3} is still a double script
            continue
        body = item[2:] if item.startswith("{}") else item
        if body.startswith("^") or body.startswith("'"):
            present.add("^")
        elif body.startswith("_"):
            present.add("_")
        else:  # the atom itself: a name with digits carries a subscript already (y06 -> y_{06})
            if item.endswith("'"):
                present.add("^")
            for mark, script in (("_", r"_\{[^{}]*\}$"), ("^", r"\^\{[^{}]*\}$")):
                if re.search(script, item):
                    present.add(mark)
            break
        if item.startswith("{}"):
            break
    return "{}" if kind in present else ""


def _prev_is_number(out):
    for x in reversed(out):
        if x in (" ", r"\, "):
            continue
        return bool(re.fullmatch(r"[0-9.]+|.*10\^\{-?[0-9]+\}", x))
    return False


def _top_level_split(body):
    """``body`` split at the ", " that are outside brackets."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(body):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0 and body[k + 1:k + 2] == " ":
            parts.append(body[start:k])
            start = k + 2
    parts.append(body[start:])
    return parts
