"""Proof script for claim C1: run its checks and print the verdict table; exit 0 only if all pass.

Usage: python proofs/c1_one_step_gd.py [--dist SPEC] [--d D] [--T T] [--seed S] [--quick]
"""
import sys

from mesacheck.checks.runner import proof_main


def main(argv=None):
    """Run the C1 checks; exit code 0 only when every check passes."""
    return proof_main("C1", argv)


if __name__ == "__main__":
    sys.exit(main())
