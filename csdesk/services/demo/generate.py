"""A realistic demo book, generated from a hidden truth that calibration can rediscover.

``generate_demo(db, accounts=250, seed=7)`` fills an empty book. It is deterministic for a
given seed and ``as_of`` date, and vectorised with numpy so that 100,000 accounts (about five
million usage rows) generate in reasonable time and memory.

The true structure (what the health-calibration feature should find)
--------------------------------------------------------------------
Each account has a hidden health ``h ~ N(0, 1)``. It is never stored. It drives:

* **churn at each renewal**: ``P(churn) = sigmoid(-2.3 - 1.5·h)`` (about 13 % a year);
  when not churned, ``P(expand) = sigmoid(-1.0 + 0.9·h)`` and
  ``P(downsell) = sigmoid(-2.4 - 0.8·h)``;
* **seat utilisation** (active users / seats): ``sigmoid(0.3 + 0.9·h + ε)``, ε ~ N(0, 0.35);
* **usage trend** (weekly relative slope of key value events): ``0.006·h + ε``, ε ~ N(0, 0.003);
* **adoption breadth** (features in use of 12): ``12·sigmoid(0.2 + 0.8·h + ε)``;
* **champion present**: ``P = sigmoid(1.0 + 1.3·h)``; otherwise the champion left the company
  part-way through the relationship;
* **executive sponsor engaged**: takes part in a proactive touch with ``P = sigmoid(-0.8 + h)``;
* **time to first value** (days): ``exp(3.6 - 0.45·h + ε)``, never reached past 180 days;
* **NPS** (moderate): ``7 + 1.4·h + N(0, 1.8)``, clipped to 0–10;
* **support load** (weak): tickets ``~ Poisson(k · exp(-0.35·h))``, escalations likelier when low;
* **feature errors**: busy features of accounts with ``h < -1`` log errors.

It does **not** drive:

* **raw logins** (the decoy): ``seats × LogNormal(1.6, 0.5)`` per week — proportional to
  seats, independent of ``h``, so a calibration must flag it as non-predictive;
* the industry, region and owner of an account.

The health history (HealthSnapshot rows at the end of each of the last six months) is
computed by the health service itself from the data as it was on each date.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

import numpy as np
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.db.bulk import bulk_insert, column_rows
from csdesk.errors import CsdeskError
from csdesk.models import (
    Account,
    Activity,
    Contact,
    ExchangeRate,
    FeatureUsage,
    Handoff,
    HealthSnapshot,
    ImportLog,
    Milestone,
    Objective,
    Opportunity,
    PlanTask,
    ProductItem,
    ProductUpdate,
    PulseEntry,
    QbrAttendee,
    QbrCommitment,
    QbrMeeting,
    Renewal,
    Setting,
    Subscription,
    SuccessPlan,
    SupportTicket,
    SurveyResponse,
    Task,
    UsageSnapshot,
    ValueOutcome,
    activity_contacts,
)
from csdesk.models.enums import Segment
from csdesk.progress import CancelFn, ProgressFn, Reporter
from csdesk.services.book.segments import DEFAULT_BANDS, ENGAGEMENT_FOR_SEGMENT
from csdesk.services.defaults import ensure_defaults
from csdesk.services.demo import content as content
from csdesk.services.demo.feedback import product_feedback
from csdesk.services.health.scoring import recompute
from csdesk.services.periods import quarter_of

HEALTH_HISTORY_MONTHS = 6
SEGMENTS = ("enterprise", "mid_market", "smb", "self_serve")
SEGMENT_SHARE = (0.08, 0.22, 0.40, 0.30)
# ARR (dollars): lognormal median per segment, then clipped into the segment's band.
ARR_MEDIAN = (180_000, 48_000, 11_000, 2_000)
ARR_RANGE = ((100_000, 900_000), (25_000, 99_900), (5_000, 24_900), (600, 4_900))
PRICE_PER_SEAT = (900, 600, 400, 240)  # dollars a seat a year
AUTO_RENEW = (0.10, 0.30, 0.60, 0.90)
PROACTIVE_PER_MONTH = (3.0, 1.5, 0.35, 0.1)
FEATURES = 12


def _sigmoid(x: np.ndarray | float) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def _iso(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


class _Book:
    """Writes each generated table straight into the open transaction, in chunks.

    Nothing is kept once written, so memory stays bounded by the largest single stage.
    """

    CHUNK = 50_000

    def __init__(self, session: Session, n: int, as_of: date, rep: Reporter) -> None:
        self.session = session
        self.n = n
        self.as_of = as_of
        self.rep = rep
        self.rows = 0
        self.fraction = 0.0
        self.label = ""

    def add(self, model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        table = getattr(model, "__table__", model)
        for start in range(0, len(rows), self.CHUNK):
            self.rep.checkpoint(self.fraction, f"Writing {self.label}…")
            self.rows += bulk_insert(self.session, table, columns, rows[start : start + self.CHUNK])


@dataclass(frozen=True)
class DemoSummary:
    accounts: int
    rows: int
    seed: int
    as_of: date
    seconds: float


def generate_demo(
    db: Database,
    *,
    accounts: int = 250,
    seed: int = 7,
    as_of: date | None = None,
    usage_weeks: int = 104,
    replace: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> DemoSummary:
    """Fill the book with a generated demo book, in one transaction."""
    if accounts < 1:
        raise CsdeskError("--accounts must be at least 1")
    started = time.monotonic()  # a duration, not a date
    as_of = as_of or clock.today()
    rep = Reporter(progress, cancel)
    ensure_defaults(db)
    with db.read() as s:
        existing = s.scalar(select(func.count()).select_from(Account)) or 0
    if existing and not replace:
        raise CsdeskError(
            f"this book already has {existing} accounts; the demo fills an empty book "
            "(use another --db, or --replace to wipe this one after a backup)"
        )

    if replace and existing and db.path is not None:
        db.backup("pre-demo-replace")
    rng = np.random.default_rng(seed)
    with db.write() as s:
        if replace and existing:
            for table in (Account, Task, HealthSnapshot, ImportLog, ExchangeRate,
                          ProductUpdate, ProductItem):
                s.execute(table.__table__.delete())
        book = _Book(s, accounts, as_of, rep)
        gen = _Generator(book, rng, usage_weeks)
        stages = (
            ("accounts", gen.accounts),
            ("subscriptions and renewals", gen.subscriptions),
            ("contacts", gen.contacts),
            ("usage", gen.usage),
            ("tickets, surveys and activities", gen.engagement),
            ("success plans and value", gen.success_plans),
            ("opportunities and tasks", gen.the_rest),
            ("account stages", gen.finish_accounts),
            ("CSM pulses", lambda: gen.pulses(seed)),
            ("QBR records", lambda: gen.qbrs(seed)),
            ("product feedback", lambda: gen.feedback(seed)),
        )
        for i, (label, stage) in enumerate(stages):
            book.fraction, book.label = i / len(stages), label
            rep.checkpoint(book.fraction, f"Generating {label}…")
            stage()
        for key, value in (("demo.seed", seed), ("demo.accounts", accounts),
                           ("book.as_of", as_of.isoformat())):
            s.merge(Setting(key=key, value=value))
        s.add(ImportLog(source=f"csdesk demo --accounts {accounts} --seed {seed}",
                        entity="book", status="applied", inserted=book.rows,
                        finished_at=clock.now(),
                        options={"as_of": as_of.isoformat(), "usage_weeks": usage_weeks},
                        message="Generated demo book"))
        rep.checkpoint(0.9, "Committing…")
        total = book.rows
    # Health history: the real score of the book at the end of each of the last six months,
    # computed by the health service from the data as it was then.

    for k in range(HEALTH_HISTORY_MONTHS - 1, -1, -1):
        rep.checkpoint(0.9 + 0.1 * (HEALTH_HISTORY_MONTHS - k) / HEALTH_HISTORY_MONTHS,
                       "Scoring health history…")
        recompute(db, as_of=as_of - timedelta(days=30 * k))
    seconds = time.monotonic() - started
    return DemoSummary(accounts, total, seed, as_of, seconds)


class _Generator:
    """The stages of generation; each reads the arrays earlier stages left on ``self``."""

    def __init__(self, book: _Book, rng: np.random.Generator, usage_weeks: int) -> None:
        self.book = book
        self.rng = rng
        self.n = book.n
        self.T = book.as_of.toordinal()
        self.usage_weeks = usage_weeks
        self.now = datetime.combine(book.as_of, datetime.min.time()).isoformat(sep=" ")
        self.names = json.loads(
            (resources.files("csdesk.resources") / "demo" / "names.json").read_text("utf-8")
        )

    # -- accounts --------------------------------------------------------------------------

    def accounts(self) -> None:
        n, rng = self.n, self.rng
        self.h = rng.normal(0.0, 1.0, n)
        seg = rng.choice(4, size=n, p=SEGMENT_SHARE)
        median = np.take(ARR_MEDIAN, seg)
        lo, hi = np.take([r[0] for r in ARR_RANGE], seg), np.take([r[1] for r in ARR_RANGE], seg)
        arr = np.clip(median * rng.lognormal(0.0, 0.45, n), lo, hi)
        self.arr0 = (np.round(arr / 100) * 100 * 100).astype(np.int64)  # cents, whole $100s
        self.seg0 = seg
        self.seats0 = np.maximum(1, np.round(arr / np.take(PRICE_PER_SEAT, seg))).astype(int)
        # Tenure: a mix of long-standing customers and recent wins (some still onboarding).
        tenure = np.where(rng.random(n) < 0.15, rng.integers(10, 150, n),
                          rng.integers(150, 1500, n))
        self.since = self.T - tenure
        self.auto_renew = rng.random(n) < np.take(AUTO_RENEW, seg)
        multi = (seg == 0) & (rng.random(n) < 0.3)
        self.term_days = np.where(multi, np.where(rng.random(n) < 0.5, 730, 1095), 365)
        self.names_ = self._company_names()
        self.owners = self._owners()
        self.owner = rng.choice(self.owners, size=n)
        self.industry = rng.choice(self.names["industries"], size=n)
        self.region = rng.choice(self.names["regions"], size=n)
        self.money_in_currencies()
        ttv = np.clip(np.exp(3.6 - 0.45 * self.h + rng.normal(0, 0.3, n)), 5, 400)
        reached = (ttv <= 180) & (self.since + ttv <= self.T)
        self.first_value = np.where(reached, self.since + np.round(ttv), -1).astype(int)
        self.ext = [f"ACC-{i + 1:06d}" for i in range(n)]
        parent = np.full(n, -1)
        kids = np.flatnonzero((np.arange(n) > 20) & (rng.random(n) < 0.02))
        parent[kids] = rng.integers(0, kids.clip(min=1))
        self.parent = parent
        self.insert_accounts()

    def money_in_currencies(self) -> None:
        """Some EMEA customers pay in euros or pounds (no random draw: the stream of the
        rest of the book stays as it was), with monthly rates to the US dollar base."""
        emea, k = self.region == "EMEA", np.arange(self.n)
        self.currency = np.where(emea & (k % 2 == 0), "EUR",
                                 np.where(emea & (k % 6 == 1), "GBP", "USD"))
        self.rate_rows: list[tuple[object, ...]] = []
        latest = {"USD": 1.0}
        first = date.fromordinal(self.T - 800).replace(day=1)
        for code, level, swing in (("EUR", 1.08, 0.05), ("GBP", 1.27, 0.04)):
            day, m = first, 0
            while day.toordinal() <= self.T:
                rate = round(level * (1 + swing * math.sin(m / 4)), 4)
                self.rate_rows.append((code, day.isoformat(), rate, "imported", self.now))
                latest[code] = rate
                m += 1
                day = (day + timedelta(days=32)).replace(day=1)
        # Each account's rate today: a contract's amount is its dollar figure in its own
        # currency, so that its value in the base today is what the simulation drew.
        self.fx = np.array([latest[c] for c in self.currency])
        self.book.add(ExchangeRate, ["currency", "day", "rate_to_base", "source", "created_at"],
                      self.rate_rows)

    def local(self, i: int, usd_cents: float) -> int:
        """A dollar figure of account ``i`` in its own currency: whole hundreds, as the
        dollar figures are (a value outcome's smaller amounts in whole units)."""
        if self.currency[i] == "USD":
            return int(usd_cents)
        step = 10_000 if usd_cents >= 100_000 else 100
        return int(round(usd_cents / self.fx[i] / step) * step)

    def _company_names(self) -> list[str]:
        nm, rng, n = self.names, self.rng, self.n
        pre, core, suf = nm["prefixes"], nm["cores"], nm["suffixes"]
        space = len(pre) * len(core) * len(suf)
        picks = rng.choice(space, size=min(n, space), replace=False)
        out: list[str] = []
        seen: set[str] = set()
        forms = rng.choice(nm["legal_forms"], size=n)
        for k, idx in enumerate(picks.tolist()):
            p, rest = divmod(idx, len(core) * len(suf))
            c, s_ = divmod(rest, len(suf))
            name = f"{pre[p]}{core[c].lower()} {suf[s_]} {forms[k]}"
            if name in seen:
                name = f"{pre[p]}{core[c].lower()} {suf[s_]}"
            seen.add(name)
            out.append(name)
        for k in range(len(out), n):  # beyond the name space: numbered, still unique
            out.append(f"{out[k % len(picks)]} #{k // len(picks) + 1}")
        # A few real-world awkward names, so every screen and report meets them.
        slots = rng.choice(n, size=min(len(nm["special"]), n // 20), replace=False)
        for slot, special in zip(slots.tolist(), nm["special"], strict=False):
            out[slot] = special
        return out

    def _owners(self) -> list[str]:
        count = max(3, math.ceil(self.n / 80))
        first = self.rng.choice(self.names["first_names"], size=count)
        last = self.rng.choice(self.names["last_names"], size=count)
        owners = sorted({f"{f} {l_}" for f, l_ in zip(first, last, strict=True)})
        return owners

    def insert_accounts(self) -> None:
        """Accounts go in first (everything refers to them), with the facts known up front."""
        segs = DEFAULT_BANDS.segments_for(self.arr0)
        rows = []
        for i in range(self.n):
            seg = Segment(segs[i])
            domain = re.sub(r"[^a-z0-9]+", "", self.names_[i].split(" ")[0].lower()) or "co"
            tld = {"EMEA": ".eu", "APAC": ".asia", "LATAM": ".lat"}.get(self.region[i], ".com")
            custom = {"contract_type": "multi-year" if self.term_days[i] > 365 else "annual",
                      "support_plan": ("premium", "standard", "basic")[min(2, int(self.seg0[i]))]}
            rows.append((
                i + 1, self.ext[i], self.names_[i], f"{domain}{i + 1}{tld}", self.industry[i],
                self.region[i], self.owner[i], seg.value, None,
                ENGAGEMENT_FOR_SEGMENT[seg].value, "onboarding", "active", None,
                _iso(self.since[i]),
                int(self.parent[i]) + 1 if self.parent[i] >= 0 else None,
                _iso(self.first_value[i]) if self.first_value[i] >= 0 else None,
                json.dumps(custom), 1, self.now, self.now,
            ))
        self.book.add(Account, [
            "id", "external_id", "name", "domain", "industry", "region", "owner", "segment",
            "segment_override", "engagement_model", "lifecycle_stage", "status", "churned_on",
            "customer_since", "parent_id", "first_value_date", "custom_fields", "version",
            "created_at", "updated_at"], rows)

    def finish_accounts(self) -> None:
        """Segment from the ARR the history ended with; status and lifecycle stage."""
        # in the base, as the book converts it (today's rate), so a resegment agrees
        segs = DEFAULT_BANDS.segments_for(np.round(self.arr_local * self.fx))
        params = []
        upcoming = self.next_renewal
        self.high_touch = np.zeros(self.n, dtype=bool)
        for i in range(self.n):
            seg = Segment(segs[i])
            churned = self.churned_on[i] >= 0
            if churned:
                stage = "renewal"
            elif self.first_value[i] < 0 or self.T - self.since[i] < 90:
                stage = "onboarding"
            elif 0 <= upcoming[i] - self.T <= 120:
                stage = "renewal"
            elif i in self.expansion_accounts:
                stage = "expansion"
            elif self.T - self.since[i] < 365:
                stage = "adoption"
            else:
                stage = "value"
            self.high_touch[i] = ENGAGEMENT_FOR_SEGMENT[seg].value == "high_touch"
            params.append({
                "b_id": i + 1, "b_segment": seg.value,
                "b_engagement": ENGAGEMENT_FOR_SEGMENT[seg].value, "b_stage": stage,
                "b_status": "churned" if churned else "active",
                "b_churned_on": date.fromordinal(int(self.churned_on[i])) if churned else None,
            })
        t = Account.__table__
        stmt = (
            update(t)
            .where(t.c.id == bindparam("b_id"))
            .values(segment=bindparam("b_segment"), engagement_model=bindparam("b_engagement"),
                    lifecycle_stage=bindparam("b_stage"), status=bindparam("b_status"),
                    churned_on=bindparam("b_churned_on"))
        )
        for start in range(0, len(params), _Book.CHUNK):
            self.book.session.execute(stmt, params[start : start + _Book.CHUNK])

    # -- CSM pulses --------------------------------------------------------------------------

    def pulses(self, seed: int) -> None:
        """About 60% of live accounts carry one or two CSM pulses from the last 120 days,
        the rating following the hidden health: round(3 + 0.9·h + noise), 1–5.

        A generator of their own (from the seed), so the rest of the book is drawn exactly
        as before pulses existed."""
        rng = np.random.default_rng([seed, 19])
        live = np.flatnonzero((self.churned_on < 0) & (rng.random(self.n) < 0.6))
        count = np.where(rng.random(len(live)) < 0.35, 2, 1)
        idx = np.repeat(live, count)
        lo = np.maximum(self.T - 120, self.since[idx])
        day = lo + np.floor(rng.random(len(idx)) * (self.T - lo + 1)).astype(int)
        rating = np.clip(np.round(3 + 0.9 * self.h[idx] + rng.normal(0, 0.8, len(idx))),
                         1, 5).astype(int)
        how_many = rng.integers(0, 3, len(idx)) + (rating != 3)  # 0–3 reasons
        # Reasons that fit the rating: worries for a low one, strengths for a high one.
        worries = np.array(content.PULSE_WORRIES, dtype=object)
        strengths = np.array(content.PULSE_STRENGTHS, dtype=object)
        order_w = np.argsort(rng.random((len(idx), len(worries))), axis=1)
        order_s = np.argsort(rng.random((len(idx), len(strengths))), axis=1)
        rows = []
        for k, (a, d, r, m) in enumerate(zip(idx.tolist(), day.tolist(), rating.tolist(),
                                             np.minimum(how_many, 3).tolist(), strict=True)):
            pool = (worries[order_w[k]] if r < 3 else strengths[order_s[k]] if r > 3 else
                    np.concatenate([worries[order_w[k][:1]], strengths[order_s[k][:1]]]))
            rows.append((k + 1, a + 1, _iso(d), r, json.dumps(pool[:m].tolist()),
                         self.owner[a], self.now, self.now))
        self.book.add(PulseEntry, ["id", "account_id", "day", "rating", "reasons", "author",
                                   "created_at", "updated_at"], rows)

    def qbrs(self, seed: int) -> None:
        """Live high-touch accounts that are past onboarding held QBRs: seven in ten one
        about four months ago and one about a month ago, the rest only the older one (so the
        "QBR due" rule fires). The older QBR's three commitments: one done on time, one done
        late, one still open past its date; the recent one's two are due ahead.

        A generator of its own (from the seed), so the rest of the book is unchanged."""
        rng = np.random.default_rng([seed, 23])
        live = np.flatnonzero(self.high_touch & (self.churned_on < 0)
                              & (self.T - self.since > 200)).tolist()
        meetings, people, promises = [], [], []
        ids = {"m": 0, "p": 0, "c": 0}

        def meeting(i: int, day: int, decisions: list[str], next_day: int | None) -> int:
            ids["m"] += 1
            held = date.fromordinal(day)
            meetings.append((ids["m"], i + 1, _iso(day), quarter_of(held),
                             json.dumps([str(self.owner[i])]), json.dumps(decisions), "[]",
                             _iso(next_day) if next_day else None, 1, self.now, self.now))
            for pos, name in enumerate(rng.choice(content.QBR_ATTENDEES, 2, replace=False)):
                ids["p"] += 1
                people.append((ids["p"], ids["m"], pos, None, str(name)))
            return ids["m"]

        def commit(m: int, pos: int, side: str, who: str, what: str, due: int,
                   done: int | None) -> None:
            ids["c"] += 1
            promises.append((ids["c"], m, pos, side, who, what, _iso(due),
                             _iso(done) if done is not None else None, 1, self.now, self.now))

        for i in live:
            recent = rng.random() < 0.7
            last = self.T - 30 - int(rng.integers(0, 10))
            first = last - 92 - int(rng.integers(0, 8))
            picks = rng.choice(len(content.QBR_COMMITMENTS), 5, replace=False).tolist()
            said = [content.QBR_COMMITMENTS[k] for k in picks]
            m = meeting(i, first, [str(rng.choice(content.QBR_DECISIONS))], last)
            ours, theirs = str(self.owner[i]), people[-2][4]
            commit(m, 0, said[0][0], ours if said[0][0] == "vendor" else theirs, said[0][1],
                   first + 30, first + 20)
            commit(m, 1, said[1][0], ours if said[1][0] == "vendor" else theirs, said[1][1],
                   first + 45, first + 60)
            commit(m, 2, said[2][0], ours if said[2][0] == "vendor" else theirs, said[2][1],
                   first + 60, None)
            if recent:
                m = meeting(i, last, [str(rng.choice(content.QBR_DECISIONS))], last + 91)
                ours, theirs = str(self.owner[i]), people[-2][4]
                for pos, (side, what) in enumerate(said[3:]):
                    commit(m, pos, side, ours if side == "vendor" else theirs, what,
                           self.T + 20 + 15 * pos, None)
        self.book.add(QbrMeeting, ["id", "account_id", "held_on", "quarter", "our_attendees",
                                   "decisions", "documents", "next_qbr_on", "version",
                                   "created_at", "updated_at"], meetings)
        self.book.add(QbrAttendee, ["id", "meeting_id", "position", "contact_id", "name"],
                      people)
        self.book.add(QbrCommitment, ["id", "meeting_id", "position", "side", "who", "what",
                                      "due_on", "done_on", "version", "created_at",
                                      "updated_at"], promises)
    def feedback(self, seed: int) -> None:
        """Product items asked for by several accounts, and the product updates
        (``demo.feedback``)."""
        self.book.rows += product_feedback(self.book.session, seed=seed, as_of=self.book.as_of,
                                           since=self.since, churned_on=self.churned_on)

    # -- subscriptions and renewals --------------------------------------------------------

    def subscriptions(self) -> None:
        rng, T, n = self.rng, self.T, self.n
        window = T - 730
        subs: list[tuple[object, ...]] = []
        renewals: list[tuple[object, ...]] = []
        self.churned_on = np.full(n, -1)
        self.arr_now = self.arr0.copy()
        self.cur_start = np.zeros(n, dtype=int)
        self.cur_seats = self.seats0.copy()
        self.prev_seats = self.seats0.copy()
        self.next_renewal = np.full(n, -1)
        self.last_outcome: dict[int, str] = {}
        sub_id = ren_id = 0
        p_churn = _sigmoid(-2.3 - 1.5 * self.h)
        p_expand = _sigmoid(-1.0 + 0.9 * self.h)
        p_down = _sigmoid(-2.4 - 0.8 * self.h)
        self.arr_local = np.zeros(n, dtype=np.int64)
        for i in range(n):
            currency = str(self.currency[i])
            start, arr, seats, term = int(self.since[i]), int(self.arr0[i]), int(self.seats0[i]), \
                int(self.term_days[i])
            plan = ("Enterprise", "Business", "Team", "Starter")[int(self.seg0[i])]
            while True:
                end = start + term - 1
                sub_id += 1
                if end >= window:
                    subs.append((sub_id, i + 1, f"SUB-{sub_id:07d}", _iso(start), _iso(end), plan,
                                 seats, self.local(i, arr), currency, bool(self.auto_renew[i]),
                                 "multi_year" if term > 365 else "annual", 1, self.now, self.now))
                self.prev_seats[i], self.cur_seats[i], self.cur_start[i] = \
                    self.cur_seats[i], seats, start
                self.arr_now[i] = arr
                self.arr_local[i] = self.local(i, arr)
                if end >= T:  # the current term: its end is the next renewal
                    self.next_renewal[i] = end
                    ren_id += 1
                    lik = float(np.clip(np.round(_sigmoid(1.6 + 1.2 * self.h[i]
                                                          + rng.normal(0, 0.5)) * 20) / 20,
                                        0.05, 0.95))
                    track = ("auto_renew" if self.auto_renew[i] and self.h[i] > 0.3
                             else "at_risk" if lik < 0.6 else "standard")
                    # Most likelihoods follow the track and health (no value on record);
                    # about one in eight is the CSM's own call, which overrides it.
                    called = (ren_id * 2654435761) % 8 == 0  # no draw: the stream stays
                    renewals.append((ren_id, i + 1, sub_id, _iso(end), self.local(i, arr),
                                     round(self.local(i, arr) * lik) if called else None, None,
                                     currency,
                                     lik if called else None, track,
                                     "preparing" if end - T < 120 else "not_started",
                                     "pending", None, None, None, None, 1, self.now, self.now,
                                     f"REN-{ren_id:07d}"))
                    break
                u = rng.random()
                if end < window:
                    outcome = "churned" if u < p_churn[i] else "renewed"
                else:
                    outcome = ("churned" if u < p_churn[i] else
                               "expanded" if rng.random() < p_expand[i] else
                               "downsold" if rng.random() < p_down[i] else "renewed")
                new_arr, new_seats = arr, seats
                if outcome == "expanded":
                    factor = rng.uniform(1.1, 1.6)
                    new_arr, new_seats = int(round(arr * factor / 10000) * 10000), \
                        math.ceil(seats * factor)
                elif outcome == "downsold":
                    factor = rng.uniform(0.6, 0.9)
                    new_arr, new_seats = int(round(arr * factor / 10000) * 10000), \
                        max(1, int(seats * factor))
                if end >= window:
                    ren_id += 1
                    reason = category = None
                    if outcome == "churned":
                        reason, category = content.churn_reason(rng, self.h[i])
                    renewals.append((ren_id, i + 1, sub_id, _iso(end), self.local(i, arr), None,
                                     0 if outcome == "churned" else self.local(i, new_arr),
                                     currency, None,
                                     "at_risk" if self.h[i] < -0.5 else "standard", "closed",
                                     outcome, _iso(end), reason, category,
                                     content.renewal_note(outcome), 1, self.now, self.now,
                                     f"REN-{ren_id:07d}"))
                    self.last_outcome[i] = outcome
                if outcome == "churned":
                    self.churned_on[i] = end + 1
                    break
                arr, seats, start = new_arr, new_seats, end + 1
        self.book.add(Subscription, [
            "id", "account_id", "external_id", "start_date", "end_date", "plan", "seats",
            "arr_cents", "currency", "auto_renew", "billing_frequency", "version", "created_at",
            "updated_at"], subs)
        self.book.add(Renewal, [
            "id", "account_id", "subscription_id", "renewal_date", "current_arr_cents",
            "forecast_arr_cents", "new_arr_cents", "currency", "likelihood", "track", "stage",
            "outcome", "closed_on", "churn_reason_code", "churn_category", "notes", "version",
            "created_at", "updated_at", "external_id"], renewals)
        # The end of the relationship for usage and activity purposes.
        self.active_until = np.where(self.churned_on >= 0, self.churned_on - 1, self.T)

    # -- contacts --------------------------------------------------------------------------

    def contacts(self) -> None:
        rng, n, nm = self.rng, self.n, self.names
        champion_present = rng.random(n) < _sigmoid(1.0 + 1.3 * self.h)
        sponsor_p = np.take((0.9, 0.7, 0.45, 0.2), self.seg0)
        has_sponsor = rng.random(n) < sponsor_p
        n_users = rng.integers(1, 5, n)
        rows = []
        self.champion_id = np.full(n, -1)
        self.sponsor_id = np.full(n, -1)
        # A lost champion left part-way through the relationship, before its end.
        life = np.maximum(self.active_until - self.since, 1)
        left_on = (self.since + life * rng.uniform(0.3, 0.8, n)).astype(int)
        self.first_contact = np.zeros(n, dtype=int)
        cid = 0
        titles = nm["titles"]
        for i in range(n):
            roles = [("champion", True, False, False)]
            if has_sponsor[i]:
                roles.append(("sponsor", False, True, False))
            if self.seg0[i] <= 1:
                roles.append(("buyer", False, False, True))
            roles += [("user", False, False, False)] * int(n_users[i])
            domain = f"acc{i + 1}.example"
            for k, (kind, champ, sponsor, buyer) in enumerate(roles):
                cid += 1
                if k == 0:
                    self.first_contact[i] = cid
                first = nm["first_names"][int(rng.integers(len(nm["first_names"])))]
                last = nm["last_names"][int(rng.integers(len(nm["last_names"])))]
                left = champ and not champion_present[i]
                if champ:
                    self.champion_id[i] = cid
                if sponsor:
                    self.sponsor_id[i] = cid
                last_touch = int(self.active_until[i] - rng.integers(0, 120))
                sentiment = ("positive" if self.h[i] + rng.normal(0, 0.7) > 0.5 else
                             "negative" if self.h[i] + rng.normal(0, 0.7) < -0.8 else "neutral")
                advocacy = content.advocacy(rng, self.h[i]) if (champ or sponsor) else "none"
                email = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower()) + f"@{domain}"
                rows.append((
                    cid, i + 1, f"CON-{cid:07d}", f"{first} {last}", email,
                    titles[kind][int(rng.integers(len(titles[kind])))], None, champ, sponsor,
                    buyer, kind == "user" or champ, sentiment, _iso(last_touch), advocacy,
                    _iso(last_touch), left, _iso(left_on[i]) if left else None, None, "{}",
                    1, self.now, self.now))
        self.book.add(Contact, [
            "id", "account_id", "external_id", "name", "email", "title", "phone", "is_champion",
            "is_executive_sponsor", "is_economic_buyer", "is_user", "sentiment", "sentiment_on",
            "advocacy_level", "last_contacted", "left_company", "left_on", "notes",
            "custom_fields", "version", "created_at", "updated_at"], rows)

    # -- usage (the big one: fully vectorised) ---------------------------------------------

    USAGE_BLOCK = 10_000  # accounts per block: bounds memory at any book size

    def usage(self) -> None:
        rng, n, W = self.rng, self.n, self.usage_weeks
        last_monday = self.T - (date.fromordinal(self.T).weekday())
        self.weeks = last_monday - 7 * np.arange(W - 1, -1, -1)  # oldest → newest
        self.util = np.clip(_sigmoid(0.3 + 0.9 * self.h + rng.normal(0, 0.35, n)), 0.03, 1.0)
        self.slope = 0.006 * self.h + rng.normal(0, 0.003, n)  # relative change a week
        self.per_user = rng.lognormal(2.3, 0.3, n)
        self.breadth = np.clip(np.round(FEATURES * _sigmoid(0.2 + 0.8 * self.h
                                                            + rng.normal(0, 0.3, n))),
                               1, FEATURES).astype(int)
        self.iso_weeks = np.array([_iso(w) for w in self.weeks.tolist()], dtype=object)
        self.usage_id = self.feature_id = 0
        for lo in range(0, n, self.USAGE_BLOCK):
            self._usage_block(slice(lo, min(n, lo + self.USAGE_BLOCK)))

    def _usage_block(self, b: slice) -> None:
        rng, W, weeks = self.rng, self.usage_weeks, self.weeks
        m = b.stop - b.start
        valid = ((weeks[None, :] >= self.since[b, None])
                 & (weeks[None, :] <= self.active_until[b, None]))
        age = (weeks[None, :] - self.active_until[b, None]) / 7.0  # ≤ 0, weeks before the end
        level = np.clip(self.util[b, None] * (1.0 + self.slope[b, None] * age)
                        + rng.normal(0, 0.04, (m, W)), 0.0, 1.1)
        seats = np.where(weeks[None, :] >= self.cur_start[b, None], self.cur_seats[b, None],
                         self.prev_seats[b, None])
        active = np.round(seats * level).astype(np.int64)
        key_events = np.round(active * self.per_user[b, None] * rng.lognormal(0, 0.15, (m, W)))
        features = np.clip(self.breadth[b, None] + rng.integers(-1, 2, (m, W)), 0, FEATURES)
        features = np.where(active == 0, 0, features)
        logins = np.round(seats * rng.lognormal(1.6, 0.5, (m, W)))  # decoy: no h in it
        acc_idx, week_idx = np.nonzero(valid)
        ids = np.arange(self.usage_id + 1, self.usage_id + len(acc_idx) + 1)
        self.usage_id += len(acc_idx)
        cols = [
            ids,
            acc_idx + b.start + 1,
            self.iso_weeks[week_idx],
            active[acc_idx, week_idx],
            seats[acc_idx, week_idx],
            key_events[acc_idx, week_idx].astype(np.int64),
            features[acc_idx, week_idx].astype(np.int64),
            logins[acc_idx, week_idx].astype(np.int64),
        ]
        self.book.add(UsageSnapshot, ["id", "account_id", "date", "active_users",
                                      "licensed_seats", "key_events", "features_used",
                                      "logins"], column_rows(*cols))
        self.feature_usage(b.start, weeks[-4:], valid[:, -4:], active[:, -4:])

    def feature_usage(self, offset: int, weeks: np.ndarray, valid: np.ndarray,
                      active: np.ndarray) -> None:
        names = content.FEATURE_NAMES
        rows = []
        fid = self.feature_id
        for local in np.flatnonzero(valid.any(axis=1)).tolist():
            i = local + offset
            used = names[: self.breadth[i]]
            for w in np.flatnonzero(valid[local]).tolist():
                base = max(1, int(active[local, w]))
                counts = self.rng.poisson(base * 3, len(used))
                for feat, cnt in zip(used, counts.tolist(), strict=True):
                    fid += 1
                    rows.append((fid, i + 1, _iso(weeks[w]), feat, cnt,
                                 float(cnt * 42), int(cnt > 50 and self.h[i] < -1)))
        self.feature_id = fid
        self.book.add(FeatureUsage, ["id", "account_id", "date", "feature", "usage_count",
                                     "duration_seconds", "errors"], rows)

    # -- tickets, surveys, activities ------------------------------------------------------

    def _events(self, rate_per_year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Random event dates in each account's last two years: (account index, ordinal)."""
        start = np.maximum(self.since, self.T - 730)
        span = np.maximum(self.active_until - start, 0)
        counts = self.rng.poisson(rate_per_year * span / 365.0)
        idx = np.repeat(np.arange(self.n), counts)
        when = start[idx] + np.floor(self.rng.random(len(idx)) * (span[idx] + 1)).astype(int)
        return idx, when

    def engagement(self) -> None:
        rng = self.rng
        # Support tickets: weakly more for unhealthy accounts; escalations likelier too.
        idx, opened = self._events(np.sqrt(self.seats0) * 0.8 * np.exp(-0.35 * self.h))
        pri = rng.choice(["low", "normal", "high", "urgent"], size=len(idx),
                         p=[0.25, 0.5, 0.18, 0.07])
        esc = rng.random(len(idx)) < _sigmoid(-3.0 - 0.8 * self.h[idx])
        open_ = (self.T - opened) < rng.integers(3, 40, len(idx))
        closed = opened + rng.integers(0, 30, len(idx))
        subjects = content.ticket_subjects(rng, len(idx))
        self.book.add(SupportTicket, [
            "id", "account_id", "external_id", "subject", "opened_on", "closed_on", "priority",
            "status", "is_escalation", "created_at", "updated_at"], [
            (k + 1, int(a) + 1, f"TCK-{k + 1:07d}", subjects[k], _iso(o),
             None if op else _iso(min(c, self.T)), p, "open" if op else "closed", bool(e),
             self.now, self.now)
            for k, (a, o, c, p, e, op) in enumerate(zip(idx.tolist(), opened.tolist(),
                                                        closed.tolist(), pri.tolist(),
                                                        esc.tolist(), open_.tolist(),
                                                        strict=True))])
        # NPS: moderate relation to health.
        idx, when = self._events(np.full(self.n, 1.4))
        score = np.clip(np.round(7 + 1.4 * self.h[idx] + rng.normal(0, 1.8, len(idx))), 0, 10)
        comments = content.nps_comments(rng, score)
        self.book.add(SurveyResponse, [
            "id", "account_id", "contact_id", "kind", "score", "responded_on", "comment",
            "created_at", "updated_at", "external_id"], [
            (k + 1, int(a) + 1, int(self.first_contact[a]), "nps", int(s), _iso(w), c,
             self.now, self.now, f"NPS-{k + 1:07d}")
            for k, (a, w, s, c) in enumerate(zip(idx.tolist(), when.tolist(), score.tolist(),
                                                 comments, strict=True))])
        # Activities: proactive by engagement model, reactive with the ticket load.
        pro_rate = np.take(PROACTIVE_PER_MONTH, self.seg0) * 12
        p_idx, p_when = self._events(pro_rate)
        r_idx, r_when = self._events(np.sqrt(self.seats0) * 0.4 * np.exp(-0.35 * self.h))
        idx = np.concatenate([p_idx, r_idx])
        when = np.concatenate([p_when, r_when])
        proactive = np.concatenate([np.ones(len(p_idx), bool), np.zeros(len(r_idx), bool)])
        kinds, summaries = content.activities(rng, proactive)
        self.last_proactive = np.full(self.n, -1)
        np.maximum.at(self.last_proactive, p_idx, p_when)
        self.book.add(Activity, [
            "id", "account_id", "kind", "occurred_on", "summary", "details", "proactive",
            "owner", "version", "created_at", "updated_at", "external_id"], [
            (k + 1, int(a) + 1, kd, _iso(w), sm, None, bool(p), self.owner[a], 1, self.now,
             self.now, f"ACT-{k + 1:07d}")
            for k, (a, w, p, kd, sm) in enumerate(zip(idx.tolist(), when.tolist(),
                                                      proactive.tolist(), kinds, summaries,
                                                      strict=True))])
        # Who took part: the champion in most proactive touches; the executive sponsor in
        # some, more often in healthy accounts (sponsor engagement is a true driver).
        links = []
        with_sponsor = rng.random(len(idx)) < _sigmoid(-0.8 + 1.0 * self.h[idx])
        for k, (a, p) in enumerate(zip(idx.tolist(), proactive.tolist(), strict=True)):
            if p and self.champion_id[a] > 0:
                links.append((k + 1, int(self.champion_id[a])))
            if p and with_sponsor[k] and self.sponsor_id[a] > 0:
                links.append((k + 1, int(self.sponsor_id[a])))
        self.book.add(activity_contacts, ["activity_id", "contact_id"], links)

    # -- success plans and value -----------------------------------------------------------

    def success_plans(self) -> None:
        rng = self.rng
        has_plan = (self.seg0 <= 1) | ((self.seg0 == 2) & (rng.random(self.n) < 0.3))
        plans, objectives, milestones, tasks, values = [], [], [], [], []
        ids = {"plan": 0, "obj": 0, "ms": 0, "task": 0, "value": 0}
        for i in np.flatnonzero(has_plan & (self.churned_on < 0)).tolist():
            ids["plan"] += 1
            start = int(max(self.since[i], self.T - 300))
            plans.append((ids["plan"], i + 1, content.plan_title(int(self.seg0[i])),
                          _iso(start), _iso(start + 365), "active", 1, self.now, self.now))
            picks = rng.choice(len(content.OBJECTIVES), size=int(rng.integers(2, 4)),
                               replace=False)
            for pos, o in enumerate(picks.tolist()):
                spec = content.OBJECTIVES[o]
                ids["obj"] += 1
                progress = float(np.clip(_sigmoid(0.4 + 1.1 * self.h[i] + rng.normal(0, 0.6))
                                         * 1.15, 0, 1))
                current = spec.baseline + (spec.target - spec.baseline) * progress
                status = ("achieved" if progress >= 0.98 else "on_track" if progress > 0.45
                          else "at_risk" if self.h[i] < -0.3 else "not_started"
                          if progress < 0.1 else "on_track")
                objectives.append((ids["obj"], ids["plan"], pos, spec.title, spec.kpi,
                                   spec.unit, spec.baseline, round(current, 1), spec.target,
                                   _iso(start + 180 + 30 * pos), status,
                                   "customer" if pos % 2 == 0 else "vendor", None, 1,
                                   self.now, self.now))
                for m_pos, (title, offset) in enumerate(spec.milestones):
                    ids["ms"] += 1
                    due = start + offset
                    first_value = pos == 0 and m_pos == 0
                    if first_value and self.first_value[i] >= 0:
                        done = max(int(self.first_value[i]), start)
                    elif due < self.T and rng.random() < _sigmoid(0.8 + self.h[i]):
                        done = due + int(rng.integers(-5, 15))
                    else:
                        done = -1
                    done = min(done, self.T)
                    mstatus = "done" if done >= 0 else "in_progress" if due < self.T + 30 \
                        else "planned"
                    milestones.append((ids["ms"], ids["obj"], m_pos, title, _iso(due),
                                       _iso(done) if done >= 0 else None, mstatus,
                                       "vendor" if m_pos == 0 else "customer", first_value, 1,
                                       self.now, self.now))
                    for t_pos, t_title in enumerate(content.milestone_tasks(rng)):
                        ids["task"] += 1
                        tasks.append((ids["task"], ids["ms"], t_pos, t_title,
                                      "vendor" if t_pos == 0 else "customer",
                                      _iso(due - 7 + t_pos * 3), done >= 0, 1, self.now,
                                      self.now))
                if status in ("achieved", "on_track") and progress > 0.3:
                    ids["value"] += 1
                    money = int(abs(current - spec.baseline) * spec.dollars_per_unit * 100)
                    confirmed = status == "achieved" and rng.random() < 0.7
                    when = min(self.T, start + 90 + int(rng.integers(0, 150)))
                    values.append((ids["value"], i + 1, ids["obj"], _iso(when),
                                   spec.title,
                                   spec.kpi, spec.unit, spec.baseline, round(current, 1),
                                   self.local(i, money), str(self.currency[i]), spec.method,
                                   "Usage report and customer data",
                                   None, None, "Customer sponsor" if confirmed else None,
                                   _iso(when + 7) if confirmed else None, 1, self.now,
                                   self.now))
        self.book.add(SuccessPlan, ["id", "account_id", "title", "period_start", "period_end",
                                    "status", "version", "created_at", "updated_at"], plans)
        self.book.add(Objective, [
            "id", "plan_id", "position", "title", "kpi_name", "kpi_unit", "baseline", "current",
            "target", "due_date", "status", "owner_side", "owner_contact_id", "version",
            "created_at", "updated_at"], objectives)
        self.book.add(Milestone, [
            "id", "objective_id", "position", "title", "due_date", "done_date", "status",
            "owner_side", "is_first_value", "version", "created_at", "updated_at"], milestones)
        self.book.add(PlanTask, ["id", "milestone_id", "position", "title", "assignee_side",
                                 "due_date", "done", "version", "created_at", "updated_at"],
                      tasks)
        self.book.add(ValueOutcome, [
            "id", "account_id", "objective_id", "occurred_on", "title", "metric_name",
            "metric_unit", "metric_before", "metric_after", "value_cents", "currency",
            "value_method", "evidence", "evidence_url", "evidence_file", "confirmed_by",
            "confirmed_on", "version", "created_at", "updated_at"], values)

    # -- opportunities, tasks (health history is written once the model id is known) -------

    def handoffs(self) -> None:
        """A sales handoff for every account; four in ten of the recent ones are incomplete."""
        rng = self.rng
        rows = []
        for i in range(self.n):
            recent = self.T - self.since[i] < 150
            incomplete = recent and rng.random() < 0.4
            drop_criteria = incomplete and rng.random() < 0.5
            criteria = [] if drop_criteria else [
                content.OBJECTIVES[k].title for k in
                rng.choice(len(content.OBJECTIVES), size=2, replace=False).tolist()]
            champion = None if (incomplete and not drop_criteria) or self.champion_id[i] <= 0 \
                else int(self.champion_id[i])
            plan = ("Enterprise", "Business", "Team", "Starter")[int(self.seg0[i])]
            rows.append((i + 1, f"{plan} plan, {int(self.seats0[i])} seats",
                         int(self.seats0[i]), self.local(i, int(self.arr0[i])),
                         str(self.currency[i]),
                         int(self.term_days[i] // 30),
                         "Go-live within 30 days; quarterly business reviews",
                         None, json.dumps(criteria), None, champion,
                         int(self.sponsor_id[i]) if self.sponsor_id[i] > 0 else None,
                         _iso(self.since[i] + 14), _iso(self.since[i] + 30),
                         "Data migration from the legacy tool" if rng.random() < 0.3 else None,
                         1, self.now, self.now))
        self.book.add(Handoff, [
            "account_id", "products", "seats", "arr_cents", "currency", "term_months",
            "promises", "commitments", "success_criteria", "economic_buyer_id", "champion_id",
            "sponsor_id", "go_live_date", "first_value_date", "risks", "version",
            "created_at", "updated_at"], rows)

    def the_rest(self) -> None:
        rng = self.rng
        active = self.churned_on < 0
        seat_pressure = active & (self.util > 0.85)
        cross = active & (self.h > 0.8) & (rng.random(self.n) < 0.35) & ~seat_pressure
        rows = []
        self.expansion_accounts: set[int] = set()
        for k, i in enumerate(np.flatnonzero(seat_pressure | cross).tolist()):
            seats_kind = bool(seat_pressure[i])
            amount = int(self.arr_now[i] * (rng.uniform(0.1, 0.3) if seats_kind
                                            else rng.uniform(0.2, 0.5)) // 10000 * 10000)
            stage = rng.choice(["identified", "qualified", "handed_to_sales"], p=[0.5, 0.3, 0.2])
            handed = stage == "handed_to_sales"
            self.expansion_accounts.add(i)
            rows.append((k + 1, i + 1, f"OPP-{k + 1:06d}",
                         "Additional seats" if seats_kind else "Analytics add-on",
                         "seats" if seats_kind else "cross_sell",
                         f"Seat utilisation {self.util[i]:.0%}" if seats_kind
                         else "Executive sponsor asked about the analytics module",
                         self.local(i, amount), str(self.currency[i]), str(stage),
                         _iso(self.T + int(rng.integers(20, 120))),
                         _iso(self.T - int(rng.integers(1, 20))) if handed else None,
                         "Account Executive" if handed else None, None, 1, self.now,
                         self.now))
        self.book.add(Opportunity, [
            "id", "account_id", "external_id", "title", "kind", "signal", "amount_cents",
            "currency", "stage", "close_date", "handed_to_sales_on", "handed_to", "notes",
            "version", "created_at", "updated_at"], rows)
        self.handoffs()


__all__ = ["DemoSummary", "generate_demo"]
