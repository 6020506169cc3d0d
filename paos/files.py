"""Safe writing: atomic files and folders, and spreadsheet cells that cannot run.

Evidence text is untrusted. Anything paos writes goes to a temporary file and
is renamed into place, so an interrupted run never leaves a half-written file;
every CSV or XLSX cell paos writes from data is neutralised so that a value
like `=HYPERLINK(...)` shows as text instead of running as a formula.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_LINE_STARTS = re.compile(r"(\r\n|\r|\n)(?=[=+\-@\t])")


def neutralise(value: object) -> object:
    """A cell value that a spreadsheet shows as text: formula-like text gets a
    leading apostrophe, and so does every line inside a multi-line text that starts
    like a formula, for tools that split lines before they read quotes (numbers
    are left alone)."""
    if not isinstance(value, str):
        return value
    value = _LINE_STARTS.sub(r"\1'", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_staging(parent: Path, name: str) -> Path:
    """A fresh, hidden staging folder in `parent` with the usual permissions."""
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".staging", dir=parent))
    os.chmod(path, 0o777 & ~_umask())
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """CSV text with every data cell neutralised."""
    buf = io.StringIO()
    # RFC 4180 line ends: the writer then quotes every cell holding a CR or LF, so a
    # bare CR inside evidence cannot end the row and start a new one.
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return buf.getvalue()


def publish_folder(staging: Path, target: Path, force: bool) -> None:
    """Move a finished staging folder to `target` in one rename. An existing
    target is replaced only with `force`, and only after the new one is complete."""
    if target.exists():
        if not force:
            raise FileExistsError(target)
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)


def sweep_leftovers(*folders: Path) -> list[Path]:
    """Remove what a killed process left behind: hidden staging folders and
    temporary files (never a published report or store file). Returns them."""
    gone = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in folder.glob(".*.staging"):
            shutil.rmtree(path, ignore_errors=True)
            gone.append(path)
        for path in folder.rglob(".*.tmp"):
            path.unlink(missing_ok=True)
            gone.append(path)
    return gone
