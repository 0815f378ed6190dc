"""Hypothesis profiles: 'ci' (default, 25 examples) and 'thorough' (500); choose with
HYPOTHESIS_PROFILE=thorough or pytest --hypothesis-profile=thorough."""
import os

from hypothesis import settings

settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
