"""The sales-to-CS handoff: what was sold and promised, in the customer's words.

The handoff is where promises made in the sale become an operational plan: its success
criteria turn into the first success plan's draft objectives in one action. An account in
onboarding whose handoff is missing or incomplete is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import ConflictError
from csdesk.models import Account, Contact, Handoff, Objective, SuccessPlan
from csdesk.models.enums import LifecycleStage, ObjectiveStatus, OwnerSide, PlanStatus

FIELDS = ("products", "seats", "arr_cents", "term_months", "promises", "commitments",
          "success_criteria", "economic_buyer_id", "champion_id", "sponsor_id", "go_live_date",
          "first_value_date", "risks")
# What a handoff needs before CS can plan from it.
REQUIRED = {"products": "what was sold", "success_criteria": "the customer's success criteria",
            "economic_buyer_id": "the economic buyer", "champion_id": "the champion",
            "go_live_date": "the planned go-live date",
            "first_value_date": "the planned first value date"}


@dataclass(frozen=True)
class HandoffView:
    account_id: int
    exists: bool
    values: dict[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    version: int = 0

    @property
    def complete(self) -> bool:
        return self.exists and not self.missing


def _missing(values: dict[str, Any]) -> tuple[str, ...]:
    return tuple(label for key, label in REQUIRED.items()
                 if values.get(key) in (None, "", [], ()))


# Who holds each role is one fact, kept on the contacts: a handoff that names nobody for a
# role shows the current contact who holds it (and never calls it missing then).
ROLES = {"economic_buyer_id": Contact.is_economic_buyer, "champion_id": Contact.is_champion,
         "sponsor_id": Contact.is_executive_sponsor}


def _role_holders(s: Any, account_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per account, the current contact (not left) holding each role, by role field."""
    out: dict[int, dict[str, int]] = {}
    if not account_ids:
        return out
    for key, flag in ROLES.items():
        for aid, cid in s.execute(
                select(Contact.account_id, func.min(Contact.id))
                .where(Contact.account_id.in_(account_ids), flag.is_(True),
                       Contact.left_company.is_(False))
                .group_by(Contact.account_id)).tuples():
            out.setdefault(aid, {})[key] = cid
    return out


def _with_roles(values: dict[str, Any], holders: dict[str, int]) -> dict[str, Any]:
    return {**values, **{k: v for k, v in holders.items() if values.get(k) is None}}


def get_handoff(db: Database, account_id: int) -> HandoffView:
    with db.read() as s:
        holders = _role_holders(s, [account_id]).get(account_id, {})
        h = s.scalars(select(Handoff).where(Handoff.account_id == account_id)).first()
        if h is None:
            return HandoffView(account_id, False, dict(holders), _missing(dict(holders)))
        values = _with_roles({f: getattr(h, f) for f in FIELDS}, holders)
        return HandoffView(account_id, True, values, _missing(values), h.version)


def save_handoff(db: Database, account_id: int, values: dict[str, Any],
                 expected_version: int = 0) -> HandoffView:
    clean = {k: v for k, v in values.items() if k in FIELDS}
    if "success_criteria" in clean:
        clean["success_criteria"] = [c.strip() for c in clean["success_criteria"] if c.strip()]
    with db.write() as s:
        h = s.scalars(select(Handoff).where(Handoff.account_id == account_id)).first()
        if h is None:
            h = Handoff(account_id=account_id, **clean)
            s.add(h)
        else:
            if h.version != expected_version:
                raise ConflictError("this handoff was changed elsewhere since you opened it; "
                                    "your edit was not saved",
                                    current={f: getattr(h, f) for f in FIELDS},
                                    version=h.version)
            for k, v in clean.items():
                setattr(h, k, v)
    return get_handoff(db, account_id)


def criteria_to_objectives(db: Database, account_id: int, *, start: date | None = None
                           ) -> int:
    """Each success criterion becomes a draft objective of the active plan (one is created
    from the handoff if there is none); return how many were added."""
    view = get_handoff(db, account_id)
    criteria = list(view.values.get("success_criteria") or [])
    if not criteria:
        return 0
    with db.write() as s:
        plan = s.scalars(select(SuccessPlan).where(
            SuccessPlan.account_id == account_id,
            SuccessPlan.status == PlanStatus.ACTIVE)).first()
        if plan is None:
            plan = SuccessPlan(account_id=account_id, title="Onboarding plan",
                               period_start=start or clock.today(), status=PlanStatus.ACTIVE)
            s.add(plan)
        have = {o.title for o in plan.objectives}
        added = 0
        for text in criteria:
            if text in have:
                continue
            plan.objectives.append(Objective(
                position=len(plan.objectives), title=text, status=ObjectiveStatus.NOT_STARTED,
                owner_side=OwnerSide.CUSTOMER, due_date=view.values.get("first_value_date")))
            added += 1
        return added


def incomplete_onboarding(db: Database) -> set[int]:
    """Accounts in onboarding whose handoff is missing or incomplete."""
    with db.read() as s:
        onboarding = set(s.scalars(select(Account.id).where(
            Account.lifecycle_stage == LifecycleStage.ONBOARDING)))
        holders = _role_holders(s, list(onboarding))
        handoffs = {h.account_id: _with_roles({f: getattr(h, f) for f in FIELDS},
                                              holders.get(h.account_id, {}))
                    for h in s.scalars(select(Handoff).where(
                        Handoff.account_id.in_(onboarding)))} if onboarding else {}
    return {a for a in onboarding if a not in handoffs or _missing(handoffs[a])}
