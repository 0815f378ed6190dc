"""Cost of the exact-enumeration oracle (mesacheck.numeric.quadrature): number of sequences and
seconds of exact_loss_and_grad, exact_loss with its second moment, and exact_ratio.

Rows: gaussian:sigma=1 and a mixture, d = 2 and 3, T = 6, at a dense Gaussian parameter point
(std 0.5, seed 0). One run; timings are wall-clock and noisy on a shared machine.

Run: python benchmarks/bench_quadrature.py
"""
import time

import numpy as np

from mesacheck.numeric import quadrature as quad
from mesacheck.setting.params import Params

CASES = [
    ("gaussian:sigma=1", 2),
    ("mixture:1/4*[1+2i,-1]+3/4*[-1/2i,0]", 2),
    ("gaussian:sigma=1", 3),
    ("mixture:1/2*[1,0,2]+1/4*[0,1,-1]+1/4*[1/2,1/2,1/2]", 3),
]
T = 6


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main():
    print(f"{'law':<55} {'d':>2} {'what':<22} {'sequences':>10} {'seconds':>8}")
    for spec, d in CASES:
        params = Params.dense_gaussian(d, 0.5, np.random.default_rng(0))
        rows = [
            ("loss_and_grad", lambda: quad.exact_loss_and_grad(spec, d, T, params)),
            ("loss, moments=(1,2)", lambda: quad.exact_loss(spec, d, T, params, moments=(1, 2))),
            ("ratio t=T-1, (1,2)", lambda: quad.exact_ratio(spec, d, Params.diagonal(d, 0.5, 0.5), T - 1,
                                                            moments=(1, 2))),
        ]
        for what, fn in rows:
            try:
                res, sec = timed(fn)
                print(f"{spec:<55} {d:>2} {what:<22} {res.rule.n_sequences:>10} {sec:>8.2f}")
            except quad.BudgetError as err:
                print(f"{spec:<55} {d:>2} {what:<22} refused: {err}")


if __name__ == "__main__":
    main()
