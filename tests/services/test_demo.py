"""The demo book: complete, deterministic, and built on the structure its docstring states."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.db.backup import list_backups
from csdesk.errors import CsdeskError
from csdesk.models import Account, Base
from csdesk.progress import Cancelled
from csdesk.services.book.info import book_info
from csdesk.services.demo.generate import generate_demo
from tests.conftest import AS_OF

_VOLATILE = {"created_at", "updated_at", "started_at", "finished_at"}


def _dump(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(path)
    out = {}
    for name, table in Base.metadata.tables.items():
        cols = [c.name for c in table.columns if c.name not in _VOLATILE]
        out[name] = con.execute(
            f"SELECT {', '.join(cols)} FROM {name} ORDER BY {', '.join(cols[:2])}").fetchall()
    con.close()
    return out


def _generate(path: Path, seed: int, accounts: int = 120) -> None:
    with Database.open(resolve_database(path)) as db:
        generate_demo(db, accounts=accounts, seed=seed, as_of=AS_OF)


def test_same_seed_gives_the_same_book(tmp_path: Path) -> None:
    _generate(tmp_path / "a.sqlite", 11)
    _generate(tmp_path / "b.sqlite", 11)
    _generate(tmp_path / "c.sqlite", 12)
    a, b, c = (_dump(tmp_path / f"{x}.sqlite") for x in "abc")
    assert a == b
    assert a["accounts"] != c["accounts"]


def test_every_table_has_rows(demo_db: Database) -> None:
    counts = book_info(demo_db).counts
    assert counts["accounts"] == 250
    empty = [name for name, n in counts.items() if n == 0]
    # Association tables are filled by the CSM's own edits (activity attendees, plan
    # stakeholders); the demo leaves them to the editors that come with later features.
    # Tasks come from the playbook rules, which run when the app starts (or `tasks --run`).
    # The field history starts with the first import or edit that changes a field.
    assert set(empty) <= {"activity_contacts", "plan_stakeholders", "tasks", "field_history"}


def _frame(db: Database, sql: str) -> pd.DataFrame:
    with db.engine.connect() as conn:
        return pd.read_sql_query(sql, conn.connection.dbapi_connection)


def test_a_realistic_book(demo_db: Database) -> None:
    acc = _frame(demo_db, "SELECT * FROM accounts")
    shares = acc["segment"].value_counts(normalize=True)
    assert set(shares.index) == {"enterprise", "mid_market", "smb", "self_serve"}
    assert shares["enterprise"] < shares["mid_market"] < shares["smb"]
    assert acc["name"].is_unique and acc["external_id"].is_unique
    assert acc["name"].str.contains("日本|Müller|Łódź|東京").any()  # awkward names included
    assert 0.05 < (acc["status"] == "churned").mean() < 0.4
    assert acc["parent_id"].notna().any()

    contacts = _frame(demo_db, "SELECT * FROM contacts")
    per_acc = contacts.groupby("account_id")
    lost_champion = per_acc.apply(
        lambda g: bool(((g.is_champion == 1) & (g.left_company == 1)).any()),
        include_groups=False)
    no_sponsor = per_acc["is_executive_sponsor"].max() == 0
    assert lost_champion.sum() > 5
    assert no_sponsor.sum() > 5

    subs = _frame(demo_db, "SELECT * FROM subscriptions")
    assert pd.to_datetime(subs.start_date).min() <= pd.Timestamp(AS_OF) - pd.DateOffset(months=24)
    ren = _frame(demo_db, "SELECT * FROM renewals")
    assert set(ren.outcome) == {"pending", "renewed", "expanded", "downsold", "churned"}
    churned = ren[ren.outcome == "churned"]
    assert churned.churn_reason_code.notna().all()
    assert set(churned.churn_category) == {"controllable", "uncontrollable"}

    acts = _frame(demo_db, "SELECT proactive FROM activities")
    assert 0.3 < acts.proactive.mean() < 0.95


def test_the_hidden_structure_is_there_to_find(tmp_path: Path) -> None:
    """Churners show low utilisation, breadth and champion loss; raw logins do not differ."""
    path = tmp_path / "big.sqlite"
    _generate(path, 3, accounts=1500)
    con = sqlite3.connect(path)
    df = pd.read_sql_query("""
        SELECT a.id, a.status = 'churned' AS churned,
               AVG(1.0 * u.active_users / NULLIF(u.licensed_seats, 0)) AS util,
               AVG(u.features_used) AS breadth,
               AVG(1.0 * u.logins / NULLIF(u.licensed_seats, 0)) AS logins_per_seat,
               MAX(c.is_champion AND NOT c.left_company) AS champion
        FROM accounts a JOIN usage_snapshots u ON u.account_id = a.id
        JOIN contacts c ON c.account_id = a.id
        GROUP BY a.id""", con)
    con.close()
    churn = df[df.churned == 1]
    kept = df[df.churned == 0]
    assert len(churn) > 60
    assert churn.util.mean() < kept.util.mean() - 0.05
    assert churn.breadth.mean() < kept.breadth.mean() - 1
    assert churn.champion.mean() < kept.champion.mean() - 0.1
    # The decoy: no real difference in logins per seat (under 10 % apart).
    ratio = churn.logins_per_seat.mean() / kept.logins_per_seat.mean()
    assert 0.9 < ratio < 1.1
    corr = np.corrcoef(df.churned, df.logins_per_seat)[0, 1]
    assert abs(corr) < 0.1


def test_demo_refuses_a_book_that_has_accounts(demo_db: Database) -> None:
    with pytest.raises(CsdeskError, match="already has 250 accounts"):
        generate_demo(demo_db, accounts=10, seed=1, as_of=AS_OF)


def test_replace_wipes_after_a_backup(demo_db: Database) -> None:
    generate_demo(demo_db, accounts=30, seed=2, as_of=AS_OF, replace=True)
    assert book_info(demo_db).counts["accounts"] == 30
    assert demo_db.path is not None
    assert [b.reason for b in list_backups(demo_db.path)] == ["pre-demo-replace"]


def test_cancel_leaves_the_book_as_it_was(db: Database) -> None:
    seen: list[str] = []

    def progress(fraction: float, message: str) -> None:
        seen.append(message)

    def cancel() -> bool:
        return any(m.startswith("Writing usage") for m in seen)

    with pytest.raises(Cancelled):
        generate_demo(db, accounts=50, seed=1, as_of=AS_OF, progress=progress, cancel=cancel)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 0
    assert book_info(db).counts["usage_snapshots"] == 0
