"""Benchmark the simulator's fused epoch against the machine's floor and the older engines.

Usage: python benchmarks/bench_simulator.py [--m M --T T --d D --repeat R --seed S --json]
(the same as ``mesacheck bench``; defaults m=10000, T=100, d=5).
"""
import sys

from mesacheck.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
