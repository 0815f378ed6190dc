"""Time the gradient flows to convergence.

(i)   reduced flow, gaussian:sigma=1, d=5, T=100 (exact coefficients + Radau);
(ii)  exact full population flow, full-one:c=1, d=3, T=10 (tensor build reported separately);
(iii) empirical full flow, full-one:c=1, d=5, T=100, m=2000 (minutes; skipped by --skip-slow).

Usage: python benchmarks/bench_flows.py [--skip-slow]
"""
import argparse
import sys
import time

from mesacheck.numeric import flows


def _line(name, seconds, res):
    print(f"{name:<52} {seconds:8.3f} s  status={res.status} converged={res.converged} "
          f"tau={res.times[-1]:.4g} ab={res.ab_limit:.10g} u*={res.u_star:.10g} "
          f"offdiag={res.offdiag[-1]:.3g} kappa_drift={res.kappa_drift:.2g}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-slow", action="store_true", help="skip (iii), the empirical flow")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    res = flows.reduced_flow("gaussian:sigma=1", 5, 100, 0.1, 0.1)
    _line("(i) reduced flow gaussian d=5 T=100 (0.1,0.1)", time.perf_counter() - start, res)

    start = time.perf_counter()
    _, build = flows.population_tensors("full-one:c=1", 3, 10)
    print(f"{'(ii) tensor build full-one d=3 T=10':<52} {build:8.3f} s")
    start = time.perf_counter()
    res = flows.full_population_flow("full-one:c=1", 3, 10, (0.5, 1.5))
    _line("(ii) exact full flow full-one d=3 T=10 (0.5,1.5)", time.perf_counter() - start, res)
    start = time.perf_counter()
    res = flows.full_population_flow("full-one:c=1", 3, 10, (0.5, 1.5), masked=True)
    _line("(ii') exact masked flow full-one d=3 T=10 (0.5,1.5)", time.perf_counter() - start, res)

    if not args.skip_slow:
        start = time.perf_counter()
        res = flows.empirical_flow("full-one:c=1", 5, 100, 2000, (0.5, 1.5), seed=0)
        _line("(iii) empirical flow full-one d=5 T=100 m=2000", time.perf_counter() - start, res)
        print(f"      sampling s.e. of ab: {res.extra.get('ab_sampling_se'):.3g} "
              f"({res.extra.get('sampling_se_method')}); includes the second-sample flow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
