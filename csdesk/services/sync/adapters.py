"""How each entity's typed import fields become database columns.

An adapter turns the validated frame of one entity into the columns of its table (money
into cents columns, references into ids, derived fields such as the segment), and adds the
checks that need more than one field (a churned renewal needs a reason; a CSAT score is 1–5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Table

from csdesk.io.validate import Issue
from csdesk.models import (
    Account,
    Activity,
    Contact,
    ExchangeRate,
    FeatureUsage,
    Opportunity,
    Renewal,
    Subscription,
    SupportTicket,
    SurveyResponse,
    UsageSnapshot,
)
from csdesk.services.sync.records import AccountRows, RateRows, Rows, SurveyRows

Checks = Callable[[pd.DataFrame, pd.Series, dict[str, str]], list[Issue]]


@dataclass(frozen=True)
class Adapter:
    table: Table
    # import field → table column, for fields that are stored as they are
    columns: dict[str, str]
    # import key fields → table columns used to find an existing record
    key_columns: dict[str, str] = field(default_factory=dict)
    checks: Checks | None = None
    # defaults for a new record when the file does not say
    defaults: dict[str, Any] = field(default_factory=dict)
    # what this entity adds to the upsert of a chunk (accounts' segment and contract, …)
    rows: type[Rows] = Rows
    # importing it can move accounts between segments (ARR changed): resegment after
    resegments: bool = False


def _same(*names: str) -> dict[str, str]:
    return {n: n for n in names}


def _renewal_checks(df: pd.DataFrame, rows: pd.Series, cols: dict[str, str]) -> list[Issue]:
    if "outcome" not in df:
        return []
    churned = df["outcome"].eq("churned")
    reason = df["churn_reason_code"] if "churn_reason_code" in df else pd.Series(None,
                                                                                  index=df.index)
    bad = churned & reason.isna()
    return [Issue(int(rows.iat[i]), cols.get("outcome", "outcome"), "churned",
                  "a churned renewal needs a churn reason")
            for i in bad[bad].index]


def _survey_checks(df: pd.DataFrame, rows: pd.Series, cols: dict[str, str]) -> list[Issue]:
    kind = df["kind"] if "kind" in df else pd.Series("nps", index=df.index)
    csat = kind.eq("csat")
    score = df["score"]
    bad = csat & ((score < 1) | (score > 5))
    return [Issue(int(rows.iat[i]), cols["score"], str(score.iat[i]),
                  "out of range: a CSAT score is 1 to 5") for i in bad[bad].index]


def _ticket_checks(df: pd.DataFrame, rows: pd.Series, cols: dict[str, str]) -> list[Issue]:
    if "closed_on" not in df:
        return []
    bad = df["closed_on"].notna() & (df["closed_on"] < df["opened_on"]).fillna(False)
    return [Issue(int(rows.iat[i]), cols["closed_on"], str(df["closed_on"].iat[i]),
                  "closed before it was opened") for i in bad[bad].index]


def _subscription_checks(df: pd.DataFrame, rows: pd.Series,
                         cols: dict[str, str]) -> list[Issue]:
    bad = (df["end_date"] < df["start_date"]).fillna(False)
    return [Issue(int(rows.iat[i]), cols["end_date"], str(df["end_date"].iat[i]),
                  "ends before it starts") for i in bad[bad].index]


ADAPTERS: dict[str, Adapter] = {
    "rates": Adapter(
        ExchangeRate.__table__,
        _same("currency", "day", "rate_to_base", "source"),
        {"currency": "currency", "day": "day"},
        defaults={"source": "imported"}, rows=RateRows, resegments=True,
    ),
    "accounts": Adapter(
        Account.__table__,
        _same("external_id", "name", "domain", "industry", "region", "owner",
              "segment_override", "engagement_model", "lifecycle_stage", "status",
              "churned_on", "customer_since", "first_value_date", "last_activity_on"),
        {"external_id": "external_id", "domain": "domain"},
        defaults={"lifecycle_stage": "unknown", "status": "active"},
        rows=AccountRows, resegments=True,
    ),
    "contacts": Adapter(
        Contact.__table__,
        _same("external_id", "name", "email", "title", "phone", "is_champion",
              "is_executive_sponsor", "is_economic_buyer", "is_user", "sentiment",
              "advocacy_level", "last_contacted", "left_company"),
        {"external_id": "external_id", "email": "email"},
        defaults={"is_champion": False, "is_executive_sponsor": False,
                  "is_economic_buyer": False, "is_user": True, "sentiment": "unknown",
                  "advocacy_level": "none", "left_company": False},
    ),
    "subscriptions": Adapter(
        Subscription.__table__,
        {**_same("external_id", "start_date", "end_date", "plan", "seats", "currency",
                 "auto_renew", "billing_frequency"), "arr": "arr_cents"},
        {"external_id": "external_id"}, _subscription_checks,
        defaults={"seats": 0, "currency": "USD", "auto_renew": False,
                  "billing_frequency": "annual"},
        resegments=True,
    ),
    "tickets": Adapter(
        SupportTicket.__table__,
        _same("external_id", "subject", "opened_on", "closed_on", "priority", "status",
              "is_escalation"),
        {"external_id": "external_id"}, _ticket_checks,
        defaults={"priority": "normal", "status": "open", "is_escalation": False},
    ),
    "surveys": Adapter(
        SurveyResponse.__table__,
        _same("external_id", "kind", "score", "responded_on", "comment"),
        {"external_id": "external_id", "account_external_id": "account_id",
         "responded_on": "responded_on", "kind": "kind", "score": "score"},
        _survey_checks, defaults={"kind": "nps"}, rows=SurveyRows,
    ),
    "activities": Adapter(
        Activity.__table__,
        _same("external_id", "kind", "occurred_on", "summary", "details", "proactive", "owner"),
        {"external_id": "external_id", "account_external_id": "account_id",
         "occurred_on": "occurred_on", "kind": "kind", "summary": "summary"},
        defaults={"proactive": True},
    ),
    "renewals": Adapter(
        Renewal.__table__,
        {**_same("external_id", "renewal_date", "currency", "likelihood", "track", "stage",
                 "outcome", "closed_on", "churn_reason_code", "churn_category", "notes"),
         "current_arr": "current_arr_cents", "forecast_arr": "forecast_arr_cents",
         "new_arr": "new_arr_cents"},
        {"external_id": "external_id", "account_external_id": "account_id",
         "renewal_date": "renewal_date"},
        _renewal_checks,
        defaults={"currency": "USD", "track": "standard", "stage": "not_started",
                  "outcome": "pending"},
    ),
    "opportunities": Adapter(
        Opportunity.__table__,
        {**_same("external_id", "title", "kind", "signal", "currency", "stage", "close_date",
                 "handed_to_sales_on", "handed_to"), "amount": "amount_cents"},
        {"external_id": "external_id"},
        defaults={"kind": "upsell", "amount_cents": 0, "currency": "USD",
                  "stage": "identified"},
    ),
    "usage": Adapter(
        UsageSnapshot.__table__,
        _same("date", "active_users", "licensed_seats", "key_events", "features_used", "logins"),
        {"account_external_id": "account_id", "date": "date"},
    ),
    "feature_events": Adapter(
        FeatureUsage.__table__,
        _same("date", "feature", "usage_count", "duration_seconds", "errors"),
        {"account_external_id": "account_id", "date": "date", "feature": "feature"},
    ),
}


