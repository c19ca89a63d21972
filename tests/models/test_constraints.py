"""The schema refuses bad data and deletes children by its declared rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from csdesk.db import Database
from csdesk.errors import ConflictError
from csdesk.models import (
    Account,
    Activity,
    Contact,
    Subscription,
    SuccessPlan,
    SurveyResponse,
    UsageSnapshot,
)
from csdesk.models.enums import EngagementModel, Segment


def _account(ext: str, name: str = "Acme") -> Account:
    return Account(external_id=ext, name=name, segment=Segment.SMB,
                   engagement_model=EngagementModel.TECH_TOUCH)


def test_duplicate_external_id_is_rejected(db: Database) -> None:
    with db.write() as s:
        s.add(_account("0015g00000AbCdE"))
    with pytest.raises(IntegrityError, match=r"(?i)unique"), db.write() as s:
        s.add(_account("0015g00000AbCdE", "Another"))
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 1


def test_external_ids_differing_only_in_case_stay_different(db: Database) -> None:
    with db.write() as s:
        s.add_all([_account("0015g00000abcde"), _account("0015g00000ABCDE"),
                   _account("007"), _account("0007")])
    with db.read() as s:
        ids = set(s.scalars(select(Account.external_id)))
    assert ids == {"0015g00000abcde", "0015g00000ABCDE", "007", "0007"}


def test_blank_names_and_ids_are_rejected(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(_account("   "))
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(_account("A-1", "  "))


def test_deleting_an_account_deletes_its_children_and_orphans_subsidiaries(db: Database) -> None:
    with db.write() as s:
        parent = _account("P", "Parent")
        child = _account("C", "Subsidiary")
        child.parent = parent
        parent.contacts.append(Contact(name="Ada Lovelace", email="ada@example.com"))
        parent.subscriptions.append(Subscription(start_date=date(2026, 1, 1),
                                                 end_date=date(2026, 12, 31), arr_cents=1_200_000))
        parent.usage.append(UsageSnapshot(date=date(2026, 5, 4), active_users=3))
        parent.activities.append(Activity(kind="call", occurred_on=date(2026, 5, 1),
                                          summary="Kick-off"))
        parent.success_plans.append(SuccessPlan(title="Plan", period_start=date(2026, 1, 1)))
        s.add_all([parent, child])
    with db.write() as s:
        s.delete(s.scalars(select(Account).where(Account.external_id == "P")).one())
    with db.read() as s:
        for model in (Contact, Subscription, UsageSnapshot, Activity, SuccessPlan):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model.__name__
        child = s.scalars(select(Account).where(Account.external_id == "C")).one()
        assert child.parent_id is None


def test_raw_sql_delete_cascades_too(db: Database) -> None:
    """The rule lives in the database, not only in the ORM (another tool may delete)."""
    with db.write() as s:
        acc = _account("X")
        acc.contacts.append(Contact(name="Grace Hopper"))
        s.add(acc)
    with db.write() as s:
        s.execute(text("DELETE FROM accounts"))
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 0


def test_deleting_a_contact_keeps_its_survey_answers(db: Database) -> None:
    with db.write() as s:
        acc = _account("S")
        contact = Contact(name="Alan Turing")
        acc.contacts.append(contact)
        acc.surveys.append(SurveyResponse(kind="nps", score=9, responded_on=date(2026, 3, 1),
                                          contact=contact))
        s.add(acc)
    with db.write() as s:
        s.execute(text("DELETE FROM contacts"))
    with db.read() as s:
        survey = s.scalars(select(SurveyResponse)).one()
        assert survey.contact_id is None and survey.score == 9


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"), db.write() as s:
        s.add(Contact(account_id=999, name="Nobody"))


@pytest.mark.parametrize(
    ("model", "kwargs"),
    [
        (Subscription, {"start_date": date(2026, 2, 1), "end_date": date(2026, 1, 1),
                        "arr_cents": 100}),
        (Subscription, {"start_date": date(2026, 1, 1), "end_date": date(2026, 2, 1),
                        "arr_cents": -100}),
        (SurveyResponse, {"kind": "nps", "score": 11, "responded_on": date(2026, 1, 1)}),
        (SurveyResponse, {"kind": "csat", "score": 0, "responded_on": date(2026, 1, 1)}),
    ],
    ids=["end-before-start", "negative-arr", "nps-11", "csat-0"],
)
def test_out_of_range_values_are_rejected(db: Database, model: type, kwargs: dict) -> None:
    with db.write() as s:
        s.add(_account("R"))
    with pytest.raises(IntegrityError, match=r"(?i)check"), db.write() as s:
        acc_id = s.scalar(select(Account.id))
        s.add(model(account_id=acc_id, **kwargs))


def test_unknown_enum_value_is_rejected(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as s:
        s.execute(text(
            "INSERT INTO accounts (external_id, name, segment, engagement_model, "
            "lifecycle_stage, status, custom_fields, version, created_at, updated_at) "
            "VALUES ('E', 'E', 'galactic', 'tech_touch', 'onboarding', 'active', '{}', 1, "
            "'2026-01-01', '2026-01-01')"))


def test_concurrent_edit_is_a_conflict_not_a_lost_update(db: Database) -> None:
    with db.write() as s:
        s.add(_account("V", "Original"))
    with db.read() as s1:
        mine = s1.scalars(select(Account)).one()
        assert mine.version == 1
    with db.write() as s2:
        s2.scalars(select(Account)).one().name = "Theirs"
    with pytest.raises(ConflictError, match="changed elsewhere") as refused, db.write() as s3:
        mine = s3.merge(mine, load=False)
        mine.name = "Mine"
    assert isinstance(refused.value.__cause__, StaleDataError)
    with db.read() as s:
        assert s.scalars(select(Account.name)).one() == "Theirs"


def test_timestamps_are_timezone_aware_utc(db: Database) -> None:
    before = datetime.now(UTC)
    with db.write() as s:
        s.add(_account("T"))
    with db.read() as s:
        acc = s.scalars(select(Account)).one()
    assert acc.created_at.tzinfo is UTC
    assert acc.created_at >= before.replace(microsecond=0)


def test_custom_fields_keep_unmapped_columns(db: Database) -> None:
    with db.write() as s:
        acc = _account("J")
        acc.custom_fields = {"Support minutes": 340, "Contract type": "Premium 日本"}
        s.add(acc)
    with db.read() as s:
        assert s.scalars(select(Account)).one().custom_fields["Contract type"] == "Premium 日本"
