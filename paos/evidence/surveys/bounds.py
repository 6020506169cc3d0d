"""What an import may write: never a file `paos validate` would then refuse for its
size. stakeholders.csv and ratings.csv each hold at most `ROWS` data rows (with the
header, `MAX_ROWS` lines) and `MAX_TABLE_BYTES` bytes, the limits validation reads
them with. Reading stops at the response that would pass the row limit, so what an
import holds stays bounded too (see docs/trust.md, "Bounded work")."""

from __future__ import annotations

from pathlib import Path

from paos.base.limits import MAX_ROWS, MAX_TABLE_BYTES
from paos.errors import Problem
from paos.evidence.surveys.formats import Export

ROWS = MAX_ROWS - 1  # data rows of a table validation reads (the header is a line too)
_ADVICE = (
    "nothing was written. One engagement's survey is far smaller: check that this is "
    "the right export, or split its responses between engagements"
)


def too_many(export: Export, name: str, line: int) -> Problem:
    """The export gives `name`.csv more than `ROWS` rows, reached at `line`."""
    what = "respondents" if name == "stakeholders" else "ratings and comments"
    return export.problem(
        f"holds more {what} than {name}.csv may (at most {ROWS} rows, which paos validate "
        f"reads; passed at this line); {_ADVICE}",
        line,
    )


def oversized(folder: Path, rows: dict[str, int], texts: dict[str, str]) -> Problem | None:
    """Why the tables to write (`rows`: data rows of each, what was there included;
    `texts`: their CSV text) would be refused by validation, or None."""
    for name, text in texts.items():
        path = folder / f"{name}.csv"
        if rows[name] > ROWS:
            return Problem(
                str(path),
                f"would hold {rows[name]} rows with this import, more than the {ROWS} paos "
                f"validate reads; {_ADVICE}",
            )
        size = len(text) if text.isascii() else len(text.encode("utf-8"))
        if size > MAX_TABLE_BYTES:
            return Problem(
                str(path),
                f"would be {size} bytes with this import, more than the {MAX_TABLE_BYTES} "
                f"paos validate reads; {_ADVICE}",
            )
    return None
