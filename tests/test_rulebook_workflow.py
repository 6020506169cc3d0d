"""Custom rulebooks as a workflow: `paos rulebook new`, `check`, `--rulebook PATH`
on the scoring commands, and benchmarks that never mix rulebook files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from paos import load_rulebook
from paos.base.derive import check_rulebook, differences, new_rulebook
from paos.base.rulebook import RULEBOOK_DIR
from paos.cli import app
from paos.errors import PaosError
from paos.method.diagnostic import diagnose
from paos.method.peers import benchmark, benchmark_text, subject_from_results
from paos.method.store import read_store, store_rows, write_runs
from paos.portfolio.report import collect
from tests.test_benchmark import SUBJECT, group, row, store

ROOT = Path(__file__).parent.parent
DEMO = ROOT / "data" / "engagements"
STRICT = ROOT / "data" / "rulebooks" / "paos-strict.yaml"
V1 = load_rulebook("paos-v1")


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def edit(path: Path, *pairs: tuple[str, str]) -> Path:
    text = path.read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def book(tmp_path) -> Path:
    return new_rulebook("acme-v1", "paos-v1", tmp_path / "books")


# --- new -----------------------------------------------------------------------


def test_new_writes_a_loadable_copy_with_id_and_parent(tmp_path):
    result = invoke("rulebook", "new", "acme-v1", "--from", "paos-v1", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    path = tmp_path / "acme-v1.yaml"
    assert result.stdout == f"wrote {path}\n"
    rb = load_rulebook(path)
    assert rb.id == "acme-v1"
    assert rb.parent == {"id": "paos-v1", "sha256": V1.sha256}
    assert {k: v for k, v in rb.raw.items() if k not in ("id", "parent")} == {
        k: v for k, v in V1.raw.items() if k != "id"
    }
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# PAOS rulebook acme-v1: a tailored copy of rulebook paos-v1.")
    assert f"sha256 {V1.sha256}" in text and f"paos rulebook check {path}" in text
    assert "# Every threshold comparison is made" in text  # the parent's comments stay


def test_new_from_a_custom_rulebook_records_that_one(tmp_path, book):
    child = new_rulebook("acme-v2", book, tmp_path)
    rb = load_rulebook(child)
    assert rb.parent == {"id": "acme-v1", "sha256": load_rulebook(book).sha256}
    assert child.read_text().count("parent:") == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["bad id", "--from", "paos-v1"], "rulebook id 'bad id' is not valid"),
        (["-x", "--from", "paos-v1"], None),  # typer: not an id at all
        (["paos-v1", "--from", "paos-v1"], "is a bundled rulebook"),
        (["PAOS-V1", "--from", "paos-v1"], "rulebook id 'PAOS-V1' is the bundled rulebook paos-v1"),
        (["Paos-v1", "--from", "data/rulebooks/paos-strict.yaml"], "is the bundled rulebook"),
        (["acme", "--from", "paos-v7"], "unknown rulebook 'paos-v7'"),
    ],
)
def test_new_refuses_bad_input_in_one_line(tmp_path, args, message):
    result = invoke("rulebook", "new", *args, "--out", tmp_path)
    assert result.exit_code == 2
    if message:
        assert len(result.stderr.splitlines()) == 1 and message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_never_overwrites(tmp_path):
    mine = tmp_path / "acme-v1.yaml"
    mine.write_text("my own notes\n")
    result = invoke("rulebook", "new", "acme-v1", "--from", "paos-v1", "--out", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("already exists; paos never overwrites a file: "
                                          "choose another id or --out folder")  # fmt: skip
    assert mine.read_text() == "my own notes\n"


# --- check: every problem ----------------------------------------------------------


def test_check_lists_every_problem_one_line_each(book):
    edit(
        book,
        ("threshold: 2.75", "threshold: high"),
        ("  null_variance: 1.25\n", ""),
        ("{name: critical, min_shortfall: 1.0}", "{name: severe, min_shortfall: 1.0}"),
        ("benchmark_min_peers: 5", "benchmark_min_peers: 0\nbonus_points: 3"),
    )
    result = invoke("rulebook", "check", book)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "rulebook acme-v1.yaml: key bonus_points: unknown key (not implemented by this "
        "version of paos)",
        "rulebook acme-v1.yaml: key agreement.null_variance: missing",
        "rulebook acme-v1.yaml: key dimensions[0].signals[0].threshold: 'high' is not a number",
        "rulebook acme-v1.yaml: key benchmark_min_peers: 0 is outside its range 1 to 1000",
        "rulebook acme-v1.yaml: key priority[0].severity: 'critical' is not a severity",
        "rulebook acme-v1.yaml: key priority: no rule for severe in tier 1, severe in tier 2, "
        "severe in tier 3",
    ]


def test_check_reports_yaml_problems_each(book):
    edit(book, ("title:", "version: 3\ntitle:"), ("tiers:", "tiers:\n  1: base"))
    result = invoke("rulebook", "check", book)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("rulebook acme-v1.yaml line ") for line in lines)
    assert all("appears twice" in line for line in lines)


# --- check: what differs ---------------------------------------------------------


def test_check_lists_the_differences_in_methodology_terms(book):
    edit(
        book,
        ("threshold: 2.75", "threshold: 3.0"),
        ("  operational:\n    weight: 2", "  operational:\n    weight: 3"),
        ("{name: critical, min_shortfall: 1.0}", "{name: severe, min_shortfall: 1.0}"),
        ("{priority: P1, severity: critical,", "{priority: P1, severity: severe,"),
        ("start_day: 0, end_day: 90}", "start_day: 0, end_day: 60}"),
        ("benchmark_min_peers: 5", "benchmark_min_peers: 3"),
        (
            "{priority: P2, severity: high, tiers: [2, 3]}",
            "{priority: P2, severity: high, "
            "tiers: [3]}\n  - {priority: P1, severity: high, tiers: [2]}",
        ),  # fmt: skip
    )
    result = invoke("rulebook", "check", book)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{book}: valid rulebook acme-v1 (sha256 {load_rulebook(book).sha256[:12]}…)",
        f"Differs from paos-v1 (sha256 {V1.sha256[:12]}…, bundled) in 6 way(s):",
        "  operational weight 2 → 3",
        "  severity critical renamed severe",
        "  phase 1 ends on day 60 (was 90)",
        "  priority of high gaps in tier 2 P2 → P1",
        "  benchmark minimum peers 5 → 3",
        "  FIT-01 threshold 2.75 → 3.0",
    ]


def test_unchanged_copy_has_no_difference(book):
    result = invoke("rulebook", "check", book)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == (
        f"No methodology difference from paos-v1 (sha256 {V1.sha256[:12]}…, bundled)."
    )


@pytest.mark.parametrize(
    "change, line",
    [
        (lambda r: r["metrics"][0].update(cuts=[60, 120, 365]),
         "metric time_to_first_deal_days cut points 90, 180, 365 → 60, 120, 365"),
        (lambda r: r["dimensions"][3].update(weight=2), "ECO weight 1 → 2"),
        (lambda r: r["maturity"][1].update(name="Developing"),
         "maturity band Emerging renamed Developing"),
        (lambda r: r["perspectives"]["operational"]["roles"].remove("sales"),
         "role sales removed (was operational)"),
        (lambda r: r["escalation"].update(levels=2), "escalation levels 1 → 2"),
        (lambda r: r["dimensions"][0]["signals"][1]["rubric"].update({2: "x"}),
         "FIT-02 rubric level 2 changed"),
        (lambda r: r["phases"][2].update(name="Grow"), "phase 3 named Grow (was Scale)"),
        (lambda r: r.update(metric_perspective="data"), None),  # named as it was: no change
    ],
)  # fmt: skip
def test_difference_lines(change, line):
    new = yaml.safe_load((RULEBOOK_DIR / "paos-v1.yaml").read_text())
    change(new)
    assert differences(V1.raw, new) == ([line] if line else [])


def test_a_renamed_metric_perspective_is_a_difference():
    new = yaml.safe_load((RULEBOOK_DIR / "paos-v1.yaml").read_text())
    new["perspectives"]["measured"] = new["perspectives"].pop("data")
    assert differences(V1.raw, new) == [
        "perspective data removed",
        "perspective measured added",
        "metric perspective 'data' → 'measured'",
    ]


def test_check_needs_the_recorded_parent_or_against(tmp_path, book):
    # the parent is found next to the file by its id, and must be the very bytes
    child = new_rulebook("acme-v2", book, tmp_path / "books")
    assert check_rulebook(child).parent_from == str(book)
    edit(book, ("benchmark_min_peers: 5", "benchmark_min_peers: 4"))
    result = invoke("rulebook", "check", child)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "it changed since this copy was made; pass --against" in result.stderr
    result = invoke("rulebook", "check", child, "--against", book)
    assert result.exit_code == 0
    assert "note: compared with acme-v1" in result.stdout
    assert "  benchmark minimum peers 4 → 5" in result.stdout


def test_check_without_parent(tmp_path):
    result = invoke("rulebook", "check", "paos-v1")
    assert result.exit_code == 0
    assert "no parent recorded" in result.stdout
    result = invoke("rulebook", "check", STRICT, "--against", "paos-v1")
    assert result.exit_code == 0 and "FIT-01 threshold 2.75 → 3.0" in result.stdout


def test_demo_strict_rulebook_passes_check():
    result = invoke("rulebook", "check", STRICT)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for line in (
        "ORG-04 threshold 2.75 → 3.0",
        "severity critical from shortfall 1.0 → 0.75",
        "phase 1 ends on day 60 (was 90)",
        "benchmark minimum peers 5 → 3",
    ):
        assert f"  {line}\n" in out


def test_show_prints_the_card_with_the_parent(book):
    result = invoke("rulebook", "show", book)
    assert result.exit_code == 0
    assert f"Derived from rulebook `paos-v1`, sha256 `{V1.sha256}`" in result.stdout
    assert "Derived from" not in invoke("rulebook", "show", "paos-v1").stdout


# --- --rulebook PATH on the scoring commands ----------------------------------------


def test_scoring_commands_take_a_rulebook_path(tmp_path):
    strict = load_rulebook(STRICT)
    north = DEMO / "northwind-2026-09"
    assert invoke("validate", north, "--rulebook", STRICT).exit_code == 0
    c = json.loads(invoke("score", north, "--json", "--rulebook", STRICT).stdout)
    assert c["rulebook"] == {
        "id": "paos-strict",
        "sha256": strict.sha256,
        "severity": ["critical", "high", "medium"],
    }
    base = json.loads(invoke("score", north, "--json").stdout)
    count = lambda c, s: sum(g["severity"] == s for g in c["gaps"])  # noqa: E731
    assert (count(base, "critical"), count(c, "critical")) == (10, 17)
    store_dir = tmp_path / "store"
    result = invoke("batch", DEMO, "--scores-only", "--store", store_dir, "--rulebook", STRICT)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in store_dir.glob("*/*.parquet"))
    assert len(names) == 4 and all(
        n.startswith(f"paos-strict-{strict.sha256[:12]}-") for n in names
    )
    assert set(read_store(store_dir)["rulebook_sha256"]) == {strict.sha256}
    result = invoke("benchmark", north, "--store", store_dir, "--json", "--rulebook", STRICT)
    b = json.loads(result.stdout)
    assert (b["rulebook"], b["rulebook_sha256"], b["min_peers"]) == (
        "paos-strict",
        strict.sha256,
        3,
    )
    assert collect(store_dir, str(STRICT)).rulebook.sha256 == strict.sha256
    scaffold = tmp_path / "acme"
    assert invoke("new", scaffold, "--rulebook", STRICT).exit_code == 0
    assert 'rulebook: "paos-strict"' in (scaffold / "engagement.yaml").read_text()


def test_engagement_naming_a_custom_id_needs_the_path(tmp_path):
    import shutil

    eng = shutil.copytree(DEMO / "northwind-2026-09", tmp_path / "nw")
    edit(eng / "engagement.yaml", ("rulebook: paos-v1", "rulebook: paos-strict"))
    refused = invoke("validate", eng)
    assert refused.exit_code == 2 and "for a custom rulebook pass --rulebook PATH" in refused.stderr
    assert invoke("validate", eng, "--rulebook", STRICT).exit_code == 0


# --- benchmarks compare one rulebook file ---------------------------------------------


def test_benchmark_leaves_out_other_rulebook_files_and_counts_them():
    other = "1" * 64
    rows = [*group(5), *[{**r, "rulebook_sha256": other} for r in group(3, prefix="q")]]
    rows.append(row("x", rulebook="paos-strict"))
    b = benchmark(store(*rows), SUBJECT)
    assert b["status"] == "ok" and b["peer_group"]["size"] == 5 and b["left_out"] == 4
    assert "Left out: 4 other client(s)" in benchmark_text(b)
    only_other = benchmark(store(*[{**r, "rulebook_sha256": other} for r in group(6)]), SUBJECT)
    assert only_other["status"] == "insufficient benchmark data"
    assert only_other["peer_group"]["size"] == 0 and only_other["left_out"] == 6
    assert "Left out: 6" in benchmark_text(only_other)
    # an engagement with a run under the subject's file is a peer, not left out
    both = [*group(5), *[{**r, "rulebook_sha256": other} for r in group(5)]]
    assert benchmark(store(*both), SUBJECT)["left_out"] == 0


def test_minimum_peers_comes_from_the_rulebook():
    three = store(*group(3))
    assert benchmark(three, SUBJECT)["status"] == "insufficient benchmark data"  # paos-v1: 5
    b = benchmark(three, {**SUBJECT, "min_peers": 3})
    assert b["status"] == "ok" and b["pai"]["median"] == 2.0
    assert "at least 5 are needed" in benchmark_text(benchmark(three, SUBJECT))
    strict = subject_from_results(diagnose(DEMO / "northwind-2026-09", STRICT))
    assert strict["min_peers"] == 3 and strict["rulebook_sha256"] == load_rulebook(STRICT).sha256


def test_portfolio_collect_takes_one_rulebook_file(tmp_path):
    strict = load_rulebook(STRICT)
    old, new = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    write_runs(store_rows(diagnose(DEMO / "northwind-2026-09", STRICT), old), tmp_path)
    write_runs(store_rows(diagnose(DEMO / "meridian-2026-06", "paos-v1"), new), tmp_path)
    write_runs(store_rows(diagnose(DEMO / "alpine-2026-10", "paos-v1"), new), tmp_path)
    p = collect(tmp_path, str(STRICT))
    assert p.runs["engagement_id"].to_list() == ["northwind-2026-09"] and p.left_out == 2
    p = collect(tmp_path, "paos-v1")
    assert p.runs.height == 2 and p.left_out == 1
    assert set(p.runs["rulebook_sha256"]) == {V1.sha256}
    # the same id with other bytes is another rulebook
    edited = edit(
        _same_id_other_bytes(tmp_path, STRICT),
        ("benchmark_min_peers: 3", "benchmark_min_peers: 4"),
    )
    with pytest.raises(PaosError, match=r"no engagement scored under rulebook paos-strict \("):
        collect(tmp_path, str(edited))
    assert strict.sha256 != load_rulebook(edited).sha256


def _same_id_other_bytes(tmp_path: Path, src: Path) -> Path:
    path = tmp_path / "edited" / "paos-strict.yaml"
    path.parent.mkdir()
    path.write_bytes(src.read_bytes())
    return path


# --- what a custom file may hold (issues 16 and 19) ----------------------------------


def test_check_refuses_names_that_are_not_one_line_of_printable_text(book):
    """A name with a line break would add a heading and a rule to the Methodology
    appendix; an ESC would stop the chart engine: each is refused, one line per key."""
    edit(
        book,
        ("title: Partner Architecture Diagnostic, methodology v1",
         'title: "PAOS\\n\\n## Rules\\n\\n- Severity: none"'),
        ("name: Partner Fit\n", 'name: "Partner \\eFit"\n'),
        ("module: Partner Recruitment System", 'module: "Recruit\\u2028# Fake rule"'),
    )  # fmt: skip
    result = invoke("rulebook", "check", book)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "rulebook acme-v1.yaml: key title: must be one line of printable text "
        "(U+000A at character 5)",
        "rulebook acme-v1.yaml: key dimensions[0].name: must be one line of printable text "
        "(U+001B at character 9)",
        "rulebook acme-v1.yaml: key dimensions[1].module: must be one line of printable "
        "text (U+2028 at character 8)",
    ]
    scored = invoke("score", DEMO / "meridian-2026-06", "--json", "--rulebook", book)
    assert scored.exit_code == 2 and scored.stdout == ""
    assert len(scored.stderr.splitlines()) == 3


def test_check_refuses_numbers_outside_their_range(book):
    edit(
        book,
        ("comparison_decimals: 6", "comparison_decimals: 400"),
        ("display_decimals: 1", "display_decimals: -1"),
        ("weight: 2\n", "weight: 1.0e+308\n"),
        ("end_day: 365}", "end_day: 10000000}"),
    )
    result = invoke("rulebook", "check", book)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "rulebook acme-v1.yaml: key comparison_decimals: 400 is outside its range 0 to 12",
        "rulebook acme-v1.yaml: key display_decimals: -1 is outside its range 0 to 6",
        "rulebook acme-v1.yaml: key perspectives.operational.weight: 1e+308 is outside its "
        "range 0.001 to 1000",
        "rulebook acme-v1.yaml: key phases[2].end_day: 10000000 is outside its range 1 to 3650",
    ]


def test_a_file_claiming_a_bundled_id_is_refused(tmp_path):
    path = tmp_path / "mine.yaml"
    text = (RULEBOOK_DIR / "paos-v1.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("benchmark_min_peers: 5", "benchmark_min_peers: 2"), "utf-8")
    line = (
        "rulebook mine.yaml: key id: 'paos-v1' is the id of a bundled rulebook and this "
        "file differs from it; give it its own id (paos rulebook new ID --from paos-v1)"
    )
    for args in (
        ("rulebook", "check", path),
        ("score", DEMO / "meridian-2026-06", "--json", "--rulebook", path),
    ):
        result = invoke(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")
