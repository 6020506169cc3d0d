"""Shared test set-up: the Hypothesis profile is chosen before any test module loads
(`tests/profiles.py`)."""

import tests.profiles  # noqa: F401
