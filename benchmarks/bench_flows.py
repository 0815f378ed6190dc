"""Time the exact population tensors and flows, measured in one run.

(i)   reduced flow, gaussian:sigma=1, d=5, T=100 (exact coefficients + Radau);
(ii)  for d = 2..8 at T = 100, full-one:c=1: the coefficient tensors built by symmetry class
      (cold: class weights recomputed, caches cleared), the exact full flow to convergence from
      (0.5, 1.5), and the same tensors from the entry-by-entry engine (PopulationLoss.all_entries)
      where it runs (d <= --entrywise-max-d), with the speed-up;
(iii) the symmetry-reduced flow (4 coordinates) for the same starts;
(iv)  the tensors at d = 8, T = 10^4;
(v)   empirical full flow, full-one:c=1, d=5, T=100, m=2000 (minutes; skipped by --skip-slow).

Usage: python benchmarks/bench_flows.py [--skip-slow] [--entrywise-max-d N] [--max-d N]
"""
import argparse
import sys
import time

from mesacheck.numeric import class_tensors, flows
from mesacheck.numeric.symmetric_flow import _CACHE as SYM_CACHE
from mesacheck.numeric.symmetric_flow import symmetric_flow
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic import lattice_classes


def _line(name, seconds, res):
    print(f"{name:<52} {seconds:8.3f} s  status={res.status} converged={res.converged} "
          f"tau={res.times[-1]:.4g} ab={res.ab_limit:.10g} u*={res.u_star:.10g} "
          f"offdiag={res.offdiag[-1]:.3g} kappa_drift={res.kappa_drift:.2g}")


def _cold():
    """Forget every cached class weight, tensor, reduced system, and the entry-by-entry engine's
    lattice-count caches (so both engines start cold)."""
    from mesacheck.symbolic import expectation, torus

    torus._count_cached.cache_clear()
    expectation._weight.cache_clear()
    flows._SCALES_CACHE.clear()
    lattice_classes.class_weight.cache_clear()
    lattice_classes.basis_values.cache_clear()
    flows._TENSOR_CACHE.clear()
    SYM_CACHE.clear()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-slow", action="store_true", help="skip (v), the empirical flow")
    parser.add_argument("--entrywise-max-d", type=int, default=3,
                        help="largest d for the entry-by-entry engine (d = 4 takes minutes; default 3)")
    parser.add_argument("--max-d", type=int, default=8, help="largest d of the table (default 8)")
    args = parser.parse_args(argv)
    law, T, init = "full-one:c=1", 100, (0.5, 1.5)

    start = time.perf_counter()
    res = flows.reduced_flow("gaussian:sigma=1", 5, 100, 0.1, 0.1)
    _line("(i) reduced flow gaussian d=5 T=100 (0.1,0.1)", time.perf_counter() - start, res)

    print(f"\n(ii)/(iii) {law}, T={T}, start {init}; times in seconds, measured in this run")
    head = (f"{'d':>2} {'tensors':>8} {'full flow':>9} {'sym flow':>8} {'entrywise':>9} {'speed-up':>8} "
            f"{'classes':>7} {'GiB est.':>8}  ab limit / off-set norm")
    print(head)
    for d in range(2, args.max_d + 1):
        _cold()
        t0 = time.perf_counter()
        tl, info = class_tensors.build_tensors(parse_dist(law), d, T)
        build = time.perf_counter() - t0
        flows._TENSOR_CACHE[(law, d, T)] = tl
        t0 = time.perf_counter()
        res = flows.full_population_flow(law, d, T, init)
        flow_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        sym = symmetric_flow(law, d, T, init)
        sym_s = time.perf_counter() - t0
        entry, speed = "-", "-"
        if d <= args.entrywise_max_d:
            _cold()
            _, secs = flows.population_tensors_entrywise(law, d, T)
            entry, speed = f"{secs:9.2f}", f"{secs / build:7.0f}x"
        print(f"{d:>2} {build:8.2f} {flow_s:9.2f} {sym_s:8.2f} {entry:>9} {speed:>8} {info['classes']['quad']:>7} "
              f"{info['bytes_estimate'] / 2**30:8.3f}  {res.ab_limit:.8g} / {res.offdiag[-1]:.4g} "
              f"(converged {res.converged}; symmetric route {sym.ab_limit:.8g})")

    _cold()
    t0 = time.perf_counter()
    class_tensors.build_tensors(parse_dist(law), 8, 10**4)
    print(f"\n(iv) tensors {law} d=8 T=10^4 (cold): {time.perf_counter() - t0:.2f} s")

    if not args.skip_slow:
        start = time.perf_counter()
        res = flows.empirical_flow(law, 5, 100, 2000, init, seed=0)
        _line("(v) empirical flow full-one d=5 T=100 m=2000", time.perf_counter() - start, res)
        print(f"      sampling s.e. of ab: {res.extra.get('ab_sampling_se'):.3g} "
              f"({res.extra.get('sampling_se_method')}); includes the second-sample flow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
