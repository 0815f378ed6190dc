"""Proof script for claim C6: run its checks and print the verdict table; exit 0 only if all pass.

Usage: python proofs/c6_full_one.py [--dist SPEC] [--d D] [--T T] [--seed S] [--quick]
"""
import argparse
import sys

from mesacheck.checks.c6_full_one import CLAIM, TITLE, run
from mesacheck.checks.runner import exit_code
from mesacheck.checks.verdict import Settings, format_table
from mesacheck.errors import MesacheckError


def main(argv=None):
    parser = argparse.ArgumentParser(description=f"{CLAIM}: {TITLE}")
    parser.add_argument("--dist", help="initial-token distribution spec (overrides the claim's law)")
    parser.add_argument("--d", type=int, help="token dimension")
    parser.add_argument("--T", type=int, help="training sequence length")
    parser.add_argument("--seed", type=int, default=0, help="seed of every Monte Carlo check")
    parser.add_argument("--quick", action="store_true", help="smaller samples and fewer cases")
    args = parser.parse_args(argv)
    try:
        report = run(Settings(dist=args.dist, d=args.d, T=args.T, quick=args.quick, seed=args.seed))
    except MesacheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_table([report]))
    return exit_code([report])


if __name__ == "__main__":
    sys.exit(main())
