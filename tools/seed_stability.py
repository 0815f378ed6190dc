"""Seed stability of `mesacheck verify`: the verdicts must not depend on the seed.

Only the checks whose computation draws random numbers can depend on the seed (Monte Carlo
samplers and simulations, the random property examples of C1, the sampled training run of C5):
every other check is deterministic by construction (the seed only reaches the checks through
``checks.common.rng_for``). This script reruns exactly those checks for seeds 0..N-1, in the
quick and the default configuration, and reports every check whose verdict differs from seed 0.

Usage: python tools/seed_stability.py [--seeds 50] [--config quick|default|both]
"""
import argparse
import sys
import time

from mesacheck.checks.runner import CLAIM_MODULES, run_claim
from mesacheck.checks.verdict import Settings

SEEDED_METHODS = ("monte-carlo", "property")
SEEDED_IDS = ("C5.training",)


def seeded_ids(settings):
    """Ids of the checks that draw random numbers, from one full run (seed 0)."""
    ids, verdicts = {}, {}
    for claim in CLAIM_MODULES:
        rep = run_claim(claim, settings)
        for c in rep.checks:
            verdicts[c.id] = c.status
            if c.method in SEEDED_METHODS or c.id in SEEDED_IDS:
                ids.setdefault(claim, []).append(c.id)
    return ids, verdicts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--config", choices=("quick", "default", "both"), default="both")
    args = parser.parse_args(argv)
    configs = {"quick": [True], "default": [False], "both": [True, False]}[args.config]
    differing = 0
    for quick in configs:
        start = time.perf_counter()
        base = Settings(quick=quick, seed=0)
        ids, verdicts = seeded_ids(base)
        n = sum(len(v) for v in ids.values())
        for seed in range(1, args.seeds):
            for claim, claim_ids in ids.items():
                s = Settings(quick=quick, seed=seed, only=frozenset(claim_ids))
                for c in run_claim(claim, s).checks:
                    if c.status != verdicts[c.id]:
                        differing += 1
                        print(f"seed {seed}: {c.id} {c.status} (seed 0: {verdicts[c.id]}) {c.detail[:200]}")
        name = "quick" if quick else "default"
        print(f"[{name}] {len(verdicts)} checks, {n} of them seeded; seeds 0..{args.seeds - 1}: "
              f"{'identical verdicts' if not differing else f'{differing} differing'} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
