"""The results store of a sweep (DESIGN section 7): an SQLite file in WAL mode, one transaction per
batch, rows read back in design-point order, tied to one version of one study."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from corridorsim.errors import InputError, ParameterError
from corridorsim.experiment.store import FILE_NAME, PointResult, ResultsStore


def row(point: int, **extra: Any) -> PointResult:
    """A finished design point as ``run_points`` returns it; ``extra`` replaces fields."""
    return PointResult(
        id=point,
        params={"links.L.speed_kmh": 40.0 + point, "nodes.N.facility.servers": point % 3 + 1},
        seed=7,
        replications=5,
        kpis={"pilot": {"transit_days.mean": [3.5 + point, 3.0 + point, 4.0 + point]}},
        error=None,
    )._replace(**extra)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / FILE_NAME


def test_commit_and_read_back_in_id_order(db: Path) -> None:
    with ResultsStore(db) as store:
        store.claim("fp", "study.yaml", resume=False)
        assert store.commit([row(5), row(1), row(3)]) == 3
        assert store.commit([row(0), row(4)]) == 2
        rows = store.rows()
        assert [r.id for r in rows] == [0, 1, 3, 4, 5]
        assert store.count() == 5
        assert store.finished() == {0, 1, 3, 4, 5}
    assert all(isinstance(r, PointResult) for r in rows)
    assert rows[2] == row(3)  # params, seed, replications, kpis and error survive the round trip


def test_failed_points_keep_their_error_and_no_kpis(db: Path) -> None:
    with ResultsStore(db) as store:
        store.claim("fp", "study.yaml", resume=False)
        store.commit([row(0, kpis=None, error="tiny.yaml:3: horizon_days: must be > 0")])
        (stored,) = store.rows()
    assert stored.kpis is None
    assert stored.error == "tiny.yaml:3: horizon_days: must be > 0"


def test_results_persist_after_close_and_are_visible_to_other_connections(db: Path) -> None:
    with ResultsStore(db) as store:
        store.claim("fp", "study.yaml", resume=False)
        store.commit([row(0), row(1)])
        # Committed: another connection (a second process polling the file) sees both points.
        other = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            assert other.execute("SELECT COUNT(*) FROM points").fetchone()[0] == 2
        finally:
            other.close()
    with ResultsStore(db) as again:
        assert [r.id for r in again.rows()] == [0, 1]
        assert again.meta("fingerprint") == "fp"
        assert again.meta("study") == "study.yaml"


def test_wal_mode_is_on(db: Path) -> None:
    with ResultsStore(db) as store:
        store.claim("fp", "study.yaml", resume=False)
        store.commit([row(0)])
        probe = sqlite3.connect(db)
        try:
            assert probe.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        finally:
            probe.close()


def test_a_batch_is_one_transaction(db: Path) -> None:
    """A batch that fails half way leaves nothing of itself behind (no half-committed batch)."""
    with ResultsStore(db) as store:
        store.claim("fp", "study.yaml", resume=False)
        store.commit([row(0)])
        with pytest.raises(sqlite3.IntegrityError, match="NOT NULL constraint failed"):
            store.commit([row(1), row(2), row(3, seed=None)])  # seed is NOT NULL
        assert store.finished() == {0}
        store.commit([row(1)])  # and the store is still usable
        assert store.finished() == {0, 1}


def test_committing_a_point_again_replaces_it(db: Path) -> None:
    with ResultsStore(db) as store:
        store.claim("fp", "study.yaml", resume=False)
        store.commit([row(0)])
        store.commit([row(0, error="redone")])
        assert store.count() == 1
        assert store.rows()[0].error == "redone"


def test_claim_on_a_new_store_records_the_study(db: Path) -> None:
    with ResultsStore(db) as store:
        assert store.meta("fingerprint") is None
        store.claim("fp-1", "studies/a.yaml", resume=False)
        assert store.meta("fingerprint") == "fp-1"
        # Same study, nothing finished yet: claiming again (with or without resume) is fine.
        store.claim("fp-1", "studies/a.yaml", resume=False)
        store.claim("fp-1", "studies/a.yaml", resume=True)


def test_claim_refuses_a_different_fingerprint(db: Path) -> None:
    with ResultsStore(db) as store:
        store.claim("fp-1", "a.yaml", resume=False)
        store.commit([row(0)])
    with ResultsStore(db) as store:
        for resume in (False, True):
            with pytest.raises(
                InputError, match=rf"^{re.escape(str(db))}: holds results of a different version"
            ) as caught:
                store.claim("fp-2", "a.yaml", resume=resume)
            (line,) = caught.value.problems
            assert "new output folder" in line and "--" not in line
        # Refusing changed nothing.
        assert store.meta("fingerprint") == "fp-1"
        assert store.finished() == {0}


def test_claim_refuses_a_different_fingerprint_even_with_no_finished_points(db: Path) -> None:
    with ResultsStore(db) as store:
        store.claim("fp-1", "a.yaml", resume=False)
    with ResultsStore(db) as store, pytest.raises(InputError, match="different version"):
        store.claim("fp-2", "a.yaml", resume=False)


def test_claim_refuses_to_reuse_finished_results_without_resume(db: Path) -> None:
    with ResultsStore(db) as store:
        store.claim("fp", "a.yaml", resume=False)
        store.commit([row(0), row(1), row(2)])
    with ResultsStore(db) as store:
        with pytest.raises(
            ParameterError, match=rf"^resume: {re.escape(str(db))} already holds 3 finished points"
        ) as caught:
            store.claim("fp", "a.yaml", resume=False)
        assert caught.value.param == "resume"
        assert "--" not in str(caught.value)  # the library names no command-line flag
        store.claim("fp", "a.yaml", resume=True)  # with resume it is accepted
        assert store.finished() == {0, 1, 2}
