"""Defaults defined once: where reports and the results store go, and what an id
(engagement, prospect) may look like, since it becomes a folder name."""

from __future__ import annotations

from pathlib import Path

DEFAULT_OUT = Path("reports")
DEFAULT_STORE = Path("data") / "results"
DEFAULT_RULEBOOK = "paos-v1"
# Letters, digits, dot, dash, underscore; starts with a letter or digit; at most 64.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
