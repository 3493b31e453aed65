"""The results store of a sweep: an SQLite database in the output folder.

Each finished batch of design points is committed in one transaction (WAL mode), so a sweep
killed at any moment loses at most the points in flight, and resuming picks up from what is
committed. The study's fingerprint (hash of the study file and everything it reads) is
stored with the results: resuming after any of those files changed is refused.

Each row of the ``points`` table is one :class:`PointResult`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from corridorsim.errors import InputError, ParameterError

#: The tables: what the results are of (``meta``) and one row per finished design point.
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    id INTEGER PRIMARY KEY,
    params TEXT NOT NULL,
    seed INTEGER NOT NULL,
    replications INTEGER NOT NULL,
    kpis TEXT,
    error TEXT
);
"""
#: The store's file name in a sweep's output folder.
FILE_NAME = "results.sqlite"
#: A point's KPIs: shipment -> KPI -> ``[value, ci_lo, ci_hi]`` (None where there is none).
PointKpis = dict[str, dict[str, list[float | None]]]


class PointResult(NamedTuple):
    """A finished design point of a sweep: what ran, and its KPIs or why it failed.

    The fields are the columns of the store's ``points`` table (``params`` and ``kpis`` as
    JSON text there).
    """

    #: The point's position in the design (0 for the first point).
    id: int
    #: The parameter values of the point: dotted path -> value.
    params: dict[str, Any]
    #: The seed of the point's replications.
    seed: int
    #: How many replications ran at the point.
    replications: int
    #: Shipment -> KPI -> ``[value, ci_lo, ci_hi]``; None when the point failed.
    kpis: PointKpis | None
    #: None, or what went wrong (an input error's problems, or the exception).
    error: str | None


class ResultsStore:
    """A sweep's finished design points in an SQLite file, tied to one version of one study.

    Each row is a :class:`PointResult`. Use it as a context manager to close the file at the
    end.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database file."""
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def meta(self, key: str) -> str | None:
        """A value recorded with the results (``fingerprint``, ``study``), or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def claim(self, fingerprint: str, study_path: str, *, resume: bool) -> None:
        """Tie the store to a study; refuse to mix results of different studies.

        A store that already holds finished points of this study is refused unless
        ``resume`` (ParameterError naming ``resume``); one that holds results of another
        version of the study is always refused (InputError naming the file).
        """
        stored = self.meta("fingerprint")
        finished = self.count()
        if stored is None:
            with self._transaction():
                self._db.execute(
                    "INSERT INTO meta VALUES ('fingerprint', ?), ('study', ?)",
                    (fingerprint, study_path),
                )
            return
        if stored != fingerprint:
            raise InputError(
                f"{self.path}: holds results of a different version of the study (its file or "
                "the files it reads changed since): use a new output folder, or delete "
                f"{self.path}"
            )
        if finished and not resume:
            raise ParameterError(
                "resume",
                f"{self.path} already holds {finished} finished points of this study: turn it "
                "on to continue them, or use a new output folder",
            )

    def count(self) -> int:
        """How many points are finished."""
        return int(self._db.execute("SELECT COUNT(*) FROM points").fetchone()[0])

    def finished(self) -> set[int]:
        """The ids of the finished points."""
        return {row[0] for row in self._db.execute("SELECT id FROM points")}

    def commit(self, rows: Iterable[PointResult]) -> int:
        """Write a batch of finished points in one transaction; return how many."""
        values = [
            (
                row.id,
                json.dumps(row.params),
                row.seed,
                row.replications,
                None if row.kpis is None else json.dumps(row.kpis),
                row.error,
            )
            for row in rows
        ]
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?)", values)
        return len(values)

    def rows(self) -> list[PointResult]:
        """Every finished point, in id order (the order of the design)."""
        return [
            PointResult(
                id=id_,
                params=json.loads(params),
                seed=seed,
                replications=replications,
                kpis=None if kpis is None else json.loads(kpis),
                error=error,
            )
            for id_, params, seed, replications, kpis, error in self._db.execute(
                "SELECT id, params, seed, replications, kpis, error FROM points ORDER BY id"
            )
        ]

    def _transaction(self) -> Any:
        db = self._db

        class _Tx:
            def __enter__(self) -> None:
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind: object, *rest: object) -> None:
                db.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Tx()
