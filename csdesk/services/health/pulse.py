"""The CSM pulse: the CSM's own dated 1–5 rating of an account, with up to three reasons.

A pulse is a health *input* (``csm_pulse``, see :mod:`inputs`) that is shown beside the
computed health and never blended into the score unless the CSM turns it on in the model.
The reasons come from an editable list kept with the book (settings table).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError, ValidationError
from csdesk.models import Account, HealthModel, PulseEntry, Setting
from csdesk.services.formatting import format_date

REASONS_SETTING = "health.pulse_reasons"
DEFAULT_PULSE_REASONS: tuple[str, ...] = (
    "Exec sponsor change", "Budget cuts", "Low adoption", "Product gaps", "Support issues",
    "Competitor evaluating", "Strong champion", "Expanding use", "Value proven",
)
MAX_REASONS = 3
RATING_WORDS = {1: "about to churn", 2: "at risk", 3: "steady", 4: "healthy", 5: "thriving"}
# A traffic-light answer is accepted too: red, yellow and green are 1, 3 and 5.
COLOUR_RATINGS = {"red": 1, "yellow": 3, "amber": 3, "green": 5}
DEFAULT_STALE_DAYS = 90


@dataclass(frozen=True)
class Pulse:
    """One recorded pulse, as the CSM would read it."""

    id: int
    account_id: int
    day: date
    rating: int
    reasons: tuple[str, ...]
    note: str | None
    author: str | None
    age_days: int  # days between ``day`` and the date it was read as of
    stale: bool  # older than the health model's stale_manual_days

    @property
    def words(self) -> str:
        return RATING_WORDS[self.rating]

    def line(self) -> str:
        """"CSM pulse: 4/5 · Strong champion, Expanding use · 12 Nov 2026" (plain text)."""
        parts = [f"CSM pulse: {self.rating}/5"]
        if self.reasons:
            parts.append(", ".join(self.reasons))
        parts.append(format_date(self.day))
        text = " · ".join(parts)
        if self.stale:
            text += f" (stale: recorded {self.age_days} days ago)"
        return text


def disagrees(rating: int | None, band: str | None) -> bool:
    """Whether a pulse and a computed band tell opposite stories: a pulse of 1–2 on a green
    account, or 4–5 on a red one. Both are shown as they are; nothing is blended."""
    if rating is None or band is None:
        return False
    return (rating <= 2 and band == "green") or (rating >= 4 and band == "red")


DISAGREE_NOTE = "Your pulse and the computed health disagree"


def pulse_reasons(db: Database) -> list[str]:
    """The reasons a CSM picks from: the defaults until edited."""
    with db.read() as s:
        return _reasons(s)


def _reasons(s: Session) -> list[str]:
    row = s.get(Setting, REASONS_SETTING)
    if row is None or not row.value:
        return list(DEFAULT_PULSE_REASONS)
    return [str(r) for r in row.value]


def set_pulse_reasons(db: Database, reasons: Iterable[str]) -> list[str]:
    """Replace the list of pulse reasons (blanks dropped; duplicates refused). Pulses already
    recorded keep the reasons they were given."""
    cleaned = [r.strip() for r in reasons if r and r.strip()]
    if not cleaned:
        raise ValidationError("reasons", "the pulse needs at least one reason to pick from")
    folded = [r.casefold() for r in cleaned]
    dupes = sorted({r for r, f in zip(cleaned, folded, strict=True) if folded.count(f) > 1})
    if dupes:
        raise ValidationError("reasons", f"a reason is listed twice: {', '.join(dupes)}")
    if any(len(r) > 80 for r in cleaned):
        raise ValidationError("reasons", "a pulse reason is at most 80 characters")
    with db.write() as s:
        s.merge(Setting(key=REASONS_SETTING, value=cleaned))
    return cleaned


def parse_rating(rating: int | str) -> int:
    """1–5, or red/yellow/green (1/3/5); anything else is refused in plain words."""
    if isinstance(rating, str):
        text = rating.strip().casefold()
        if text in COLOUR_RATINGS:
            return COLOUR_RATINGS[text]
        try:
            rating = int(text)
        except ValueError:
            raise ValidationError("rating", f"a pulse is a rating from 1 (about to churn) to 5 "
                                            f"(thriving), or red/yellow/green, not {rating!r}"
                                  ) from None
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError("rating", f"a pulse is a rating from 1 (about to churn) to 5 "
                                        f"(thriving), not {rating!r}")
    return rating


def _account_id(s: Session, ref: int | str) -> int:
    if isinstance(ref, int):
        if s.get(Account, ref) is None:
            raise CsdeskError(f"no account with id {ref}")
        return ref
    found = s.scalar(select(Account.id).where(Account.external_id == ref))
    if found is None:
        ids = s.scalars(select(Account.id).where(Account.name == ref).limit(2)).all()
        if len(ids) > 1:
            raise CsdeskError(f"more than one account is named {ref!r}; use its external id")
        found = ids[0] if ids else None
    if found is None:
        raise CsdeskError(f"no account with external id or name {ref!r}")
    return int(found)


def account_id_of(db: Database, account_ref: int | str) -> int:
    """An account's id from its id, external id or exact (unique) name."""
    with db.read() as s:
        return _account_id(s, account_ref)


def _stale_days(s: Session) -> int:
    config = s.scalar(select(HealthModel.config).where(HealthModel.is_active.is_(True),
                                                        HealthModel.segment.is_(None))
                      .order_by(HealthModel.version.desc()).limit(1))
    return int((config or {}).get("stale_manual_days", DEFAULT_STALE_DAYS))


def _pulse(row: PulseEntry, as_of: date, stale_days: int) -> Pulse:
    age = (as_of - row.day).days
    return Pulse(row.id, row.account_id, row.day, row.rating, tuple(row.reasons or ()),
                 row.note, row.author, age, age > stale_days)


def record_pulse(db: Database, account_ref: int | str, rating: int | str,
                 reasons: Sequence[str] = (), note: str | None = None,
                 day: date | None = None, author: str | None = None) -> Pulse:
    """Record the CSM's pulse of an account (by id, external id or exact name) on ``day``
    (default today). Checked first: a refused pulse writes nothing."""
    value = parse_rating(rating)
    today = clock.today()
    day = day or today
    if day > today:
        raise ValidationError("day", f"a pulse is for today or a day gone by, not "
                                     f"{format_date(day)} (today is {format_date(today)})")
    if (today - day).days > 2 * 365:
        raise ValidationError("day", f"a pulse is how the account stands now: "
                                     f"{format_date(day)} is more than two years ago")
    picked = [r.strip() for r in reasons if r and r.strip()]
    if len(picked) > MAX_REASONS:
        raise ValidationError("reasons", f"a pulse takes at most {MAX_REASONS} reasons, not "
                                         f"{len(picked)}")
    note = (note or "").strip() or None
    with db.write() as s:
        known = {r.casefold(): r for r in _reasons(s)}
        unknown = [r for r in picked if r.casefold() not in known]
        if unknown:
            raise ValidationError("reasons", f"not a pulse reason: {', '.join(unknown)} (the "
                                             f"reasons are: {', '.join(known.values())})")
        chosen = list(dict.fromkeys(known[r.casefold()] for r in picked))
        account_id = _account_id(s, account_ref)
        # One pulse per account and day: a second one that day corrects the first.
        for earlier in s.scalars(select(PulseEntry).where(PulseEntry.account_id == account_id,
                                                          PulseEntry.day == day)):
            s.delete(earlier)
        row = PulseEntry(account_id=account_id, day=day, rating=value, reasons=chosen,
                         note=note, author=(author or "").strip() or None)
        s.add(row)
        s.flush()
        return _pulse(row, today, _stale_days(s))


def latest_pulse(db: Database, account_id: int, as_of: date | None = None) -> Pulse | None:
    """The latest pulse recorded on or before ``as_of`` (default today); none after it is
    looked at. ``stale`` when older than the model's ``stale_manual_days`` (default 90)."""
    as_of = as_of or clock.today()
    with db.read() as s:
        row = s.scalars(select(PulseEntry).where(PulseEntry.account_id == account_id,
                                                 PulseEntry.day <= as_of)
                        .order_by(PulseEntry.day.desc(), PulseEntry.id.desc()).limit(1)).first()
        return None if row is None else _pulse(row, as_of, _stale_days(s))


def pulse_history(db: Database, account_id: int, as_of: date | None = None) -> list[Pulse]:
    """Every pulse of the account, newest first."""
    as_of = as_of or clock.today()
    with db.read() as s:
        stale = _stale_days(s)
        rows = s.scalars(select(PulseEntry).where(PulseEntry.account_id == account_id)
                         .order_by(PulseEntry.day.desc(), PulseEntry.id.desc())).all()
        return [_pulse(r, as_of, stale) for r in rows]
