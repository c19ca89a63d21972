"""Segments from ARR, and the engagement model that follows from a segment.

Default bands (annual recurring revenue): Enterprise ≥ $100K, Mid-Market $25K–100K,
SMB $5K–25K, Self-Serve < $5K. A lower bound belongs to the band above it ($25,000 exactly
is Mid-Market). An account whose ARR nobody has told csdesk (an imported company with no
contract) is Unsegmented, never Self-Serve: a missing number is not a small one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.errors import CsdeskError
from csdesk.models import Account, Setting, Subscription
from csdesk.models.enums import EngagementModel, Segment
from csdesk.services.history import HistoryWriter
from csdesk.services.money import Rates


@dataclass(frozen=True)
class SegmentBands:
    """Lower ARR bounds in cents for each segment above Self-Serve."""

    enterprise_cents: int = 100_000_00
    mid_market_cents: int = 25_000_00
    smb_cents: int = 5_000_00

    def segment_for(self, arr_cents: int) -> Segment:
        if arr_cents >= self.enterprise_cents:
            return Segment.ENTERPRISE
        if arr_cents >= self.mid_market_cents:
            return Segment.MID_MARKET
        if arr_cents >= self.smb_cents:
            return Segment.SMB
        return Segment.SELF_SERVE

    def segments_for(self, arr_cents: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`segment_for`: an array of segment values (strings)."""
        out = np.full(arr_cents.shape, Segment.SELF_SERVE.value, dtype=object)
        out[arr_cents >= self.smb_cents] = Segment.SMB.value
        out[arr_cents >= self.mid_market_cents] = Segment.MID_MARKET.value
        out[arr_cents >= self.enterprise_cents] = Segment.ENTERPRISE.value
        return out


DEFAULT_BANDS = SegmentBands()

ENGAGEMENT_FOR_SEGMENT: dict[Segment, EngagementModel] = {
    Segment.ENTERPRISE: EngagementModel.HIGH_TOUCH,
    Segment.MID_MARKET: EngagementModel.MID_TOUCH,
    Segment.SMB: EngagementModel.TECH_TOUCH,
    Segment.SELF_SERVE: EngagementModel.COMMUNITY_TOUCH,
    # Until its size is known an account gets the scaled (one-to-many) model, which sets
    # off no high-touch cadence tasks; the CSM or a contract sets it properly.
    Segment.UNSEGMENTED: EngagementModel.TECH_TOUCH,
}


BANDS_SETTING = "segments.bands"


def bands_in(session: Session) -> SegmentBands:
    row = session.get(Setting, BANDS_SETTING)
    return SegmentBands(**row.value) if row is not None else DEFAULT_BANDS


def load_bands(db: Any) -> SegmentBands:
    with db.read() as s:
        return bands_in(s)


def set_bands(db: Any, enterprise_cents: int, mid_market_cents: int, smb_cents: int) -> int:
    """Save new ARR bands and re-segment the book; return how many accounts moved."""

    if not enterprise_cents > mid_market_cents > smb_cents > 0:
        raise CsdeskError("bands must fall: Enterprise > Mid-Market > SMB > 0")
    bands = SegmentBands(enterprise_cents, mid_market_cents, smb_cents)
    with db.write() as s:
        s.merge(Setting(key=BANDS_SETTING, value=dataclasses.asdict(bands)))
        s.flush()
        return resegment(s)


def add_rate(db: Any, currency: str, day: date, rate_to_base: float) -> int:
    """Type an exchange rate (it outlives any import) and place the accounts in their bands
    again, as the new rate may move one; returns how many changed segment."""
    from csdesk.services.money import save_rate_in

    with db.write() as s:
        save_rate_in(s, currency, day, rate_to_base)
        s.flush()
        return resegment(s)


def change_base_currency(db: Any, currency: str) -> int:
    """Make ``currency`` the book's base (its rates re-expressed against it) and place every
    account in its band again, in one transaction; returns how many changed segment. The
    band amounts are kept as they are, now read in the new base."""
    from csdesk.services.money import code_of, set_base_currency_in

    code = code_of(currency)
    with db.write() as s:
        set_base_currency_in(s, code)
        s.flush()
        return resegment(s)


def resegment(session: Session, *, as_of: date | None = None,
              bands: SegmentBands | None = None, history: HistoryWriter | None = None) -> int:
    """Re-derive the segment of every account that has subscriptions and no override.

    The ARR is the sum of the subscriptions in force on ``as_of``; for an account with none
    in force (churned, or between terms), that of its latest-ending subscriptions. Returns
    how many accounts changed segment. Runs in the caller's transaction; ``history`` (an
    import's) records each change of segment and engagement model.
    """

    today = as_of or clock.today()
    bands = bands or bands_in(session)
    subs = pd.DataFrame(session.execute(select(
        Subscription.account_id, Subscription.start_date, Subscription.end_date,
        Subscription.arr_cents, Subscription.currency)).all(),
        columns=["acc", "start", "end", "arr", "currency"])
    # Bands are in the base currency: every contract at today's rate. An account with a
    # contract in a currency that has no rate keeps its segment (it cannot be placed).
    rates = Rates.load(session)
    subs["base"] = rates.convert(subs["arr"].to_numpy(), subs["currency"].to_numpy(),
                                 today)["base_cents"].to_numpy()
    current: dict[int, float] = {}
    latest: dict[int, tuple[date, float]] = {}
    for acc, start, end, arr in subs[["acc", "start", "end", "base"]].itertuples(
            index=False, name=None):
        if start <= today <= end:
            current[acc] = current.get(acc, 0) + arr
        best = latest.get(acc)
        if best is None or end > best[0]:
            latest[acc] = (end, arr)
        elif end == best[0]:
            latest[acc] = (end, best[1] + arr)
    rows = session.execute(select(Account.id, Account.segment, Account.engagement_model)
                           .where(Account.segment_override.is_(None))).tuples().all()
    params = []
    for acc_id, segment, engagement in rows:
        if acc_id not in latest:
            continue
        arr = current.get(acc_id, latest[acc_id][1])
        if arr != arr:
            continue  # no rate for its currency: placed once there is one
        new = bands.segment_for(round(arr))
        if new != segment:
            if history is not None:
                history.change("accounts", acc_id, "segment", segment, new)
                history.change("accounts", acc_id, "engagement_model", engagement,
                               ENGAGEMENT_FOR_SEGMENT[new])
            # The engagement model follows the segment.
            params.append({"_id": acc_id, "_segment": new.value,
                           "_engagement": ENGAGEMENT_FOR_SEGMENT[new].value})
    if params:
        t = Account.__table__
        session.execute(update(t).where(t.c.id == bindparam("_id"))
                        .values(segment=bindparam("_segment"),
                                engagement_model=bindparam("_engagement")), params,
                        execution_options={"synchronize_session": False})
    if history is not None:
        history.flush(session)
    return len(params)
