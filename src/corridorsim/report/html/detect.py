"""Which kind of output folder a folder is (run, compare, sweep, assign, capacity), read off
the files present.
"""

from __future__ import annotations

from pathlib import Path

from corridorsim.errors import InputError

#: What each kind of folder is recognised by, in the order tried: a comparison's folder holds
#: run folders, an assignment's a results store like a sweep's, so the specific file decides.
KIND_FILES: tuple[tuple[str, str], ...] = (
    ("compare", "compare.json"),
    ("assign", "assignment.json"),
    ("capacity", "capacity.json"),
    ("sweep", "study.json"),
    ("run", "summary.json"),
)


def detect_kind(folder: Path) -> str:
    """The kind of output folder ``folder`` is (``run``, ``compare``, ``sweep``, ``assign``
    or ``capacity``), from the files present; :class:`InputError` in one line if none."""
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise InputError(f"{folder}: {what}: expected a corridorsim output folder")
    for kind, name in KIND_FILES:
        if (folder / name).is_file():
            return kind
    expected = ", ".join(f"{name} ({kind})" for kind, name in KIND_FILES)
    raise InputError(
        f"{folder}: not a corridorsim output folder: expected one of {expected}"
    )
