"""The contract in the repository: docs/spec/ is the shared specification, and the
bundled rulebook paos-v1 says what its tables say.

The spec is read as a person reads it (its Markdown tables and sentences), so a
change to either side that the other does not follow fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "docs" / "spec"
SHARED = ROOT.parent / "shared" / "spec"
RULEBOOK = yaml.safe_load((ROOT / "paos" / "rulebooks" / "paos-v1.yaml").read_text("utf-8"))
METHOD = (SPEC / "methodology-v1.md").read_text("utf-8")
SIGNALS = (SPEC / "signals-v1.md").read_text("utf-8")


def table(section: str) -> list[list[str]]:
    """The rows of the first Markdown table in the methodology's section `section`."""
    start = METHOD.index(f"\n## {section}")
    body = METHOD[start:].split("\n## ", 2)[1]
    rows = [line for line in body.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def section(number: str) -> str:
    start = METHOD.index(f"\n## {number}")
    return METHOD[start:].split("\n## ", 2)[1]


def test_the_copy_is_the_shared_spec():
    files = sorted(p.name for p in SPEC.glob("*.md") if p.name != "README.md")
    assert files == [
        "evidence-and-results.md",
        "methodology-v1.md",
        "robustness-v1.md",
        "signals-v1.md",
    ]
    if not SHARED.is_dir():
        pytest.skip("no shared/spec beside this checkout to compare with")
    for name in files:
        assert (SPEC / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_no_reference_outside_the_repository():
    """The README, docs, code and data point to docs/spec/, which a clone has."""
    stale = []
    for path in [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("paos/**/*.py")]:
        if "shared/spec" in path.read_text("utf-8"):
            stale.append(str(path.relative_to(ROOT)))
    for path in [*ROOT.glob("data/**/*.py"), *ROOT.glob("data/**/*.md"), *ROOT.glob("tests/*.py")]:
        if path.name != "test_spec.py" and "shared/spec" in path.read_text("utf-8"):
            stale.append(str(path.relative_to(ROOT)))
    assert stale == []


def test_dimensions_tiers_and_modules():
    tiers = {str(k): v for k, v in RULEBOOK["tiers"].items()}
    rows = [(i, name, decides, tier) for i, name, decides, tier in table("1.")]
    assert [d["id"] for d in RULEBOOK["dimensions"]] == [r[0] for r in rows]
    for dim, (i, name, decides, tier) in zip(RULEBOOK["dimensions"], rows):
        assert (dim["id"], dim["name"], dim["decides"]) == (i, name, decides)
        number, word = tier.split()
        assert dim["tier"] == int(number) and tiers[number] == word
        assert dim["weight"] == 1
    modules = dict(re.findall(r'(\w+) "([^"]+)"', " ".join(section("8.").split())))
    assert {d["id"]: d["module"] for d in RULEBOOK["dimensions"]} == modules


def test_rating_scale():
    levels = RULEBOOK["rating_scale"]["levels"]
    assert (RULEBOOK["rating_scale"]["min"], RULEBOOK["rating_scale"]["max"]) == (1, 4)
    assert {str(k): (v["name"], v["meaning"]) for k, v in levels.items()} == {
        level: (name, meaning) for level, name, meaning in table("2.")
    }


def test_perspectives_roles_and_weights():
    text = " ".join(section("3.").split())
    perspectives = RULEBOOK["perspectives"]
    for name in ("strategic", "operational", "partner"):
        listed = re.search(rf"`{name}`: ([a-z_, ]+?)(?: - `| [(])", text).group(1)
        assert perspectives[name]["roles"] == [r.strip() for r in listed.split(",")], name
    assert perspectives["data"]["roles"] == []
    weights = dict(re.findall(r"(\w+) (\d+)[,.]", text.split("Perspective weights:")[1]))
    assert {p: v["weight"] for p, v in perspectives.items()} == {
        p: int(w) for p, w in weights.items()
    }
    assert RULEBOOK["roles_requiring_perspective"] == ["other"]
    assert RULEBOOK["strategic_perspective"] == "strategic"


def test_signal_rules():
    text = " ".join(section("4.").split())
    assert "divergence >= +1.0" in text and RULEBOOK["divergence"]["blind_spot_at_or_above"] == 1.0
    assert "divergence <= -1.0" in text
    assert RULEBOOK["divergence"]["hidden_strength_at_or_below"] == -1.0
    assert "1 - s^2 / 1.25" in text and RULEBOOK["agreement"]["null_variance"] == 1.25
    assert "n >= 2" in text and RULEBOOK["agreement"]["min_ratings"] == 2
    assert "agreement < 0.5" in text and RULEBOOK["agreement"]["low_consensus_below"] == 0.5
    assert "at least two distinct perspectives" in text
    assert RULEBOOK["validated_min_perspectives"] == 2
    assert "rounded to 6 decimals" in " ".join(METHOD.split())
    assert RULEBOOK["comparison_decimals"] == 6


def test_gaps_severity_priority_and_phases():
    text = " ".join(section("5.").split())
    assert "(default 2.75)" in text
    bands = re.search(r"shortfall >= ([\d.]+) `(\w+)`; >= ([\d.]+) `(\w+)`; else `(\w+)`", text)
    assert RULEBOOK["severity"] == [
        {"name": bands[2], "min_shortfall": float(bands[1])},
        {"name": bands[4], "min_shortfall": float(bands[3])},
        {"name": bands[5], "min_shortfall": 0.0},
    ]
    assert RULEBOOK["escalation"] == {"divergence_class": "blind_spot", "levels": 1}
    assert "P1: critical in any tier, or high in tier 1" in text
    assert "P2: high in tier 2 or 3, or medium in tier 1" in text
    assert "P3: medium in tier 2 or 3" in text
    assert RULEBOOK["priority"] == [
        {"priority": "P1", "severity": "critical", "tiers": [1, 2, 3]},
        {"priority": "P1", "severity": "high", "tiers": [1]},
        {"priority": "P2", "severity": "high", "tiers": [2, 3]},
        {"priority": "P2", "severity": "medium", "tiers": [1]},
        {"priority": "P3", "severity": "medium", "tiers": [2, 3]},
    ]
    phases = re.findall(r'P(\d) = Phase \1 "([^"]+)" \(days (\d+)-(\d+)\)', text)
    assert [
        (p["phase"], p["priority"], p["name"], p["start_day"], p["end_day"])
        for p in RULEBOOK["phases"]
    ] == [(int(n), f"P{n}", name, int(a), int(b)) for n, name, a, b in phases]


def test_metric_bands():
    rows = table("6.")
    assert [m["id"] for m in RULEBOOK["metrics"]] == [r[0] for r in rows]
    for metric, (i, unit, signal, direction, cuts) in zip(RULEBOOK["metrics"], rows):
        assert (metric["id"], metric["unit"], metric["signal"], metric["direction"]) == (
            i,
            unit,
            signal,
            direction,
        )
        assert metric["cuts"] == [int(c) for c in cuts.split(",")]


def test_index_maturity_coverage_check_benchmark_anonymity():
    text = " ".join(section("7.").split())
    assert "Coverage below 0.5" in text and RULEBOOK["min_coverage"] == 0.5
    bands = re.findall(r"\[([\d.]+), [\d.]+[)\]] `([^`]+)`", text)
    assert [(m["name"], m["min"]) for m in RULEBOOK["maturity"]] == [
        (name, float(low)) for low, name in bands
    ]
    check = " ".join(section("9.").split())
    assert "rated <= 2" in check and RULEBOOK["screening"]["constraint_at_or_below"] == 2
    assert f'"{RULEBOOK["screening"]["recommendation_if_constraint"]}"' in check
    assert f'"{RULEBOOK["screening"]["recommendation_otherwise"]}"' in check
    assert "at least 5 past engagements" in " ".join(section("10.").split())
    assert RULEBOOK["benchmark_min_peers"] == 5
    assert "at least 3 stakeholders" in " ".join(section("11.").split())
    assert RULEBOOK["anonymity_min_role_group"] == 3


def catalogue() -> dict[str, dict]:
    """signals-v1.md as {signal id: {name, question, rubric, dimension}}, plus screening."""
    found: dict[str, dict] = {}
    dimension = ""
    lines = SIGNALS.splitlines()
    for i, line in enumerate(lines):
        if m := re.match(r"## (\w+) — ", line):
            dimension = m[1]
        elif m := re.match(r"(\w+-\d\d) (.+?) — (.+)$", line):
            rubric = dict(re.findall(r"([1-4]) (.+?)(?= [1-4] [A-Z]|$)", lines[i + 1]))
            found[m[1]] = {
                "dimension": dimension,
                "name": m[2],
                "question": m[3],
                "rubric": {int(k): v for k, v in rubric.items()},
            }
        elif line.startswith("Screening: "):
            found[f"screening:{dimension}"] = {"question": line.removeprefix("Screening: ")}
    return found


def test_signal_catalogue():
    spec = catalogue()
    signals = {s["id"]: (d, s) for d in RULEBOOK["dimensions"] for s in d["signals"]}
    assert sorted(signals) == sorted(k for k in spec if not k.startswith("screening:"))
    assert len(signals) == 24
    for sid, (dim, signal) in signals.items():
        want = spec[sid]
        assert dim["id"] == want["dimension"], sid
        assert (signal["name"], signal["question"]) == (want["name"], want["question"]), sid
        assert signal["rubric"] == want["rubric"], sid
        assert (signal["threshold"], signal["weight"]) == (2.75, 1), sid
    for dim in RULEBOOK["dimensions"]:
        assert dim["screening_question"] == spec[f"screening:{dim['id']}"]["question"]
