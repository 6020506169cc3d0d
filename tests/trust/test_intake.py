"""Trust: intake never silently drops or invents evidence, never does unbounded work
on a small hostile file, and answers every bad file with one line, never a traceback."""

from __future__ import annotations

import errno
import os
import re
import signal
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from paos import EvidenceError, load_evidence
from paos.base import limits, tables
from paos.base.rulebook import RULEBOOK_DIR, load_rulebook
from paos.cli import app
from paos.errors import FaultError, RulebookError
from paos.evidence import intake
from paos.method.check import read_answers
from tests.builders import META, METRICS, RATINGS, STAKEHOLDERS, write_engagement

RB = load_rulebook()
DIMS = ["FIT", "REC", "ONB", "ECO", "PERF", "ORG"]
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi")
)


def problems(source) -> list[str]:
    with pytest.raises(EvidenceError) as info:
        load_evidence([source])
    return info.value.lines()


def only(source) -> str:
    found = problems(source)
    assert len(found) == 1, found
    return found[0]


def cli(*args: str):
    """Run the CLI in-process: (exit code, stdout, stderr); never a traceback."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@contextmanager
def within(seconds: int):
    """Fail (instead of hanging the suite) if the block takes longer than `seconds`."""

    def expired(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- 1. CSV: nothing swallowed, nothing padded, no traceback --------------------------


def test_unclosed_quote_is_refused_instead_of_swallowing_the_rows_after_it(tmp_path):
    folder = write_engagement(tmp_path / "e")
    with open(folder / "ratings.csv", "a", encoding="utf-8") as fh:
        fh.write(
            's1,FIT-02,2,"Leadership says fine,interview\n'
            "s2,FIT-03,3,ok,survey\ns3,FIT-04,1,none,survey\n"
        )
    msg = only(folder)
    assert msg.startswith(f"{folder / 'ratings.csv'} line 5: ")
    assert "unclosed quote starting on line 5" in msg


def test_quote_closed_in_a_later_row_is_refused_naming_both_lines(tmp_path):
    folder = write_engagement(tmp_path / "e")
    with open(folder / "ratings.csv", "a", encoding="utf-8") as fh:
        fh.write('s1,FIT-02,2,"Leadership says fine,interview\ns2,FIT-03,3,"ok",survey\n')
    msg = only(folder)
    assert msg.startswith(f"{folder / 'ratings.csv'} line 5: ")
    assert "line 6" in msg


def test_a_row_with_fewer_fields_than_the_header_is_refused_not_padded(tmp_path):
    rows = [*RATINGS, ["s1", "FIT-02", "3"], ["s2", "FIT-03"]]
    found = problems(write_engagement(tmp_path / "e", ratings=rows))
    assert [p.split(": ", 1)[1] for p in found] == [
        "has 3 fields but the header has 5",
        "has 2 fields but the header has 5",
    ]
    assert found[0].startswith(f"{tmp_path / 'e' / 'ratings.csv'} line 5")


def test_a_field_over_the_csv_limit_is_a_problem_not_a_traceback(tmp_path):
    rows = [*RATINGS, ["s1", "FIT-02", "3", "x" * 200_000, "interview"]]
    folder = write_engagement(tmp_path / "e", ratings=rows)
    msg = only(folder)
    assert msg.startswith(f"{folder / 'ratings.csv'} line 5: ")
    assert "131072 characters" in msg
    code, out, err = cli("validate", folder)
    assert code == 2 and out == "" and len(err.splitlines()) == 1


# --- 2. engagement.yaml: what was written, once, without expansion ---------------------


def test_duplicate_key_in_engagement_yaml_is_refused_naming_both_lines(tmp_path):
    folder = write_engagement(tmp_path / "e", meta=META + "client: Other\n")
    assert only(folder) == (
        f"{folder / 'engagement.yaml'} line 5, column client: appears twice (first on line 2)"
    )


@pytest.mark.parametrize("written", ["007", "yes", "1.10", "1e3", "0x1F", "null", "On"])
def test_engagement_yaml_values_stay_the_text_written(tmp_path, written):
    meta = META.replace("id: acme-2026", f"id: {written}").replace(
        "client: Acme", f"client: {written}"
    )
    ev = load_evidence([write_engagement(tmp_path / "e", meta=meta)])
    assert ev.engagements["engagement_id"].to_list() == [written]
    assert ev.engagements["client"].to_list() == [written]


def test_blank_value_stays_blank(tmp_path):
    folder = write_engagement(tmp_path / "e", meta=META.replace("client: Acme", "client:"))
    assert only(folder) == (
        f"{folder / 'engagement.yaml'} line 2, column client: is blank; a value is required"
    )


def test_yaml_alias_bomb_is_refused_at_once(tmp_path):
    folder = write_engagement(tmp_path / "e", meta=META + BOMB)
    assert len(BOMB) < 700
    t0 = time.perf_counter()
    msg = only(folder)
    assert time.perf_counter() - t0 < 1.0
    assert msg.startswith(f"{folder / 'engagement.yaml'} line 5")
    assert "anchor" in msg and "alias" in msg


def test_a_plain_alias_is_refused(tmp_path):
    meta = META.replace("client: Acme", "client: &c Acme") + "analyst: *c\n"
    msg = only(write_engagement(tmp_path / "e", meta=meta))
    assert " line 2" in msg and "alias" in msg


@pytest.mark.parametrize(
    "value, kind",
    [
        ("[Acme, Other]", "a list"),
        ("{name: Acme}", "a mapping"),
        ("\n  - Acme\n  - Other", "a list"),
    ],
)
def test_a_list_or_mapping_value_is_refused(tmp_path, value, kind):
    folder = write_engagement(tmp_path / "e", meta=META.replace(" Acme", " " + value))
    assert only(folder) == (
        f"{folder / 'engagement.yaml'} line 2, column client: must be a single value, not {kind}"
    )


def test_yaml_tags_are_refused_and_never_constructed(tmp_path):
    meta = META.replace("client: Acme", "client: !!python/object/apply:os.system [exit 3]")
    msg = only(write_engagement(tmp_path / "e", meta=meta))
    assert " line 2" in msg and "tag" in msg


def test_deeply_nested_yaml_is_refused_without_a_traceback(tmp_path):
    folder = write_engagement(tmp_path / "e", meta=META + "x: " + "[" * 50_000 + "\n")
    code, _, err = cli("validate", folder)
    assert code == 2 and str(folder / "engagement.yaml") in err


def test_answers_file_refuses_aliases(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("answers: &a {FIT: 3, REC: 3, ONB: 3, ECO: 3, PERF: 3, ORG: 3}\n" + BOMB)
    t0 = time.perf_counter()
    with pytest.raises(EvidenceError, match="alias"):
        read_answers(path, RB)
    assert time.perf_counter() - t0 < 1.0


def test_answers_yaml_values_stay_text(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("id: 007\nanswers: {FIT: 3, REC: 3, ONB: 3, ECO: 3, PERF: 3, ORG: 3}\n")
    head, ratings = read_answers(path, RB)
    assert head["id"] == "007" and ratings == dict.fromkeys(DIMS, 3)


def test_custom_rulebook_alias_bomb_is_refused_at_once(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text((RULEBOOK_DIR / "paos-v1.yaml").read_text() + BOMB)
    t0 = time.perf_counter()
    with pytest.raises(RulebookError, match="alias"):
        load_rulebook(path)
    assert time.perf_counter() - t0 < 1.0


# --- 3. workbooks: no silent choice, no traceback, no bomb -----------------------------

ENG_SHEET = [
    ["key", "value"],
    ["id", "acme-2026"],
    ["client", "Acme"],
    ["assessed_on", "2026-05-04"],
]


def _workbook(path: Path, sheets: dict[str, list[list]] | None = None) -> Path:
    sheets = sheets or {
        "engagement": ENG_SHEET,
        "stakeholders": STAKEHOLDERS,
        "ratings": RATINGS,
        "metrics": METRICS,
    }
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def _rezip(path: Path, change) -> Path:
    """Rewrite the workbook at `path`, passing each part's (name, bytes) through `change`
    (which returns new bytes, or None to keep them)."""
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            new = change(name, data)
            z.writestr(name, data if new is None else new)
    return path


def _sheet_part(path: Path, title: str) -> str:
    wb = openpyxl.load_workbook(path)
    index = wb.sheetnames.index(title) + 1
    return f"xl/worksheets/sheet{index}.xml"


def test_valid_workbook_still_loads(tmp_path):
    assert load_evidence([_workbook(tmp_path / "a.xlsx")]).ratings.height == 3


def test_two_sheets_that_read_the_same_are_refused_naming_both(tmp_path):
    path = _workbook(
        tmp_path / "a.xlsx",
        {
            "engagement": ENG_SHEET,
            "stakeholders": STAKEHOLDERS,
            "ratings": RATINGS,
            " Ratings ": RATINGS[:2],
        },
    )
    msg = only(path)
    assert msg.startswith(f"{path}: ")
    assert "'ratings'" in msg and "' Ratings '" in msg


@pytest.mark.parametrize("content", [b"not a zip at all\n", b"PK\x03\x04" + b"\0" * 100])
def test_a_file_that_is_not_a_workbook_is_one_problem(tmp_path, content):
    path = tmp_path / "a.xlsx"
    path.write_bytes(content)
    msg = only(path)
    assert msg.startswith(f"{path}: is not a readable .xlsx workbook (")
    code, out, err = cli("validate", path)
    assert code == 2 and len(err.splitlines()) == 1


def test_a_truncated_zip_is_one_problem(tmp_path):
    path = _workbook(tmp_path / "a.xlsx")
    path.write_bytes(path.read_bytes()[:-200])
    assert only(path).startswith(f"{path}: is not a readable .xlsx workbook (")


def test_a_truncated_sheet_xml_is_one_problem(tmp_path):
    path = _workbook(tmp_path / "a.xlsx")
    part = _sheet_part(path, "ratings")
    _rezip(path, lambda name, data: data[: len(data) // 2] if name == part else None)
    assert only(path).startswith(f"{path}: is not a readable .xlsx workbook (")


def test_a_batch_reports_an_unreadable_workbook_as_that_engagement_failing(tmp_path):
    root = tmp_path / "p"
    write_engagement(root / "good")
    (root / "broken.xlsx").write_bytes(b"not a zip")
    code, out, err = cli(
        "batch", root, "--scores-only", "--store", tmp_path / "s", "--out", tmp_path / "r"
    )
    assert code == 1
    assert "2 engagements: 1 done, 0 skipped (unchanged), 1 failed" in out
    assert "is not a readable .xlsx workbook" in out


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = _workbook(tmp_path / "a.xlsx")
    part = _sheet_part(path, "ratings")
    pad = b" " * (60 * 2**20)
    _rezip(
        path,
        lambda name, data: (
            data.replace(b"<sheetData>", b"<sheetData>" + pad) if name == part else None
        ),
    )
    assert path.stat().st_size < 2**20
    t0 = time.perf_counter()
    msg = only(path)
    assert time.perf_counter() - t0 < 1.0
    assert msg.startswith(f"{path}: is not a readable .xlsx workbook (")
    assert part in msg


def test_a_huge_declared_sheet_dimension_costs_nothing(tmp_path):
    rows = [*RATINGS, *[[f"s{i % 3 + 1}", f"FIT-0{i % 4 + 1}", "3", "x", ""] for i in range(5000)]]
    path = _workbook(
        tmp_path / "a.xlsx",
        {"engagement": ENG_SHEET, "stakeholders": STAKEHOLDERS, "ratings": rows},
    )
    part = _sheet_part(path, "ratings")
    _rezip(
        path,
        lambda name, data: (
            re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
            if name == part
            else None
        ),
    )
    assert b"XFD1048576" in zipfile.ZipFile(path).read(part)
    with within(10):
        found = problems(path)
    assert len(found) == limits.MAX_REPORTED + 1 and "is rated twice" in found[0]


def test_a_cell_far_to_the_right_is_refused(tmp_path):
    path = _workbook(tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["ratings"]["XFD3"] = "stray"
    wb.save(path)
    with within(20):
        msg = only(path)
    assert msg.startswith(f"{path} (sheet ratings) line 3")
    assert "columns" in msg


@pytest.mark.slow  # a workbook a million rows tall
def test_a_row_far_below_is_read_quickly(tmp_path):
    path = _workbook(tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["ratings"]["A1048576"] = "s1"
    wb.save(path)
    with within(30):
        msg = only(path)
    assert " line 1048576" in msg


# --- 4. special files: refused, never opened if they could block ---------------------


@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "loop"])
def test_an_evidence_file_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    folder = write_engagement(tmp_path / "e", metrics=None)
    target = folder / "metrics.csv"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        target.symlink_to("/dev/zero")
    elif kind == "directory":
        target.mkdir()
    else:
        target.symlink_to(target)
    with within(10):
        msg = only(folder)
    assert msg.startswith(f"{target}: is not a regular file")


def test_engagement_yaml_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    folder = write_engagement(tmp_path / "e", meta=None)
    os.mkfifo(folder / "engagement.yaml")
    with within(10):
        msg = only(folder)
    assert msg.startswith(f"{folder / 'engagement.yaml'}: is not a regular file")


def test_a_broken_symlink_is_refused(tmp_path):
    folder = write_engagement(tmp_path / "e", metrics=None)
    (folder / "metrics.csv").symlink_to(tmp_path / "gone.csv")
    assert only(folder).startswith(f"{folder / 'metrics.csv'}: ")


def test_an_unreadable_file_is_a_fault_naming_the_path(tmp_path, monkeypatch):
    folder = write_engagement(tmp_path / "e")
    blocked = str(folder / "ratings.csv")
    real_open = os.open

    def deny(path, flags, *args, **kw):
        if os.fspath(path) == blocked:
            raise PermissionError(errno.EACCES, "Permission denied", blocked)
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(intake.os, "open", deny)
    with pytest.raises(FaultError) as info:
        load_evidence([folder])
    assert info.value.lines() == [
        f"{blocked}: cannot be read (Permission denied); check its permissions"
    ]
    code, out, err = cli("validate", folder)
    assert code == 1 and err.splitlines() == info.value.lines()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_a_chmod_000_file_is_a_fault(tmp_path):
    folder = write_engagement(tmp_path / "e")
    (folder / "ratings.csv").chmod(0)
    code, _, err = cli("validate", folder)
    assert code == 1 and "cannot be read" in err


def test_an_evidence_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    folder = write_engagement(tmp_path / "e")
    monkeypatch.setattr(intake, "MAX_TABLE_BYTES", 100)
    msg = only(folder)
    assert msg.startswith(f"{folder / 'ratings.csv'}: is larger than 100 bytes")


# --- 5. problem reporting stays linear ----------------------------------------------


def _many(n: int, row) -> list[list[str]]:
    return [*RATINGS, *([row] * n)]


@pytest.mark.parametrize(
    "row, fragment, kind",
    [
        (
            ["s1", "FIT-01", "4", "We have a profile", "interview"],
            "is rated twice",
            "is rated twice by the same stakeholder",
        ),
        # 200,000 rows each: the inner loop (`make check`) times the first kind only
        pytest.param(
            ["s1", "FIT-02", "9", "", ""],
            "is not a rating",
            "is not a rating (1-4 or blank)",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            ["s1", "FIT-02"],
            "has 2 fields but the header has 5",
            "more or fewer fields than the header's 5",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_many_problems_are_reported_in_linear_time(tmp_path, row, fragment, kind):
    n = 200_000
    folder = write_engagement(tmp_path / "e", ratings=[*RATINGS, *([row] * n)])
    t0 = time.perf_counter()
    found = problems(folder)
    assert time.perf_counter() - t0 < 15
    shown = [p for p in found if fragment in p and "more rows" not in p]
    assert len(shown) == limits.MAX_REPORTED
    assert shown[0].startswith(f"{folder / 'ratings.csv'} line 5")
    rest = [p for p in found if "more rows" in p and kind in p]
    assert rest == [
        f"{folder / 'ratings.csv'} line {5 + limits.MAX_REPORTED}"
        + (
            ", column " + ("signal_id" if "twice" in kind else "rating")
            if "fields" not in kind
            else ""
        )
        + f": ... and {n - limits.MAX_REPORTED} more rows from this line on: "
        f"{kind} (only the first {limits.MAX_REPORTED} are listed)"
    ]


# --- 6. paos check: one line per problem, exit 2 ------------------------------------


@pytest.mark.parametrize(
    "name, body, fragment",
    [
        ("bad.yaml", "answers: [\n", "is not valid YAML"),
        ("anchored.yaml", "answers: &a {FIT: 3}\nother: *a\n", "alias"),
        ("extra.csv", "dimension,rating\nFIT,3,extra\n", "has 3 fields but the header has 2"),
        ("short.csv", "dimension,rating,note\nFIT\n", "has 1 fields but the header has 3"),
        ("quote.csv", 'dimension,rating\nFIT,"3\nREC,3\n', "unclosed quote"),
        ("list.yaml", "answers: [FIT, REC]\n", "answers"),
        ("nested.yaml", "answers: {FIT: {rating: [1, 2]}}\n", "rating"),
        ("notutf8.csv", "dimension,rating\nFIT,3\n".encode("utf-16"), "UTF-8"),
    ],
)
def test_paos_check_refuses_bad_answers_with_one_line_each(tmp_path, name, body, fragment):
    path = tmp_path / name
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    code, out, err = cli("check", path, "--out", tmp_path / "out")
    assert code == 2, err
    assert out == "" and fragment in err
    assert all(line.startswith(str(path)) for line in err.splitlines()), err
    assert not (tmp_path / "out").exists()


def test_paos_check_answers_that_are_a_fifo_are_refused(tmp_path):
    path = tmp_path / "x.yaml"
    os.mkfifo(path)
    with within(10):
        code, _, err = cli("check", path, "--out", tmp_path / "out")
    assert code == 2 and "is not a regular file" in err


# --- 7. echoed values cannot drive the terminal ---------------------------------------


def test_hostile_values_are_echoed_escaped(tmp_path):
    meta = META.replace("acme-2026", '"\\e]0;pwned\\a\\u202e"')
    rows = [*RATINGS, ["s1\x1b[2J", "FIT-02", "3", "x", ""]]
    found = problems(write_engagement(tmp_path / "e", meta=meta, ratings=rows))
    assert found and not any("\x1b" in p or "\u202e" in p or "\x07" in p for p in found)


def test_a_blank_cell_is_what_str_strip_calls_blank():
    spaces = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    rows = [["a", "b"], [spaces, "x"], ["\u3000", "\xa0\u2029"], ["\u200b", ""]]
    table = tables.table_from_rows("f.csv", None, rows, [], exact=True)
    assert table is not None
    # every str.isspace() character is blank; a zero-width space is not a space
    assert table.frame.rows() == [(None, "x", 2), ("\u200b", None, 4)]


# --- 8. no cell dropped: unknown columns and keys, headerless values, formulas ----------

KNOWN = {
    "stakeholders": "stakeholder_id, role, perspective, function, name",
    "ratings": "stakeholder_id, signal_id, rating, evidence, source",
    "metrics": "metric_id, value, as_of, source",
}
TABLE_ROWS = {"stakeholders": STAKEHOLDERS, "ratings": RATINGS, "metrics": METRICS}
META_KEYS = "id, client, assessed_on, industry, stage, analyst, rulebook, baseline"


def _with_column(rows: list[list[str]], name: str, value: str = "") -> list[list[str]]:
    return [[*rows[0], name], *[[*r, value] for r in rows[1:]]]


@pytest.mark.parametrize("table", ["stakeholders", "ratings", "metrics"])
def test_an_unknown_csv_column_is_refused_not_ignored(tmp_path, table):
    rows = _with_column(TABLE_ROWS[table], "comment", "said in passing")
    folder = write_engagement(tmp_path / "e", **{table: rows})
    assert only(folder) == (
        f"{folder / f'{table}.csv'} line 1, column comment: is not a "
        f"known column of {table} (known: {KNOWN[table]})"
    )


@pytest.mark.parametrize("table", ["stakeholders", "ratings", "metrics"])
def test_an_unknown_sheet_column_is_refused_not_ignored(tmp_path, table):
    sheets = {"engagement": ENG_SHEET, **TABLE_ROWS}
    sheets[table] = _with_column(TABLE_ROWS[table], "Comment", "x")
    path = _workbook(tmp_path / "a.xlsx", sheets)
    assert only(path) == (
        f"{path} (sheet {table}) line 1, column comment: is not a known "
        f"column of {table} (known: {KNOWN[table]})"
    )


def test_the_optional_columns_of_the_spec_are_known(tmp_path):
    people = [
        ["stakeholder_id", "role", "function", "name", "perspective"],
        ["s1", "ceo", "Board", "Ana", ""],
        ["s2", "sales", "", "", ""],
        ["s3", "partner", "", "", ""],
    ]
    ev = load_evidence([write_engagement(tmp_path / "e", stakeholders=people)])
    assert ev.stakeholders["function"].to_list() == ["Board", None, None]


def test_a_csv_value_under_a_blank_header_is_refused(tmp_path):
    rows = [
        ["stakeholder_id", "signal_id", "rating", "", "evidence", "source", ""],
        *[[*r[:3], "", *r[3:], ""] for r in RATINGS[1:]],
        ["s1", "FIT-02", "3", "ignored?", "x", "", ""],
    ]
    folder = write_engagement(tmp_path / "e", ratings=rows)
    assert only(folder) == (
        f"{folder / 'ratings.csv'} line 5, column 4: 'ignored?' has a "
        "value but its column has no header"
    )


def test_a_fully_blank_column_without_header_is_fine(tmp_path):
    rows = [[*r[:2], "", *r[2:], ""] for r in RATINGS]
    assert load_evidence([write_engagement(tmp_path / "e", ratings=rows)]).ratings.height == 3


def test_a_sheet_value_without_a_header_is_refused(tmp_path):
    ratings = [
        [*RATINGS[0][:3], None, *RATINGS[0][3:]],
        *[[*r[:3], None, *r[3:]] for r in RATINGS[1:]],
    ]
    ratings[2][3] = "between"  # under the blank header (column D)
    ratings[3] += [None, "far right"]  # column H, right of the last header
    path = _workbook(
        tmp_path / "a.xlsx",
        {"engagement": ENG_SHEET, "stakeholders": STAKEHOLDERS, "ratings": ratings},
    )
    assert problems(path) == [
        f"{path} (sheet ratings) line 3, column D: 'between' has a value but its column "
        "has no header",
        f"{path} (sheet ratings) line 4, column H: 'far right' has a value but its column "
        "has no header",
    ]


def test_an_unknown_key_in_engagement_yaml_is_refused(tmp_path):
    folder = write_engagement(tmp_path / "e", meta=META + "industy: fintech\n")
    assert only(folder) == (
        f"{folder / 'engagement.yaml'} line 5, column industy: is not a "
        f"known key (known: {META_KEYS})"
    )


@pytest.mark.parametrize(
    "sheet, expected",
    [
        (
            [*ENG_SHEET, ["industy", "fintech"]],
            [f"line 5, column industy: is not a known key (known: {META_KEYS})"],
        ),
        ([*ENG_SHEET, [None, "orphan"]], ["line 5, column value: 'orphan' has a value but no key"]),
        (
            [["key", "value"], ["id", "acme-2026", "stray"], *ENG_SHEET[2:]],
            ["line 2, column C: 'stray' has a value but its column has no header"],
        ),
        (
            [["key", "value", "comment"], *ENG_SHEET[1:]],
            [
                "line 1, column comment: is not a known column of the engagement sheet (known: key, "
                "value, note)"
            ],
        ),
        (
            [
                ["id", "client", "assessed_on"],
                ["acme-2026", "Acme", "2026-05-04"],
                ["other", "Other", "2026-01-01"],
            ],
            [
                "line 3: is a second row of values; the engagement sheet holds one row of values under "
                "its header of keys"
            ],
        ),
        (
            [["id", "client", "assessed_on", None], ["acme-2026", "Acme", "2026-05-04", "x"]],
            ["line 2, column D: 'x' has a value but no key"],
        ),
    ],
)
def test_the_engagement_sheet_uses_or_refuses_every_cell(tmp_path, sheet, expected):
    path = _workbook(
        tmp_path / "a.xlsx", {"engagement": sheet, "stakeholders": STAKEHOLDERS, "ratings": RATINGS}
    )
    assert problems(path) == [f"{path} (sheet engagement) {e}" for e in expected]


def test_the_note_column_paos_new_writes_is_ignored(tmp_path):
    sheet = [["key", "value", "note"], *[[*r, "a hint"] for r in ENG_SHEET[1:]]]
    path = _workbook(
        tmp_path / "a.xlsx", {"engagement": sheet, "stakeholders": STAKEHOLDERS, "ratings": RATINGS}
    )
    assert load_evidence([path]).engagements["client"].to_list() == ["Acme"]


WIDE = [
    ["stakeholder_id", "role", "FIT-01", "FIT-01_evidence"],
    ["s1", "ceo", "4", "we have one"],
    ["s2", "sales", "2", "not really"],
]


@pytest.mark.parametrize(
    "column, rule",
    [
        (
            "FIT-03_evidence",
            "holds evidence for FIT-03, which has no rating column; add that "
            "column (a blank rating is allowed)",
        ),
        (
            "source",
            "is not a known column of wide ratings (known: stakeholder_id, role, "
            "perspective, function, name, a column per signal id, <signal id>_evidence)",
        ),
        ("comment", "is not a known column of wide ratings"),
        ("FIT-01_comment", "is not a known column of wide ratings"),
        ("FIT-09_evidence", "'fit-09_evidence' is not a known signal id (column header)"),
    ],
)
def test_a_wide_column_that_would_be_dropped_is_refused(tmp_path, column, rule):
    folder = write_engagement(
        tmp_path / "e", stakeholders=None, ratings=_with_column(WIDE, column, "quote")
    )
    msg = only(folder)
    assert msg.startswith(f"{folder / 'ratings.csv'} line 1, column {column.lower()}: {rule}")


def test_wide_stakeholder_columns_beside_a_stakeholders_file_are_refused(tmp_path):
    folder = write_engagement(tmp_path / "e", ratings=[*WIDE, ["s3", "partner", "1", ""]])
    assert only(folder).startswith(
        f"{folder / 'ratings.csv'} line 1, column role: is a "
        "stakeholder column, but the stakeholders table is given"
    )
    wide = [
        [c for c in r if c not in ("ceo", "sales", "partner", "role")]
        for r in [*WIDE, ["s3", "partner", "1", ""]]
    ]
    assert load_evidence([write_engagement(tmp_path / "f", ratings=wide)]).ratings.height == 3


def _formula_workbook(path: Path, ratings: list[list]) -> Path:
    """The small workbook with these ratings rows; a value starting with `=` is written
    as a live formula (openpyxl's rule)."""
    return _workbook(
        path, {"engagement": ENG_SHEET, "stakeholders": STAKEHOLDERS, "ratings": ratings}
    )


def test_a_row_of_formulas_is_refused_not_dropped(tmp_path):
    path = _formula_workbook(tmp_path / "a.xlsx", [*RATINGS, ['="s1"', '="FIT-02"', "=1"]])
    assert problems(path) == [
        f"{path} (sheet ratings) line 5, column {c}: '{v}' holds a formula; paos reads "
        "values only \N{EM DASH} paste values"
        for c, v in (("rating", "=1"), ("signal_id", '="FIT-02"'), ("stakeholder_id", '="s1"'))
    ]


def test_a_formula_in_an_input_cell_is_refused_once(tmp_path):
    rows = [r[:] for r in RATINGS]
    rows[1][2] = "=2+2"
    path = _formula_workbook(tmp_path / "a.xlsx", rows)
    assert only(path) == (
        f"{path} (sheet ratings) line 2, column rating: '=2+2' holds a "
        "formula; paos reads values only \N{EM DASH} paste values"
    )


def test_only_the_lookup_columns_paos_new_writes_are_ignored(tmp_path):
    rows = [
        [*RATINGS[0], "question", "rubric"],
        *[[*r, "=VLOOKUP(B2,x,4)", "pasted text"] for r in RATINGS[1:]],
        [None] * 5 + ['=IF(TRIM($B5)="","",1)', '=""'],
    ]
    path = _formula_workbook(tmp_path / "a.xlsx", rows)
    assert load_evidence([path]).ratings.height == 3
    rows[0][5] = "questions"  # not a header paos new writes
    found = problems(_formula_workbook(tmp_path / "b.xlsx", rows))
    assert "line 1, column questions: is not a known column of ratings" in found[0]
    assert [p.split(" line ")[1][:23] for p in found[1:]] == [
        f"{n}, column questions: '=" for n in (2, 3, 4, 5)
    ]


def test_a_formula_in_the_engagement_sheet_is_refused(tmp_path):
    sheet = [r[:] for r in ENG_SHEET]
    sheet[3][1] = "=TODAY()"
    path = _workbook(
        tmp_path / "a.xlsx", {"engagement": sheet, "stakeholders": STAKEHOLDERS, "ratings": RATINGS}
    )
    assert only(path) == (
        f"{path} (sheet engagement) line 4, column assessed_on: '=TODAY()' "
        "holds a formula; paos reads values only \N{EM DASH} paste values"
    )


# --- 9. paos check: every key and column used or refused --------------------------------

ANSWERS = "answers:\n" + "".join(f"  {d}: 3\n" for d in DIMS)


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            "id: x\ncomment: hi\n" + ANSWERS,
            [
                "line 2, column comment: is not a known key (known: id, prospect, assessed_on, analyst, "
                "answers)"
            ],
        ),
        (
            "answers:\n  FIT:\n    rating: 2\n    notes: typo\n"
            + "".join(f"  {d}: 3\n" for d in DIMS[1:]),
            ["line 4, column notes: 'FIT' is not a known key of an answer (known: rating, note)"],
        ),
        (
            "answers:\n  FIT: {rating: 2, comment: x}\n" + "".join(f"  {d}: 3\n" for d in DIMS[1:]),
            ["line 2, column comment: 'FIT' is not a known key of an answer (known: rating, note)"],
        ),
    ],
)
def test_paos_check_refuses_unknown_yaml_keys(tmp_path, body, expected):
    path = tmp_path / "x.yaml"
    path.write_text(body)
    with pytest.raises(EvidenceError) as info:
        read_answers(path, RB)
    assert info.value.lines() == [f"{path} {e}" for e in expected]


def test_paos_check_refuses_every_dropped_csv_cell(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text(
        "dimension,rating,note,rating,,extra\n" + "".join(f"{d},3,,2,x,y\n" for d in DIMS)
    )
    code, out, err = cli("check", path, "--out", tmp_path / "out")
    assert code == 2 and out == "" and not (tmp_path / "out").exists()
    lines = err.splitlines()
    assert lines[:2] == [
        f"{path} line 1, column extra: is not a known column (known: dimension, rating, note)",
        f"{path} line 1, column rating: appears twice in the header",
    ]
    assert f"{path} line 2, column 5: 'x' has a value but its column has no header" in lines
    ok = tmp_path / "ok.csv"
    ok.write_text("dimension,rating,note,\n" + "".join(f"{d},3,fine,\n" for d in DIMS))
    assert read_answers(ok, RB)[1] == dict.fromkeys(DIMS, 3)


# --- 10. control characters: refused where they would act --------------------------------


def test_an_escape_in_a_yaml_value_is_refused(tmp_path):
    folder = write_engagement(tmp_path / "e", meta=META + 'stage: "Seri\\ees B"\n')
    assert only(folder) == (
        f"{folder / 'engagement.yaml'} line 5, column stage: 'Seri\\ees B' "
        "holds a control character (\\e at position 5); remove it"
    )


@pytest.mark.parametrize(
    "char, shown",
    [
        ("\0", "\\u0000"),
        ("\x1b", "\\e"),
        ("\x7f", "\\u007f"),
        ("\x9b", "\\u009b"),
        ("\x08", "\\u0008"),
    ],
)
def test_a_control_character_in_evidence_is_refused(tmp_path, char, shown):
    rows = [*RATINGS, ["s1", "FIT-02", "3", f"ok{char}then", "interview"]]
    folder = write_engagement(tmp_path / "e", ratings=rows)
    assert only(folder) == (
        f"{folder / 'ratings.csv'} line 5, column evidence: "
        f"'ok{shown}then' holds a control character ({shown} at position "
        "3); remove it"
    )


def test_tab_and_line_breaks_in_evidence_stay_welcome(tmp_path):
    rows = [*RATINGS, ["s1", "FIT-02", "3", "a\tb\r\nc\nd", "interview"]]
    ev = load_evidence([write_engagement(tmp_path / "e", ratings=rows)])
    assert "a\tb\r\nc\nd" in ev.ratings["evidence"].to_list()


def test_bidi_controls_are_refused_in_labels_but_kept_in_evidence(tmp_path):
    rows = [*RATINGS, ["s1", "FIT-02", "3", "quote \u202edesrever\u202c end", "interview"]]
    ev = load_evidence([write_engagement(tmp_path / "e", ratings=rows)])
    assert "quote \u202edesrever\u202c end" in ev.ratings["evidence"].to_list()
    people = [r[:] for r in STAKEHOLDERS]
    people[3][1] = "part\u202ener"
    meta = META + 'industry: "fin\\u2066tech"\n'
    folder = write_engagement(tmp_path / "f", meta=meta, stakeholders=people)
    assert problems(folder) == [
        f"{folder / 'engagement.yaml'} line 5, column industry: 'fin\\u2066tech' holds a "
        "bidirectional control character (\\u2066 at position 4); remove it: this value is "
        "shown as a label",
        f"{folder / 'stakeholders.csv'} line 4, column role: 'part\\u202ener' holds a "
        "bidirectional control character (\\u202e at position 5); remove it: this value is "
        "shown as a label",
    ]


def test_a_control_character_in_an_id_is_one_line(tmp_path):
    rows = [*RATINGS, ["s1\x1b", "FIT-02", "3", "x", ""]]
    assert only(write_engagement(tmp_path / "e", ratings=rows)).endswith(
        "line 5, column stakeholder_id: 's1\\e' holds a control character (\\e at position "
        "3); remove it"
    )


def test_a_control_character_in_an_answers_file_is_refused(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text('prospect: "Glo\\ebex"\n' + ANSWERS)
    with pytest.raises(EvidenceError) as info:
        read_answers(path, RB)
    assert info.value.lines() == [
        f"{path} line 1, column prospect: 'Glo\\ebex' holds a "
        "control character (\\e at position 4); remove it"
    ]


# --- 11. messages in order; a doubled byte-order mark named ------------------------------


def test_the_count_of_the_rest_comes_after_the_lines_it_counts(tmp_path):
    people = [*STAKEHOLDERS, ["s\x1b", "ceo", "", "", ""]]
    signals = [s.id for s in RB.signals]
    rows = [
        *RATINGS,
        ["s\x1b", signals[0], "3", "x", ""],
        *[["s\x1b", sig, "3", "x\x1b", ""] for sig in signals[1:11]],
    ]
    folder = write_engagement(tmp_path / "e", stakeholders=people, ratings=rows)
    found = [p for p in problems(folder) if "ratings.csv" in p]
    assert len(found) == limits.MAX_REPORTED + 1
    assert "... and 1 more rows from this line on: a control character" in found[-1]


def test_a_doubled_byte_order_mark_is_named(tmp_path):
    folder = write_engagement(tmp_path / "e")
    path = folder / "ratings.csv"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + path.read_bytes())
    assert only(folder) == (
        f"{path} line 1: starts with two byte-order marks (U+FEFF); save "
        "it as UTF-8 with at most one"
    )


def test_paos_check_lists_the_count_of_the_rest_last(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("dimension,rating\n" + "XX,3\n" * limits.MAX_REPORTED)
    code, _, err = cli("check", path)
    lines = err.splitlines()
    assert code == 2 and len(lines) == limits.MAX_REPORTED + 1
    assert all("'XX' is not a dimension" in ln for ln in lines[:-1])
    assert lines[-1].startswith(f"{path}, column dimension: ... and 6 more")


@pytest.mark.parametrize("header, rows", [("_line", 3), ("*", 3), ("^.*$", 3), ("^$", 0)])
def test_a_header_that_reads_like_a_pattern_or_paos_own_column_is_one_line(tmp_path, header, rows):
    table = [[*RATINGS[0], header], *[[*r, "\x1b"] for r in RATINGS[1 : rows + 1]]]
    code, out, err = cli("validate", write_engagement(tmp_path / "e", ratings=table))
    assert code == 2 and out == "" and f"line 1, column {header}: is not a known column" in err
