"""Proof script for claim C2: run its checks and print the verdict table; exit 0 only if all pass.

Usage: python proofs/c2_emergence.py [--dist SPEC] [--d D] [--T T] [--seed S] [--quick]
"""
import sys

from mesacheck.checks.runner import proof_main


def main(argv=None):
    """Run the C2 checks; exit code 0 only when every check passes."""
    return proof_main("C2", argv)


if __name__ == "__main__":
    sys.exit(main())
