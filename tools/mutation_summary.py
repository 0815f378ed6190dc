"""Summarise mutmut's results (mutants/**/*.py.meta): kill rate per module, list of survivors.

Run by tools/mutation.sh after ``mutmut run``; usable on its own:
``python tools/mutation_summary.py [--out mutants/summary.md]``.

Kill rate = (killed + timeout) / (killed + timeout + survived + no tests): a timeout counts as
killed (the mutant made the tests hang, which a run would notice); a mutant of a function that no
selected test calls ("no tests") counts as NOT killed. Mutants not selected in this run ("not
checked") are left out of the rate and counted in their own column.

A survivor that tools/mutation_kills.py has since shown killed by a new test (mutants/kills.json)
is counted in the column "killed later" and in the rate "after"; "rate (mutmut)" is mutmut's own.
"""
import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

# mutmut 3 exit-code meanings (mutmut/stats.py)
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout",
          -11: "segfault", -9: "segfault", 37: "type check", None: "not checked"}


def load(root):
    """Return {module: {mutant_name: status}} from every .meta file under ``root`` (and kills.json)."""
    out = defaultdict(dict)
    kills_path = Path(root) / "kills.json"
    kills = json.loads(kills_path.read_text()) if kills_path.exists() else {}
    for meta in sorted(Path(root).rglob("*.py.meta")):
        module = str(meta.relative_to(root))[: -len(".py.meta")].replace("/", ".")
        data = json.loads(meta.read_text())
        for name, code in data.get("exit_code_by_key", {}).items():
            status = STATUS.get(code, "suspicious")
            if status in ("survived", "no tests") and kills.get(name, {}).get("status") == "killed":
                status = "killed later"
            out[module][name] = status
    return out


def summarise(results):
    """Markdown table of counts per module and the survivors; returns (text, total Counter)."""
    lines = ["| module | mutants | run | killed | timeout | killed later | survived | no tests | not checked "
             "| rate (mutmut) | rate after |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    total = Counter()
    survivors = []
    for module, mutants in sorted(results.items()):
        c = Counter(mutants.values())
        run = (c["killed"] + c["timeout"] + c["survived"] + c["segfault"] + c["suspicious"] + c["no tests"]
               + c["killed later"])
        if run == 0:
            continue
        total.update(c)
        rate = (c["killed"] + c["timeout"]) / run
        after = (c["killed"] + c["timeout"] + c["killed later"]) / run
        lines.append(f"| {module} | {len(mutants)} | {run} | {c['killed']} | {c['timeout']} | "
                     f"{c['killed later']} | {c['survived']} | {c['no tests']} | {len(mutants) - run} | "
                     f"{rate:.1%} | {after:.1%} |")
        survivors += sorted(n for n, s in mutants.items()
                            if s in ("survived", "suspicious", "segfault", "no tests"))
    run = (total["killed"] + total["timeout"] + total["survived"] + total["segfault"]
           + total["suspicious"] + total["no tests"] + total["killed later"])
    if run:
        lines.append(f"| **total** | | {run} | {total['killed']} | {total['timeout']} | "
                     f"{total['killed later']} | {total['survived']} | {total['no tests']} | | "
                     f"{(total['killed'] + total['timeout']) / run:.1%} | "
                     f"{(total['killed'] + total['timeout'] + total['killed later']) / run:.1%} |")
    lines += ["", f"Survivors, including 'no tests' ({len(survivors)}):", ""]
    lines += [f"- {n} ({results[n.rsplit('.x', 1)[0]][n]})" for n in survivors]
    return "\n".join(lines) + "\n", total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default="mutants", help="mutmut's working directory")
    ap.add_argument("--out", default=None, help="also write the summary to this file")
    args = ap.parse_args(argv)
    text, _ = summarise(load(args.root))
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
