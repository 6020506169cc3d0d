"""The rulebook file and the code agree both ways.

- Structure: the loader's schema (`schema_paths`) is exactly the set of key
  paths in paos-v1.yaml; an unknown key or a missing key is refused by name.
- Meaning: for every key path there is a mutation below that changes what
  paos produces: the results of the demo engagements and of probe evidence
  (rules), or the methodology card (descriptive text). A key the code did not
  read would leave its output unchanged and fail here.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from paos import EvidenceError, RulebookError, load_evidence, load_rulebook, score
from paos.method.card import methodology_card
from paos.method.check import screen
from paos.method.results import contracts
from paos.method.rulebook import RULEBOOK_DIR, optional_paths, schema_paths
from tests.builders import META, RATINGS, STAKEHOLDERS, write_engagement

BASE = yaml.safe_load((RULEBOOK_DIR / "paos-v1.yaml").read_text(encoding="utf-8"))
DEMOS = sorted(str(p) for p in (Path(__file__).parent.parent / "data" / "engagements").iterdir())


def file_paths(node, prefix="", maps=("levels", "tiers", "perspectives", "rubric")) -> set[str]:
    """Key paths of the YAML itself, with list items as [] and data-keyed maps as *."""
    if isinstance(node, dict):
        out = set()
        for k, v in node.items():
            name = "*" if prefix.split(".")[-1].rstrip("[]") in maps else str(k)
            out |= file_paths(v, f"{prefix}.{name}" if prefix else name, maps)
        return out
    if isinstance(node, list) and node and isinstance(node[0], dict):
        out = set()
        for item in node:
            out |= file_paths(item, prefix + "[]", maps)
        return out
    return {prefix}


def test_file_keys_are_exactly_the_implemented_keys():
    # `parent` is optional: only a rulebook made by `paos rulebook new` has it
    assert optional_paths() == {"parent.id", "parent.sha256"}
    assert file_paths(BASE) == schema_paths() - optional_paths()


def test_loaded_rulebook_carries_id_and_sha256():
    import hashlib

    rb = load_rulebook("paos-v1")
    assert rb.id == "paos-v1"
    assert rb.sha256 == hashlib.sha256((RULEBOOK_DIR / "paos-v1.yaml").read_bytes()).hexdigest()
    assert len(rb.signals) == 24 and [d.id for d in rb.dimensions] == [
        "FIT",
        "REC",
        "ONB",
        "ECO",
        "PERF",
        "ORG",
    ]


def _write(tmp_path, raw) -> Path:
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda r: r["dimensions"][2]["signals"][1].__setitem__("threshold", "high"),
            "key dimensions[2].signals[1].threshold: 'high' is not a number",
        ),
        (lambda r: r["agreement"].pop("null_variance"), "key agreement.null_variance: missing"),
        (
            lambda r: r.__setitem__("bonus_points", 3),
            "key bonus_points: unknown key (not implemented by this version of paos)",
        ),
        (
            lambda r: r["metrics"][0].__setitem__("cuts", [90, 80, 365]),
            "key metrics[0].cuts: need 3 strictly ascending cut points",
        ),
        (
            lambda r: r["priority"].pop(),
            "key priority: no rule for medium in tier 2, medium in tier 3",
        ),
        (
            lambda r: r["metrics"][1].__setitem__("signal", "ONB-09"),
            "key metrics[1].signal: 'ONB-09' is not a signal id",
        ),
        (
            lambda r: r["dimensions"][0]["signals"][0]["rubric"].pop(4),
            "key dimensions[0].signals[0].rubric: must define every level 1..4",
        ),
    ],
)
def test_malformed_rulebook_names_the_key(tmp_path, mutate, message):
    raw = copy.deepcopy(BASE)
    mutate(raw)
    with pytest.raises(RulebookError) as info:
        load_rulebook(_write(tmp_path, raw))
    assert message in str(info.value)
    assert str(info.value).startswith("rulebook book.yaml: ")


def test_unknown_rulebook_id():
    with pytest.raises(RulebookError, match="unknown rulebook 'paos-v7' .known: paos-v1."):
        load_rulebook("paos-v7")


# --- every key does something ---------------------------------------------------


def _probe(tmp: Path) -> list[Path]:
    """Evidence that exercises rules the demos may not: an 'other' role without a
    perspective (refused), two-rater signals, low metric values."""
    bad = write_engagement(
        tmp / "probe-bad", stakeholders=[*STAKEHOLDERS, ["s4", "other", "", "", ""]]
    )
    good = write_engagement(
        tmp / "probe-good",
        meta=META.replace("acme-2026", "probe-good"),
        ratings=[
            *RATINGS,
            ["s1", "ORG-03", "2", "thin team", "interview"],
            ["s2", "ORG-03", "2", "we are stretched", "interview"],
        ],
        metrics=[
            ["metric_id", "value", "as_of", "source"],
            ["active_partners_per_manager", "75", "", ""],
            ["partner_activation_rate", "5", "", ""],
        ],
    )
    return [bad, good]


def observe(rb, tmp: Path) -> str:
    """Everything paos produces from fixed evidence under rulebook `rb`."""
    out = []
    for src in [*DEMOS, *_probe(tmp)]:
        try:
            out += list(contracts(score(load_evidence([src], rb), rb)))
        except EvidenceError as err:
            out.append(err.lines())
    answers = dict(zip([d.id for d in rb.dimensions], [2, 3, 1, 4, 3, 3]))
    out.append(screen(answers, rb))
    for c in out:
        if isinstance(c, dict):
            c.get("rulebook", {}).pop("sha256", None)
    return json.dumps(out, sort_keys=True, default=str)


def _sig(r, i=0, j=0):
    return r["dimensions"][i]["signals"][j]


def _rename_severity(r):
    r["severity"][0]["name"] = "severe"
    for p in r["priority"]:
        p["severity"] = "severe" if p["severity"] == "critical" else p["severity"]


def _rename_priority(r):
    for x in r["priority"] + r["phases"]:
        x["priority"] = "Now" if x["priority"] == "P1" else x["priority"]


def _scale_max(r):
    r["rating_scale"]["max"] = 5
    r["rating_scale"]["levels"][5] = {"name": "Leading", "meaning": "x"}
    for d in r["dimensions"]:
        for s in d["signals"]:
            s["rubric"][5] = "x"
    for m in r["metrics"]:
        m["cuts"].append(m["cuts"][-1] * 2)


def _scale_min(r):
    r["rating_scale"]["min"] = 0
    r["rating_scale"]["levels"][0] = {"name": "None", "meaning": "x"}
    r["maturity"][0]["min"] = 0
    for d in r["dimensions"]:
        for s in d["signals"]:
            s["rubric"][0] = "x"
    for m in r["metrics"]:
        m["cuts"].insert(0, m["cuts"][0] / 2)


def _set(path: str, value):
    def go(r):
        node = r
        *head, last = path.split(".")
        for k in head:
            node = node[int(k)] if k.isdigit() else node[k]
        node[int(last) if last.isdigit() else last] = value

    return go


RULES = {
    "id": _set("id", "paos-v1-x"),
    "comparison_decimals": _set("comparison_decimals", 0),
    "display_decimals": _set("display_decimals", 2),
    "rating_scale.min": _scale_min,
    "rating_scale.max": _scale_max,
    "perspectives.*.weight": _set("perspectives.operational.weight", 1),
    "perspectives.*.roles": lambda r: r["perspectives"]["operational"]["roles"].remove("sales"),
    "strategic_perspective": _set("strategic_perspective", "partner"),
    "stakeholder_perspectives": _set("stakeholder_perspectives", ["strategic", "operational"]),
    "roles_requiring_perspective": _set("roles_requiring_perspective", ["wizard"]),
    "divergence.blind_spot_at_or_above": _set("divergence.blind_spot_at_or_above", 0.5),
    "divergence.hidden_strength_at_or_below": _set("divergence.hidden_strength_at_or_below", -0.5),
    "agreement.null_variance": _set("agreement.null_variance", 2.0),
    "agreement.min_ratings": _set("agreement.min_ratings", 3),
    "agreement.low_consensus_below": _set("agreement.low_consensus_below", 0.9),
    "validated_min_perspectives": _set("validated_min_perspectives", 3),
    "min_coverage": _set("min_coverage", 0.9),
    "severity[].name": _rename_severity,
    "severity[].min_shortfall": _set("severity.0.min_shortfall", 0.7),
    "escalation.divergence_class": _set("escalation.divergence_class", "hidden_strength"),
    "escalation.levels": _set("escalation.levels", 2),
    "priority[].priority": _rename_priority,
    "priority[].severity": lambda r: (
        r["priority"][1].update(severity="medium"),
        r["priority"][3].update(severity="high"),
    ),
    "priority[].tiers": lambda r: (
        r["priority"][1].update(tiers=[1, 2]),
        r["priority"][2].update(tiers=[3]),
    ),
    "phases[].phase": lambda r: (r["phases"][0].update(phase=2), r["phases"][1].update(phase=1)),
    "phases[].priority": lambda r: (
        r["phases"][0].update(priority="P2"),
        r["phases"][1].update(priority="P1"),
    ),
    "maturity[].name": _set("maturity.1.name", "Developing"),
    "maturity[].min": _set("maturity.2.min", 3.0),
    "metrics[].id": _set("metrics.0.id", "days_to_first_deal"),
    "metrics[].unit": _set("metrics.1.unit", "count"),
    "metrics[].signal": _set("metrics.1.signal", "ONB-01"),
    "metrics[].direction": _set("metrics.6.direction", "higher"),
    "metrics[].cuts": _set("metrics.1.cuts", [1, 2, 3]),
    "screening.constraint_at_or_below": _set("screening.constraint_at_or_below", 1),
    "screening.recommendation_if_constraint": _set(
        "screening.recommendation_if_constraint", "Diagnose"
    ),
    "screening.recommendation_otherwise": lambda r: r["screening"].update(
        constraint_at_or_below=0, recommendation_otherwise="Fine"
    ),
    "anonymity_min_role_group": _set("anonymity_min_role_group", 1),
    "gap_evidence_max_rating": _set("gap_evidence_max_rating", 1),
    "dimensions[].id": _set("dimensions.0.id", "FITX"),
    "dimensions[].name": _set("dimensions.0.name", "Fit"),
    "dimensions[].tier": _set("dimensions.5.tier", 3),
    "dimensions[].weight": _set("dimensions.0.weight", 3),
    "dimensions[].module": _set("dimensions.0.module", "Fit Module"),
    "dimensions[].screening_question": _set("dimensions.0.screening_question", "Who fits?"),
    "dimensions[].signals[].id": lambda r: _sig(r).update(id="FIT-0X"),
    "dimensions[].signals[].threshold": lambda r: _sig(r, 3, 1).update(threshold=3.25),
    "dimensions[].signals[].weight": lambda r: _sig(r).update(weight=4),
}

DESCRIPTIVE = {
    "parent.id": lambda r: r.update(parent={"id": "paos-v0", "sha256": "a" * 64}),
    "parent.sha256": lambda r: r.update(parent={"id": "paos-v0", "sha256": "b" * 64}),
    "title": _set("title", "Other title"),
    "version": _set("version", 9),
    "rating_scale.levels.*.name": _set("rating_scale.levels.1.name", "Missing"),
    "rating_scale.levels.*.meaning": _set("rating_scale.levels.1.meaning", "nothing"),
    "tiers.*": _set("tiers.1", "base"),
    "phases[].name": _set("phases.0.name", "Fix"),
    "phases[].start_day": _set("phases.0.start_day", 1),
    "phases[].end_day": _set("phases.0.end_day", 80),
    "benchmark_min_peers": _set("benchmark_min_peers", 3),
    "company_stages": _set("company_stages", ["seed", "startup", "scale-up"]),
    "dimensions[].decides": _set("dimensions.0.decides", "who"),
    "dimensions[].signals[].name": lambda r: _sig(r).update(name="Profile"),
    "dimensions[].signals[].question": lambda r: _sig(r).update(question="Profile?"),
    "dimensions[].signals[].rubric.*": lambda r: _sig(r)["rubric"].update({1: "nothing"}),
}


def test_every_key_has_a_mutation():
    assert set(RULES) | set(DESCRIPTIVE) == schema_paths()
    assert not set(RULES) & set(DESCRIPTIVE)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    rb = load_rulebook("paos-v1")
    return observe(rb, tmp_path_factory.mktemp("base")), methodology_card(rb)


@pytest.mark.parametrize("key", sorted(RULES))
def test_every_rule_changes_the_results(key, baseline, tmp_path):
    raw = copy.deepcopy(BASE)
    RULES[key](raw)
    rb = load_rulebook(_write(tmp_path, raw))
    assert observe(rb, tmp_path) != baseline[0], f"{key} changed nothing"


@pytest.mark.parametrize("key", sorted(DESCRIPTIVE))
def test_every_text_is_shown(key, baseline, tmp_path):
    raw = copy.deepcopy(BASE)
    DESCRIPTIVE[key](raw)
    rb = load_rulebook(_write(tmp_path, raw))
    card = methodology_card(rb)
    assert card.replace(rb.sha256, "") != baseline[1].replace(load_rulebook().sha256, "")
