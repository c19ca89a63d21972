"""Two people on one book: an edit made against a stale copy is refused with the saved values,
never written over them; several processes importing and editing at once lose nothing."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.errors import ConflictError
from csdesk.models import Account, Activity, Objective, UsageSnapshot
from csdesk.services.plans import success_plans as plans
from tests.conftest import PgServer


def _objective(db: Database) -> int:
    with db.write() as s:
        acc = Account(external_id="C1", name="Conflict Co", segment="smb",
                      engagement_model="tech_touch")
        s.add(acc)
        s.flush()
        account = acc.id
    plan = plans.create_plan(db, account, "Plan", date(2026, 1, 1))
    return plans.add_node(db, "objective", plan, "Cut ticket volume", baseline=100.0, target=50.0)


def _second(db: Database) -> Database:
    """Another window or a team mate on the same book."""
    return Database.open(db.location, lock=False)


def test_two_people_edit_one_objective(db: Database) -> None:
    objective = _objective(db)
    other = _second(db)
    try:
        with db.read() as s:
            seen = s.get(Objective, objective).version  # both opened the objective here
        theirs = plans.update_node(other, "objective", objective, {"target": 40.0}, seen)
        with pytest.raises(ConflictError) as refused:
            plans.update_node(db, "objective", objective, {"title": "Halve tickets"}, seen)
        assert refused.value.version == theirs
        assert refused.value.current is not None
        assert refused.value.current["target"] == 40.0  # what they saved, to show beside mine
        assert refused.value.current["title"] == "Cut ticket volume"  # mine was not written
        # Applying mine on top of theirs (the merge) keeps both changes.
        plans.update_node(db, "objective", objective, {"title": "Halve tickets"}, theirs)
        with other.read() as s:
            saved = s.get(Objective, objective)
            assert (saved.title, saved.target) == ("Halve tickets", 40.0)
    finally:
        other.close()


def test_a_stale_object_flushed_late_is_a_conflict(db: Database) -> None:
    """The version column guards the write itself: a row changed between reading and
    flushing raises ConflictError (PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers
    so the window never opens there)."""
    if db.path is not None:
        pytest.skip("SQLite: writers are serialised by BEGIN IMMEDIATE")
    objective = _objective(db)
    other = _second(db)
    try:
        with pytest.raises(ConflictError, match="changed elsewhere"), db.write() as s:
            mine = s.get(Objective, objective)
            mine.title = "Mine"
            plans.update_node(other, "objective", objective, {"title": "Theirs"}, mine.version)
            s.flush()
        with other.read() as s:
            assert s.get(Objective, objective).title == "Theirs"
    finally:
        other.close()


def test_deleting_a_contact_a_team_mate_just_changed_is_refused(db: Database) -> None:
    """I opened the contact, a team mate edited it, then I delete it from my stale copy: the
    delete is refused as a conflict and the contact stays, with their change."""
    from csdesk.models import Contact
    from csdesk.services.book.account_detail import (
        add_contact,
        contacts,
        delete_contact,
        update_contact,
    )

    with db.write() as s:
        acc = Account(external_id="C1", name="Conflict Co", segment="smb",
                      engagement_model="tech_touch")
        s.add(acc)
        s.flush()
        account = acc.id
    contact = add_contact(db, account, {"name": "Dana Kim", "title": "VP Ops"})
    other = _second(db)
    try:
        mine = contacts(db, account)[0]  # I opened the account page here
        assert (mine.id, mine.version) == (contact.id, contact.version)
        theirs = update_contact(other, contact.id, {"title": "COO"}, mine.version)
        assert theirs.version == mine.version + 1
        with pytest.raises(ConflictError, match="changed or deleted elsewhere"):
            delete_contact(db, mine.id, mine.version)
        with other.read() as s:
            kept = s.get(Contact, contact.id)
            assert kept is not None
            assert (kept.name, kept.title, kept.version) == ("Dana Kim", "COO", theirs.version)
        delete_contact(db, mine.id, theirs.version)  # after reloading, the delete goes through
        assert contacts(other, account) == []
    finally:
        other.close()


WORKER = textwrap.dedent("""
    import sys
    from datetime import date
    from pathlib import Path
    from csdesk.config import resolve_database
    from csdesk.db import Database
    from csdesk.services.book.account_detail import add_activity
    from csdesk.services.sync.importer import ImportRequest, run_import

    db = Database.open(resolve_database(sys.argv[1]))
    if sys.argv[2] == "import":
        result = run_import(db, ImportRequest(Path(sys.argv[3]), entity="usage"))
        assert result.written and not result.errors, result.errors[:3]
        assert (result.inserted, result.updated, result.unchanged) == (2400, 0, 0), result
    else:
        for i in range(int(sys.argv[3])):
            add_activity(db, 1 + i % 20, kind="call", summary=f"{sys.argv[4]} {i}",
                         occurred_on=date(2026, 11, 1))
    db.close()
""")


def test_parallel_imports_and_edits_from_several_processes(pg_server: PgServer,
                                                           tmp_path: Path) -> None:
    url = pg_server.url(pg_server.create(pg_server.template("empty")))
    with Database.open(resolve_database(url)) as db, db.write() as s:
        for i in range(20):
            s.add(Account(external_id=f"P{i:02d}", name=f"Parallel {i}", segment="smb",
                          engagement_model="tech_touch"))
    files = []
    for k in range(3):  # three imports of 2,400 rows each (COPY-staged), dates disjoint
        path = tmp_path / f"usage{k}.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["account_external_id", "date", "active_users", "licensed_seats"])
            for d in range(120):
                day = date(2024, 1, 1) + timedelta(days=k * 120 + d)
                for i in range(20):
                    w.writerow([f"P{i:02d}", day.isoformat(), k + 1, 10])
        files.append(path)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, "import", str(f)])
             for f in files]
    procs += [subprocess.Popen([sys.executable, "-c", WORKER, url, "edit", "60", f"w{j}"])
              for j in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0] * len(procs)
    with Database.open(resolve_database(url)) as db, db.read() as s:
        assert s.scalar(select(func.count()).select_from(UsageSnapshot)) == 3 * 2400
        assert s.scalar(select(func.sum(UsageSnapshot.active_users))) == 2400 * (1 + 2 + 3)
        assert s.scalar(select(func.count()).select_from(Activity)) == 120
        assert len(set(s.scalars(select(Activity.summary)))) == 120
