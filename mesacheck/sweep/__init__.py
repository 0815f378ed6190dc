"""Sweeps: one WHAT (derive-limit, invariance, recovery, flow, full-flow, simulate, verify) over a grid
of laws, dimensions, lengths and (per WHAT) starts, step sizes and seeds, on Dask, as one table
(JSON lines, CSV, Parquet) and one summary plot, resumable from its output folder.

Modules: :mod:`lists` (value lists and ranges), :mod:`families` (families of laws), :mod:`grid`
(points and their keys), :mod:`tasks` (the adapters to the library, one per WHAT), :mod:`budget`
(per-point time and memory budgets), :mod:`worker` (one point on a worker), :mod:`execute` (Dask or
serial), :mod:`store` (the output folder), :mod:`plot` (the summary plot), :mod:`api` (``sweep``).
"""
from mesacheck.sweep.api import sweep
from mesacheck.sweep.tasks import TASKS

WHATS = tuple(TASKS)

__all__ = ["sweep", "WHATS"]
