"""Trust, as a property: whatever bytes or structure an evidence file, engagement.yaml
or a workbook holds, `paos validate` and `paos score --json` answer with exit status
0 or 2, never a traceback, one line per problem naming the input, and write nothing."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from paos.base.rulebook import load_rulebook
from paos.cli import app
from paos.evidence.scaffold import new_engagement
from tests.builders import META, METRICS, RATINGS, STAKEHOLDERS, write_engagement
from tests.profiles import examples

# PAOS_FUZZ_EXAMPLES=2000 for a longer hunt; 60 per file kind keeps this file under 30 s.
FUZZ = settings(
    max_examples=int(os.environ.get("PAOS_FUZZ_EXAMPLES", examples(60))),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HEADERS = {
    "stakeholders.csv": STAKEHOLDERS[0],
    "ratings.csv": RATINGS[0],
    "metrics.csv": METRICS[0],
}

# --- what a careless or hostile file may hold ------------------------------------------

FIELD = st.one_of(
    st.sampled_from(
        [
            "s1",
            "s2",
            "s3",
            "S1 ",
            "FIT-01",
            "fit-02",
            "REC-02",
            "ORG-04",
            "X-1",
            "1",
            "2",
            "4",
            "3.0",
            "2.5",
            "0",
            "5",
            "-1",
            "nan",
            "inf",
            "1e308",
            "",
            " ",
            "interview",
            "rumour",
            "ceo",
            "other",
            "partner",
            "strategic",
            "partner_activation_rate",
            "35",
            "101",
            '"',
            '""',
            '"x',
            'x"y',
            "\r",
            "\n",
            "\0",
            "=cmd|' /C calc'!A0",
            "\u202e",
            "\x1b[2J",
            "\ufeff",
            "_line",
            "*",
            "^x$",
            "comment",
            "FIT-01_evidence",
            "FIT-01",
            "role",
            "=1",
            "\x85",
            "\x7f",
        ]
    ),
    st.text(max_size=30),
    st.text(alphabet='",\n\r\0 ;x\t', max_size=20),
)
ROWS = st.lists(st.lists(FIELD, max_size=8), max_size=12)


@st.composite
def csv_bytes(draw, name: str) -> bytes:
    """CSV text: the file's own header most of the time, rows of hostile fields written
    properly quoted or raw (unbalanced quotes, stray separators), sometimes a field over
    csv's limit, a byte-order mark, or a cut in the middle."""
    header = draw(st.one_of(st.just(HEADERS[name]), st.lists(FIELD, max_size=7)))
    rows = [header, *draw(ROWS)]
    if draw(st.integers(0, 4)) == 0:
        rows.append(["s1", "FIT-01", "3", "x" * draw(st.sampled_from([131_072, 131_073])), ""])
    if draw(st.booleans()):
        buf = io.StringIO()
        csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows(rows)
        text = buf.getvalue()
    else:
        text = "\n".join(",".join(r) for r in rows) + draw(st.sampled_from(["", "\n"]))
    data = draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


SCALAR = st.one_of(
    st.sampled_from(
        [
            "acme-2026",
            "007",
            "yes",
            "no",
            "null",
            "~",
            "1.0",
            "0x1F",
            "2026-05-04",
            "2026-02-30",
            "paos-v1",
            "paos-v9",
            "../x",
            "",
            "'q'",
            '"q"',
            "'q",
            '"unclosed',
            "&a x",
            "*a",
            "!!python/object/apply:os.getcwd []",
            "!!binary aGVsbG8=",
            "!custom x",
            "[a, b]",
            "{a: 1}",
            "|\n  block",
            "- item",
            "x: y",
            "%",
            "@",
            "`",
        ]
    ),
    st.text(max_size=25),
)
KEY = st.one_of(
    st.sampled_from(
        [
            "id",
            "client",
            "assessed_on",
            "rulebook",
            "industry",
            "stage",
            "analyst",
            "baseline",
            "ID",
            " id ",
            "x",
            "<<",
            "? [a]",
            "&k id",
            "*k",
            "'id'",
            '"client"',
            "-",
            "",
        ]
    ),
    st.text(max_size=10),
)
TREE = st.recursive(
    st.one_of(
        st.text(max_size=10), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=True)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi")
)


@st.composite
def yaml_bytes(draw) -> bytes:
    """engagement.yaml: `key: value` lines (the valid ones, hostile ones, both), a dumped
    random tree, deep nesting, an alias bomb, documents and tags."""
    kind = draw(st.sampled_from(["lines", "lines", "tree", "deep", "bomb"]))
    if kind == "lines":
        lines = draw(
            st.lists(st.tuples(KEY, SCALAR).map(lambda kv: f"{kv[0]}: {kv[1]}"), max_size=8)
        )
        text = (META if draw(st.booleans()) else "") + "\n".join(lines)
        text = (
            draw(st.sampled_from(["", "---\n", "%YAML 1.1\n---\n"]))
            + text
            + draw(st.sampled_from(["", "\n", "\n---\nid: other\n", "\n...\n"]))
        )
    elif kind == "tree":
        import yaml

        text = yaml.safe_dump(draw(TREE), allow_unicode=draw(st.booleans()))
    elif kind == "deep":
        n = draw(st.integers(1, 3000))
        text = (
            META + "x: " + draw(st.sampled_from(["[" * n + "]" * n, "{a: " * n + "}" * n, "[" * n]))
        )
    else:
        text = META + BOMB
    return text.encode("utf-8", "surrogatepass")


ANY_BYTES = st.binary(max_size=600)


# --- running the CLI in-process -------------------------------------------------------


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*"))


def _answers(source: Path, root: Path) -> int:
    """validate, then score --json: exit 0 or 2, no traceback, one line per problem
    naming the input, the same verdict from both, nothing written."""
    before = _files(root)
    codes = []
    for cmd in (["validate", str(source)], ["score", str(source), "--json"]):
        result = CliRunner().invoke(app, cmd)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 2), result.output
        if result.exit_code == 2:
            lines = result.stderr.splitlines()
            assert lines and all(ln.startswith(str(source)) for ln in lines), lines
            assert result.stdout == ""
        codes.append(result.exit_code)
    assert codes[0] == codes[1]
    assert _files(root) == before
    return codes[0]


def _folder(root: Path, name: str, data: bytes) -> Path:
    folder = write_engagement(root / "e")
    (folder / name).write_bytes(data)
    return folder


@FUZZ
@given(data=st.one_of(ANY_BYTES, yaml_bytes()))
def test_any_engagement_yaml_is_read_or_refused(data):
    with tempfile.TemporaryDirectory() as tmp:
        _answers(_folder(Path(tmp), "engagement.yaml", data), Path(tmp))


def _every_row_whole(data: bytes) -> bool:
    """True if strict CSV reads `data` with every non-blank row as wide as the header:
    what an accepted file must be (no row swallowed by a quote, none padded)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True))
    width = len(rows[0]) if rows else 0
    return all(len(r) == width for r in rows[1:] if any(c.strip() for c in r))


@FUZZ
@given(name=st.sampled_from(sorted(HEADERS)), data=st.data())
def test_any_csv_file_is_read_or_refused(name, data):
    content = data.draw(st.one_of(ANY_BYTES, csv_bytes(name)))
    with tempfile.TemporaryDirectory() as tmp:
        folder = _folder(Path(tmp), name, content)
        if _answers(folder, Path(tmp)) == 0:
            assert _every_row_whole(content)


# --- workbooks -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _valid_workbook() -> bytes:
    """The `paos new` collection workbook, filled in with the small valid engagement."""
    with tempfile.TemporaryDirectory() as tmp:
        new_engagement(Path(tmp) / "w", load_rulebook(), "acme-2026")
        path = Path(tmp) / "w" / "acme-2026.xlsx"
        wb = openpyxl.load_workbook(path)
        values = {"client": "Acme", "assessed_on": "2026-05-04"}
        for row in wb["engagement"].iter_rows(min_row=2):
            if row[0].value in values:
                row[1].value = values[row[0].value]
        for sheet, rows in (
            ("stakeholders", STAKEHOLDERS),
            ("ratings", RATINGS),
            ("metrics", METRICS),
        ):
            header = [c.value for c in wb[sheet][1]]
            for i, row in enumerate(rows[1:], start=2):
                for name, value in zip(rows[0], row):
                    wb[sheet].cell(i, header.index(name) + 1, value or None)
        wb.save(path)
        return path.read_bytes()


def _parts(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def _zip(parts: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            z.writestr(name, data)
    return buf.getvalue()


CELL_REF = st.one_of(
    st.sampled_from(["A", "B", "C", "D", "E", "F", "XFD", "XFE", "AAAA", "", "1"]),
    st.text(alphabet="AZ09$", max_size=4),
)
ROW_NO = st.one_of(st.integers(1, 12), st.sampled_from([0, -1, 1048576, 1048577, 2**40]))


@st.composite
def sheet_rows(draw) -> bytes:
    """Sheet XML rows: hostile values, odd row numbers and cell references, sometimes
    text that is not escaped (broken XML)."""
    out = []
    for _ in range(draw(st.integers(0, 8))):
        r = draw(ROW_NO)
        cells = []
        for value in draw(st.lists(FIELD, max_size=6)):
            text = escape(value) if draw(st.integers(0, 5)) else value
            kind = draw(
                st.sampled_from(
                    [
                        't="inlineStr"><is><t>' + text + "</t></is>",
                        "><v>" + text + "</v>",
                        't="n"><v>' + text + "</v>",
                        't="s"><v>' + text + "</v>",
                        't="b"><v>' + text + "</v>",
                        "><f>" + text + "</f>",
                    ]
                )
            )
            cells.append(f'<c r="{draw(CELL_REF)}{r}" {kind}</c>')
        out.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    return "".join(out).encode("utf-8", "surrogatepass")


@st.composite
def workbook_bytes(draw) -> bytes:
    """The valid workbook with bytes overwritten, cut short, a part replaced by random
    bytes or cut, a sheet's rows replaced, or a sheet renamed so two read the same."""
    base = _valid_workbook()
    kind = draw(st.sampled_from(["bytes", "cut", "part", "rows", "rows", "rename"]))
    if kind == "bytes":
        data = bytearray(base)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if kind == "cut":
        return base[: draw(st.integers(0, len(base) - 1))]
    parts = _parts(base)
    names = [n for n, _ in parts]
    if kind == "part":
        i = draw(st.integers(0, len(parts) - 1))
        body = parts[i][1]
        new = draw(
            st.one_of(
                ANY_BYTES, st.just(body[: len(body) // 2]), st.just(body.replace(b"<", b"&", 1))
            )
        )
        parts[i] = (names[i], new)
    elif kind == "rows":
        target = draw(st.sampled_from([n for n in names if n.startswith("xl/worksheets/")]))
        i = names.index(target)
        body = parts[i][1]
        start, end = body.find(b"<sheetData"), body.find(b"</sheetData>")
        if start >= 0 and end >= 0:
            head = body[: body.index(b">", start) + 1]
            parts[i] = (target, head + draw(sheet_rows()) + body[end:])
    else:
        i = names.index("xl/workbook.xml")
        new = draw(
            st.sampled_from(
                [b" Ratings ", b"RATINGS", b"engagement", b"", b"x" * 40, b"stakeholders"]
            )
        )
        parts[i] = (names[i], parts[i][1].replace(b'name="metrics"', b'name="' + new + b'"'))
    return _zip(parts)


@FUZZ
@given(data=workbook_bytes())
def test_any_workbook_is_read_or_refused(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acme-2026.xlsx"
        path.write_bytes(data)
        _answers(path, Path(tmp))


def test_the_fuzzed_workbook_starts_valid():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acme-2026.xlsx"
        path.write_bytes(_valid_workbook())
        result = CliRunner().invoke(app, ["validate", str(path)])
        assert result.exit_code == 0, result.output


def test_the_fuzzed_folder_starts_valid(tmp_path):
    folder = write_engagement(tmp_path / "e")
    result = CliRunner().invoke(app, ["score", str(folder), "--json"])
    assert result.exit_code == 0, result.output
