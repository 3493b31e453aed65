"""User files: read as UTF-8 text with one clear line when they cannot be, and written so
that a reader never sees half of one (a temporary file, then a rename), or a folder of them
replaced in one step (a fresh folder swapped in, leftovers of interrupted writes removed).

Only regular files are read (a FIFO would block forever, ``/dev/zero`` never ends), and at
most :data:`MAX_FILE_BYTES` of them.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from corridorsim.errors import CorridorsimError, InputError

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


def umask() -> int:
    """The process's file-creation mask (reading it means setting it: it is put back)."""
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
        os.chmod(tmp, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def naming(path: str | os.PathLike[str]) -> Iterator[None]:
    """An OSError in the block names ``path`` (the file being written, not its temporary
    name)."""
    try:
        yield
    except OSError as exc:
        exc.filename = str(path)
        raise


def write_error(exc: OSError, path: str | os.PathLike[str]) -> CorridorsimError:
    """A failed write as one line: ``cannot write PATH: No space left on device``."""
    return CorridorsimError(f"cannot write {path}: {exc.strerror or exc}")


def is_temp(name: str) -> bool:
    """Whether ``name`` is one of corridorsim's temporary files or folders
    (``.NAME.<random>.tmp``)."""
    return name.startswith(".") and name.endswith(".tmp")


def remove_stale_temp_files(folder: str | os.PathLike[str]) -> None:
    """Remove the hidden ``.*.tmp`` files an interrupted write left in ``folder``."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if is_temp(entry.name) and entry.is_file(follow_symlinks=False):
            Path(entry.path).unlink(missing_ok=True)


def clean_leftovers(out: Path) -> None:
    """Remove what interrupted writes of ``out`` left beside it; a folder set aside by a
    swap that never finished is the previous run: put it back if ``out`` is missing."""
    prefix = f".{out.name}."
    try:
        names = sorted(e.name for e in os.scandir(out.parent))
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        left = out.parent / name
        if name.endswith(".old.tmp") and not out.exists():
            os.rename(left, out)
        elif left.is_dir() and not left.is_symlink():
            shutil.rmtree(left, ignore_errors=True)
        else:
            left.unlink(missing_ok=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is
    not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # the file system cannot swap
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap_folder_in(new: Path, out: Path) -> None:
    """Put the folder ``new`` at ``out``; the previous ``out`` is removed."""
    if not out.exists():
        os.rename(new, out)
    elif _exchange(new, out):
        shutil.rmtree(new, ignore_errors=True)
    else:
        aside = Path(f"{new}.old.tmp")
        os.rename(out, aside)
        os.rename(new, out)
        shutil.rmtree(aside, ignore_errors=True)
    _sync_folder(out.parent)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
