"""Reading untrusted files: regular files only, never through a symlink, never blocking, size-capped.

A lesson folder comes from volunteers; a FIFO, a device, a symlink to the trainer's
documents or a 3 GB file must be refused with its path, not followed or read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_TEXT_BYTES = 2 * 1024 * 1024
MAX_ASSET_BYTES = 8 * 1024 * 1024


class Refused(Exception):
    """A file that may not be read; the message says why, for a path:line report."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def inside(path: Path, root: Path) -> bool:
    """True when `path`, with symlinks resolved, is within `root` (also resolved)."""
    try:
        path.resolve(strict=False).relative_to(root.resolve(strict=False))
    except ValueError:
        return False
    return True


def check_no_symlinks(path: Path, root: Path) -> None:
    """Refuse a path if it, or any folder between `root` and it, is a symlink."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        raise Refused(f"'{path}' is outside '{root}'") from None
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise Refused(f"'{current.relative_to(root)}' is a symbolic link; links are not followed")


def read_bytes(path: Path, root: Path, limit: int = MAX_ASSET_BYTES) -> bytes:
    """Read a regular file inside `root` without following links or blocking on FIFOs."""
    check_no_symlinks(path, root)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Refused("file not found") from None
    except OSError as exc:
        raise Refused(f"cannot open: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("not a regular file (a device, FIFO or folder)")
        if info.st_size > limit:
            raise Refused(f"file is {info.st_size:,} bytes; the limit is {limit:,}")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 16):
            total += len(chunk)
            if total > limit:
                raise Refused(f"file grew past the limit of {limit:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path, root: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """Read UTF-8 text (a BOM is allowed); newlines normalised to \\n."""
    data = read_bytes(path, root, limit)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Refused(f"not valid UTF-8 text (byte 0x{data[exc.start]:02x})", line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
