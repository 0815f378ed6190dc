"""Hypothesis profiles: 'ci' (default, 25 examples) and 'thorough' (500); choose with
HYPOTHESIS_PROFILE=thorough or pytest --hypothesis-profile=thorough."""
import os

from hypothesis import settings

settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


import pytest


@pytest.fixture(autouse=True)
def _fresh_engine_caches_under_mutmut():
    """Under mutmut (tools/mutation.sh) empty the engine's memo caches before every test.

    mutmut forks each mutant's test run from a process that already ran the clean suite, so a
    value memoised there would hide the mutated function (a false survivor), and its per-test
    coverage map would miss tests that only hit the cache. Normal runs keep the caches.
    """
    if os.environ.get("MUTANT_UNDER_TEST"):
        from mesacheck.symbolic.cache import clear_all

        clear_all()
    yield
