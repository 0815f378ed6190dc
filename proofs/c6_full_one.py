"""Proof script for claim C6: run its checks and print the verdict table; exit 0 only if all pass.

Usage: python proofs/c6_full_one.py [--dist SPEC] [--d D] [--T T] [--seed S] [--quick]
"""
import sys

from mesacheck.checks.runner import proof_main


def main(argv=None):
    """Run the C6 checks; exit code 0 only when every check passes."""
    return proof_main("C6", argv)


if __name__ == "__main__":
    sys.exit(main())
