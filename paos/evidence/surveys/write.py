"""Writing stakeholders.csv and ratings.csv into an engagement folder: both or
neither. Both files are written and synced in a staging folder of this process
first, then renamed into place; if the second rename fails, the first file is put
back as it was. Rows already in the folder (`--append`) keep their cells as
written. New cells hold the respondent's text exactly (no apostrophe before text
that starts like a formula): these files are evidence, read back by paos as typed,
like a ratings.csv typed by hand; the outputs made for a spreadsheet (a report's
gaps.csv and actions.xlsx) are the ones neutralised (`_files.neutralise`)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from paos._files import fault, make_staging, remove_staging
from paos.base.csv_rows import csv_rows
from paos.base.files import Refused, decode, read_file
from paos.base.limits import MAX_TABLE_BYTES
from paos.errors import EvidenceError, FaultError, Problem

STAKEHOLDER_COLUMNS = ["stakeholder_id", "role", "perspective", "function", "name"]
RATING_COLUMNS = ["stakeholder_id", "signal_id", "rating", "evidence", "source"]
FILES = {"stakeholders": STAKEHOLDER_COLUMNS, "ratings": RATING_COLUMNS}


def read_existing(folder: Path) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The header and data rows of the folder's stakeholders.csv and ratings.csv
    (missing files are left out; blank rows dropped; a symbolic link resolving
    outside the folder is refused: another client's rows never join these)."""
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    for name in FILES:
        path = folder / f"{name}.csv"
        if not os.path.lexists(path):
            continue
        try:
            rows = csv_rows(
                decode(read_file(path, str(path), MAX_TABLE_BYTES, folder), str(path)),
                str(path),
            )
        except Refused as err:
            if err.fault:
                raise FaultError(str(err.problem)) from None
            raise EvidenceError([err.problem]) from None
        header = [h.strip().lower() for h in rows[0]] if rows else []
        out[name] = (header, [r for r in rows[1:] if any(c.strip() for c in r)])
    return out


def table_text(
    columns: list[str],
    old: tuple[list[str], list[list[str]]] | None,
    new: Iterable[Sequence[object]],
) -> str:
    """CSV text: the old header (with any of `columns` it lacks added) and rows as they
    were, then the new rows (given in `columns` order) as they are."""
    header = list(old[0]) if old and old[0] else []
    header += [c for c in columns if c not in header]
    at = {c: columns.index(c) for c in columns}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in old[1] if old else []:
        writer.writerow(row + [""] * (len(header) - len(row)))
    for values in new:
        writer.writerow(
            ["" if c not in at or values[at[c]] is None else str(values[at[c]]) for c in header]
        )
    return buf.getvalue()


def write_both(folder: Path, texts: dict[str, str]) -> list[Path]:
    """Write `<name>.csv` for each text into `folder`: all or none (see the module
    docstring). A fault of the environment is a `FaultError` naming the path."""
    try:
        staging = make_staging(folder, "import")
    except OSError as exc:
        raise fault(exc, folder) from None
    done: list[tuple[Path, Path | None]] = []  # (target, backup of what it was)
    try:
        for name, text in texts.items():
            tmp = staging / f"{name}.csv"
            with open(tmp, "x", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        for name in texts:
            target = folder / f"{name}.csv"
            backup: Path | None = staging / f"{name}.old"
            try:
                os.link(target, backup)  # type: ignore[arg-type]
            except FileNotFoundError:
                backup = None
            os.replace(staging / f"{name}.csv", target)
            done.append((target, backup))
    except OSError as exc:
        for target, backup in reversed(done):  # put back what was there
            try:
                if backup is None:
                    target.unlink()
                else:
                    os.replace(backup, target)
            except OSError:
                pass
        raise fault(exc, exc.filename or folder) from None
    finally:
        remove_staging(staging)
    return [folder / f"{name}.csv" for name in texts]


def folder_problem(folder: Path) -> Problem | None:
    """Why `folder` is not an engagement folder to import into, or None."""
    if not folder.is_dir():
        what = "does not exist" if not os.path.lexists(folder) else "is not a folder"
        return Problem(str(folder), f"{what}; create the engagement first: paos new {folder}")
    if not os.path.lexists(folder / "engagement.yaml"):
        return Problem(
            str(folder),
            "holds no engagement.yaml, so it is not an engagement folder; create one with paos new",
        )
    return None
