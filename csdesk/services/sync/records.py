"""What one entity adds to the row-by-row import of a chunk of records.

The importer's upsert is the same for every entity (find the existing row by its key,
insert or update, count and list the changes); an entity's :class:`Rows` adds what only it
needs: accounts derive their segment, keep the contract an account file describes as a
subscription and link parents once the whole file is read; survey answers find their
contact by e-mail. The adapter of each entity names its ``Rows``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from csdesk.io.mapping import Mapping
from csdesk.io.validate import Issue
from csdesk.models import Account, Contact, ExchangeRate, Subscription
from csdesk.models.enums import RateSource, Segment
from csdesk.services.book.segments import DEFAULT_BANDS, ENGAGEMENT_FOR_SEGMENT
from csdesk.services.history import HistoryWriter
from csdesk.services.sync.results import ImportResult, account_ids

Change = tuple[str, Any, Any]  # (field, old, new)


def plain(value: Any) -> Any:
    """A value from a frame or the database as plain Python (None for every kind of blank)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, enum.Enum):
        return value.value  # an enum member from the database (a StrEnum is a str too)
    if hasattr(value, "item"):
        return value.item()  # numpy scalar
    return value


class Stream:
    """What the import of one file carries from chunk to chunk (all of it small)."""

    def __init__(self, poll: Callable[[], object]) -> None:
        self.poll = poll  # a look at cancel, within the chunk
        self.seen: dict[str, Any] = {}  # key hashes and first rows, for duplicates
        self.parents: list[tuple[int, str, str | None]] = []  # (row, account, parent)
        self.contacts: dict[tuple[int, str], int] | None = None
        # the field history of the import (None: none is kept, a dry run's preview aside)
        self.history: HistoryWriter | None = None


class Rows:
    """The steps of a chunk's upsert an entity can add to; by default each does nothing."""

    def __init__(self, session: Session, mapping: Mapping, result: ImportResult,
                 state: Stream) -> None:
        self.session, self.mapping, self.result, self.state = session, mapping, result, state
        # custom fields each row adds to the file's own (None: no more than the file's)
        self.extra_custom: list[dict[str, Any]] | None = None

    def issues(self, df: pd.DataFrame, rows: pd.Series, columns: dict[str, str]
               ) -> list[Issue]:
        """Problems of rows that need the book to see (the adapter's checks need only the
        file)."""
        return []

    def before_checks(self, df: pd.DataFrame, rows: pd.Series) -> None:
        """Every row of the chunk, rows in error included (before they are set aside)."""

    def add_columns(self, df: pd.DataFrame, incoming: pd.DataFrame, db_cols: list[str]
                    ) -> None:
        """Columns derived from the file's fields, added to ``incoming`` (and ``db_cols``)."""

    def new_defaults(self, i: int) -> dict[str, Any]:
        """Values row ``i`` takes when it is new and the file does not give them."""
        return {}

    def keep_change(self, i: int, changed: dict[str, Any]) -> None:
        """Drop from ``changed`` what row ``i`` must not change in the book."""

    def row_changes(self, i: int, rec: dict[str, Any]) -> list[Change]:
        """Changes row ``i`` makes outside its own table (also when nothing else changed)."""
        return []

    def after_chunk(self, now: datetime) -> None:
        """Write what the chunk's rows changed outside their own table."""

    @staticmethod
    def after_file(session: Session, mapping: Mapping, state: Stream) -> list[Issue]:
        """After the last chunk; the problems found then."""
        return []


class SurveyRows(Rows):
    """Survey answers: the contact who answered, found by e-mail within the account."""

    def add_columns(self, df: pd.DataFrame, incoming: pd.DataFrame, db_cols: list[str]
                    ) -> None:
        if "contact_email" in df:
            incoming["contact_id"] = _contact_ids(self.session, df, self.result, self.state)
            db_cols.append("contact_id")


class AccountRows(Rows):
    """Accounts: the segment derived from ARR (kept when the file says neither), the
    engagement model of a new account, the contract an account file describes, and the
    parent account, linked once the whole file is read."""

    def issues(self, df: pd.DataFrame, rows: pd.Series, columns: dict[str, str]
               ) -> list[Issue]:
        """Problems of rows that need the book to see (the adapter's checks need only the
        file)."""
        return []

    def before_checks(self, df: pd.DataFrame, rows: pd.Series) -> None:
        if "parent_external_id" in df:
            self.state.parents += zip(rows.tolist(), df["external_id"].tolist(),
                                      df["parent_external_id"].map(plain).tolist(),
                                      strict=True)

    def add_columns(self, df: pd.DataFrame, incoming: pd.DataFrame, db_cols: list[str]
                    ) -> None:
        derived = derive_account_columns(df)
        self.arr_known = pd.Series(False, index=df.index)
        if "_arr_known" in derived:
            self.arr_known = derived["_arr_known"] | df.get(
                "segment_override", pd.Series(None, index=df.index)).notna()
        elif "segment_override" in df:
            self.arr_known = df["segment_override"].notna()
        incoming["segment"] = derived["segment"]
        db_cols.append("segment")
        self.extra_custom = _account_contract_fields(df, self.mapping)
        self.engagement = (None if "engagement_model" in incoming
                           else derived["_engagement_default"].tolist())
        self.contracts = _contract_plan(df)
        t_sub = Subscription.__table__
        self.old_contracts = {r.external_id: r for r in self.session.execute(
            select(t_sub.c.id, t_sub.c.external_id, t_sub.c.start_date, t_sub.c.end_date,
                   t_sub.c.arr_cents, t_sub.c.seats, t_sub.c.version, t_sub.c.updated_at)
            .where(t_sub.c.external_id.like("%#contract")))}
        self.contract_writes: list[tuple[str, dict[str, Any], Any]] = []

    def new_defaults(self, i: int) -> dict[str, Any]:
        return {} if self.engagement is None else {"engagement_model": self.engagement[i]}

    def keep_change(self, i: int, changed: dict[str, Any]) -> None:
        if "segment" in changed and not self.arr_known.iat[i]:
            changed.pop("segment")  # neither ARR nor segment in the file: keep the book's

    def row_changes(self, i: int, rec: dict[str, Any]) -> list[Change]:
        plan = self.contracts[i]
        ext = rec.get("external_id")
        old = self.old_contracts.get(f"{ext}#contract")
        diff = _contract_diff(plan, old)
        if plan is not None and diff:
            self.contract_writes.append((rec["external_id"], plan, old))
        return diff

    def after_chunk(self, now: datetime) -> None:
        if self.contract_writes:
            _write_contracts(self.session, self.contract_writes, now, self.state.history)
            self.contract_writes = []

    @staticmethod
    def after_file(session: Session, mapping: Mapping, state: Stream) -> list[Issue]:
        """Parents, which may come later in the file than their children."""
        if not state.parents:
            return []
        ids = account_ids(session)
        column = mapping.mapped()["parent_external_id"]
        issues = [Issue(row, column, parent, "no account with this external id (parent)")
                  for row, _child, parent in state.parents if parent and parent not in ids]
        _set_parents(session, [(child, parent) for _row, child, parent in state.parents],
                     state.history)
        return issues


def derive_account_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Segment (from ARR unless overridden) and engagement model, for account rows."""
    arr = df["arr"] if "arr" in df else pd.Series(pd.NA, index=df.index, dtype="Int64")
    if "mrr" in df:
        arr = arr.fillna(df["mrr"] * 12)
    override = df["segment_override"] if "segment_override" in df else \
        pd.Series(None, index=df.index, dtype=object)
    derived = pd.Series(DEFAULT_BANDS.segments_for(arr.fillna(0).astype("int64").to_numpy()),
                        index=df.index).where(arr.notna().to_numpy(), Segment.UNSEGMENTED.value)
    segment = override.where(override.notna(), derived)
    out = pd.DataFrame(index=df.index)
    out["segment"] = segment
    if "arr" in df or "mrr" in df:
        out["_arr_known"] = arr.notna()
    out["_engagement_default"] = segment.map(
        lambda s: ENGAGEMENT_FOR_SEGMENT[Segment(s)].value)
    return out


def _contact_ids(session: Session, df: pd.DataFrame, result: ImportResult,
                 state: Stream) -> pd.Series:
    """The contact each survey answer came from, found by e-mail within its account."""
    if state.contacts is None:
        state.contacts = {(a, (e or "").casefold()): c for c, a, e in session.execute(
            select(Contact.id, Contact.account_id, Contact.email))}
    known = state.contacts
    emails = df["contact_email"].fillna("").str.casefold()
    found = [known.get((a, e)) if e else None
             for a, e in zip(df["account_id"].tolist(), emails.tolist(), strict=True)]
    missing = sum(1 for f, e in zip(found, emails.tolist(), strict=True) if e and f is None)
    if missing:
        result.notes.append(f"{missing} answers name an e-mail that is not a contact of their "
                            "account; they are kept without a contact")
    return pd.Series(found, index=df.index, dtype=object)


def _account_contract_fields(df: pd.DataFrame, mapping: Mapping) -> list[dict[str, Any]]:
    """ARR, MRR, seats and renewal date of an account file, kept as custom fields too when
    there is no renewal date to build a contract subscription from."""
    mapped = mapping.mapped()
    out: list[dict[str, Any]] = [{} for _ in range(len(df))]
    has_contract = "arr" in df and "renewal_date" in df
    for f in ("arr", "mrr", "seats", "renewal_date"):
        if f not in df or (has_contract and f in ("arr", "renewal_date", "seats")):
            continue
        col = mapped[f]
        for i, v in enumerate(df[f].tolist()):
            v = plain(v)
            if v is not None:
                out[i][col] = v.isoformat() if isinstance(v, date) else (
                    v / 100 if f in ("arr", "mrr") else v)
    return out


def _contract_plan(df: pd.DataFrame) -> list[dict[str, Any] | None]:
    """An account file with ARR and a renewal date describes the current contract: it is kept
    as a subscription (``<external id>#contract``) so ARR and renewals show everywhere."""
    if "arr" not in df or "renewal_date" not in df:
        return [None] * len(df)
    plans: list[dict[str, Any] | None] = []
    for i in range(len(df)):
        arr, renew = plain(df["arr"].iat[i]), plain(df["renewal_date"].iat[i])
        if arr is None or renew is None:
            plans.append(None)
            continue
        since = plain(df["customer_since"].iat[i]) if "customer_since" in df else None
        # The contract runs to the renewal date, which is its end as everywhere in csdesk
        # (the pipeline, the demo, the renewal records): the CRM's date is the one shown.
        end = renew
        start = since if since is not None and since <= end else end - timedelta(days=364)
        seats = plain(df["seats"].iat[i]) if "seats" in df else None
        plans.append({"start_date": start, "end_date": end, "arr_cents": int(arr),
                      "seats": int(seats) if seats is not None else 0})
    return plans


def _contract_diff(plan: dict[str, Any] | None, old: Any) -> list[tuple[str, Any, Any]]:
    """(field, old, new) differences of the contract, in the file's own terms."""
    if plan is None:
        return []
    if old is None:
        return [("arr", None, plan["arr_cents"]),
                ("renewal_date", None, plan["end_date"])]
    out = []
    if old.arr_cents != plan["arr_cents"]:
        out.append(("arr", old.arr_cents, plan["arr_cents"]))
    if old.end_date != plan["end_date"]:
        out.append(("renewal_date", old.end_date, plan["end_date"]))
    if old.seats != plan["seats"]:
        out.append(("seats", old.seats, plan["seats"]))
    if old.start_date != plan["start_date"]:
        out.append(("contract_start", old.start_date, plan["start_date"]))
    return out


def _write_contracts(session: Session, writes: list[tuple[str, dict[str, Any], Any]],
                     now: datetime, history: HistoryWriter | None) -> None:
    ids = account_ids(session)
    t = Subscription.__table__
    for ext, values, old in writes:
        if old is None:
            new_id = session.execute(insert(t).returning(t.c.id), [{
                **values, "account_id": ids[ext], "external_id": f"{ext}#contract",
                "currency": "USD", "auto_renew": False, "billing_frequency": "annual",
                "custom_fields": {}, "version": 1, "created_at": now,
                "updated_at": now}]).scalar_one()
            if history is not None:
                history.created(t.name, [new_id])
        else:
            session.execute(update(t).where(t.c.id == old.id).values(
                **values, version=t.c.version + 1, updated_at=now))
            if history is not None:
                history.row_state(t.name, old.id, old.version, old.updated_at)
                for col, value in values.items():
                    history.change(t.name, old.id, col, getattr(old, col), value)


def _set_parents(session: Session, pairs: list[tuple[str, str | None]],
                 history: HistoryWriter | None = None) -> None:
    ids = account_ids(session)
    t = Account.__table__
    current = dict(session.execute(select(t.c.external_id, t.c.parent_id)).tuples().all())
    params = []
    for child, parent in pairs:
        want = ids.get(parent) if parent else None
        if parent and current.get(child) != want:
            params.append({"_ext": child, "_parent": want})
            if history is not None:
                history.change(t.name, ids[child], "parent_id", current.get(child), want)
    if history is not None:
        history.flush(session)
    if params:
        session.execute(update(t).where(t.c.external_id == bindparam("_ext"))
                        .values(parent_id=bindparam("_parent")), params,
                        execution_options={"synchronize_session": False})


class RateRows(Rows):
    """Exchange rates: a rate of the base currency itself is refused (it is 1), and a rate
    typed by hand is never overwritten by an imported one (kept, and counted)."""

    def issues(self, df: pd.DataFrame, rows: pd.Series, columns: dict[str, str]
               ) -> list[Issue]:
        from csdesk.services.money import Rates

        base = Rates.load(self.session).base
        bad = df["currency"].eq(base).to_numpy()
        return [Issue(int(rows.iat[i]), columns["currency"], base,
                      f"{base} is the base currency, worth 1 by definition (to import rates "
                      "to another, change the base first)") for i in np.flatnonzero(bad)]

    def add_columns(self, df: pd.DataFrame, incoming: pd.DataFrame, db_cols: list[str]
                    ) -> None:
        typed = {(c, d) for c, d in self.session.execute(
            select(ExchangeRate.currency, ExchangeRate.day)
            .where(ExchangeRate.source == RateSource.TYPED))}
        self.keys = list(zip(incoming["currency"].tolist(),
                             [plain(d) for d in incoming["day"].tolist()], strict=True))
        self.typed = typed
        # A file that names no source: what it brings is imported.
        if "source" not in incoming:
            incoming["source"] = RateSource.IMPORTED.value
            db_cols.append("source")

    def keep_change(self, i: int, changed: dict[str, Any]) -> None:
        if self.keys[i] in self.typed and changed.get("source") != RateSource.TYPED.value:
            if "rate_to_base" in changed:
                self.result.kept_typed += 1
                if self.result.kept_typed <= 5:  # name the first few
                    code, day = self.keys[i]
                    self.result.notes.append(
                        f"kept the {code} rate of {day:%d %b %Y} typed by hand; the file's "
                        f"{changed['rate_to_base']:g} is not used")
            changed.clear()
