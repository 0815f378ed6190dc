"""A sweep's grid: the product of its laws, d, T and (per WHAT) init, lr and seed values.

Each :class:`Point` knows its inputs exactly (Fractions, canonical spec strings) and its key: a
hash of the WHAT, the inputs that determine the computation, the fixed settings and the mesacheck
version (:func:`Point.key`). Equal keys mean the same computation, so a rerun can skip it. The
family a law came from and the values of the family's axes are carried along for the table, but
are not part of the key: the same law reached from two families is one computation.
"""
import hashlib
import json
from dataclasses import dataclass
from itertools import product
from typing import Optional

from mesacheck import __version__
from mesacheck.errors import InputError, SpecError
from mesacheck.sweep import lists
from mesacheck.sweep.families import Law, expand_family
from mesacheck.sweep.tasks import TASKS, precheck

#: the most points one sweep may have
MAX_POINTS = 100_000
#: the grid axes in table order (family parameters come right after the law)
AXES = ("dist", "d", "T", "init", "lr", "seed")


@dataclass(frozen=True)
class Point:
    """One grid point; ``refused`` is the reason it cannot be computed, when that is known
    before computing (a law the grammar refuses, a d the law does not fit, T = oo for a flow)."""

    what: str
    law: Law
    d: int
    T: object
    init: Optional[tuple] = None
    lr: Optional[object] = None
    seed: Optional[int] = None
    settings: tuple = ()
    refused: Optional[str] = None

    def identity(self):
        """The inputs that determine the computation, as canonical text (hashed by :meth:`key`)."""
        return {
            "what": self.what, "dist": self.law.label, "d": self.d, "T": str(self.T),
            "init": None if self.init is None else f"{self.init[0]},{self.init[1]}",
            "lr": None if self.lr is None else str(self.lr), "seed": self.seed,
            "settings": {k: v for k, v in self.settings}, "mesacheck_version": __version__,
        }

    @property
    def key(self):
        """16 hex digits of the SHA-256 of :meth:`identity` (sorted-key JSON)."""
        text = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def payload(self, budget_s, memory_mb):
        """The plain-data message a worker receives for this point."""
        return {
            "key": self.key, "what": self.what, "dist": self.law.spec, "d": self.d, "T": self.T,
            "init": None if self.init is None else (float(self.init[0]), float(self.init[1])),
            "lr": None if self.lr is None else float(self.lr), "seed": self.seed,
            "settings": dict(self.settings), "budget_s": budget_s, "memory_mb": memory_mb,
        }

    def input_columns(self):
        """The table's input columns for this point (floats for plotting, text where exact)."""
        row = {"what": self.what, "family": self.law.family, "dist": self.law.label}
        for name, value in self.law.params:
            row[f"param_{name}"] = float(value)
        row.update(d=self.d, T=str(self.T))
        if self.init is not None:
            row.update(init=f"{self.init[0]},{self.init[1]}", a0=float(self.init[0]), b0=float(self.init[1]))
        if self.lr is not None:
            row["lr"] = float(self.lr)
        if self.seed is not None:
            row["seed"] = self.seed
        row.update({k: v for k, v in self.settings})
        return row


def task_for(what):
    """The Task of ``what`` (InputError listing the valid ones)."""
    if what not in TASKS:
        raise InputError(f"WHAT: unknown sweep {what!r}; expected one of {', '.join(TASKS)}")
    return TASKS[what]


def settings_for(task, settings):
    """The fixed settings of ``task``: defaults filled in, unknown or missing ones refused."""
    settings = dict(settings or {})
    unknown = [k for k in settings if k not in task.settings]
    if unknown:
        allowed = ", ".join(task.settings) or "none"
        option = "--" + unknown[0].replace("_", "-")
        raise InputError(f"{option} does not apply to {task.name} (its settings: {allowed})")
    out = {}
    for name, default in task.settings.items():
        value = settings.get(name, default)
        if value is None:
            raise InputError(f"{task.name} needs --{name.replace('_', '-')}")
        out[name] = value
    return tuple(sorted(out.items()))


def _laws(dists):
    if isinstance(dists, str):
        dists = [dists]
    if not dists:
        raise InputError("--dist: give at least one law or family")
    laws = []
    for text in dists:
        laws.extend(expand_family(text))
    return laws


def build_grid(what, dist, d, T, init=None, lr=None, seed=None, settings=None):
    """The points of a sweep, in grid order (laws slowest, then d, T, init, lr, seed).

    ``dist``: family texts (:mod:`mesacheck.sweep.families`); ``d``, ``T``, ``init``, ``lr``,
    ``seed``: LIST texts (:mod:`mesacheck.sweep.lists`) or Python values. An axis the WHAT does
    not take must not be given; one it takes and that is not given gets the WHAT's default.
    """
    from mesacheck.setting.distributions import parse_dist

    task = task_for(what)
    given = {"init": init, "lr": lr, "seed": seed}
    for name, value in given.items():
        if value is not None and name not in task.axes:
            raise InputError(f"--{name} does not apply to {what}")
        if value is None and name in task.axes:
            if name not in task.defaults:
                raise InputError(f"{what} needs --{name}")
            given[name] = task.defaults[name]
    laws = _laws(dist)
    ds = lists.int_values(d, "--d", 1, 64)
    Ts = lists.T_values(T)
    inits = lists.init_values(given["init"]) if "init" in task.axes else [None]
    lrs = lists.positive_values(given["lr"], "--lr", 1) if "lr" in task.axes else [None]
    seeds = lists.int_values(given["seed"], "--seed", 0, 2**32 - 1) if "seed" in task.axes else [None]
    for name, values in (("--d", ds), ("--T", Ts), ("--init", inits), ("--lr", lrs), ("--seed", seeds)):
        if not values:
            raise InputError(f"{name}: the list is empty")
    count = len(laws) * len(ds) * len(Ts) * len(inits) * len(lrs) * len(seeds)
    if count > MAX_POINTS:
        raise InputError(f"the grid has {count} points; at most {MAX_POINTS}")
    fixed = settings_for(task, settings)
    parsed = {}
    points = []
    for law, dd, TT, ii, ll, ss in product(laws, ds, Ts, inits, lrs, seeds):
        reason = law.reason
        if reason is None:
            if law.spec not in parsed:
                parsed[law.spec] = parse_dist(law.spec)
            dist_obj = parsed[law.spec]
            try:
                dist_obj.for_dim(dd)
                reason = precheck(task, dist_obj, dd, TT)
            except (SpecError, InputError) as exc:
                reason = str(exc)
        points.append(Point(what, law, dd, TT, ii, ll, ss, fixed, reason))
    return points
