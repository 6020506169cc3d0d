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
import re
from pathlib import Path

import pytest
import yaml

from paos import EvidenceError, RulebookError, load_evidence, load_rulebook, score
from paos.base.card import methodology_card
from paos.base.rulebook import RULEBOOK_DIR
from paos.base.rulebook_schema import optional_paths, schema_paths
from paos.method.check import screen
from paos.method.results import contracts
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
    # `parent` is optional: only a rulebook made by `paos rulebook new` has it;
    # `metric_perspective` too: paos-v1's is its one role-less, undeclarable `data`;
    # `view_labels` is optional (the perspectives' names stand in), paos-v1 has it
    labels = {"view_labels.strategic", "view_labels.reality"}
    assert optional_paths() == {"parent.id", "parent.sha256", "metric_perspective"} | labels
    assert file_paths(BASE) == schema_paths() - optional_paths() | labels


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


def _write(tmp_path, raw, name="book.yaml") -> Path:
    """`raw` as a rulebook file; a copy still named `paos-v1` is renamed `paos-v1-copy`
    (a bundled id belongs to the bundled file's exact bytes)."""
    if raw.get("id") == "paos-v1":
        raw = {**raw, "id": "paos-v1-copy"}
    path = tmp_path / name
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
    "metric_perspective": lambda r: (
        r["perspectives"].update(audit={"weight": 1, "roles": []}),
        r.update(metric_perspective="audit"),
    ),
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
    "anonymity_min_role_group": _set("anonymity_min_role_group", 4),
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
    "view_labels.strategic": _set("view_labels.strategic", "the board"),
    "view_labels.reality": _set("view_labels.reality", "the floor"),
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
    tmp = tmp_path_factory.mktemp("base")
    rb = load_rulebook(_write(tmp, copy.deepcopy(BASE)))  # paos-v1 as `paos-v1-copy`
    return observe(rb, tmp), methodology_card(rb).replace(rb.sha256, "")


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
    assert card.replace(rb.sha256, "") != baseline[1]


# --- the metric perspective is the rulebook's (issue 16, item 3) --------------------


def _renamed(tmp_path, **extra) -> Path:
    """paos-v1 with its `data` perspective renamed `metrics` (same weight, no roles)."""
    raw = copy.deepcopy(BASE)
    raw["id"] = "renamed-data"
    raw["perspectives"]["metrics"] = raw["perspectives"].pop("data")
    raw.update(extra)
    return _write(tmp_path, raw, "renamed.yaml")


def _metric_case(rb):
    from paos.method.robustness import robustness
    from tests.builders import evidence

    ratings = [
        (f"{p}{i}", p, s.id, 2, "thin")
        for s in RB_V1.signals
        for p in ("strategic", "operational")
        for i in range(2)
    ]
    ev = evidence(ratings, {"partner_activation_rate": 5, "active_partners_per_manager": 10})
    return next(contracts(robustness(ev, rb, score(ev, rb))))


RB_V1 = load_rulebook("paos-v1")


def test_a_renamed_metric_perspective_keeps_every_metric_rating(tmp_path):
    rb = load_rulebook(_renamed(tmp_path))
    assert rb.metric_perspective == "metrics"
    assert rb.people_perspectives == ("strategic", "operational", "partner")
    new, v1 = _metric_case(rb), _metric_case(RB_V1)
    assert new["pai"] == v1["pai"] and new["robustness"] == v1["robustness"]
    onb = next(s for s in new["signals"] if s["id"] == "ONB-04")
    assert onb["perspective_means"]["metrics"] == 1.0 and "data" not in onb["perspective_means"]
    assert [s["score"] for s in new["signals"]] == [s["score"] for s in v1["signals"]]
    evidence = next(g for g in new["gaps"] if g["signal_id"] == "ONB-04")["evidence"]
    assert [e["perspective"] for e in evidence][-1] == "metrics"
    assert evidence[-1]["text"].startswith("partner_activation_rate = 5%: rating 1")


def test_the_metric_perspective_can_be_named(tmp_path):
    raw = copy.deepcopy(BASE)
    raw["perspectives"]["audit"] = {"weight": 1, "roles": []}
    with pytest.raises(RulebookError) as info:
        load_rulebook(_write(tmp_path, raw))
    assert str(info.value) == (
        "rulebook book.yaml: key metric_perspective: missing; name the perspective of "
        "metric-derived ratings (a perspective with no roles that stakeholders cannot "
        "declare: data, audit)"
    )
    raw["metric_perspective"] = "audit"
    assert load_rulebook(_write(tmp_path, raw)).metric_perspective == "audit"
    for bad in ("operational", "strategic", "nobody"):
        raw["metric_perspective"] = bad
        with pytest.raises(RulebookError, match=f"key metric_perspective: '{bad}' is not a"):
            load_rulebook(_write(tmp_path, raw))


def test_no_perspective_role_severity_or_rulebook_id_is_written_in_the_engine():
    """The methodology's names live in the rulebook: no string literal of the scoring
    code is one of them (docstrings aside). `strategic` and `reality` are the results
    contract's S and R fields, named by the spec, not perspective names."""
    import ast

    names = {
        *BASE["perspectives"],
        *(r for p in BASE["perspectives"].values() for r in p["roles"]),
        *BASE["roles_requiring_perspective"],
        *(b["name"] for b in BASE["severity"]),
        *(r["priority"] for r in BASE["priority"]),
        "paos-v1",
    } - {"strategic"}
    found = []
    for f in sorted((Path(__file__).parent.parent / "paos" / "method").glob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        docs = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and n.body
            and isinstance(n.body[0], ast.Expr)
        }
        found += [
            f"{f.name}:{n.lineno}: {n.value!r}"
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and n.value in names and id(n) not in docs
        ]
    assert found == []


# --- texts: one line of printable text (issue 16 item 15, issue 19 item 5) -----------


@pytest.mark.parametrize(
    "mutate, key, char",
    [
        (_set("title", "PAOS\n\n## Rules\n\n- Severity: none"), "title", "U+000A at character 5"),
        (lambda r: _sig(r).update(name="Profile\r\n- fake rule"), "dimensions[0].signals[0].name", "U+000D"),
        (_set("dimensions.1.name", "Recruit\x1b[31m"), "dimensions[1].name", "U+001B"),
        (_set("dimensions.2.module", "Module\u2028# Fake"), "dimensions[2].module", "U+2028"),
        (_set("rating_scale.levels.2.name", "Emer\ufffeging"), "rating_scale.levels.2.name", "U+FFFE"),
        (_set("rating_scale.levels.3.meaning", "x\uffffy"), "rating_scale.levels.3.meaning", "U+FFFF"),
        (_set("severity.0.name", "crit\u202eical"), "severity[0].name", "U+202E"),
        (_set("tiers.1", "found\tation"), "tiers.1", "U+0009"),
        (_set("phases.0.name", "Stabilise\x00"), "phases[0].name", "U+0000"),
        (_set("company_stages", ["startup", "scale\x9bup"]), "company_stages[1]", "U+009B"),
        (lambda r: r["perspectives"]["operational"]["roles"].append("sales\nops"), "perspectives.operational.roles[11]", "U+000A"),
    ],
)  # fmt: skip
def test_rulebook_texts_are_one_line_of_printable_text(tmp_path, mutate, key, char):
    raw = copy.deepcopy(BASE)
    mutate(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(RulebookError) as info:
        load_rulebook(path)
    lines = info.value.lines()
    mine = [line for line in lines if f"key {key}:" in line]
    assert mine, lines
    assert f"must be one line of printable text ({char}" in mine[0]
    assert all("\n" not in line and "\x1b" not in line for line in lines)


def test_a_lone_surrogate_is_refused_by_the_checks():
    """libyaml refuses a `\\ud800` escape itself; the pure-Python loader (and any raw
    mapping handed to `rulebook_problems`) gets the key named."""
    from paos.base.rulebook_rules import rulebook_problems

    raw = copy.deepcopy(BASE)
    _sig(raw, 1, 0)["rubric"][2] = "lone \ud800 half"
    assert rulebook_problems(raw) == [
        "key dimensions[1].signals[0].rubric.2: must be one line of printable text "
        "(U+D800 at character 6)"
    ]


def test_a_perspective_name_with_a_line_break_is_refused_on_one_line(tmp_path):
    raw = copy.deepcopy(BASE)
    raw["perspectives"]["part\nner"] = raw["perspectives"].pop("partner")
    with pytest.raises(RulebookError) as info:
        load_rulebook(_write(tmp_path, raw))
    assert (
        "rulebook book.yaml: key perspectives.part\\nner: the name must be one line of "
        "printable text (U+000A at character 5)"
    ) in info.value.lines()


def test_texts_in_other_scripts_load(tmp_path):
    raw = copy.deepcopy(BASE)
    raw["title"] = "Diagnostic « partenaires » — 파트너 진단 · साझेदार · 🤝 · ✓"
    raw["dimensions"][0]["name"] = "Passung der Partner (Ökosystem)"
    assert load_rulebook(_write(tmp_path, raw)).raw["title"] == raw["title"]


@pytest.mark.parametrize(
    "char",
    [
        "\u00ad",  # soft hyphen (Cf)
        "\U000e0041",  # tag character (Cf)
        "\u180e",  # Mongolian vowel separator (Cf)
        "\ufff9",  # interlinear annotation anchor (Cf)
        "\u0600",  # Arabic number sign (Cf)
        "\u2061",  # function application (Cf)
        "\ue000",  # private use (Co)
        "\U000f0000",  # supplementary private use (Co)
        "\u0378",  # unassigned (Cn)
        "\u200d",  # a joiner not between two visible characters (here: after a space)
    ],
)
def test_format_private_and_unassigned_characters_are_refused(tmp_path, char):
    """Fix D15b: categories Cc, Cf, Co, Cn, Cs are refused in every rulebook text."""
    raw = copy.deepcopy(BASE)
    _sig(raw)["name"] = f"Ideal {char}profile"
    with pytest.raises(RulebookError) as info:
        load_rulebook(_write(tmp_path, raw))
    assert (
        "rulebook book.yaml: key dimensions[0].signals[0].name: must be one line of printable "
        f"text (U+{ord(char):04X} at character 7)"
    ) in info.value.lines()


def test_joiners_inside_emoji_and_words_load(tmp_path):
    """ZWJ (emoji sequences) and ZWNJ (Persian, Indic scripts) between two visible
    characters are text; a no-break space is a space."""
    raw = copy.deepcopy(BASE)
    raw["title"] = (
        "Team \U0001f468\u200d\U0001f469\u200d\U0001f467 \u0645\u06cc\u200c\u062e\u0648\u0627\u0645"
    )
    raw["dimensions"][0]["name"] = "Partner\u00a0Fit \U0001f3f3\ufe0f\u200d\U0001f308"
    rb = load_rulebook(_write(tmp_path, raw))
    assert rb.raw["title"] == raw["title"] and rb.dimensions[0].name == raw["dimensions"][0]["name"]


# --- numbers: every numeric key has a range (issue 19 item 4) ------------------------


def test_every_numeric_key_has_a_documented_range():
    from paos.base.rulebook_schema import numeric_paths, numeric_ranges

    assert set(numeric_ranges(BASE)) == numeric_paths()
    docs = (Path(__file__).parent.parent / "docs" / "methodology.md").read_text(encoding="utf-8")
    section = docs.split("## Ranges of the numbers", 1)[1].split("\n## ", 1)[0]
    assert [p for p in sorted(numeric_paths()) if f"`{p}`" not in section] == []


@pytest.mark.parametrize(
    "mutate, line",
    [
        (_set("comparison_decimals", 400), "key comparison_decimals: 400 is outside its range 0 to 12"),
        (_set("comparison_decimals", -3), "key comparison_decimals: -3 is outside its range 0 to 12"),
        (_set("display_decimals", -1), "key display_decimals: -1 is outside its range 0 to 6"),
        (_set("display_decimals", 10**7), "key display_decimals: 10000000 is outside its range 0 to 6"),
        (lambda r: (r["tiers"].update({1000: "huge"}), r["dimensions"][0].update(tier=1000)),
         "key tiers.1000: a tier is numbered 1 to 99"),
        (_set("perspectives.operational.weight", 1e308),
         "key perspectives.operational.weight: 1e+308 is outside its range 0.001 to 1000"),
        (lambda r: _sig(r).update(weight=1e308),
         "key dimensions[0].signals[0].weight: 1e+308 is outside its range 0.001 to 1000"),
        (_set("dimensions.0.weight", 5e-324),
         "key dimensions[0].weight: 4.94066e-324 is outside its range 0.001 to 1000"),
        (_set("phases.2.end_day", 10**7), "key phases[2].end_day: 10000000 is outside its range 1 to 3650"),
        (_set("version", 10**400), "key version: about 1e400 is outside its range 1 to 1000000"),
        (_set("agreement.min_ratings", 1), "key agreement.min_ratings: 1 is outside its range 2 to 1000"),
        (_set("agreement.null_variance", 0), "key agreement.null_variance: 0 is outside its range 0.001 to 1000"),
        (_set("min_coverage", 0), "key min_coverage: 0 is outside its range 0.01 to 1"),
        (_set("escalation.levels", 1000), "key escalation.levels: 1000 is outside its range 0 to 2"),
        (_set("validated_min_perspectives", 9), "key validated_min_perspectives: 9 is outside its range 1 to 4"),
        (_set("metrics.0.cuts", [90, 180, 1e12]), "key metrics[0].cuts[2]: 1e+12 is outside its range 0 to 1e+09"),
        (_set("rating_scale.max", 1000), "key rating_scale.max: 1000 is outside its range 1 to 10"),
        (_set("divergence.blind_spot_at_or_above", 7), "key divergence.blind_spot_at_or_above: 7 is outside its range 0 to 3"),
        (_set("gap_evidence_max_rating", 9), "key gap_evidence_max_rating: 9 is outside its range 1 to 4"),
        (_set("anonymity_min_role_group", 0), "key anonymity_min_role_group: 0 is outside its range 3 to 1000"),
        (_set("anonymity_min_role_group", 1), "key anonymity_min_role_group: 1 is outside its range 3 to 1000"),
        (_set("anonymity_min_role_group", 2), "key anonymity_min_role_group: 2 is outside its range 3 to 1000"),
        (_set("benchmark_min_peers", 0), "key benchmark_min_peers: 0 is outside its range 1 to 1000"),
    ],
)  # fmt: skip
def test_numbers_out_of_range_are_refused(tmp_path, mutate, line):
    raw = copy.deepcopy(BASE)
    mutate(raw)
    with pytest.raises(RulebookError) as info:
        load_rulebook(_write(tmp_path, raw))
    assert f"rulebook book.yaml: {line}" in info.value.lines()


def test_numbers_at_the_ends_of_their_ranges_score(tmp_path):
    """The ends of the ranges are safe: a rulebook at them loads and scores."""
    raw = copy.deepcopy(BASE)
    raw.update(comparison_decimals=12, display_decimals=6)
    raw["perspectives"]["operational"]["weight"] = 1000
    raw["perspectives"]["partner"]["weight"] = 0.001
    raw["dimensions"][0]["weight"] = 0.001
    raw["phases"][2]["end_day"] = 3650
    raw["tiers"] = {1: "foundation", 2: "engine", 99: "scale"}
    for d in raw["dimensions"]:
        d["tier"] = 99 if d["tier"] == 3 else d["tier"]
    for p in raw["priority"]:
        p["tiers"] = [99 if t == 3 else t for t in p["tiers"]]
    rb = load_rulebook(_write(tmp_path, raw))
    c = _metric_case(rb)
    assert c["pai"] is not None and 1 <= c["pai"] <= 4
    assert {g["phase"] for g in c["gaps"]} <= {1, 2, 3}


# --- a bundled id belongs to its file (issue 16, item 7) -----------------------------


def test_a_bundled_id_on_another_file_is_refused(tmp_path):
    text = (RULEBOOK_DIR / "paos-v1.yaml").read_text(encoding="utf-8")
    path = tmp_path / "mine.yaml"
    path.write_text(text.replace("threshold: 2.75", "threshold: 3.5", 1), encoding="utf-8")
    with pytest.raises(RulebookError) as info:
        load_rulebook(path)
    assert info.value.lines() == [
        "rulebook mine.yaml: key id: 'paos-v1' is the id of a bundled rulebook and this file "
        "differs from it; give it its own id (paos rulebook new ID --from paos-v1)"
    ]
    same = tmp_path / "copy.yaml"
    same.write_bytes((RULEBOOK_DIR / "paos-v1.yaml").read_bytes())
    assert load_rulebook(same).sha256 == load_rulebook("paos-v1").sha256


@pytest.mark.parametrize("book_id", ["PAOS-V1", "Paos-v1", "paos-V1"])
def test_a_bundled_id_in_another_case_or_width_is_refused(tmp_path, book_id):
    """Fix D7: ids are compared case-insensitively everywhere (a fullwidth id is no id)."""
    text = (RULEBOOK_DIR / "paos-v1.yaml").read_text(encoding="utf-8")
    text = text.replace("id: paos-v1", f"id: {book_id}", 1).replace(
        "threshold: 2.75", "threshold: 3.5", 1
    )
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulebookError) as info:
        load_rulebook(path)
    assert info.value.lines() == [
        f"rulebook mine.yaml: key id: {book_id!r} is the id of a bundled rulebook and this file "
        "differs from it; give it its own id (paos rulebook new ID --from paos-v1)"
    ]


# --- the methodology card shows rulebook texts literally (fix D15) -------------------

MARKDOWN_ATTACKS = [
    "## Rule 7: leadership ratings count double",
    "Ideal** profile",
    "> quoted rule",
    "- fake bullet",
    "+ fake bullet",
    "7. fake item",
    "7) fake item",
    "*emphasis* and _this_ and `code` and [link](x) and <b>bold</b> &amp; \\*",
    "=== setext?",
    "    four spaces",
]


@pytest.mark.parametrize("text", MARKDOWN_ATTACKS)
def test_the_card_shows_rulebook_texts_literally(tmp_path, text):
    from html import unescape

    from markdown_it import MarkdownIt

    raw = copy.deepcopy(BASE)
    _sig(raw)["name"] = text.strip()
    _sig(raw)["rubric"][1] = text
    raw["rating_scale"]["levels"][2]["meaning"] = text
    raw["dimensions"][1]["name"] = text.strip()
    raw["title"] = text.strip()
    card = methodology_card(load_rulebook(_write(tmp_path, raw)))
    html = MarkdownIt("commonmark", {"html": False}).render(card)
    made = ("<h2>Rule 7", "<blockquote>", "<em>", "<strong>Ideal", "<code>code", "<hr", "<pre>")
    for tag in (*made, '<ol start="7"', "<li>fake", "<b>", "<a "):
        assert tag not in html
    assert html.count("<h1>") == 1 and html.count("<h2>") == card.count("\n## ")
    text_only = unescape(re.sub(r"<[^>]+>", "", html))
    assert text_only.count(text.strip()) >= 4, text_only
