"""The store records the notebook's results.json only when it is this engagement's
results under the rulebook the evidence was validated with (issue 22 item 2, and a
review's attack on it): a file the notebook's code changed out of shape is scored
again, never stored, and no path is ever taken from it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from paos.evidence.validate import load_evidence
from paos.method.diagnostic import published_rows, score_evidence
from paos.method.results import contract, to_json
from paos.method.store import store_rows, write_runs

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"


@pytest.fixture(scope="module")
def scored():
    evidence = load_evidence([DEMO])
    results = score_evidence(evidence)
    return evidence, json.loads(to_json(contract(results))), store_rows(results).drop("run_at")


def _stored(tmp_path: Path, evidence, text: str | bytes):
    path = tmp_path / "results.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return published_rows(tmp_path, evidence, None).drop("run_at")


def test_the_notebooks_own_results_are_stored_as_they_are(tmp_path, scored):
    evidence, good, row = scored
    assert _stored(tmp_path, evidence, json.dumps(good)).equals(row)


def _tampered():
    def rulebook_sha(c):
        c["rulebook"]["sha256"] = "0" * 64

    def path_in_id(c):
        c["rulebook"]["id"] = "../../../escaped/pwn"

    def pai_off_scale(c):
        c["pai"] = 4.99

    def pai_nan(c):
        c["pai"] = math.nan

    def pai_text(c):
        c["pai"] = "high"

    def unknown_severity(c):
        c["gaps"][0]["severity"] = "catastrophic"

    def unknown_signal(c):
        c["gaps"][0]["signal_id"] = "NOT-A-SIGNAL"

    def phase_out_of_range(c):
        c["gaps"][0]["phase"] = 1000

    def signal_missing(c):
        c["signals"].pop()

    def dimension_missing(c):
        c["dimensions"].pop()

    return [
        rulebook_sha,
        path_in_id,
        pai_off_scale,
        pai_nan,
        pai_text,
        unknown_severity,
        unknown_signal,
        phase_out_of_range,
        signal_missing,
        dimension_missing,
    ]


@pytest.mark.parametrize("tamper", _tampered(), ids=lambda f: f.__name__)
def test_a_results_json_out_of_shape_is_scored_again(tmp_path, scored, tamper):
    evidence, good, row = scored
    bad = json.loads(json.dumps(good))
    tamper(bad)
    stored = _stored(tmp_path, evidence, json.dumps(bad, allow_nan=True))
    assert stored.equals(row)
    paths = write_runs(published_rows(tmp_path, evidence, None), tmp_path / "store")
    assert all(p.resolve().is_relative_to((tmp_path / "store").resolve()) for p in paths)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # RecursionError in json
        b"\xff\xfe not utf-8",
        '{"engagement_id": "northwind-2026-09"}',
    ],
    ids=["deep", "bytes", "partial"],
)
def test_a_results_json_that_is_not_a_contract_is_scored_again(tmp_path, scored, text):
    evidence, _, row = scored
    assert _stored(tmp_path, evidence, text).equals(row)


def test_a_results_json_that_is_a_folder_or_too_large_is_scored_again(tmp_path, scored):
    evidence, good, row = scored
    (tmp_path / "results.json").mkdir()
    assert published_rows(tmp_path, evidence, None).drop("run_at").equals(row)
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "results.json", "wb") as f:
        f.truncate((16 << 20) + 1)  # sparse: costs no disk
    assert published_rows(big, evidence, None).drop("run_at").equals(row)
