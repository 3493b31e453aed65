"""User files: read as UTF-8 text with one clear line when they cannot be, and written so
that a reader never sees half of one (a temporary file, then a rename).

Only regular files are read (a FIFO would block forever, ``/dev/zero`` never ends), and at
most :data:`MAX_FILE_BYTES` of them.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from corridorsim.errors import InputError

#: The largest file read (256 MiB): the biggest network or scenario is far below a megabyte;
#: a bigger file is a mistake, and reading it whole would cost that much memory.
MAX_FILE_BYTES = 256 * 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(name: str, mode: int) -> InputError:
    kind = next((what for test, what in _KINDS if test(mode)), "not a regular file")
    return InputError(f"{name}: cannot read: {kind}, not a regular file")


def read_user_bytes(path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    :class:`InputError` naming the file when it cannot be read, is not a regular file (a
    directory, a FIFO, a device) or is larger than ``max_bytes``.
    """
    name = str(path)
    try:
        # stat first: opening a FIFO blocks until a writer comes, on some systems even
        # with O_NONBLOCK.
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(name, mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            # The path may have been replaced between stat and open: check what was opened.
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise _not_regular(name, info.st_mode)
            data = _read_at_most(handle, max_bytes + 1, first=info.st_size + 1)
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(
            f"{name}: cannot read: larger than {max_bytes / (1024 * 1024):g} MiB, "
            "the most read from a file of this kind"
        )
    return data


def _read_at_most(handle: BinaryIO, limit: int, *, first: int) -> bytes:
    """Up to ``limit`` bytes; ``first`` (the size the file had) sizes the first read."""
    chunks: list[bytes] = []
    total = 0
    want = min(first, limit)
    while want > 0:
        chunk = handle.read(want)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        want = min(1024 * 1024, limit - total)
    return b"".join(chunks)


def read_user_text(path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of ``path`` (see :func:`read_user_bytes`); :class:`InputError` naming
    the file when it cannot be read."""
    name = str(path)
    data = read_user_bytes(path, max_bytes=max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: byte {exc.start}: not UTF-8 text: {exc.reason}") from None
    # Line ends as a text-mode open() reads them (universal newlines).
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step; on any failure the old file stays as it was."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        # mkstemp makes the file private; give it the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
