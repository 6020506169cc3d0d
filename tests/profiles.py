"""The Hypothesis profiles (loaded by tests/conftest.py before any test module).

`ci` (what `make test` runs, and CI) gives every property test its full number of
examples; `dev` (the default of a bare `pytest` and of `make check`) a tenth of them,
for a fast inner loop. Choose with HYPOTHESIS_PROFILE=ci|dev.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("ci", deadline=None, suppress_health_check=_QUIET)
settings.register_profile("dev", max_examples=10, deadline=None, suppress_health_check=_QUIET)
settings.load_profile(PROFILE)


def examples(full: int) -> int:
    """A property test's number of examples: `full` under the ci profile, a tenth under dev."""
    return full if PROFILE == "ci" else max(3, full // 10)
