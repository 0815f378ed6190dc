"""Proof script for claim C7: run its checks and print the verdict table; exit 0 only if all pass.

Usage: python proofs/c7_beyond.py [--dist SPEC] [--d D] [--T T] [--seed S] [--quick]
"""
import sys

from mesacheck.checks.runner import proof_main


def main(argv=None):
    """Run the C7 checks; exit code 0 only when every check passes."""
    return proof_main("C7", argv)


if __name__ == "__main__":
    sys.exit(main())
