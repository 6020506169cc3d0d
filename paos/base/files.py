"""Bounded reads: a regular file of at most a given size, never a link out of its
folder, decoded as UTF-8; everything else is `Refused`."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from paos.errors import Problem


@dataclass(eq=False)
class Refused(Exception):
    """A file that cannot be read: bad input (`fault` False) or a fault of the
    environment such as a permission (`fault` True)."""

    problem: Problem
    fault: bool = False


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a plain file"


def _os_refusal(path: Path, label: str, exc: OSError) -> Refused:
    if exc.errno == errno.ELOOP:
        return Refused(Problem(label, "is not a regular file (a symbolic link loop)"))
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        rule = (
            "is a symbolic link to a file that does not exist"
            if os.path.islink(path)
            else "does not exist"
        )
        return Refused(Problem(label, rule))
    if exc.errno == errno.ENAMETOOLONG:
        return Refused(Problem(label, "is not a usable path (name too long)"))
    hint = (
        "check its permissions"
        if exc.errno in (errno.EACCES, errno.EPERM)
        else "check the disk and the file"
    )
    return Refused(Problem(label, f"cannot be read ({exc.strerror or exc}); {hint}"), fault=True)


OUTSIDE = (
    "is a symbolic link to a file outside the engagement folder; paos reads nothing "
    "outside it: copy the file into the folder"
)
PSEUDO = (
    "is not a regular file (a system file whose size is not its content, such as "
    "those under /proc, or a file written while read)"
)


def outside(path: Path, folder: Path) -> bool:
    """Whether `path`, a file directly in `folder`, is a symbolic link that resolves
    (through any chain of links) outside `folder`: `clientA/ratings.csv ->
    ../clientB/ratings.csv` would score one client's evidence as another's. A link
    that stays inside the folder is read as the file it names."""
    if not os.path.islink(path):
        return False
    base = os.path.realpath(folder)
    return os.path.commonpath([base, os.path.realpath(path)]) != base


def read_file(path: Path, label: str, limit: int, folder: Path | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, else `Refused`.

    Anything but a regular file is refused before it is opened (a named pipe would
    block, a device never ends); the opened file is checked again, so a swap in
    between cannot slip through, and no more than `limit` bytes are ever read. A
    file whose content is not the size its file system gives (/proc, /sys: they
    pass as regular files) is refused, so its content is never parsed nor echoed.
    With `folder` (the engagement folder holding `path`), a symbolic link resolving
    outside it is refused unread (`outside`)."""
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise Refused(Problem(label, f"is not a regular file ({_kind(before.st_mode)})"))
        if folder is not None and outside(path, folder):
            raise Refused(Problem(label, OUTSIDE))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb", closefd=True) as fh:
            now = os.fstat(fh.fileno())
            if not stat.S_ISREG(now.st_mode):
                raise Refused(Problem(label, f"is not a regular file ({_kind(now.st_mode)})"))
            if now.st_size > limit:
                raise Refused(
                    Problem(
                        label,
                        f"is larger than {limit} bytes ({now.st_size}); "
                        "paos refuses files this large",
                    )
                )
            data = fh.read(limit + 1)
    except OSError as exc:
        raise _os_refusal(path, label, exc) from None
    if len(data) > limit:
        raise Refused(
            Problem(label, f"is larger than {limit} bytes; paos refuses files this large")
        )
    if len(data) != now.st_size:
        raise Refused(Problem(label, PSEUDO))
    return data


def decode(data: bytes, label: str) -> str:
    """UTF-8 text (a byte-order mark is dropped), else `Refused` naming line and byte.
    A second byte-order mark would become part of the first header or key: refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise Refused(
            Problem(
                label,
                f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                f"character {col}); save the file as UTF-8",
                line,
            )
        ) from None
    if text.startswith("\ufeff"):
        raise Refused(
            Problem(
                label,
                "starts with two byte-order marks (U+FEFF); save it as UTF-8 with at most one",
                1,
            )
        )
    return text
