"""Reading the files users give: UTF-8 text, or one clear line saying why not."""

from __future__ import annotations

import os
from pathlib import Path

from corridorsim.errors import InputError


def read_user_text(path: str | os.PathLike[str]) -> str:
    """The text of ``path``; :class:`InputError` naming the file when it cannot be read."""
    name = str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: byte {exc.start}: not UTF-8 text: {exc.reason}") from None
