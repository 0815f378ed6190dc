"""``mesacheck bench``: the simulator's epoch against the machine's floor and against the older engines,
all measured in the same run on the same data, with the answers checked against each other."""
import math
import time
import tracemalloc

import numpy as np

from mesacheck import resources
from mesacheck.cli.common import add_memory_option, int_at_least
from mesacheck.errors import InputError
from mesacheck.output.jsonout import dumps

#: relative agreement (scaled by the largest entry) required between the engines.
AGREEMENT_TOL = 1e-12
TARGET_FLOOR_RATIO = 4.0
GEMM_N = 1024
BASELINE_NOTE = ("the naive per-prefix numpy reference recomputes E_t E_t^H for every prefix like the authors' "
                 "PyTorch program, but is itself about 3-5x faster than that program (measured side by side in "
                 "issue 13), so speed-ups over it understate the speed-up over the authors' program")


def add_parser(subparsers):
    """Register the ``bench`` subcommand."""
    parser = subparsers.add_parser(
        "bench",
        help="time one epoch (loss + gradient) against the machine's floor and the older engines",
        description="Time one training epoch (loss and exact gradient) of the fused engine, measure the "
        "machine's complex-matmul rate in the same run, and report the epoch time as a multiple of the "
        "floor (useful flops / that rate; target <= 4), the speed-up over the previous engine (cached "
        "prefix Gram matrices), the generic prefix sums and the naive per-prefix reference, the "
        "evaluation costs, the scaling exponents in m, T and d (expected 1, 1, 2), and the largest "
        "differences between the engines' answers. Data: real Gaussian x_1, dense random parameters. "
        + BASELINE_NOTE[0].upper() + BASELINE_NOTE[1:] + ".",
    )
    parser.add_argument("--m", type=int_at_least(1), default=10000, help="sequences (default 10000)")
    parser.add_argument("--T", type=int_at_least(3), default=100, help="sequence length (default 100)")
    parser.add_argument("--d", type=int_at_least(1, 64), default=5, help="token dimension (default 5)")
    parser.add_argument("--repeat", type=int_at_least(1, 100), default=5,
                        help="timings per engine, interleaved; the minimum is reported (default 5)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the scaling measurements")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive per-prefix reference (slow)")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    add_memory_option(parser)
    parser.set_defaults(func=run)
    return parser


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _max_rel_diff(a, b):
    """max |a - b| over loss and gradient entries, scaled by the largest |entry| of b."""
    (la, ga), (lb, gb) = a, b
    va, vb = np.append(ga.flatten(), la), np.append(gb.flatten(), lb)
    return float(np.max(np.abs(va - vb))) / max(float(np.max(np.abs(vb))), np.finfo(float).tiny)


def gemm_rate(n=GEMM_N, repeat=3):
    """Best complex128 matmul rate of this machine in GFLOP/s (8 n^3 real flops per n x n product;
    numpy's BLAS, all its threads)."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    b = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    a @ b  # warm-up: thread pool, page faults
    best = min(_timed(lambda: a @ b)[0] for _ in range(repeat))
    return 8.0 * n**3 / best / 1e9


def _data(m, T, d, seed):
    from mesacheck.setting import model
    from mesacheck.setting.params import Params

    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal((m, d))
    theta = model.sample_W_phases(m, d, rng)
    return x1, theta, Params.dense_gaussian(d, 0.1, rng)


def _prepared(m, T, d, seed):
    """(params, FusedBatch) on fresh random data of size (m, T, d), kernel compiled and warmed up."""
    from mesacheck.setting import fused

    x1, theta, params = _data(m, T, d, seed)
    batch = fused.FusedBatch(x1, theta, T)
    fused.loss_and_grad(params, batch)
    return params, batch


def _slope(xs, ys):
    lx, ly = np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float))
    return float(np.polyfit(lx, ly, 1)[0])


def scaling(m, T, d, repeat, seed=0):
    """Measured exponents of the fused epoch time in m, T and d (least-squares slope of log time on
    log size over three sizes each, the others fixed; best of ``repeat`` timings taken round-robin
    over the sizes), beside the same exponents of the flop count."""
    from mesacheck.setting import fused
    from mesacheck.setting.fused import epoch_flops

    grids = {
        "m": [max(64, m // 4), max(128, m // 2), m],
        "T": [max(3, T // 2), T, 2 * T],
        "d": sorted({d, max(d + 1, (3 * d + 1) // 2), 2 * d}),
    }
    out = {}
    for key, values in grids.items():
        sizes = [{"m": m, "T": T, "d": d, key: v} for v in values]
        cases = [_prepared(s["m"], s["T"], s["d"], seed) for s in sizes]
        times = [math.inf] * len(values)
        for _ in range(repeat):
            for i, (params, batch) in enumerate(cases):
                times[i] = min(times[i], _timed(lambda: fused.loss_and_grad(params, batch))[0])
        flops = [epoch_flops(s["m"], s["T"], s["d"]) for s in sizes]
        out[key] = {"sizes": values, "times_s": times, "exponent": _slope(values, times),
                    "flop_exponent": _slope(values, flops)}
    return out


def benchmark(m=10000, T=100, d=5, repeat=5, seed=0, with_scaling=True, with_naive=True):
    """Run every measurement; return a dict (times in s, rates in GFLOP/s, ratios, differences, memory)."""
    from mesacheck.setting import fused, model
    from mesacheck.setting.fused import FusedBatch, epoch_flops, forward_flops

    if m * T * d * 16 > 2**31:
        raise InputError(f"m * T * d = {m * T * d} is too large for the benchmark (max {2**31 // 16}): the "
                         "reference engines store every sequence")
    x1, theta, params = _data(m, T, d, seed)

    # Memory of the fused engine's data and one epoch (numpy arrays, traced) before anything else.
    tracemalloc.start()
    batch = FusedBatch(x1, theta, T)
    compile_s, _ = _timed(lambda: fused.loss_and_grad(params, batch))
    fused.last_prediction(params, batch)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Scratch the kernel allocates per work item (not traced): 14 (d, d, 16) and 27 (d, 16) float64 arrays.
    scratch = (14 * d * d + 27 * d + 6) * fused.LANES * 8

    prepare_s, structured = _timed(lambda: model.ProcessBatch(x1, theta, T))
    t = {"fused": math.inf, "structured": math.inf, "last_prediction": math.inf, "test_loss": math.inf}
    rates = []
    for _ in range(repeat):  # interleaved, so that load from other processes hits every engine alike
        rates.append(gemm_rate(repeat=1))
        dt, res_f = _timed(lambda: fused.loss_and_grad(params, batch))
        t["fused"] = min(t["fused"], dt)
        dt, res_s = _timed(lambda: model.loss_and_grad(params, structured))
        t["structured"] = min(t["structured"], dt)
        t["last_prediction"] = min(t["last_prediction"], _timed(lambda: fused.last_prediction(params, batch))[0])
        t["test_loss"] = min(t["test_loss"], _timed(lambda: fused.loss_only(params, batch))[0])
    t["generic"], res_g = _timed(lambda: model.loss_and_grad(params, structured.X))
    diffs = {"fused_vs_structured": _max_rel_diff(res_f, res_s), "generic_vs_structured": _max_rel_diff(res_g, res_s)}
    if with_naive:
        t["naive"], res_n = _timed(lambda: model.loss_and_grad_per_prefix(params, structured.X))
        diffs["fused_vs_naive"] = _max_rel_diff(res_f, res_n)
    structured = None  # free the cached Gram matrices before the scaling runs

    rate = max(rates)
    flops = epoch_flops(m, T, d)
    floor = flops / (rate * 1e9)
    result = {
        "m": m, "T": T, "d": d, "repeat": repeat, "lanes": fused.LANES,
        "gemm": {"n": GEMM_N, "gflops_best": rate, "gflops_all": rates},
        "epoch_flops": flops, "forward_flops": forward_flops(m, T, d),
        "times_s": dict(t, compile_or_load=compile_s, structured_prepare=prepare_s),
        "floor_s": floor, "floor_ratio": t["fused"] / floor, "target_floor_ratio": TARGET_FLOOR_RATIO,
        "achieved_gflops": flops / t["fused"] / 1e9,
        "speedup": {"over_structured": t["structured"] / t["fused"], "over_generic": t["generic"] / t["fused"],
                    **({"over_naive": t["naive"] / t["fused"]} if with_naive else {})},
        "max_rel_diff": diffs, "agree": all(v <= AGREEMENT_TOL for v in diffs.values()),
        "memory_bytes": {"fused_traced_peak": traced_peak, "fused_kernel_scratch_per_thread": scratch,
                         "fused_batch": batch.nbytes},
        "baseline_note": BASELINE_NOTE,
    }
    if with_scaling:
        result["scaling"] = scaling(m, T, d, repeat, seed)
    return result


def format_text(r):
    """Human-readable report of ``benchmark``'s dict."""
    t, s = r["times_s"], r["speedup"]
    verdict = "meets" if r["floor_ratio"] <= r["target_floor_ratio"] else "ABOVE"
    lines = [
        f"one epoch (loss + exact gradient), m={r['m']} T={r['T']} d={r['d']}, best of {r['repeat']} (interleaved):",
        f"  fused engine (simulator)                 {t['fused']:9.4f} s   ({r['achieved_gflops']:.1f} GFLOP/s; "
        f"first call incl. compile/load {t['compile_or_load']:.2f} s)",
        f"  machine floor                            {r['floor_s']:9.4f} s   = {r['epoch_flops'] / 1e9:.3f} GFLOP "
        f"/ {r['gemm']['gflops_best']:.1f} GFLOP/s (complex128 {r['gemm']['n']}^2 matmul, best in this run)",
        f"  epoch / floor                            {r['floor_ratio']:9.2f}x  ({verdict} the <= {r['target_floor_ratio']:g}x target)",
        f"  previous engine (cached prefix Grams)    {t['structured']:9.4f} s   (+ {t['structured_prepare']:.2f} s cache build)"
        f"   speed-up {s['over_structured']:.1f}x",
        f"  generic prefix sums (2d x 2d)            {t['generic']:9.4f} s   speed-up {s['over_generic']:.1f}x",
    ]
    if "naive" in t:
        lines.append(f"  naive per-prefix reference               {t['naive']:9.4f} s   speed-up {s['over_naive']:.1f}x")
    lines += [
        f"evaluation: ratio (last prediction from cached C_(T-1)) {t['last_prediction']:.4f} s, "
        f"test loss (fused forward, running sums) {t['test_loss']:.4f} s",
        "max relative difference (largest |entry|): " + ", ".join(
            f"{k.replace('_', ' ')} {v:.2g}" for k, v in r["max_rel_diff"].items())
        + f"; {'agree' if r['agree'] else 'DISAGREE'} within {AGREEMENT_TOL:g}",
        f"memory: fused batch {r['memory_bytes']['fused_batch'] / 2**20:.1f} MiB, traced peak with one epoch "
        f"{r['memory_bytes']['fused_traced_peak'] / 2**20:.1f} MiB, kernel scratch "
        f"{r['memory_bytes']['fused_kernel_scratch_per_thread'] / 2**10:.0f} KiB per thread",
        f"note: {r['baseline_note']}",
    ]
    if "scaling" in r:
        sc = r["scaling"]
        lines.append("scaling of the fused epoch time (least-squares exponent; flop-count exponent in brackets):")
        for key, expected in (("m", 1), ("T", 1), ("d", 2)):
            v = sc[key]
            pts = ", ".join(f"{key}={n}: {tt:.4f} s" for n, tt in zip(v["sizes"], v["times_s"]))
            lines.append(f"  {key}: {v['exponent']:.2f} [{v['flop_exponent']:.2f}] (expected {expected})   {pts}")
    return "\n".join(lines)


def run(args):
    """Run the benchmark and print text or JSON."""
    resources.check_memory(resources.bench_peak_bytes(args.m, args.T, args.d), args.max_memory,
                           f"bench (m={args.m}, T={args.T}, d={args.d})")
    result = benchmark(args.m, args.T, args.d, args.repeat, args.seed, with_scaling=not args.no_scaling,
                       with_naive=not args.no_naive)
    if args.json:
        print(dumps(result, argv=args.argv, seed=args.seed, tolerances={"agreement_rel": AGREEMENT_TOL}))
    else:
        print(format_text(result))
    return 0
