"""Benchmark of the symbolic engine: the general-T derivation and its exact evaluation.

For each built-in numeric family (d = 5) and for `iid` with symbolic d:
  * cold  : derive_reduced(dist, d, 'oo') (general-T closed form + limit T -> oo) with the
            counting caches cleared first (torus._count_cached, expectation._weight);
  * T=100 / T=1000 : derive_reduced(dist, d, T), the exact value at a concrete T (caches warm,
            as in one CLI call that derives the closed form and evaluates it).
Each family is run in a fresh subprocess so SymPy's own caches do not leak between rows.

Run: python benchmarks/bench_symbolic.py [--inprocess]
"""
import json
import subprocess
import sys
import time

FAMILIES = [
    ("gaussian:sigma=1", 5),
    ("sparse:c=1", 5),
    ("full-one:c=1", 5),
    ("uniform:c=1", 5),
    ("rademacher:c=1", 5),
    ("laplace:b=1", 5),
    ("student-t:nu=10", 5),
    ("cgaussian:sigma=1", 5),
    ("mixture:1/2*[1,0,0,0,0]+1/2*[0,1,-1,0,2]", 5),
    ("iid", "d"),
]


def run_one(spec, d):
    """Timings (seconds) for one family; returns a dict."""
    import sympy

    from mesacheck.setting.distributions import parse_dist
    from mesacheck.symbolic import expectation, torus
    from mesacheck.symbolic.reduced import D_SYMBOL, derive_reduced

    dist = parse_dist(spec)
    dd = D_SYMBOL if d == "d" else d
    torus._count_cached.cache_clear()
    expectation._weight.cache_clear()
    sympy.core.cache.clear_cache()
    out = {"spec": spec, "d": str(d)}
    if not dist.is_exchangeable:
        out["note"] = "not exchangeable: derive_reduced skipped"
        return out
    t0 = time.perf_counter()
    der = derive_reduced(dist, dd, "oo")
    out["oo"] = time.perf_counter() - t0
    out["limit"] = str(der.get("ab_limit"))
    for T in (100, 1000):
        t0 = time.perf_counter()
        der = derive_reduced(dist, dd, T)
        value = der.get("ab_limit")
        text = value.evalf(12) if not value.free_symbols else value
        out[f"T={T}"] = time.perf_counter() - t0
        out[f"value{T}"] = str(text)
    return out


def main(argv):
    inprocess = "--inprocess" in argv
    if "--child" in argv:
        i = int(argv[argv.index("--child") + 1])
        print(json.dumps(run_one(*FAMILIES[i])))
        return 0
    rows = []
    for i, (spec, d) in enumerate(FAMILIES):
        if inprocess:
            rows.append(run_one(spec, d))
            continue
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", str(i)], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            rows.append({"spec": spec, "d": str(d), "note": "FAILED: " + proc.stderr.strip().splitlines()[-1]})
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["process"] = wall
        rows.append(row)
    fmt = "{:<44} {:>3} {:>9} {:>9} {:>9} {:>9}  {}"
    print(fmt.format("family", "d", "oo [s]", "T=100[s]", "T=1000[s]", "proc[s]", "u* at T=1000 / limit"))
    for r in rows:
        if "oo" not in r:
            print(fmt.format(r["spec"][:44], r["d"], "-", "-", "-", "-", r.get("note", "")))
            continue
        proc = f"{r['process']:.2f}" if "process" in r else "-"
        print(fmt.format(r["spec"][:44], r["d"], f"{r['oo']:.3f}", f"{r['T=100']:.3f}", f"{r['T=1000']:.3f}",
                         proc, f"{r['value1000'][:22]} / {r['limit']}"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
