"""Safe writing: atomic files and folders, owned temporaries, spreadsheet cells that cannot run.

Evidence text is untrusted. Anything paos writes goes to a temporary place and is
renamed into place, so an interrupted run never leaves a half-written file;
every CSV or XLSX cell paos writes from data is neutralised so that a value
like `=HYPERLINK(...)` shows as text instead of running as a formula.

Ownership: paos removes only what it provably created, never what merely looks
like it by name. Every temporary thing it makes is a hidden staging folder,
`.<name>.<random>.staging`, whose first content is a marker file `.paos-owner`:

    paos-owner 1
    name .<name>.<random>.staging      the folder it was written for
    host <hostname>
    boot <kernel boot id>
    pid <owner process id>
    start <owner start time, clock ticks after boot: /proc/<pid>/stat field 22>

- a report is built in one and published by one rename (the marker goes then);
- a file is written inside one and renamed into place, then the folder is removed;
- a report replaced with --force is first moved into one, then removed.

`sweep_leftovers` (run by every command that writes to --out or --store, before it
starts) removes a hidden `.*.staging` folder directly in those folders only when its
marker is intact, names that very folder, was written on this machine, and its
owner is gone: no such process, a process that started at another time (the pid
was reused), a zombie, or the machine has rebooted since. A folder without a
marker, with one it cannot read, copied under another name, from another machine
or of a live process is left alone, and nothing else is ever looked at. So a
killed run's staging folder (a confidential copy of the evidence's results) is
removed by the next command on that folder; a concurrent run's is not.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import io
import itertools
import os
import re
import shutil
import socket
import stat
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from paos.errors import FaultError, PaosError
from paos.errors import PaosWarning as PaosWarning  # where it was defined before

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_LINE_STARTS = re.compile(r"(\r\n|\r|\n)(?=[=+\-@\t])")
MARKER = ".paos-owner"
_MAGIC = "paos-owner 1"
REPORT_MARKER = ".paos-report"  # in every published report: paos made this folder
_REPORT_MAGIC = "paos-report 1"


def neutralise(value: object) -> object:
    """A cell value that a spreadsheet shows as text: formula-like text gets a
    leading apostrophe, and so does every line inside a multi-line text that starts
    like a formula, for tools that split lines before they read quotes (numbers
    are left alone)."""
    if not isinstance(value, str):
        return value
    value = _LINE_STARTS.sub(r"\1'", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


# -- faults of the environment -----------------------------------------------

_HINTS = {
    errno.ENOSPC: "the disk is full: free some space and run again",
    errno.EDQUOT: "the disk quota is used up: free some space and run again",
    errno.EACCES: "permission denied: choose a folder you can write to, or fix its permissions",
    errno.EPERM: "not permitted: choose a folder you can write to, or fix its permissions",
    errno.EROFS: "the file system is read-only: choose a folder on a writable one",
    errno.EEXIST: "it is a file, not a folder: choose a folder",
    errno.ENOTDIR: "part of this path is a file, not a folder: choose a folder",
    errno.EISDIR: "it is a folder, not a file: move it away or choose another path",
    errno.ENAMETOOLONG: "the path is too long: choose a shorter one",
    errno.EIO: "input/output error: check the disk",
}


def fault(exc: OSError, path: str | Path | None = None, what: str = "") -> FaultError:
    """`exc` as one line naming `path` (else the file the error names) and what to do."""
    where = path if path is not None else (exc.filename or "")
    hint = _HINTS.get(exc.errno or 0, f"{exc.strerror or exc}: check it and run again")
    return FaultError(f"{what + ' ' if what else ''}{where}: {hint}")


def separate_folders(out: str | Path, store: str | Path) -> None:
    """Refuse a results store inside the reports folder or the other way round: a
    report replaced with --force would take store files with it."""
    a, b = Path(os.path.abspath(out)), Path(os.path.abspath(store))
    if a == b or a in b.parents or b in a.parents:
        raise PaosError(
            f"--out {out} and --store {store} overlap; give them separate "
            "folders (a replaced report would take store files with it)"
        )


def writable_folder(path: str | Path, what: str = "") -> Path:
    """`path` as an absolute folder that exists (it is made if missing) and that this
    process can write to: it makes and removes a staging folder there. Otherwise a
    `FaultError` naming the path and what to do (`what`, e.g. "--store", goes first)."""
    path = Path(os.path.abspath(path))
    try:
        path.mkdir(parents=True, exist_ok=True)
        remove_staging(make_staging(path, "paos-probe"), ignore_errors=False)
    except OSError as exc:
        raise fault(exc, path, what) from None
    return path


# -- ownership ---------------------------------------------------------------

_UMASK_FALLBACK = 0o022  # where /proc/self/status is not there to read


def _umask() -> int:
    """This process's umask, read without setting it: os.umask sets it for every
    thread at once, and a file another thread makes meanwhile gets the wrong mode."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return _UMASK_FALLBACK


def proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks after boot) of process `pid`, from /proc, or
    None if there is none. A pid and its start time name one process: a pid alone may
    be another process's by now."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return fields[0].decode(), fields[19].decode()
    except (OSError, IndexError):
        return None


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:
        return "?"


_OWNER: dict[int, str] = {}  # by pid: a forked child is an owner of its own


def _owner_lines() -> str:
    pid = os.getpid()
    if pid not in _OWNER:
        stat_ = proc_stat(pid)
        _OWNER[pid] = (
            f"host {socket.gethostname()}\nboot {_boot_id()}\npid {pid}\n"
            f"start {stat_[1] if stat_ else '?'}\n"
        )
    return _OWNER[pid]


def _write_marker(folder: Path, name: str) -> None:
    marker = folder / MARKER
    marker.unlink(missing_ok=True)
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"{_MAGIC}\nname {name}\n{_owner_lines()}")


def _marker(folder: Path) -> dict[str, str] | None:
    """The marker of `folder` when it is one paos wrote for this very folder (a real
    folder, not a link), else None."""
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return None
        fd = os.open(folder / MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            lines = fh.read(4096).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    if not lines or lines[0] != _MAGIC:
        return None
    info = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
    return info if info.get("name") == folder.name else None


def _owner_gone(info: dict[str, str]) -> bool:
    """Whether the process that wrote a marker is provably gone. Unsure means no."""
    if info.get("host") != socket.gethostname():
        return False  # another machine's: it may be running there
    boot = _boot_id()
    if "?" not in (boot, info.get("boot", "?")) and info.get("boot") != boot:
        return True  # written before this machine rebooted
    try:
        pid = int(info["pid"])
    except (KeyError, ValueError):
        return False
    found = proc_stat(pid)
    if found is None:
        if os.path.isdir("/proc/self"):
            return True  # no such process
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            pass
        return False
    state, start = found
    if state in ("Z", "X"):  # killed, not yet reaped: it writes nothing more
        return True
    return info.get("start", "?") != "?" and start != info["start"]  # the pid was reused


def make_staging(parent: str | Path, name: str, *, private: bool = False) -> Path:
    """A fresh, hidden staging folder `.<name>.<random>.staging` in `parent`, with the
    usual permissions and the marker that proves this process made it. A `private`
    one (a kernel's sockets, the chart server's) is mode 0700 from the moment it
    exists, as `tempfile.mkdtemp` makes it: never the usual mode first and a chmod
    after, which another user's process could enter in between."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".staging", dir=parent))
    try:
        _write_marker(path, path.name)
        if not private:
            os.chmod(path, 0o777 & ~_umask())
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)  # nothing in it yet but the marker
        raise
    return path


def remove_staging(folder: str | Path, ignore_errors: bool = True) -> None:
    """Remove a staging folder paos made, its marker last: a removal cut short (a
    signal, a crash, a full disk) leaves the folder still marked, so a later
    command's `sweep_leftovers` finishes it. (shutil.rmtree goes in directory order,
    which may take the marker first and leave, say, the report that --force
    replaced in a folder nothing will ever own.)"""
    folder = Path(folder)
    try:
        entries = [e for e in os.scandir(folder) if e.name != MARKER]
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        (folder / MARKER).unlink(missing_ok=True)
        os.rmdir(folder)
    except FileNotFoundError:
        pass
    except OSError:
        if not ignore_errors:
            raise


def owned(folder: str | Path) -> bool:
    """Whether paos made `folder` under this very name (it holds paos's marker for it),
    whichever process did and whether it still runs."""
    return _marker(Path(folder)) is not None


def remove_owned(folder: str | Path) -> bool:
    """Remove `folder` if paos made it (see `owned`); anything else is left alone."""
    if not owned(folder):
        return False
    remove_staging(folder)
    return True


def release(folder: str | Path) -> None:
    """Give up the ownership of a staging folder, so that no clean-up removes it (a
    failed run's notebook kept where paos could not put it)."""
    (Path(folder) / MARKER).unlink(missing_ok=True)


def sweep_leftovers(*folders: str | Path) -> list[Path]:
    """Remove the staging folders directly in `folders` that a paos process which is
    gone left behind (see the module docstring); returns them. Nothing else is read
    or touched."""
    gone = []
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not (entry.name.startswith(".") and entry.name.endswith(".staging")):
                continue
            path = Path(folder) / entry.name
            info = _marker(path)
            if info is not None and _owner_gone(info):
                remove_staging(path)
                gone.append(path)
    return gone


# -- atomic writes -----------------------------------------------------------

_serial = itertools.count()


def atomic_write_bytes(path: str | Path, data: bytes, work: str | Path | None = None) -> Path:
    """Write `data` to `path` atomically: in full, synced, inside a staging folder this
    process owns, then renamed into place; on any error `path` is as it was and
    nothing is left. `work` is such a folder (`make_staging`) on the same file system,
    which several writes may share; by default one is made next to `path` for this
    write and removed after."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    own = make_staging(path.parent, path.name) if work is None else None
    tmp = Path(own if own is not None else str(work)) / f"{next(_serial)}-{path.name}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        with os.fdopen(fd, "wb") as fh:  # 0o666 less the umask, as open() makes
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.replace(tmp, path)
        except OSError as exc:
            if exc.errno != errno.EXDEV or own is not None:
                raise
            tmp.unlink()  # `work` is on another file system
            return atomic_write_bytes(path, data)
    except BaseException:
        if own is None:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        if own is not None:
            remove_staging(own)
    return path


def atomic_write_text(path: str | Path, text: str, work: str | Path | None = None) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), work)


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


def _write_report_marker(folder: Path, name: str) -> None:
    fd = os.open(
        folder / REPORT_MARKER,
        os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
        0o644,
    )
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"{_REPORT_MAGIC}\nname {name}\n")


def is_report(folder: str | Path) -> bool:
    """Whether `folder` is a report paos published under this very name: a real folder
    (not a link) holding the report marker that names it. Only such a folder is ever
    replaced with --force."""
    folder = Path(folder)
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return False
        fd = os.open(
            folder / REPORT_MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        )
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return False
            lines = fh.read(4096).decode("utf-8", "replace").splitlines()
    except OSError:
        return False
    return lines[:2] == [_REPORT_MAGIC, f"name {folder.name}"]


_TAKEN = (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR)


def _stays_a_report(target: Path) -> bool:
    """Whether `target` may be replaced: a report of paos, or gone, or swapped for
    another folder while it was looked at (a concurrent publish moved it; the caller
    retries its rename). Refused only when one and the same folder, seen before and
    after the check, is not a report."""
    try:
        before = os.lstat(target)
        report = is_report(target)
        after = os.lstat(target)
    except FileNotFoundError:
        return True
    return report or (before.st_ino, before.st_dev) != (after.st_ino, after.st_dev)


def publish_folder(staging: Path, target: Path, force: bool, keep_marker: bool = False) -> None:
    """Move a finished staging folder to `target` in one rename. The rename fails
    rather than merge when `target` exists, so of two runs publishing one report at
    once exactly one succeeds and the other gets FileExistsError, whatever either saw
    before. With `force` an existing target is first moved into a staging folder of
    this process, and removed once the new one is in place.

    The marker is removed after the rename (a run killed just then leaves it in the
    report, where it names another folder and is ignored); with `keep_marker` it is
    rewritten for `target`, which then stays paos's own (a failed run's folder)."""
    staging, target = Path(staging), Path(target)
    trash: Path | None = None
    moved: Path | None = None  # the old report, once moved into `trash`
    if not keep_marker:
        _write_report_marker(staging, target.name)
    try:
        for attempt in itertools.count():
            try:
                os.rename(staging, target)
                break
            except OSError as exc:
                if exc.errno not in _TAKEN or not force or attempt > 100:
                    if exc.errno in _TAKEN:
                        raise FileExistsError(errno.EEXIST, "already exists", str(target)) from None
                    raise
            if not keep_marker and not _stays_a_report(target):
                raise FaultError(
                    f"{target} exists and is not a report paos published (no "
                    f"{REPORT_MARKER} naming it); paos replaces only its own "
                    "reports: move it away or choose another --out"
                )
            if trash is None:
                trash = make_staging(target.parent, f"{target.name}.old")
            try:
                os.rename(target, trash / str(attempt))
                moved = trash / str(attempt)
            except FileNotFoundError:  # another run moved it first
                pass
    except BaseException:
        # Cut short (an error, Ctrl-C, SIGTERM) between moving the old report aside
        # and putting the new one in place: the old one goes back where it was.
        if moved is not None and not os.path.lexists(target):
            with contextlib.suppress(OSError):
                os.rename(moved, target)
        raise
    finally:
        if trash is not None:
            remove_staging(trash)
    if keep_marker:
        _write_marker(target, target.name)
    else:
        (target / MARKER).unlink(missing_ok=True)


def workbook_bytes(wb, at: dt.datetime) -> bytes:
    """An openpyxl workbook as .xlsx bytes that are the same on every run: its
    properties dated `at`, and its zip entries too (openpyxl's own save stamps the
    current time into both, so it writes through ExcelWriter and re-packs)."""
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.created = wb.properties.modified = at
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    packed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=at.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return packed.getvalue()
