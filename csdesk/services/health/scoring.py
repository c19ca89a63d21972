"""Health scores that explain themselves: weighted inputs, bands, history.

The score of an account is the weighted mean of its inputs that are *present*
(``Σ wᵢ·vᵢ / Σ wᵢ`` over present inputs), so missing data never counts as bad data; the
account shows how many inputs the score rests on. Below the model's minimum of evidence
(3 inputs carrying half the weight, by default) there is no score: the account shows "not
enough data", and its snapshot keeps the inputs it has, with no score and no band. Each
input's value, weight and points are kept with the snapshot, with the input that costs the
most points. Configuration lives in versioned HealthModel rows (one per segment, or one for
all), never edited in place.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.db.bulk import bulk_insert, read_frame
from csdesk.errors import CsdeskError
from csdesk.models import Account, HealthModel, HealthSnapshot
from csdesk.progress import CancelFn, ProgressFn, Reporter
from csdesk.services.defaults import DEFAULT_HEALTH_CONFIG, ensure_defaults
from csdesk.services.formatting import NOT_ENOUGH_DATA, NOT_ENOUGH_HINT
from csdesk.services.health.inputs import (
    CADENCE_DAYS,
    LABELS_INPUT,
    NEEDS,
    compute_inputs,
    custom_inputs,
)

LABELS = LABELS_INPUT


@dataclass(frozen=True)
class ModelInfo:
    id: int
    name: str
    version: int
    segment: str | None
    config: dict[str, Any]


@dataclass(frozen=True)
class InputLine:
    name: str
    label: str
    raw: Any
    value: float | None  # 0–100, None when missing
    weight: float
    points: float | None  # contribution to the score
    lost: float | None  # points this input costs against a perfect 100
    stale: bool = False
    # The raw value in a CSM's words ("158 active users of 278 seats (57 %)"); "" if none
    detail: str = ""


@dataclass(frozen=True)
class Explanation:
    account_id: int
    external_id: str
    name: str
    as_of: date
    score: float | None
    band: str | None
    adoption_score: float | None
    inputs_present: int
    inputs_total: int
    drag: str | None  # the input pulling the score down most
    lines: list[InputLine] = field(default_factory=list)
    model: str = ""
    churned_on: date | None = None  # set for a churned account: its last health is shown
    weight_share: float = 0.0  # the share of the enabled weight its present inputs carry
    evidence: tuple[int, float] = (3, 0.5)  # what a score needs (inputs, weight share)

    @property
    def not_enough_data(self) -> bool:
        return self.score is None

    def evidence_text(self) -> str:
        """Why there is no score, in a CSM's words (empty when there is one)."""
        if self.score is not None:
            return ""
        need, share = self.evidence
        missing = sorted((line for line in self.lines if line.value is None),
                         key=lambda line: -line.weight)
        hint = ("add " + "; ".join(NEEDS.get(line.name, line.label.lower())
                                   for line in missing[:3]) if missing else NOT_ENOUGH_HINT)
        return (f"{NOT_ENOUGH_DATA}: {self.inputs_present} of {self.inputs_total} inputs "
                f"({self.weight_share:.0%} of the weight); a score needs {need} inputs and "
                f"{share:.0%} of the weight — {hint}")


def active_models(session: Session) -> dict[str | None, ModelInfo]:
    """The newest active model per segment (key None: the model for every other segment)."""
    rows = session.scalars(select(HealthModel).where(HealthModel.is_active.is_(True))
                           .order_by(HealthModel.version)).all()
    out: dict[str | None, ModelInfo] = {}
    for m in rows:
        seg = m.segment.value if m.segment is not None else None
        out[seg] = ModelInfo(m.id, m.name, m.version, seg, m.config)
    if None not in out:
        raise CsdeskError("the book has no default health model")
    return out


def model_for_segment(db: Database, segment: str | None) -> ModelInfo:
    """The active model a segment is scored with (its own, else the model for every other
    segment), with a copy of its configuration to edit."""
    with db.read() as s:
        models = active_models(s)
    model = models.get(segment) or models[None]
    return ModelInfo(model.id, model.name, model.version, model.segment, dict(model.config))


def band_for(score: float | None, bands: dict[str, float]) -> str | None:
    if score is None or np.isnan(score):
        return None
    if score >= bands["green"]:
        return "green"
    return "yellow" if score >= bands["yellow"] else "red"


def evidence_rule(config: dict[str, Any]) -> tuple[int, float]:
    """(minimum inputs present, minimum share of the enabled weight) for a score; a model
    of fewer inputs than the minimum needs all of them."""
    rule = {**DEFAULT_HEALTH_CONFIG["evidence"], **config.get("evidence", {})}
    enabled = sum(1 for c in config["inputs"].values()
                  if c.get("enabled", True) and float(c.get("weight", 0)) > 0)
    return min(int(rule["min_inputs"]), max(enabled, 1)), float(rule["min_weight"])


def enough_evidence(count: pd.Series, share: pd.Series, config: dict[str, Any]) -> pd.Series:
    """Whether each account's present inputs are enough for a score under ``config``."""
    min_inputs, min_weight = evidence_rule(config)
    return (count >= min_inputs) & (share >= min_weight - 1e-9)


def score_frame(inputs: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """Score, points and drag for every row of ``inputs`` under one model configuration."""
    weights_on = {n: float(c["weight"]) for n, c in config["inputs"].items()
                  if c.get("enabled", True) and float(c.get("weight", 0)) > 0}
    enabled = {n: w for n, w in weights_on.items() if n in inputs}
    names = list(enabled)
    values = inputs[names].astype(float)
    weights = pd.Series(enabled)
    present = values.notna()
    wsum = present.mul(weights, axis=1).sum(axis=1)
    contrib = values.mul(weights, axis=1)
    score = (contrib.sum(axis=1) / wsum.where(wsum > 0)).clip(0, 100)
    count = present.sum(axis=1)
    # The share is of every enabled input's weight, whether the book has its column or not.
    score = score.where(enough_evidence(count, wsum / max(sum(weights_on.values()), 1e-9),
                                        config))
    out = pd.DataFrame({"score": score, "inputs_present": count,
                        "inputs_total": len(names)})
    lost = (100 - values).mul(weights, axis=1).div(wsum.where(wsum > 0), axis=0)
    any_lost = lost.notna().any(axis=1)
    out["drag"] = lost.fillna(-np.inf).idxmax(axis=1).where(any_lost) if len(lost.columns) \
        else None
    for n in names:
        out[f"points.{n}"] = contrib[n] / wsum.where(wsum > 0)
        out[f"lost.{n}"] = lost[n]
    out["band"] = [band_for(s, config["bands"]) for s in score]
    return out


def scaled_custom(session: Session, account_ids: pd.Series,
                  models: dict[str | None, ModelInfo]) -> pd.DataFrame:
    """Custom-field inputs on the 0–100 scale: a numeric field by its rank in the book
    (``"invert": true`` in the model when more is worse), a category level as 100 or 0."""

    everyone = read_frame(session, select(Account.id.label("account_id")))["account_id"]
    raw, names = custom_inputs(session, everyone)  # ranked against the whole book
    invert = {n for m in models.values() for n, c in m.config["inputs"].items()
              if c.get("invert")}
    scaled = pd.DataFrame(index=raw.index)
    for name in names:
        col = raw[name]
        value = col * 100 if "=" in name else col.rank(pct=True) * 100
        scaled[name] = 100 - value if name in invert else value
    scaled.index = everyone.to_numpy()
    out = scaled.reindex(account_ids.to_numpy())
    out.index = account_ids.index
    return out


def _book_pairs(session: Session, as_of: date, account_ids: list[int] | None = None
                ) -> pd.DataFrame:
    stmt = select(Account.id.label("account_id"), Account.external_id, Account.name,
                  Account.segment, Account.status, Account.churned_on)
    if account_ids is not None:
        stmt = stmt.where(Account.id.in_(account_ids))
    acc = read_frame(session, stmt)
    churned_on = pd.to_datetime(acc["churned_on"], errors="coerce")
    alive = (acc["status"] != "churned") | (churned_on > pd.Timestamp(as_of))
    acc = acc[alive].reset_index(drop=True)
    acc["as_of"] = pd.Timestamp(as_of)
    return acc


def score_book(session: Session, as_of: date, account_ids: list[int] | None = None
               ) -> tuple[pd.DataFrame, dict[str | None, ModelInfo]]:
    """Inputs and scores of every live account as of ``as_of`` (one row per account)."""
    models = active_models(session)
    pairs = _book_pairs(session, as_of, account_ids)
    if pairs.empty:  # no live account (an empty book, or every one churned)
        return pairs.assign(score=[], band=[], inputs_present=[], inputs_total=[], drag=[],
                            model_id=[], adoption_score=[]), models
    stale_days = int(models[None].config.get("stale_manual_days", 90))
    inputs = compute_inputs(session, pairs[["account_id", "as_of"]],
                            stale_manual_days=stale_days)
    wanted = {n for m in models.values() for n, c in m.config["inputs"].items()
              if n.startswith("custom:") and c.get("enabled", True)}
    if wanted:
        inputs = pd.concat([inputs, scaled_custom(session, pairs["account_id"], models)],
                           axis=1)
    frames = []
    for seg, model in models.items():
        if seg is None:
            mask = ~pairs["segment"].isin([s for s in models if s is not None])
        else:
            mask = pairs["segment"] == seg
        if not mask.any():
            continue
        part = score_frame(inputs[mask.to_numpy()], model.config)
        part["model_id"] = model.id
        frames.append(part)
    scores = pd.concat(frames).sort_index() if frames else pd.DataFrame()
    # Adoption beside health: breadth (the share of licensed users who are active) and
    # depth (how intensely they use it: key events per active user, ranked in the book).
    adoption = pd.concat([inputs["seat_utilisation"], inputs["depth"]], axis=1).mean(axis=1)
    book = pd.concat([pairs, inputs, scores], axis=1)
    book["adoption_score"] = adoption
    return book, models


@dataclass(frozen=True)
class RecomputeSummary:
    as_of: date
    accounts: int
    scored: int
    bands: dict[str, int]
    seconds: float
    # What was scored, one row per account (as score_book gives it): what the command line
    # lists, without scoring the book a second time.
    book: pd.DataFrame | None = field(default=None, repr=False, compare=False)


def recompute(db: Database, *, as_of: date | None = None, progress: ProgressFn | None = None,
              cancel: CancelFn | None = None) -> RecomputeSummary:
    """Score the whole book as of a date and keep it as that date's HealthSnapshot rows."""
    started = time.monotonic()  # a duration, not a date
    as_of = as_of or clock.today()
    rep = Reporter(progress, cancel)
    ensure_defaults(db)
    rep.checkpoint(0.05, "Reading the book…")
    with db.write() as s:
        book, _models = score_book(s, as_of)
        rep.checkpoint(0.7, "Saving health history…")
        s.execute(delete(HealthSnapshot).where(HealthSnapshot.as_of == as_of))
        rows = snapshot_rows(book, as_of)
        bulk_insert(s, HealthSnapshot.__table__,
                    ["account_id", "model_id", "as_of", "score", "band", "adoption_score",
                     "inputs_present", "inputs_total", "components"], rows)
        rep.checkpoint(0.95, "Committing…")
    bands = book["band"].value_counts().to_dict()
    return RecomputeSummary(as_of, len(book), int(book["score"].notna().sum()),
                            {k: int(v) for k, v in bands.items()},
                            time.monotonic() - started, book)


COMPONENT_FIELDS = ("value", "raw", "points", "lost")


def snapshot_rows(book: pd.DataFrame, as_of: date) -> list[tuple[Any, ...]]:
    """HealthSnapshot rows; the per-input components are serialised column-wise (in C by
    ``to_json``), which is what keeps a 100,000-account recompute within seconds."""
    if book.empty:
        return []
    names = [c.removeprefix("points.") for c in book.columns if c.startswith("points.")]
    comp = pd.DataFrame(index=book.index)
    comp["drag"] = book["drag"].where(book["drag"].map(lambda d: isinstance(d, str)), None)
    for name in names:
        for f, col in zip(COMPONENT_FIELDS, (name, f"raw.{name}", f"points.{name}",
                                             f"lost.{name}"), strict=True):
            if col in book and pd.api.types.is_numeric_dtype(book[col]):
                comp[f"{name}|{f}"] = book[col].astype(float).round(4)
    for col in (c for c in book.columns if c.startswith("stale.")):
        name = col.removeprefix("stale.")
        if name in names or name == "csm_sentiment":  # an input left out keeps no flag
            comp[f"{name}|stale"] = book[col].fillna(False).astype(bool)
    components = _json_rows(comp)
    score = book["score"].astype(float).round(2)
    adoption = book["adoption_score"].astype(float).round(2)
    return list(zip(
        book["account_id"].astype(int).tolist(), book["model_id"].astype(int).tolist(),
        [as_of.isoformat()] * len(book),
        score.astype(object).where(score.notna(), None).tolist(),
        book["band"].tolist(),
        adoption.astype(object).where(adoption.notna(), None).tolist(),
        book["inputs_present"].astype(int).tolist(), book["inputs_total"].astype(int).tolist(),
        components, strict=True))


def _json_rows(frame: pd.DataFrame) -> list[str]:
    """Each row of ``frame`` (flat: numbers, booleans, a short text) as a JSON object.

    One JSON array, split between its objects: pandas' own line-per-row output cuts its
    text apart in Python, at twice the cost. A text holding the split mark falls back to it.
    """
    texts = frame.select_dtypes(include="object")
    if any("},{" in str(c) for c in frame.columns) or any(
            texts[c].dropna().astype(str).str.contains("},{", regex=False).any()
            for c in texts.columns):
        lines: str = frame.to_json(orient="records", lines=True, double_precision=4)
        return lines.splitlines()
    whole: str = frame.to_json(orient="records", double_precision=4)
    return ["{" + part + "}" for part in whole[2:-2].split("},{")]


def components_of(stored: dict[str, Any]) -> dict[str, Any]:
    """A snapshot's components as ``{"drag": …, "inputs": {name: {value, raw, …}}}``."""
    inputs: dict[str, dict[str, Any]] = {}
    for key, value in stored.items():
        if "|" in key:
            name, f = key.split("|", 1)
            inputs.setdefault(name, {})[f] = value
    return {"drag": stored.get("drag"), "inputs": inputs}


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else round(f, 4)


def _flag(value: Any) -> bool:
    """A stale.<input> flag; anything but a true boolean (a missing value too) is False."""
    return bool(value) if isinstance(value, bool | np.bool_) else False


def _pct(change: float, places: int = 0) -> str:
    """A signed percentage with a true minus sign: "+5 %", "−12 %", "0 %"."""
    text = f"{abs(change) * 100:.{places}f}"
    if float(text) == 0:
        return f"{text} %"
    return f"{'+' if change > 0 else '−'}{text} %"


def _count(n: float, one: str, many: str | None = None) -> str:
    k = round(n)
    return f"{k:,} {one if k == 1 else (many or one + 's')}"


def input_detail(name: str, rec: Any, *, as_of: date, engagement_model: str = "mid_touch",
                 customer_since: date | None = None, churned_on: date | None = None) -> str:
    """An input's raw value in a CSM's words, from one scored row (``score_book``): what the
    account page's breakdown and ``csdesk health --account`` show beside its points.
    Empty when the input has nothing to say (the screens show a dash). For a churned
    account (``churned_on``), days are counted to the churn and the days are named."""
    raw = rec.get(f"raw.{name}")
    value = _num(raw) if name != "csm_sentiment" else None
    if name == "seat_utilisation" and value is not None:
        users, seats = _num(rec.get("raw.active_users_30")), _num(rec.get("raw.seats_30"))
        share = f"{value * 100:.0f} %"
        if users is None or seats is None:
            return f"{share} of seats in use (30 days)"
        # 30-day averages, in whole people: the share is of the exact averages
        return f"{users:.0f} active users of {seats:.0f} seats ({share}, 30-day average)"
    if name == "usage_change" and value is not None:
        return f"key events {_pct(value)} vs the 90 days before"
    if name == "users_change" and value is not None:
        return f"active users {_pct(value)} vs the 90 days before"
    if name == "usage_trend" and value is not None:
        return f"key events {_pct(value, 1)}/week over 90 days"
    if name == "adoption_breadth" and value is not None:
        return f"{value:.1f} features in use on average over 30 days".replace(".0 ", " ")
    if name == "login_volume" and value is not None:
        return f"{_count(value, 'login')} a week (30-day average)"
    if name == "days_since_proactive_touch":
        cadence = CADENCE_DAYS.get(engagement_model, 30)
        if value is None:
            return f"no proactive touch recorded (cadence {cadence} days)"
        if churned_on is not None:  # "ago" would count from today, long after the churn
            touched = as_of - timedelta(days=round(value))
            return (f"last proactive touch {_count((churned_on - touched).days, 'day')} "
                    f"before it churned ({churned_on:%d %b %Y}), on {touched:%d %b %Y} "
                    f"(cadence {cadence} days)")
        when = "today" if value == 0 else f"{_count(value, 'day')} ago"
        return f"last proactive touch {when} (cadence {cadence} days)"
    if name == "support_load" and value is not None:
        tickets, escalations = _num(rec.get("raw.tickets_90")), _num(rec.get("raw.escalations_90"))
        if tickets is None:
            return f"weighted ticket load {value:g} in 90 days"
        if tickets == 0:
            return "no tickets in 90 days"
        escalated = f"{_count(escalations, 'escalation')}; " if escalations else ""
        return f"{_count(tickets, 'ticket')} in 90 days ({escalated}weighted load {value:g})"
    if name == "sentiment" and value is not None:
        kind = rec.get("raw.sentiment_kind")
        kind = "CSAT" if kind == "csat" else "NPS"
        on = rec.get("raw.sentiment_on")
        day = "" if on is None or pd.isna(on) else f" on {pd.Timestamp(on):%d %b %Y}"
        return f"{kind} {value:g}{day}"
    if name == "time_to_first_value":
        if value is not None:
            return f"first value after {_count(value, 'day')}"
        if customer_since is not None:
            return f"no first value yet, {_count((as_of - customer_since).days, 'day')} in"
        return ""
    if name == "days_of_silence":
        if value is None:
            return "no sign of life recorded"
        return "a sign of life today" if value == 0 else \
            f"{_count(value, 'day')} since the last sign of life"
    if name == "relationship" and value is not None:
        champion = "a champion in place" if value >= 60 else \
            "the champion has left" if _flag(rec.get("raw.champion_recorded")) else \
            "no champion recorded"
        sponsor = "sponsor contacted in 90 days" if round(value) in (40, 100) else \
            "sponsor not contacted in 90 days" if _flag(rec.get("raw.sponsor_recorded")) \
            else "no sponsor recorded"
        return f"{champion}; {sponsor}"
    if name == "csm_sentiment":
        departed = rec.get("raw.csm_sentiment_departed")
        if not isinstance(raw, str) and isinstance(departed, str):
            return (f"the champion has left: their sentiment ({departed}) no longer counts "
                    "(0 until a new champion's is recorded)")
        return "" if not isinstance(raw, str) else f"champion's sentiment {raw}"
    if name == "csm_pulse" and value is not None:
        return f"pulse {value:g} of 5"
    return "" if value is None else f"{value:g}"


def explain(db: Database, account: str, *, as_of: date | None = None) -> Explanation:
    """Each input's value, weight and points for one account (by external id or name)."""
    as_of = as_of or clock.today()
    if not db.readonly:
        ensure_defaults(db)
    with db.read() as s:
        acc = s.scalars(select(Account).where(Account.external_id == account)).first() or \
            s.scalars(select(Account).where(Account.name == account)).first()
        if acc is None:
            raise CsdeskError(f"no account with external id or name {account!r}")
        churned_on = acc.churned_on if acc.status == "churned" else None
        if acc.status == "churned" and churned_on is None:
            raise CsdeskError(f"{acc.name} is marked churned with no churn date, so csdesk "
                              "cannot tell which health was its last; set the churn date on "
                              "its page or in the next import")
        if churned_on is not None and churned_on <= as_of:
            # A churned account keeps the last health it had: the day before it churned.
            as_of = churned_on - timedelta(days=1)
        book, models = score_book(s, as_of, [acc.id])
        if book.empty:
            raise CsdeskError(f"{acc.name} was not a customer on {as_of}")
        rec = book.iloc[0]
        model = next(m for m in models.values() if m.id == rec["model_id"])
        lines = []
        enabled = {n: float(c["weight"]) for n, c in model.config["inputs"].items()
                   if c.get("enabled", True) and float(c.get("weight", 0)) > 0}
        present_weight = sum(w for n, w in enabled.items() if _num(rec.get(n)) is not None)
        for name, conf in model.config["inputs"].items():
            if not conf.get("enabled", True):
                continue
            value = _num(rec.get(name))
            lines.append(InputLine(
                name, LABELS.get(name, name), _num(rec.get(f"raw.{name}")) if name !=
                "csm_sentiment" else rec.get("raw.csm_sentiment"), value,
                float(conf["weight"]), _num(rec.get(f"points.{name}")),
                _num(rec.get(f"lost.{name}")),
                stale=_flag(rec.get(f"stale.{name}")),
                detail=input_detail(name, rec, as_of=as_of,
                                    engagement_model=acc.engagement_model.value,
                                    customer_since=acc.customer_since,
                                    churned_on=churned_on)))
        return Explanation(
            acc.id, acc.external_id, acc.name, as_of, _num(rec["score"]), rec["band"],
            _num(rec.get("adoption_score")), int(rec["inputs_present"]),
            int(rec["inputs_total"]), rec["drag"] if isinstance(rec["drag"], str) else None,
            lines, f"{model.name} v{model.version}", churned_on,
            present_weight / sum(enabled.values()) if enabled else 0.0,
            evidence_rule(model.config))


def save_model_version(db: Database, config: dict[str, Any], *, name: str = "Default",
                       segment: str | None = None, notes: str = "") -> ModelInfo:
    """A new version of a model (the old one is kept, and deactivated)."""
    merged = json.loads(json.dumps({**DEFAULT_HEALTH_CONFIG, **config}))
    with db.write() as s:
        current = s.scalar(select(func.max(HealthModel.version))
                           .where(HealthModel.name == name)) or 0
        for old in s.scalars(select(HealthModel).where(HealthModel.name == name,
                                                        HealthModel.is_active.is_(True))):
            if (old.segment.value if old.segment else None) == segment:
                old.is_active = False
        model = HealthModel(name=name, version=current + 1, segment=segment, config=merged,
                            is_active=True, notes=notes)
        s.add(model)
        s.flush()
        return ModelInfo(model.id, name, model.version, segment, merged)
