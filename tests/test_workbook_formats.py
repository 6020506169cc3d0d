"""Workbooks saved as .ods (LibreOffice, OpenDocument) and legacy .xls (Excel 97-2003)
are read wherever .xlsx is: the same evidence, the same scores, the same refusals.

The fixtures in tests/fixtures/workbooks/ were converted once by LibreOffice 7.4
(`soffice --headless --convert-to ods|xls`) from data/engagements/harbor-2026-11.xlsx
and from a copy of it whose ratings cell D2 holds `=1+2`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from paos import EvidenceError, diagnose, load_evidence
from paos.base import limits, tables
from paos.base.files import Refused
from paos.base.workbook import workbook_sheets
from paos.portfolio.batch import discover

ROOT = Path(__file__).resolve().parents[1]
XLSX = ROOT / "data" / "engagements" / "harbor-2026-11.xlsx"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "workbooks"
FORMATS = ["ods", "xls"]
FRAMES = ("engagements", "dimensions", "signals", "gaps", "evidence", "modules", "metrics")


def lines(source) -> list[str]:
    with pytest.raises(EvidenceError) as info:
        load_evidence([source])
    return info.value.lines()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_demo_engagement_saved_as_ods_or_xls_scores_exactly_like_its_xlsx(fmt):
    want, got = diagnose(XLSX), diagnose(FIXTURES / f"harbor-2026-11.{fmt}")
    for name in FRAMES:  # all but where the evidence came from (its path)
        a, b = getattr(want, name), getattr(got, name)
        assert b.drop("source", strict=False).equals(a.drop("source", strict=False)), name
    assert [str(s) for s in got.engagements["source"]] == [
        str(FIXTURES / f"harbor-2026-11.{fmt}")
    ] or got.engagements["source"].str.ends_with(f"harbor-2026-11.{fmt}").all()
    assert got.stakeholders is not None and want.stakeholders is not None
    assert got.stakeholders.equals(want.stakeholders)
    assert want.engagements["pai"].to_list() == got.engagements["pai"].to_list()


@pytest.mark.parametrize("fmt", FORMATS)
def test_workbook_sheets_reads_every_sheet_as_the_xlsx_text(fmt):
    want = workbook_sheets(XLSX)
    got = workbook_sheets(FIXTURES / f"harbor-2026-11.{fmt}")
    assert [name for name, _ in got] == ["engagement", "ratings", "metrics"]
    assert got == want
    ratings = dict(got)["ratings"]
    assert ratings[1][:4] == ["HB-01", "ceo", None, "3"]  # 3.0 is "3", a blank is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_formula_is_refused_naming_file_sheet_line_and_column(fmt, tmp_path):
    path = FIXTURES / f"harbor-formula.{fmt}"
    with pytest.raises(Refused) as info:
        workbook_sheets(path)
    p = info.value.problem
    assert (p.file, p.sheet, p.line, p.column) == (str(path), "ratings", 2, "D")
    assert p.rule == tables.FORMULA
    [msg] = lines(path)
    assert msg.startswith(f"{path} (sheet ratings) line 2, column fit-01: ")
    assert "holds a formula" in msg


def test_an_ods_formula_shows_its_text():
    with pytest.raises(Refused) as info:
        workbook_sheets(FIXTURES / "harbor-formula.ods")
    assert info.value.problem.value == "=1+2"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cut", [0, 100, 3000, -200])
def test_a_damaged_file_is_one_problem_never_a_traceback(fmt, cut, tmp_path):
    data = (FIXTURES / f"harbor-2026-11.{fmt}").read_bytes()
    path = tmp_path / f"broken.{fmt}"
    path.write_bytes(data[:cut] if cut else b"not a workbook at all")
    [msg] = lines(path)
    assert msg.startswith(f"{path}: is not a readable .{fmt} workbook ("), msg
    with pytest.raises(Refused) as info:
        workbook_sheets(path)
    assert str(info.value.problem) == msg


@pytest.mark.parametrize("fmt", FORMATS)
def test_random_bytes_in_the_middle_are_one_problem(fmt, tmp_path):
    data = bytearray((FIXTURES / f"harbor-2026-11.{fmt}").read_bytes())
    data[2000:6000] = bytes(range(256)) * 15 + bytes(range(160))
    path = tmp_path / f"broken.{fmt}"
    path.write_bytes(bytes(data))
    found = lines(path)
    assert len(found) >= 1 and all("Traceback" not in line for line in found)


def test_an_xlsx_renamed_ods_or_xls_is_refused_not_read_as_what_it_is(tmp_path):
    for fmt in FORMATS:
        path = tmp_path / f"renamed.{fmt}"
        shutil.copy(XLSX, path)
        [msg] = lines(path)
        assert msg.startswith(f"{path}: is not a readable .{fmt} workbook (")


def _ods(path: Path, table: str) -> Path:
    """A minimal .ods file whose content.xml holds `table` (table:table elements)."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
        f'office:version="1.2"><office:body><office:spreadsheet>{table}'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", MANIFEST)
    return path


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type='
    '"application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>'
)


CELL = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'


def test_repeated_cells_in_an_ods_cost_nothing_and_are_refused_at_the_limits(tmp_path):
    wide = CELL.replace(
        "<table:table-cell ", '<table:table-cell table:number-columns-repeated="2000" '
    )
    path = _ods(
        tmp_path / "wide.ods",
        f'<table:table table:name="s"><table:table-row>{wide}</table:table-row></table:table>',
    )
    with pytest.raises(Refused) as info:
        workbook_sheets(path)
    assert "beyond column 1024" in info.value.problem.rule and info.value.problem.sheet == "s"
    tall = (
        '<table:table table:name="s"><table:table-row table:number-rows-repeated="2000000">'
        f"{CELL}</table:table-row></table:table>"
    )
    with pytest.raises(Refused) as info:
        workbook_sheets(_ods(tmp_path / "tall.ods", tall))
    assert "rows beyond line" in info.value.problem.rule
    block = CELL.replace(
        "<table:table-cell ", '<table:table-cell table:number-columns-repeated="1000" '
    )
    big = (
        '<table:table table:name="s"><table:table-row table:number-rows-repeated="20000">'
        f"{block}</table:table-row></table:table>"
    )
    with pytest.raises(Refused) as info:
        workbook_sheets(_ods(tmp_path / "big.ods", big))
    assert f"more than {limits.MAX_CELLS} cells" in info.value.problem.rule


def test_empty_repeats_as_office_suites_write_them_are_fine(tmp_path):
    table = (
        '<table:table table:name="s"><table:table-row>'
        f'{CELL}<table:table-cell table:number-columns-repeated="16383"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048575">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        "</table:table>"
    )
    assert workbook_sheets(_ods(tmp_path / "a.ods", table)) == [("s", [["x"]])]


def test_an_ods_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    pad = " " * (40 * 2**20)
    path = _ods(tmp_path / "bomb.ods", f'<table:table table:name="s">{pad}</table:table>')
    assert path.stat().st_size < 2**20
    with pytest.raises(Refused) as info:
        workbook_sheets(path)
    assert "content.xml would inflate" in info.value.problem.rule


def test_an_ods_with_a_dtd_is_refused(tmp_path):
    path = _ods(tmp_path / "dtd.ods", "")
    with zipfile.ZipFile(path) as z:
        content = z.read("content.xml").replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("content.xml", content)
    with pytest.raises(Refused) as info:
        workbook_sheets(path)
    assert "DTD" in info.value.problem.rule


def test_a_portfolio_finds_ods_and_xls_engagements(tmp_path):
    for fmt in FORMATS:
        shutil.copy(FIXTURES / f"harbor-2026-11.{fmt}", tmp_path / f"harbor.{fmt}")
    (tmp_path / "~$harbor.xls").write_bytes(b"lock")
    assert [p.name for p in discover(tmp_path)] == ["harbor.ods", "harbor.xls"]


def test_an_xls_sheet_declaring_an_impossible_size_is_refused_before_calamine(tmp_path):
    """calamine reserves the size a sheet's DIMENSION record declares: a first row after
    the last one once made it ask for 343 GB and abort the process. Run apart, so a
    regression fails this test rather than killing the suite."""
    data = bytearray((FIXTURES / "harbor-2026-11.xls").read_bytes())
    at = data.index(b"\x00\x02\x0e\x00")  # the first DIMENSION record (type 0x200, 14 bytes)
    data[at + 4 : at + 8] = (0xE9).to_bytes(4, "little")
    path = tmp_path / "dimension.xls"
    path.write_bytes(bytes(data))
    code = (
        "import sys; from pathlib import Path; from paos.base.workbook import "
        "workbook_sheets; from paos.base.files import Refused\n"
        "try: workbook_sheets(Path(sys.argv[1]))\n"
        "except Refused as e: print(e.problem)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert "declares an impossible size" in done.stdout


@pytest.mark.parametrize(
    "attribute",
    [
        'office:value="1"',
        'office:date-value="2020-01-01"',
        'office:time-value="PT1H"',
        'office:boolean-value="true"',
        'office:string-value="x"',
    ],
)
def test_an_ods_value_without_a_value_type_counts_and_is_refused_under_a_memory_cap(
    tmp_path, attribute
):
    """calamine reads a cell's value without its `office:value-type`; the scan once
    counted only cells with one, so 60,000 x 1,000 such cells in a 2 KB file reached
    calamine and took 6.25 GB. Run apart under an address-space cap: a regression
    fails here instead of swapping the machine."""
    cell = f'<table:table-cell table:number-columns-repeated="1000" {attribute}/>'
    path = _ods(
        tmp_path / "values.ods",
        '<table:table table:name="s"><table:table-row table:number-rows-repeated="60000">'
        f"{cell}</table:table-row></table:table>",
    )
    assert path.stat().st_size < 2048
    code = (
        "import sys; from pathlib import Path; from paos.base.workbook import "
        "workbook_sheets; from paos.base.files import Refused\n"
        "try: workbook_sheets(Path(sys.argv[1]))\n"
        "except Refused as e: print(e.problem)"
    )
    done = subprocess.run(
        ["prlimit", f"--as={2 * 2**30}", "--", sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert f"has more than {limits.MAX_CELLS} cells" in done.stdout


@pytest.mark.parametrize(
    "cell",
    [
        '<table:table-cell office:value="7"/>',
        '<table:table-cell office:boolean-value="true"/>',
        "<table:table-cell><text:p><text:s/></text:p></table:table-cell>",
    ],
)
def test_a_value_without_a_type_beyond_the_last_column_is_refused(tmp_path, cell):
    gap = '<table:table-cell table:number-columns-repeated="2000"/>'
    table = (
        f'<table:table table:name="s"><table:table-row>{CELL}{gap}{cell}'
        "</table:table-row></table:table>"
    )
    with pytest.raises(Refused) as info:
        workbook_sheets(_ods(tmp_path / "a.ods", table))
    assert "beyond column 1024" in info.value.problem.rule
