"""Shared test set-up: the Hypothesis profile is chosen before any test module loads
(`tests/profiles.py`); fixtures more than one test module needs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import tests.profiles  # noqa: F401
from paos.base.rulebook import load_rulebook
from paos.evidence.scaffold import new_engagement


@pytest.fixture(scope="session")
def _blank_acme(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("paos-new") / "acme"
    new_engagement(folder, load_rulebook("paos-v1"), "acme")
    return folder


@pytest.fixture
def blank_engagement(_blank_acme, tmp_path) -> Path:
    """`tmp_path/acme`, the engagement `paos new` makes under paos-v1 (made once a
    session, copied for each test: `new_engagement` writes the same bytes each time)."""
    return Path(shutil.copytree(_blank_acme, tmp_path / "acme"))


@pytest.fixture
def eng(blank_engagement) -> Path:
    """An engagement as `paos new` makes it, with client and date filled in."""
    yaml_file = blank_engagement / "engagement.yaml"
    text = yaml_file.read_text()
    yaml_file.write_text(
        text.replace("client:\n", 'client: "Acme"\n').replace(
            "assessed_on:\n", 'assessed_on: "2026-03-01"\n'
        )
    )
    return blank_engagement
