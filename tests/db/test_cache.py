"""A kept answer holds until the book changes, by this csdesk or by another program."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.db.cache import until_changed
from csdesk.models import Account

pytestmark = pytest.mark.sqlite_only("the file's state is the key")


def _count(db: Database, calls: list[int]) -> int:
    with db.read() as s:
        def compute() -> int:
            calls.append(1)
            return int(s.scalar(select(func.count()).select_from(Account)) or 0)
        return until_changed(s, "accounts", compute)


def test_kept_until_a_commit_here_or_elsewhere(location: DatabaseLocation) -> None:
    calls: list[int] = []
    with Database.open(location) as db:
        assert _count(db, calls) == 0
        assert _count(db, calls) == 0 and len(calls) == 1  # unchanged: kept
        with db.write() as s:
            s.add(Account(external_id="A", name="A", segment="smb",
                          engagement_model="tech_touch"))
        assert _count(db, calls) == 1 and len(calls) == 2  # our commit
        assert location.path is not None
        con = sqlite3.connect(location.path)  # another program's commit
        con.execute("UPDATE accounts SET name = 'B'")
        con.execute("INSERT INTO accounts (external_id, name, segment, engagement_model, "
                    "lifecycle_stage, status, custom_fields, version, created_at, updated_at) "
                    "SELECT 'C', 'C', segment, engagement_model, lifecycle_stage, status, "
                    "custom_fields, 1, created_at, updated_at FROM accounts")
        con.commit()
        con.close()
        assert _count(db, calls) == 2 and len(calls) == 3


def test_many_quick_commits_are_each_seen(location: DatabaseLocation) -> None:
    """Commits within one tick of the file clock, and after the log restarts, still count."""
    calls: list[int] = []
    with Database.open(location) as db:
        for i in range(30):
            with db.write() as s:
                s.add(Account(external_id=f"A{i}", name=f"A{i}", segment="smb",
                              engagement_model="tech_touch"))
            if i % 5 == 4:
                with db.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(RESTART)")
            assert _count(db, calls) == i + 1


def test_one_account_takes_its_row_from_the_book_pipeline_at_hand(demo_db: Database) -> None:
    """An account page asks the pipeline for one account: with the book's pipeline kept, it
    takes that account's row from it (nothing computed); without, it reads its own rows.
    Both are the same answer."""
    from csdesk import clock
    from csdesk.db.cache import kept
    from csdesk.services.renewals import pipeline as renewals

    today = clock.today()
    ids = [r.account_id for r in renewals.pipeline(demo_db, today=today)][:5]
    assert kept(demo_db, ("pipeline", today, None, None)) is not None
    computed: list[int] = []
    real = renewals._pipeline

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        computed.append(1)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(renewals, "_pipeline", counting)
        from_book = renewals.pipeline(demo_db, today=today, account_ids=ids)
        assert computed == []  # taken from the book's answer
        with demo_db.write() as s:  # any commit: the book's answer is no longer at hand
            s.execute(select(Account.id).limit(1))
            s.get(Account, ids[0]).owner = "Someone"  # type: ignore[union-attr]
        own = renewals.pipeline(demo_db, today=today, account_ids=ids)
        assert computed == [1]
    assert [r.account_id for r in own] == [r.account_id for r in from_book] == ids
    assert [(r.renewal_date, r.track, r.likelihood, r.arr_cents) for r in own] == \
        [(r.renewal_date, r.track, r.likelihood, r.arr_cents) for r in from_book]
