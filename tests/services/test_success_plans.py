"""Success plans, handoff and the value log: the maths and the rules a CSM relies on."""

from __future__ import annotations

import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from csdesk.db import Database
from csdesk.errors import ValidationError
from csdesk.models import Account, Contact, Subscription
from csdesk.services.defaults import ensure_defaults
from csdesk.services.plans import handoff
from csdesk.services.plans import success_plans as plans
from csdesk.services.plans import value as value_log

START = date(2026, 1, 5)


@pytest.fixture
def account(db: Database) -> int:
    ensure_defaults(db)
    with db.write() as s:
        acc = Account(external_id="P1", name="Plan Co", segment="enterprise",
                      engagement_model="high_touch", lifecycle_stage="onboarding",
                      customer_since=date(2026, 1, 1))
        s.add(acc)
        s.flush()
        s.add(Subscription(account_id=acc.id, start_date=date(2026, 1, 1),
                           end_date=date(2026, 12, 31), arr_cents=100_000_00))
        s.add(Contact(account_id=acc.id, name="Cham Pion", is_champion=True))
        return acc.id


def test_progress_both_directions() -> None:
    assert plans.progress(0, 5, 10) == 0.5
    assert plans.progress(40, 25, 15) == pytest.approx(0.6)  # a KPI that should fall
    assert plans.progress(40, 50, 15) == 0.0  # moved the wrong way
    assert plans.progress(0, 20, 10) == 1.0  # past the target
    assert plans.progress(10, 10, 10) is None


def test_template_instantiates_with_shifted_dates(db: Database, account: int) -> None:
    plan_id = plans.create_plan(db, account, "Onboarding", START, template="enterprise-onboarding")
    plan = plans.plan_view(db, plan_id, today=START)
    assert [o.title for o in plan.objectives][:1] == ["Go live and reach first value"]
    first = plan.objectives[0]
    assert first.due_date == START + timedelta(days=30)
    assert first.milestones[1].is_first_value
    assert first.milestones[0].tasks[0].due_date == START + timedelta(days=3)
    assert plan.period_end == START + timedelta(days=90)
    assert plan.first_value_milestone == "First team live in production"
    # A second plan archives the first: one active plan per account.
    second = plans.create_plan(db, account, "Year two", START + timedelta(days=365))
    assert [p[2] for p in plans.plans_of(db, account)] == ["active", "archived"]
    assert plans.active_plan_id(db, account) == second


def test_derived_numbers_and_first_value(db: Database, account: int) -> None:
    plan_id = plans.create_plan(db, account, "Onboarding", START, template="enterprise-onboarding")
    plan = plans.plan_view(db, plan_id, today=START + timedelta(days=40))
    assert plan.completion == 0 and plan.overdue > 0
    obj = plan.objectives[0]
    plans.update_node(db, "objective", obj.id, {"current": 4}, obj.version)
    fv = obj.milestones[1]
    plans.update_node(db, "milestone", fv.id, {"status": "done",
                                            "done_date": START + timedelta(days=21)},
                  fv.version)
    plan = plans.plan_view(db, plan_id, today=START + timedelta(days=40))
    assert plan.objectives[0].progress == pytest.approx(0.8)
    assert plan.days_to_first_value == 25  # from the customer start (1 Jan), not the plan
    assert plan.completion == pytest.approx(1 / 4)
    with db.read() as s:
        assert s.get(Account, account).first_value_date == START + timedelta(days=21)
    # Exactly one first value milestone per plan.
    other = plan.objectives[1].milestones[0]
    plans.set_first_value_milestone(db, other.id)
    plan = plans.plan_view(db, plan_id)
    flags = [m.is_first_value for o in plan.objectives for m in o.milestones]
    assert flags.count(True) == 1


def test_bad_values_are_refused(db: Database, account: int) -> None:
    plan_id = plans.create_plan(db, account, "Plan", START)
    oid = plans.add_node(db, "objective", plan_id, "Cut costs", baseline=10, target=5)
    obj = plans.plan_view(db, plan_id).objectives[0]
    with pytest.raises(ValidationError, match="target equals the baseline"):
        plans.update_node(db, "objective", oid, {"target": 10}, obj.version)
    with pytest.raises(ValidationError, match="before the plan starts"):
        plans.update_node(db, "objective", oid, {"due_date": START - timedelta(days=1)},
                          obj.version)
    assert plans.plan_view(db, plan_id).objectives[0].target == 5  # nothing half-saved


def test_move_reorders_and_reparents_and_delete_restores(db: Database, account: int) -> None:
    plan_id = plans.create_plan(db, account, "Plan", START, template="enterprise-onboarding")
    plan = plans.plan_view(db, plan_id)
    a, b = plan.objectives[0], plan.objectives[1]
    m = a.milestones[0]
    old = plans.move_node(db, "milestone", m.id, b.id, 0)
    plan = plans.plan_view(db, plan_id)
    assert plan.objectives[1].milestones[0].id == m.id
    assert old == (a.id, 0)
    plans.move_node(db, "objective", b.id, plan_id, 0)
    assert plans.plan_view(db, plan_id).objectives[0].id == b.id
    snap = plans.node_snapshot(db, "objective", a.id)
    plans.delete_node(db, "objective", a.id)
    assert a.id not in [o.id for o in plans.plan_view(db, plan_id).objectives]
    new_id = plans.restore_node(db, "objective", plan_id, snap)
    restored = next(o for o in plans.plan_view(db, plan_id).objectives if o.id == new_id)
    assert restored.title == a.title and len(restored.milestones) == len(a.milestones) - 1


def test_handoff_completeness_and_criteria_to_objectives(db: Database, account: int) -> None:
    assert account in handoff.incomplete_onboarding(db)
    with db.read() as s:
        champion = s.scalars(select(Contact.id)).one()
    view = handoff.save_handoff(db, account, {"products": "Enterprise, 200 seats",
                                              "success_criteria": ["Close the books in 4 days",
                                                                   "  ", "Cut churn to 2%"],
                                        "champion_id": champion})
    assert not view.complete and "the economic buyer" in view.missing
    assert account in handoff.incomplete_onboarding(db)
    view = handoff.save_handoff(db, account, {"economic_buyer_id": champion,
                                              "go_live_date": START,
                                              "first_value_date": START + timedelta(days=30)},
                                view.version)
    assert view.complete and account not in handoff.incomplete_onboarding(db)
    assert handoff.criteria_to_objectives(db, account, start=START) == 2
    assert handoff.criteria_to_objectives(db, account, start=START) == 0  # never twice
    plan = plans.plan_view(db, plans.active_plan_id(db, account))
    assert [o.title for o in plan.objectives] == ["Close the books in 4 days",
                                                  "Cut churn to 2%"]


def test_value_log_totals_roi_and_evidence(db: Database, account: int, tmp_path: Path) -> None:
    today = date(2026, 8, 20)
    value_log.add_entry(db, account, {"title": "Faster close", "value_cents": 30_000_00,
                                      "occurred_on": date(2026, 8, 1)})
    value_log.add_entry(db, account, {"title": "Fewer tickets", "value_cents": 20_000_00,
                                      "occurred_on": date(2026, 3, 1)})
    evidence = tmp_path / "before & after.xlsx"
    evidence.write_bytes(b"numbers")
    entry = value_log.add_entry(db, account, {"title": "Old win", "value_cents": 50_000_00,
                                              "occurred_on": date(2025, 11, 1)}, evidence)
    assert Path(entry.evidence_file).read_bytes() == b"numbers"
    if os.name == "posix":  # a customer's document: readable by this user only
        assert stat.S_IMODE(Path(entry.evidence_file).stat().st_mode) == 0o600
        assert stat.S_IMODE(Path(entry.evidence_file).parent.stat().st_mode) == 0o700
    t = value_log.totals(db, account, today=today)
    assert (t.quarter_cents, t.year_cents, t.to_date_cents) == (30_000_00, 50_000_00,
                                                                100_000_00)
    assert t.roi == pytest.approx(1.0)
    with pytest.raises(ValidationError):
        value_log.add_entry(db, account, {"title": " "})
    plan_id = plans.create_plan(db, account, "Plan", START)
    oid = plans.add_node(db, "objective", plan_id, "Cut costs", kpi_name="Cost", baseline=10,
                         current=6, target=5)
    draft = value_log.prefill_from_objective(db, oid)
    assert draft["metric_before"] == 10 and draft["metric_after"] == 6
