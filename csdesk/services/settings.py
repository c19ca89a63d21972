"""The book's own settings, kept in the book (not the user's settings file): when the
renewal process starts per segment, the churn reasons a CSM picks from, and the plan limits
expansion signals measure usage against. Each is read with its default filled in and saved
only after it is checked; ``save_settings`` saves several in one transaction."""

from __future__ import annotations

from csdesk.db import Database
from csdesk.errors import ValidationError
from csdesk.models import Setting

# Days before the renewal date at which the renewal process starts, per segment.
PROCESS_START = {"enterprise": 180, "mid_market": 120, "smb": 90, "self_serve": 60,
                 "unsegmented": 90}


STARTS_SETTING = "renewals.process_start"


def process_start(db: Database) -> dict[str, int]:
    """Days before renewal at which the process starts, per segment (the book's setting)."""
    with db.read() as s:
        row = s.get(Setting, STARTS_SETTING)
    return {**PROCESS_START, **(row.value if row is not None and row.value else {})}


def _check_starts(starts: dict[str, int]) -> dict[str, int]:
    for segment, days in starts.items():
        if segment not in PROCESS_START:
            raise ValidationError("segment", f"no segment {segment!r}")
        if not 30 <= int(days) <= 365:
            raise ValidationError("days", f"{segment}: the renewal process starts 30 to 365 "
                                          f"days out, not {days}")
    return {k: int(v) for k, v in starts.items()}


def save_process_start(db: Database, starts: dict[str, int]) -> None:
    save_settings(db, starts=starts)


def save_settings(db: Database, *, starts: dict[str, int] | None = None,
                  reasons: list[tuple[str, str, str]] | None = None,
                  limits: dict[str, int] | None = None) -> None:
    """Save the renewal settings given (process starts, churn reasons, expansion plan
    limits) in one transaction, after checking them all: a refused value writes nothing."""

    values: dict[str, object] = {}
    if starts is not None:
        values[STARTS_SETTING] = _check_starts(starts)
    if reasons is not None:
        values[REASONS_SETTING] = _check_reasons(reasons)
    if limits is not None:
        values[LIMITS_SETTING] = check_limits(limits)
    with db.write() as s:
        for key, value in values.items():
            s.merge(Setting(key=key, value=value))


REASONS_SETTING = "renewals.churn_reasons"


DEFAULT_CHURN_REASONS = (
    ("product_gap", "Product gap", "controllable"),
    ("service_failure", "Service failure", "controllable"),
    ("missed_expectations", "Missed expectations", "controllable"),
    ("poor_onboarding", "Poor onboarding", "controllable"),
    ("no_first_value", "Never reached first value", "controllable"),
    ("acquisition", "Acquired", "uncontrollable"),
    ("budget_cut", "Budget cut", "uncontrollable"),
    ("business_closed", "Business closed", "uncontrollable"),
)


def churn_reasons(db: Database) -> list[tuple[str, str, str]]:
    """(code, label, category) of the book's churn reasons: the defaults until edited."""
    with db.read() as s:
        row = s.get(Setting, REASONS_SETTING)
    if row is None or not row.value:
        return list(DEFAULT_CHURN_REASONS)
    return [(r["code"], r["label"], r["category"]) for r in row.value]


def _check_reasons(reasons: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    codes = [c for c, _l, _k in reasons]
    if not reasons or len(set(codes)) != len(codes):
        raise ValidationError("reasons", "churn reasons need unique codes, at least one")
    for code, label, category in reasons:
        if not code.strip() or not label.strip():
            raise ValidationError("reasons", "every churn reason needs a code and a label")
        if category not in ("controllable", "uncontrollable"):
            raise ValidationError("reasons", f"{label}: the category is controllable or "
                                             f"uncontrollable, not {category!r}")
    return [{"code": c.strip(), "label": lab.strip(), "category": k} for c, lab, k in reasons]


def save_churn_reasons(db: Database, reasons: list[tuple[str, str, str]]) -> None:
    save_settings(db, reasons=reasons)


LIMITS_SETTING = "expansion.feature_limits"


def feature_limits(db: Database) -> dict[str, int]:
    with db.read() as s:
        row = s.get(Setting, LIMITS_SETTING)
    return dict(row.value) if row is not None and row.value else {}


def check_limits(limits: dict[str, int]) -> dict[str, int]:
    bad = [f or "(no feature)" for f, n in limits.items() if not f.strip() or int(n) <= 0]
    if bad:
        raise ValidationError("limits", f"a plan limit is a feature and a positive number "
                                        f"(check {', '.join(bad)})")
    return {f.strip(): int(n) for f, n in limits.items()}


def save_feature_limits(db: Database, limits: dict[str, int]) -> None:
    save_settings(db, limits=limits)


CAPACITY_SETTING = "worklist.daily_capacity"
DAILY_CAPACITY = 15  # tasks a CSM can do in a day: the worklist plans no more than this


def daily_capacity(db: Database) -> int:
    """How many tasks a day the worklist plans (the book's setting, default 15)."""
    with db.read() as s:
        row = s.get(Setting, CAPACITY_SETTING)
    return int(row.value) if row is not None and row.value else DAILY_CAPACITY


def check_capacity(n: int) -> int:
    if not 1 <= int(n) <= 200:
        raise ValidationError("capacity", f"tasks a day: 1 to 200, not {n}")
    return int(n)


def save_daily_capacity(db: Database, n: int) -> None:
    value = check_capacity(n)
    with db.write() as s:
        s.merge(Setting(key=CAPACITY_SETTING, value=value))
