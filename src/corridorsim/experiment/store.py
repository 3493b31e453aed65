"""The results store of a sweep: an SQLite database in the output folder.

Each finished batch of design points is committed in one transaction (WAL mode), so a sweep
killed at any moment loses at most the points in flight, and resuming picks up from what is
committed. The study's fingerprint (hash of the study file and everything it reads) is
stored with the results: resuming after any of those files changed is refused.

Each row of the ``points`` table is one :class:`PointResult`. A file that is not such a store
(not a database, other tables, a row that does not read back) is an :class:`InputError` that
says how to start over; a write the disk refuses (full, read-only) is a one-line
:class:`CorridorsimError` that leaves the committed batches as they were.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from corridorsim.errors import CorridorsimError, InputError, ParameterError

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
#: The columns each table must have, in order.
COLUMNS = {
    "meta": ("key", "value"),
    "points": ("id", "params", "seed", "replications", "kpis", "error"),
}
#: SQLite result codes that mean the disk (not the file) is the problem: exit 1, not 2.
_WRITE_FAILURES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN",
                   "SQLITE_PERM", "SQLITE_BUSY", "SQLITE_LOCKED")
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
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise CorridorsimError(f"cannot write {self.path}: {exc}") from None
        try:
            with self._guard():
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(SCHEMA)
                self._check_tables()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        """Close the database file."""
        self._db.close()

    def not_a_store(self, reason: str) -> InputError:
        """The error for a file that is not a usable results store, and how to start over."""
        return InputError(
            f"{self.path}: not a corridorsim results store ({reason}): remove it or use a new "
            "output folder"
        )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """SQLite's errors as one line: the disk refusing a write, or a broken file."""
        try:
            yield
        except (InputError, sqlite3.IntegrityError, sqlite3.ProgrammingError):
            raise  # already said, or a bad row handed to commit: the caller's mistake
        except sqlite3.DatabaseError as exc:
            code = getattr(exc, "sqlite_errorname", "") or ""
            if code.startswith(_WRITE_FAILURES) or "disk is full" in str(exc):
                raise CorridorsimError(f"cannot write {self.path}: {exc}") from None
            raise self.not_a_store(str(exc)) from None
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise self.not_a_store(f"a row does not read back: {exc}") from None

    def _check_tables(self) -> None:
        for table, columns in COLUMNS.items():
            found = tuple(row[1] for row in self._db.execute(f"PRAGMA table_info({table})"))
            if found != columns:
                raise self.not_a_store(
                    f"table {table} has columns {', '.join(found) or 'none'}, not "
                    f"{', '.join(columns)}"
                )

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def meta(self, key: str) -> str | None:
        """A value recorded with the results (``fingerprint``, ``study``), or None."""
        with self._guard():
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is not None and not isinstance(row[0], str):
            raise self.not_a_store(f"meta {key} is not text")
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
            with self._guard(), self._transaction():
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
        with self._guard():
            return int(self._db.execute("SELECT COUNT(*) FROM points").fetchone()[0])

    def finished(self) -> set[int]:
        """The ids of the finished points."""
        with self._guard():
            ids = [row[0] for row in self._db.execute("SELECT id FROM points")]
        bad = [i for i in ids if not isinstance(i, int) or i < 0]
        if bad:
            raise self.not_a_store(f"point id {bad[0]!r} is not a design position")
        return set(ids)

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
        with self._guard(), self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?)", values)
        return len(values)

    def rows(self) -> list[PointResult]:
        """Every finished point, in id order (the order of the design); a row that does
        not read back as a :class:`PointResult` makes the store :meth:`not_a_store`."""
        with self._guard():
            found = self._db.execute(
                "SELECT id, params, seed, replications, kpis, error FROM points ORDER BY id"
            ).fetchall()
            return [self._point(*row) for row in found]

    def _point(
        self, id_: Any, params: Any, seed: Any, replications: Any, kpis: Any, error: Any
    ) -> PointResult:
        point = PointResult(
            id=id_,
            params=json.loads(params),
            seed=seed,
            replications=replications,
            kpis=None if kpis is None else json.loads(kpis),
            error=error,
        )
        ok = (
            isinstance(point.id, int)
            and isinstance(point.params, dict)
            and isinstance(point.seed, int)
            and isinstance(point.replications, int)
            and (point.error is None or isinstance(point.error, str))
            and (point.kpis is None or _kpis_ok(point.kpis))
            and (point.kpis is not None or point.error is not None)
        )
        if not ok:
            raise self.not_a_store(f"point {id_!r} does not read back")
        return point

    def _transaction(self) -> Any:
        db = self._db

        class _Tx:
            def __enter__(self) -> None:
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind: object, *rest: object) -> None:
                db.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Tx()


def _kpis_ok(kpis: Any) -> bool:
    """Whether ``kpis`` has the shape of :data:`PointKpis`."""
    return isinstance(kpis, dict) and all(
        isinstance(by_kpi, dict)
        and all(
            isinstance(v, list)
            and len(v) == 3
            and all(x is None or isinstance(x, int | float) for x in v)
            for v in by_kpi.values()
        )
        for by_kpi in kpis.values()
    )
