"""Product feedback that closes the loop: customers' asks, grouped into product items,
ranked by the ARR at stake, and told back to the customer when they ship.

- A request is one account's ask (title, detail, kind, who asked, when). It joins the
  product item of the same normalised title, or the item the CSM names ("the same as that
  one"); otherwise it starts a new item.
- The product team's status of an item (new, under review, planned, in progress, shipped,
  won't do) is typed here or imported from a CSV (``requests_io``); a shipped item carries
  the day it shipped.
- **ARR at stake** (:data:`ARR_RULE`): per item, the ARR today of each *live* customer that
  asked, each account once, converted to the base currency at today's rate by
  :func:`csdesk.services.money.arr_by_account`. A churned account is listed but not summed;
  an item whose sum needs a missing rate shows no sum and names the currency.
- The QBR's "what's new": what the account asked for that shipped in the period, the product
  updates released in it, and the roadmap (items planned or in progress) — customer-safe:
  titles and status words only, never the internal note, other accounts or their ARR.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError, ValidationError
from csdesk.models import Account, Contact, FeatureRequest, ProductItem, ProductUpdate
from csdesk.models.enums import AccountStatus, ProductStatus, RequestKind
from csdesk.services.formatting import format_date
from csdesk.services.health.pulse import account_id_of
from csdesk.services.money import Rates, arr_by_account

ARR_RULE = ("ARR at stake: the ARR today of each live customer that asked (churned accounts "
            "are listed but not summed), each account once, in the base currency at today's "
            "rate; an item that needs a missing rate shows no sum.")
ROADMAP = (ProductStatus.PLANNED, ProductStatus.IN_PROGRESS)
ROADMAP_SHOWN = 8  # roadmap lines in a QBR: the account's own asks first

# What product teams' tools call each status, read case- and punctuation-blind.
_STATUS_WORDS = {
    "new": ProductStatus.NEW, "open": ProductStatus.NEW, "backlog": ProductStatus.NEW,
    "underreview": ProductStatus.UNDER_REVIEW, "inreview": ProductStatus.UNDER_REVIEW,
    "review": ProductStatus.UNDER_REVIEW, "triage": ProductStatus.UNDER_REVIEW,
    "planned": ProductStatus.PLANNED, "scheduled": ProductStatus.PLANNED,
    "committed": ProductStatus.PLANNED,
    "inprogress": ProductStatus.IN_PROGRESS, "indevelopment": ProductStatus.IN_PROGRESS,
    "started": ProductStatus.IN_PROGRESS,
    "shipped": ProductStatus.SHIPPED, "released": ProductStatus.SHIPPED,
    "done": ProductStatus.SHIPPED, "live": ProductStatus.SHIPPED,
    "wontdo": ProductStatus.WONT_DO, "wontfix": ProductStatus.WONT_DO,
    "declined": ProductStatus.WONT_DO, "rejected": ProductStatus.WONT_DO,
}


def title_key(title: str) -> str:
    """The words of a title, casefolded, with spaces and end punctuation evened out: asks
    written "SSO via Okta" and "sso  via okta." group as one."""
    return " ".join(title.casefold().split()).strip(" .!?;:,")


def parse_status(text: str | ProductStatus) -> ProductStatus:
    """A status as people write it: "In progress", "in-progress", "WON'T DO", "released"."""
    if isinstance(text, ProductStatus):
        return text
    word = re.sub(r"[^a-z]", "", text.casefold())
    if word in _STATUS_WORDS:
        return _STATUS_WORDS[word]
    raise ValidationError("status", f"not a product status: {text.strip()!r} (one of "
                                    f"{', '.join(s.label.lower() for s in ProductStatus)})")


def parse_kind(text: str | RequestKind) -> RequestKind:
    if isinstance(text, RequestKind):
        return text
    word = re.sub(r"[^a-z]", "", text.casefold())
    for kind in RequestKind:
        if word in (kind.value.replace("_", ""), re.sub(r"[^a-z]", "", kind.label.casefold()),
                    kind.value.split("_")[-1], kind.value.split("_")[0]):
            return kind
    raise ValidationError("kind", f"a request is a feature request, a product gap or a bug, "
                                  f"not {text!r}")


@dataclass(frozen=True)
class Item:
    """A product item as the CSM and the product team see it."""

    id: int
    title: str
    status: str  # ProductStatus value
    shipped_on: date | None
    external_id: str | None
    internal_note: str | None = None

    @property
    def status_label(self) -> str:
        return ProductStatus(self.status).label


@dataclass(frozen=True)
class Request:
    """One account's ask, with its item's status."""

    id: int
    account_id: int
    account_name: str
    item: Item
    title: str
    detail: str | None
    kind: str  # RequestKind value
    asked_by: str | None  # the contact's name, or the name as typed
    asked_on: date

    @property
    def kind_label(self) -> str:
        return RequestKind(self.kind).label


@dataclass(frozen=True)
class Asker:
    """An account that asked for an item, with its ARR today."""

    account_id: int
    name: str
    external_id: str
    live: bool  # a customer now (not churned): only live accounts are summed
    arr_cents: int | None  # in the customer's currency (None: no contract live today)
    currency: str | None
    base_cents: int | None  # in the base currency (None: no contract, or no rate)
    missing: str  # the currencies with no rate ("" when none)
    first_asked: date
    asks: int


@dataclass(frozen=True)
class RankedItem:
    item: Item
    accounts: tuple[Asker, ...]
    arr_at_stake_cents: int | None  # in the base; None when a rate is missing
    missing: tuple[str, ...]  # the currencies whose rate is missing
    first_asked: date

    @property
    def account_count(self) -> int:
        return len(self.accounts)

    @property
    def live_count(self) -> int:
        return sum(1 for a in self.accounts if a.live)


@dataclass(frozen=True)
class RankedRequests:
    items: tuple[RankedItem, ...]
    base_currency: str
    as_of: date
    rule: str = ARR_RULE


@dataclass(frozen=True)
class Update:
    id: int
    title: str
    description: str | None
    released_on: date
    item_id: int | None
    item_title: str | None


def _item(row: ProductItem) -> Item:
    return Item(row.id, row.title, row.status.value, row.shipped_on, row.external_id,
                row.internal_note)


def _clean(text: str | None, what: str, limit: int = 500) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise ValidationError(what, f"a {what} cannot be blank")
    if len(value) > limit:
        raise ValidationError(what, f"a {what} is at most {limit} characters")
    return value


def _get_item(s: Session, item_id: int) -> ProductItem:
    row = s.get(ProductItem, item_id)
    if row is None:
        raise CsdeskError(f"no product item with id {item_id} (csdesk requests lists them)")
    return row


def item_for(s: Session, title: str) -> ProductItem:
    """The item a new ask of ``title`` joins: the one of the same normalised title, or a new
    one."""
    key = title_key(title)
    row = s.scalar(select(ProductItem).where(ProductItem.key == key))
    if row is None:
        row = ProductItem(title=title, key=key, status=ProductStatus.NEW)
        s.add(row)
        s.flush()
    return row


def log_request(db: Database, account_ref: int | str, title: str, *,
                detail: str | None = None, kind: str | RequestKind = RequestKind.FEATURE_REQUEST,
                asked_by: str | None = None, contact_id: int | None = None,
                asked_on: date | None = None, same_as: int | None = None) -> Request:
    """Log an account's ask (by id, external id or exact name). It joins product item
    ``same_as`` when given, else the item of the same normalised title, else a new item.
    ``asked_by`` names a contact of the account when one has that name (else it is kept as
    typed). Checked first: a refused request writes nothing."""
    title = _clean(title, "title")
    kind = parse_kind(kind)
    today = clock.today()
    asked_on = asked_on or today
    if asked_on > today:
        raise ValidationError("asked_on", f"a request was asked on a day gone by, not "
                                          f"{format_date(asked_on)}")
    account_id = account_id_of(db, account_ref)
    name = " ".join((asked_by or "").split()) or None
    with db.write() as s:
        if contact_id is not None:
            contact = s.get(Contact, contact_id)
            if contact is None or contact.account_id != account_id:
                raise CsdeskError(f"no contact with id {contact_id} at this account")
        elif name is not None:
            contact_id = s.scalar(select(Contact.id).where(
                Contact.account_id == account_id,
                func.lower(Contact.name) == name.lower()).limit(1))
        item = _get_item(s, same_as) if same_as is not None else item_for(s, title)
        row = FeatureRequest(account_id=account_id, item_id=item.id, title=title,
                             detail=(detail or "").strip() or None, kind=kind,
                             contact_id=contact_id, asked_by=None if contact_id else name,
                             asked_on=asked_on)
        s.add(row)
        s.flush()
        return _requests(s, FeatureRequest.id == row.id)[0]


def _requests(s: Session, *where: Any) -> list[Request]:
    rows = s.execute(
        select(FeatureRequest, ProductItem, Account.name, Contact.name)
        .join(ProductItem, ProductItem.id == FeatureRequest.item_id)
        .join(Account, Account.id == FeatureRequest.account_id)
        .outerjoin(Contact, Contact.id == FeatureRequest.contact_id)
        .where(*where)
        .order_by(FeatureRequest.asked_on.desc(), FeatureRequest.id.desc())).all()
    return [Request(r.id, r.account_id, account, _item(item), r.title, r.detail, r.kind.value,
                    contact or r.asked_by, r.asked_on) for r, item, account, contact in rows]


def account_requests(db: Database, account_id: int) -> list[Request]:
    """The account's asks, newest first, each with its item's product status."""
    with db.read() as s:
        return _requests(s, FeatureRequest.account_id == account_id)


def items(db: Database) -> list[Item]:
    """Every product item, by title (for a "same as" choice)."""
    with db.read() as s:
        return [_item(r) for r in s.scalars(select(ProductItem).order_by(ProductItem.key))]


def same_as(db: Database, request_id: int, item_id: int) -> Request:
    """"This ask is the same as that item": move a request under another product item. An
    item left with no ask, no update and no external id goes."""
    with db.write() as s:
        row = s.get(FeatureRequest, request_id)
        if row is None:
            raise CsdeskError(f"no request with id {request_id}")
        target = _get_item(s, item_id)
        old = row.item_id
        row.item_id = target.id
        s.flush()
        _drop_if_empty(s, old)
        return _requests(s, FeatureRequest.id == request_id)[0]


def merge_items(db: Database, item_id: int, into_item_id: int) -> Item:
    """"This item is the same as that one": its asks and updates move to ``into_item_id``
    and it goes. The item kept keeps its own status."""
    if item_id == into_item_id:
        raise ValidationError("item", "an item is already the same as itself")
    with db.write() as s:
        gone, kept = _get_item(s, item_id), _get_item(s, into_item_id)
        for ask in s.scalars(select(FeatureRequest).where(FeatureRequest.item_id == gone.id)):
            ask.item_id = kept.id
        for update in s.scalars(select(ProductUpdate).where(ProductUpdate.item_id == gone.id)):
            update.item_id = kept.id
        if kept.external_id is None and gone.external_id is not None:
            external, gone.external_id = gone.external_id, None
            s.flush()
            kept.external_id = external
        s.delete(gone)
        s.flush()
        return _item(kept)


def delete_request(db: Database, request_id: int) -> Request:
    """Remove an ask logged by mistake; its product item goes too when nothing else uses it
    (an item the product team's tool knows, by its external id, stays). Returns what was
    removed."""
    with db.write() as s:
        found = _requests(s, FeatureRequest.id == request_id)
        if not found:
            raise CsdeskError(f"no request {request_id} (csdesk requests --account ACCOUNT "
                              "lists them)")
        row = s.get(FeatureRequest, request_id)
        s.delete(row)
        s.flush()
        _drop_if_empty(s, found[0].item.id)
        return found[0]


def delete_update(db: Database, update_id: int) -> str:
    """Remove a product update kept by mistake; returns its title. The item it delivered
    keeps its status (the product team's word)."""
    with db.write() as s:
        row = s.get(ProductUpdate, update_id)
        if row is None:
            raise CsdeskError(f"no product update {update_id} (csdesk updates list shows "
                              "them)")
        title = row.title
        s.delete(row)
        return title


def _drop_if_empty(s: Session, item_id: int) -> None:
    row = s.get(ProductItem, item_id)
    if row is None or row.external_id is not None:
        return
    if s.scalar(select(func.count()).where(FeatureRequest.item_id == item_id)) or \
            s.scalar(select(func.count()).where(ProductUpdate.item_id == item_id)):
        return
    s.delete(row)


def apply_status(row: ProductItem, status: ProductStatus, shipped_on: date | None,
                 today: date) -> bool:
    """Set an item's status (and shipped date; a shipped item with none ships ``today``
    unless it has one already); returns whether anything changed."""
    if status is not ProductStatus.SHIPPED and shipped_on is not None:
        raise ValidationError("shipped", f"a shipped date goes with the status shipped, not "
                                         f"{status.label.lower()}")
    if shipped_on is not None and shipped_on > today:
        raise ValidationError("shipped", f"{format_date(shipped_on)} is still to come: an "
                                         "item ships on a day gone by")
    if status is ProductStatus.SHIPPED:
        shipped_on = shipped_on or row.shipped_on or today
    changed = (row.status, row.shipped_on) != (status, shipped_on)
    row.status, row.shipped_on = status, shipped_on
    return changed


def set_status(db: Database, item_id: int, status: str | ProductStatus,
               shipped_on: date | None = None, *, external_id: str | None = None,
               internal_note: str | None = None) -> Item:
    """The product team's status of an item (a shipped item without a date ships today);
    optionally its id in the product team's tool and our internal note."""
    value = parse_status(status)
    with db.write() as s:
        row = _get_item(s, item_id)
        apply_status(row, value, shipped_on, clock.today())
        if external_id is not None:
            row.external_id = external_id.strip() or None
        if internal_note is not None:
            row.internal_note = internal_note.strip() or None
        s.flush()
        return _item(row)


def ranked_requests(db: Database, *, today: date | None = None) -> RankedRequests:
    """Every product item with at least one ask, ranked by ARR at stake (:data:`ARR_RULE`):
    largest first, then the items whose sum needs a missing rate, then by accounts and by
    the first ask."""
    today = today or clock.today()
    with db.read() as s:
        rows = s.execute(
            select(FeatureRequest.item_id, FeatureRequest.account_id,
                   func.min(FeatureRequest.asked_on), func.count())
            .group_by(FeatureRequest.item_id, FeatureRequest.account_id)).all()
        item_rows = {r.id: _item(r) for r in s.scalars(select(ProductItem))}
        accounts = {a.id: a for a in s.execute(
            select(Account.id, Account.name, Account.external_id, Account.status))}
        rates = Rates.load(s)
        arr = arr_by_account(s, day=today, account_ids=sorted({r[1] for r in rows}),
                             rates_=rates)
    by_item: dict[int, list[Asker]] = {}
    for item_id, account_id, first, asks in rows:
        a = accounts[account_id]
        cents = currency = base = None
        missing = ""
        if account_id in arr.index:
            line = arr.loc[account_id]
            cents = None if _nan(line["arr_cents"]) else int(line["arr_cents"])
            currency = str(line["currency"])
            base = None if _nan(line["base_cents"]) else int(line["base_cents"])
            missing = str(line["missing"] or "")
        by_item.setdefault(item_id, []).append(Asker(
            account_id, a.name, a.external_id, a.status is not AccountStatus.CHURNED, cents,
            currency, base, missing, first, int(asks)))
    ranked = []
    for item_id, askers in by_item.items():
        live = [a for a in askers if a.live]
        gaps = tuple(sorted({c.strip() for a in live if a.missing
                             for c in a.missing.split(",")}))
        total = None if gaps else sum(a.base_cents or 0 for a in live)
        askers.sort(key=lambda a: (not a.live, -(a.base_cents or 0), a.name.casefold()))
        ranked.append(RankedItem(item_rows[item_id], tuple(askers), total, gaps,
                                 min(a.first_asked for a in askers)))
    ranked.sort(key=lambda r: (r.arr_at_stake_cents is None, -(r.arr_at_stake_cents or 0),
                               -r.account_count, r.first_asked, r.item.title.casefold()))
    return RankedRequests(tuple(ranked), rates.base, today)


def _nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# -- product updates ------------------------------------------------------------------------

def add_update(db: Database, title: str, released_on: date, *,
               description: str | None = None, item_id: int | None = None) -> Update:
    """A product update the CSM keeps for the QBR. Delivering an item that has not shipped
    yet, released by today, ships it on the release day."""
    title = _clean(title, "title")
    with db.write() as s:
        item = _get_item(s, item_id) if item_id is not None else None
        row = ProductUpdate(title=title, description=(description or "").strip() or None,
                            released_on=released_on, item_id=item_id)
        s.add(row)
        if item is not None and item.status is not ProductStatus.SHIPPED \
                and released_on <= clock.today():
            apply_status(item, ProductStatus.SHIPPED, released_on, clock.today())
        s.flush()
        return Update(row.id, row.title, row.description, row.released_on, item_id,
                      item.title if item is not None else None)


def product_updates(db: Database, start: date | None = None,
                    end: date | None = None) -> list[Update]:
    """The product updates (released from ``start`` to ``end`` when given), newest first."""
    stmt = (select(ProductUpdate, ProductItem.title)
            .outerjoin(ProductItem, ProductItem.id == ProductUpdate.item_id)
            .order_by(ProductUpdate.released_on.desc(), ProductUpdate.id.desc()))
    if start is not None:
        stmt = stmt.where(ProductUpdate.released_on >= start)
    if end is not None:
        stmt = stmt.where(ProductUpdate.released_on <= end)
    with db.read() as s:
        return [Update(u.id, u.title, u.description, u.released_on, u.item_id, t)
                for u, t in s.execute(stmt)]


# -- what's new, for the QBR ------------------------------------------------------------------

@dataclass(frozen=True)
class RoadmapLine:
    title: str
    status: str  # ProductStatus value: planned or in_progress
    asked_by_account: bool  # this account asked for it
    internal_note: str | None  # ours alone: the customer's document never shows it

    @property
    def status_label(self) -> str:
        return ProductStatus(self.status).label


@dataclass(frozen=True)
class WhatsNew:
    """"You asked, we shipped", the period's product updates and the roadmap."""

    shipped: tuple[Item, ...]  # items the account asked for, shipped in the period
    updates: tuple[Update, ...]  # released in the period
    roadmap: tuple[RoadmapLine, ...]  # planned or in progress, the account's own asks first
    roadmap_more: int = 0  # roadmap items left out for room

    def __bool__(self) -> bool:
        return bool(self.shipped or self.updates or self.roadmap)


def whats_new(db: Database, account_id: int, start: date, end: date) -> WhatsNew:
    """What the account asked for that shipped from ``start`` to ``end``, the product updates
    released then, and the roadmap now (planned or in progress)."""
    with db.read() as s:
        asked = set(s.scalars(select(FeatureRequest.item_id)
                              .where(FeatureRequest.account_id == account_id)))
        shipped = [_item(r) for r in s.scalars(
            select(ProductItem).where(ProductItem.id.in_(asked),
                                      ProductItem.status == ProductStatus.SHIPPED,
                                      ProductItem.shipped_on >= start,
                                      ProductItem.shipped_on <= end)
            .order_by(ProductItem.shipped_on, ProductItem.key))] if asked else []
        planned = s.scalars(select(ProductItem).where(ProductItem.status.in_(ROADMAP))
                            .order_by(ProductItem.key)).all()
        roadmap = sorted((RoadmapLine(r.title, r.status.value, r.id in asked, r.internal_note)
                          for r in planned),
                         key=lambda x: (not x.asked_by_account, x.status != "in_progress"))
    updates = product_updates(db, start, end)
    return WhatsNew(tuple(shipped), tuple(reversed(updates)), tuple(roadmap[:ROADMAP_SHOWN]),
                    max(0, len(roadmap) - ROADMAP_SHOWN))
