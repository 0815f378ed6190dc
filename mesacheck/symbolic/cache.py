"""Memoisation of pure engine functions, with one switch to forget everything.

A cached function must be pure: its result depends only on its arguments, and the arguments
identify it through ``key`` (a law is keyed by its canonical spec). :func:`clear_all` empties
every cache; the fault-injection tests call it after patching the engine, so a fault cannot hide
behind a value computed before it was injected.
"""
from functools import wraps

_CACHES = []


def memoize(key):
    """Decorator: cache ``fn(*args)`` under ``key(*args)`` (None means: do not cache)."""

    def wrap(fn):
        store = {}
        _CACHES.append(store)

        @wraps(fn)
        def inner(*args, **kwargs):
            k = key(*args, **kwargs)
            if k is None:
                return fn(*args, **kwargs)
            if k not in store:
                store[k] = fn(*args, **kwargs)
            return store[k]

        inner.cache = store
        return inner

    return wrap


def register(store):
    """Register an existing dict cache so that :func:`clear_all` empties it too."""
    _CACHES.append(store)
    return store


def clear_all():
    """Empty every registered cache (and the lattice-count caches of the torus module)."""
    for store in _CACHES:
        store.clear()
    import sys

    from mesacheck.symbolic import expectation, torus

    torus._count_cached.cache_clear()
    expectation._weight.cache_clear()
    lattice = sys.modules.get("mesacheck.symbolic.lattice_classes")
    if lattice is not None:
        for fn in vars(lattice).values():
            if hasattr(fn, "cache_clear"):
                fn.cache_clear()
    # numeric-layer caches (imported lazily here: the symbolic layer never imports them itself)
    for name, attrs in (("mesacheck.numeric.flows", ("_SCALES_CACHE", "_TENSOR_CACHE")),
                        ("mesacheck.numeric.symmetric_flow", ("_CACHE",)),
                        ("mesacheck.numeric.reproduce", ("_THEORY_CACHE",))):
        mod = sys.modules.get(name)
        for attr in attrs if mod is not None else ():
            getattr(mod, attr).clear()
