"""``mesacheck bench``: time one training epoch of the prefix-sum engines against the naive
per-prefix implementation, on the same data in the same run, and check that they agree."""
import time
import tracemalloc

import numpy as np

from mesacheck import resources
from mesacheck.cli.common import add_memory_option, int_at_least
from mesacheck.errors import InputError
from mesacheck.output.jsonout import dumps

#: relative agreement (scaled by the largest entry) required between fast and naive results.
AGREEMENT_TOL = 1e-9
TARGET_SPEEDUP = 20.0


def add_parser(subparsers):
    """Register the ``bench`` subcommand."""
    parser = subparsers.add_parser(
        "bench",
        help="time one epoch (loss + gradient): prefix sums vs the naive per-prefix reference",
        description="Time one epoch (loss and exact gradient) of the simulator's prefix-sum engine and of "
        "the naive implementation that recomputes E_t E_t^H for every prefix, on the same data "
        "(real Gaussian x_1, dense random parameters), report the speed-up and the largest difference.",
    )
    parser.add_argument("--m", type=int_at_least(1), default=10000, help="sequences (default 10000)")
    parser.add_argument("--T", type=int_at_least(3), default=100, help="sequence length (default 100)")
    parser.add_argument("--d", type=int_at_least(1), default=5, help="token dimension (default 5)")
    parser.add_argument("--repeat", type=int_at_least(1, 100), default=3,
                        help="timings per engine; the minimum is reported (default 3)")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print the timings as JSON")
    add_memory_option(parser)
    parser.set_defaults(func=run)
    return parser


def _best_time(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _max_diff(a, b):
    """(max |a - b| over loss and gradient entries, same scaled by the largest |entry| of b)."""
    (la, ga), (lb, gb) = a, b
    va, vb = np.append(ga.flatten(), la), np.append(gb.flatten(), lb)
    diff = float(np.max(np.abs(va - vb)))
    return diff, diff / max(float(np.max(np.abs(vb))), np.finfo(float).tiny)


def benchmark(m=10000, T=100, d=5, repeat=3, seed=0):
    """Time the engines on one data set; return a dict of times (s), speed-ups, differences, memory.

    Engines: ``fast`` = structured prefix sums with the Gram matrices cached (what every simulator
    epoch costs; the one-off cache build is reported as ``prepare_s``), ``fast_uncached`` = the same
    recomputing them, ``generic`` = prefix sums over the 2d x 2d embedding Gram matrices (any X),
    ``naive`` = per-prefix recomputation of E_t E_t^H like the reference program.
    """
    from mesacheck.setting import model
    from mesacheck.setting.params import Params

    if m * T * d * 16 > 2**31:
        raise InputError(f"m * T * d = {m * T * d} is too large for the benchmark (max {2**31 // 16})")
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal((m, d))
    theta = model.sample_W_phases(m, d, rng)
    params = Params.dense_gaussian(d, 0.1, rng)

    start = time.perf_counter()
    batch = model.ProcessBatch(x1, theta, T)
    prepare = time.perf_counter() - start
    uncached = model.ProcessBatch(x1, theta, T, cache_bytes=0)
    t_fast, fast = _best_time(lambda: model.loss_and_grad(params, batch), repeat)
    t_unc, _ = _best_time(lambda: model.loss_and_grad(params, uncached), repeat)
    t_gen, gen = _best_time(lambda: model.loss_and_grad(params, batch.X), repeat)
    t_naive, naive = _best_time(lambda: model.loss_and_grad_per_prefix(params, batch.X), repeat)
    diff_fast, rel_fast = _max_diff(fast, naive)
    diff_gen, rel_gen = _max_diff(gen, naive)
    del uncached

    tracemalloc.start()
    probe = model.ProcessBatch(x1, theta, T)
    model.loss_and_grad(params, probe)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "m": m, "T": T, "d": d, "repeat": repeat, "cached": batch.cached,
        "times_s": {"fast": t_fast, "prepare": prepare, "fast_uncached": t_unc, "generic": t_gen,
                    "naive": t_naive},
        "speedup": {"naive_over_fast": t_naive / t_fast,
                    "naive_over_fast_plus_prepare": t_naive / (t_fast + prepare),
                    "naive_over_fast_uncached": t_naive / t_unc, "naive_over_generic": t_naive / t_gen},
        "max_abs_diff": {"fast_vs_naive": diff_fast, "generic_vs_naive": diff_gen},
        "max_rel_diff": {"fast_vs_naive": rel_fast, "generic_vs_naive": rel_gen},
        "agree": bool(rel_fast <= AGREEMENT_TOL and rel_gen <= AGREEMENT_TOL),
        "fast_peak_bytes": peak,
        "target_speedup": TARGET_SPEEDUP,
    }


def format_text(r):
    """Human-readable report of ``benchmark``'s dict."""
    t, s = r["times_s"], r["speedup"]
    verdict = "meets" if s["naive_over_fast"] >= r["target_speedup"] else "BELOW"
    return "\n".join([
        f"one epoch (loss + gradient), m={r['m']} T={r['T']} d={r['d']}, best of {r['repeat']}:",
        f"  prefix sums, cached Gram (simulator) {t['fast']:9.4f} s   (one-off cache build {t['prepare']:.4f} s)",
        f"  prefix sums, Gram recomputed         {t['fast_uncached']:9.4f} s",
        f"  prefix sums, generic 2d x 2d         {t['generic']:9.4f} s",
        f"  naive per-prefix (reference)         {t['naive']:9.4f} s",
        f"speed-up naive / simulator: {s['naive_over_fast']:.1f}x ({verdict} the {r['target_speedup']:g}x target); "
        f"incl. cache build {s['naive_over_fast_plus_prepare']:.1f}x; uncached {s['naive_over_fast_uncached']:.1f}x; "
        f"generic {s['naive_over_generic']:.1f}x",
        f"max |difference| vs naive: simulator {r['max_abs_diff']['fast_vs_naive']:.3g} "
        f"(relative {r['max_rel_diff']['fast_vs_naive']:.3g}), generic {r['max_abs_diff']['generic_vs_naive']:.3g} "
        f"(relative {r['max_rel_diff']['generic_vs_naive']:.3g}); "
        f"{'agree' if r['agree'] else 'DISAGREE'} within {AGREEMENT_TOL:g}",
        f"peak traced memory of the simulator engine (data + cache + one epoch): "
        f"{r['fast_peak_bytes'] / 2**20:.0f} MiB",
    ])


def run(args):
    """Run the benchmark and print text or JSON."""
    resources.check_memory(resources.bench_peak_bytes(args.m, args.T, args.d), args.max_memory,
                           f"bench (m={args.m}, T={args.T}, d={args.d})")
    result = benchmark(args.m, args.T, args.d, args.repeat, args.seed)
    if args.json:
        print(dumps(result, argv=args.argv, seed=args.seed, tolerances={"agreement_rel": AGREEMENT_TOL}))
    else:
        print(format_text(result))
    return 0
