"""Round trip through the survey tools: the northwind demo as each tool exports it
(data/surveys/, written by its generator from the demo's evidence) imports with
`paos import` to evidence that scores exactly as the demo does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from paos import contract, diagnose
from paos.evidence.surveys import import_export

DATA = Path(__file__).parent.parent / "data"
DEMO = DATA / "engagements" / "northwind-2026-09"
EXPORTS = sorted((DATA / "surveys").glob("northwind-*.*"))


@pytest.fixture(scope="module")
def demo() -> dict:
    return contract(diagnose(DEMO))


def test_there_is_an_export_of_every_tool():
    assert [p.name for p in EXPORTS] == [
        "northwind-google-forms.csv",
        "northwind-ms-forms.xlsx",
        "northwind-qualtrics.csv",
        "northwind-surveymonkey-legacy.csv",
        "northwind-surveymonkey.csv",
    ]


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.name)
def test_an_imported_export_scores_as_the_demo(export, demo, tmp_path):
    folder = tmp_path / "northwind-2026-09"
    folder.mkdir()
    for name in ("engagement.yaml", "metrics.csv"):
        shutil.copy(DEMO / name, folder / name)
    import_export(export, folder)
    assert contract(diagnose(folder)) == demo
