"""Proof script for claim C4: run its checks and print the verdict table; exit 0 only if all pass.

Usage: python proofs/c4_gaussian_fails.py [--dist SPEC] [--d D] [--T T] [--seed S] [--quick]
"""
import sys

from mesacheck.checks.runner import proof_main


def main(argv=None):
    """Run the C4 checks; exit code 0 only when every check passes."""
    return proof_main("C4", argv)


if __name__ == "__main__":
    sys.exit(main())
