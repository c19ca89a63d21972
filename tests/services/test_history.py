"""Field history: imports and edits record changes only; values as of a day; revert."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Account, Base, FieldHistory, ImportLog, Subscription
from csdesk.services.book import account_detail
from csdesk.services.history import (
    decode,
    encode,
    field_history,
    fields_with_history,
    has_history,
    values_as_of,
)
from csdesk.services.sync.importer import ImportRequest, run_import
from csdesk.services.sync.revert import RevertRefused, latest_import, revert_latest_import
from tests.services.test_import import write

HEADER = ["Account ID", "Account Name", "CSM", "ARR", "Renewal Date", "Colour"]
FIRST = [HEADER,
         ["A-001", "Acme", "Ana", "$120,000", "2027-03-01", "Gold"],
         ["A-002", "Bolt", "Ben", "$24,000", "2027-05-01", "Silver"],
         ["A-003", "Cog", "Ana", "$1,234", "2027-06-01", "123"]]
SECOND = [HEADER,
          ["A-001", "Acme", "Cleo", "$120,000", "2027-03-01", "Platinum"],  # CSM, Tier
          ["A-002", "Bolt", "Ben", "$30,000", "2027-05-01", "Silver"],  # ARR
          ["A-003", "Cog", "Ana", "$1,234", "2027-06-01", "123"],  # unchanged
          ["A-004", "Dyn", "Dee", "$500", "2027-07-01", "Bronze"]]  # new


def _imp(db: Database, path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return run_import(db, ImportRequest(path, entity="accounts", **kw))  # type: ignore[arg-type]


def _history(db: Database) -> list[tuple[str, str, str, str | None, str | None, str]]:
    with db.read() as s:
        ext = dict(s.execute(select(Account.id, Account.external_id)).tuples().all())
        subs = dict(s.execute(select(Subscription.id, Subscription.external_id)).tuples().all())
        rows = s.execute(select(FieldHistory.entity, FieldHistory.record_id, FieldHistory.field,
                                FieldHistory.old_value, FieldHistory.new_value,
                                FieldHistory.source)).all()
    return sorted((e, (ext if e == "accounts" else subs).get(r, str(r)), f, o, n,
                   str(src.value if hasattr(src, "value") else src))
                  for e, r, f, o, n, src in rows)


def digest(db: Database, skip: tuple[str, ...] = ("import_logs",)) -> dict[str, str]:
    """A hash of every row of every table (in key order)."""
    out = {}
    with db.read() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = s.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()
                                             ).hexdigest()
    return out


def test_values_round_trip_as_text() -> None:
    for value in ("Gold", "123", "true", "null", '"q"', "", 123, 1.5, True, None,
                  ["a"], {"k": 1}):
        assert decode(encode(value)) == value
    assert encode(None) is None and encode("Gold") == "Gold" and encode(7) == "7"
    assert encode(date(2027, 3, 1)) == "2027-03-01"
    assert decode("2027-03-01", Subscription.__table__.c.end_date) == date(2027, 3, 1)
    assert decode("12", Subscription.__table__.c.arr_cents) == 12


def test_an_import_records_exactly_its_changes(db: Database, tmp_path: Path) -> None:
    first = _imp(db, write(tmp_path / "a1.csv", FIRST))
    created = _history(db)
    # a first import creates: one marker per record (accounts and their contracts), no fields
    assert {(e, f) for e, _r, f, _o, _n, _s in created} == {("accounts", "*created*"),
                                                            ("subscriptions", "*created*")}
    assert len(created) == 6 and first.history_rows == 6
    assert not has_history(db, "accounts") and fields_with_history(db, "accounts") == set()

    assert _imp(db, write(tmp_path / "a1.csv", FIRST)).written is False  # unchanged
    preview = _imp(db, write(tmp_path / "a2.csv", SECOND), dry_run=True)
    assert preview.updated == 2 and _history(db) == created  # a dry run writes nothing

    second = _imp(db, write(tmp_path / "a2.csv", SECOND))
    assert second.written and second.updated == 2 and second.inserted == 1
    new = sorted(set(_history(db)) - set(created))
    changes = [(e, r, f, o, n) for e, r, f, o, n, _s in new if not f.startswith("*")]
    assert changes == [  # exactly what changed, one row a field
        ("accounts", "A-001", "custom:Colour", "Gold", "Platinum"),
        ("accounts", "A-001", "owner", "Ana", "Cleo"),
        ("accounts", "A-002", "segment", "smb", "mid_market"),  # from its new ARR
        ("subscriptions", "A-002#contract", "arr_cents", "2400000", "3000000"),
    ]
    assert not any(r == "A-003" for _e, r, *_ in new)  # the unchanged row: nothing
    markers = sorted((e, r, f) for e, r, f, *_ in new if f == "*created*")
    assert markers == [("accounts", "A-004", "*created*"),
                       ("subscriptions", "A-004#contract", "*created*")]
    assert all(src == "import" for *_x, src in new)
    with db.read() as s:
        log_ids = set(s.scalars(select(FieldHistory.import_log_id)
                                .where(FieldHistory.field == "owner")))
        assert log_ids == {second.import_log_id}
        assert s.get(ImportLog, second.import_log_id).updated == 2  # type: ignore[union-attr]
    assert fields_with_history(db, "accounts") >= {"owner", "custom:Colour"}
    assert has_history(db, "accounts", "owner") and not has_history(db, "accounts", "name")


def test_values_as_of_a_day(db: Database, tmp_path: Path) -> None:
    today = clock.today()
    d1, d2 = today - timedelta(days=60), today - timedelta(days=30)
    _imp(db, write(tmp_path / "a1.csv", FIRST), as_of=d1)
    _imp(db, write(tmp_path / "a2.csv", SECOND), as_of=d2)
    third = [HEADER, ["A-001", "Acme", "Dora", "$120,000", "2027-03-01", "Platinum"]]
    _imp(db, write(tmp_path / "a3.csv", third), as_of=today)
    with db.read() as s:
        ids = dict(s.execute(select(Account.external_id, Account.id)).tuples().all())
    all_ids = list(ids.values())
    owner = {d: values_as_of(db, "accounts", "owner", all_ids, d)
             for d in (d1 - timedelta(days=1), d1, d2 - timedelta(days=1), d2, today)}
    a1 = ids["A-001"]
    assert [owner[d][a1] for d in sorted(owner)] == ["Ana", "Ana", "Ana", "Cleo", "Dora"]
    assert owner[d1][ids["A-002"]] == "Ben"  # no history: the value now
    tier = values_as_of(db, "accounts", "custom:Colour", all_ids, d1)
    assert tier == {ids["A-001"]: "Gold", ids["A-002"]: "Silver", ids["A-003"]: "123",
                    ids["A-004"]: "Bronze"}
    assert values_as_of(db, "accounts", "custom:Colour", [a1], d2)[a1] == "Platinum"
    with db.read() as s:  # a session works too; and only the records asked for
        assert values_as_of(s, "accounts", "owner", [a1], d2) == {a1: "Cleo"}
    sub = values_as_of(db, "subscriptions", "arr_cents", None, d1)
    assert sorted(sub.values()) == [50_000, 123_400, 2_400_000, 12_000_000]
    with pytest.raises(ValueError, match="no field"):
        values_as_of(db, "accounts", "nope", all_ids, d1)


def test_hand_edits_are_recorded_and_listed(db: Database, tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a1.csv", FIRST))
    with db.read() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "A-001")).one()
        aid, version = acc.id, acc.version
    account_detail.update_account(db, aid, {"owner": "Zoe", "name": "Acme"}, version)
    listed = field_history(db, "accounts", aid)
    assert [(c.field, c.old, c.new, c.source, c.day) for c in listed[:1]] == [
        ("owner", "Ana", "Zoe", "edit", clock.today())]
    assert listed[-1].field == "*created*" and listed[-1].file == "a1.csv"
    assert not any(c.field == "name" for c in listed)  # not changed: not recorded


def test_revert_restores_the_book_byte_for_byte(db: Database, tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a1.csv", FIRST))
    before = digest(db)
    second = _imp(db, write(tmp_path / "a2.csv", SECOND))
    assert digest(db) != before
    latest = latest_import(db)
    assert latest is not None and latest.import_log_id == second.import_log_id
    done = revert_latest_import(db)
    assert (done.file, done.records_deleted, done.records_updated) == ("a2.csv", 2, 3)
    assert digest(db) == before  # every table, field history included
    with db.read() as s:
        assert s.get(ImportLog, second.import_log_id).status.value == "reverted"  # type: ignore[union-attr]
    # then the first import, back to an empty book
    revert_latest_import(db)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 0
        assert s.scalar(select(func.count()).select_from(FieldHistory)) == 0
    with pytest.raises(RevertRefused, match="no import"):
        revert_latest_import(db)


def test_revert_refuses_after_a_hand_edit_of_the_same_field(db: Database,
                                                           tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a1.csv", FIRST))
    _imp(db, write(tmp_path / "a2.csv", SECOND))
    with db.read() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "A-001")).one()
        aid, version = acc.id, acc.version
    account_detail.update_account(db, aid, {"owner": "Zoe"}, version)
    before = digest(db)
    with pytest.raises(RevertRefused, match=r"hand edit .* changed owner of account Acme"):
        revert_latest_import(db)
    assert digest(db) == before  # nothing was reverted


def test_revert_refuses_when_a_new_record_gained_children(db: Database,
                                                          tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a1.csv", FIRST))
    with db.read() as s:
        aid = s.scalars(select(Account.id).where(Account.external_id == "A-001")).one()
    account_detail.add_contact(db, aid, {"name": "Pat"})
    with pytest.raises(RevertRefused, match="1 contacts added since"):
        revert_latest_import(db)


def test_changing_the_owner_of_many_accounts_is_recorded(db: Database, tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a1.csv", FIRST))
    with db.read() as s:
        ids = dict(s.execute(select(Account.external_id, Account.id)).tuples().all())
    assert account_detail.set_owner(db, list(ids.values()), "Ana") == 1  # Bolt only
    changes = [c for c in field_history(db, "accounts", ids["A-002"]) if c.field == "owner"]
    assert [(c.old, c.new, c.source) for c in changes] == [("Ben", "Ana", "edit")]
    assert not [c for c in field_history(db, "accounts", ids["A-001"]) if c.field == "owner"]


def test_revert_takes_derived_rows_with_the_accounts_it_created(db: Database,
                                                               tmp_path: Path) -> None:
    """Health scores (recomputed) go with the accounts an import created: they are no
    reason to refuse; a contact someone added is (see above)."""
    from csdesk.models import HealthSnapshot
    from csdesk.services.health.scoring import recompute

    _imp(db, write(tmp_path / "a1.csv", FIRST))
    recompute(db)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(HealthSnapshot))
    revert_latest_import(db)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(HealthSnapshot)) == 0
        assert s.scalar(select(func.count()).select_from(Account)) == 0


def test_a_contact_edit_is_recorded(db: Database, tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a1.csv", FIRST))
    aid = account_detail.account_id_for(db, "A-001")
    row = account_detail.add_contact(db, aid, {"name": "Pat", "title": "CTO"})
    account_detail.update_contact(db, row.id, {"name": "Pat", "title": "CEO"}, row.version)
    changes = field_history(db, "contacts", row.id)
    assert [(c.field, c.old, c.new, c.source) for c in changes] == [
        ("title", "CTO", "CEO", "edit")]


def test_a_dry_run_answers_as_the_revert_would(db: Database, tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a1.csv", FIRST))
    _imp(db, write(tmp_path / "a2.csv", SECOND))
    before = digest(db)
    would = revert_latest_import(db, dry_run=True)
    assert digest(db) == before  # nothing written
    assert (would.records_deleted, would.records_updated) == (2, 3)
    with db.read() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "A-001")).one()
        aid, version = acc.id, acc.version
    account_detail.update_account(db, aid, {"owner": "Zoe"}, version)
    with pytest.raises(RevertRefused, match="hand edit"):  # the same refusal, dry or not
        revert_latest_import(db, dry_run=True)


def test_a_record_edited_since_keeps_a_newer_version(db: Database, tmp_path: Path) -> None:
    """An edit of another field after the import: the revert is allowed, and the record's
    version moves on (a window that saw the edited version must not save over the revert)."""
    _imp(db, write(tmp_path / "a1.csv", FIRST))
    _imp(db, write(tmp_path / "a2.csv", SECOND))
    with db.read() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "A-001")).one()
        aid, version = acc.id, acc.version
    account_detail.update_account(db, aid, {"industry": "Retail"}, version)
    revert_latest_import(db)
    with db.read() as s:
        acc = s.get(Account, aid)
        assert acc is not None and acc.owner == "Ana" and acc.industry == "Retail"
        assert acc.version > version + 1


def test_a_file_dated_before_a_recorded_change_is_refused(db: Database, tmp_path: Path) -> None:
    """Files dated out of order would make the history say what never happened: the rows
    changed later in the book are refused, naming the day, and nothing is written."""
    today = clock.today()
    _imp(db, write(tmp_path / "a1.csv", FIRST), as_of=today - timedelta(days=60))
    _imp(db, write(tmp_path / "a2.csv", SECOND), as_of=today - timedelta(days=10))
    before = digest(db)
    older = [HEADER, ["A-001", "Acme", "Omar", "$120,000", "2027-03-01", "Gold"]]
    r = _imp(db, write(tmp_path / "a0.csv", older), as_of=today - timedelta(days=30))
    assert not r.written and r.error_count == 1
    assert "after this file's date" in r.errors[0].reason
    assert f"{today - timedelta(days=10):%d %b %Y}" in r.errors[0].reason
    assert digest(db) == before
