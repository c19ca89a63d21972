"""The demo book's product feedback: a handful of product items asked for by several
accounts (some shipped this quarter, some planned or in progress, one declined) and the
product updates the CSM keeps. Deterministic for a seed and a day; drawn from a generator of
its own, so the rest of the book is as it was before feedback existed."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.models import Contact, FeatureRequest, ProductItem, ProductUpdate
from csdesk.models.enums import ProductStatus, RequestKind

# title, status, days into the quarter it shipped (shipped only), kind, how many asked,
# the words customers used, our internal note
ITEMS = (
    ("Single sign-on with Okta and Azure AD", ProductStatus.SHIPPED, 20,
     RequestKind.FEATURE_REQUEST, 7, ("SSO via Okta", "Azure AD login", "Single sign-on"),
     None),
    ("Bulk user import from CSV", ProductStatus.SHIPPED, 45, RequestKind.PRODUCT_GAP, 4,
     ("Import users from a spreadsheet", "Bulk user upload"), None),
    ("Audit log export", ProductStatus.IN_PROGRESS, None, RequestKind.PRODUCT_GAP, 6,
     ("Audit log for SOX", "Export the audit trail"), "Security review pending"),
    ("Custom fields on dashboards", ProductStatus.PLANNED, None, RequestKind.FEATURE_REQUEST,
     5, ("Our own fields in dashboards", "Custom dashboard fields"), None),
    ("Data residency in the EU", ProductStatus.PLANNED, None, RequestKind.PRODUCT_GAP, 3,
     ("EU data centre", "Keep our data in the EU"),
     "Needs infrastructure budget; not before next fiscal year"),
    ("Salesforce two-way sync", ProductStatus.UNDER_REVIEW, None, RequestKind.FEATURE_REQUEST,
     4, ("Sync back to Salesforce", "Two-way CRM sync"), None),
    ("Offline mobile app", ProductStatus.WONT_DO, None, RequestKind.FEATURE_REQUEST, 2,
     ("Mobile app that works offline",), None),
    ("Report export times out", ProductStatus.NEW, None, RequestKind.BUG, 2,
     ("Exports of big reports time out",), None),
)
# title, description, days before the book's day (or None: on the item's ship day), item
UPDATES = (
    ("Single sign-on with Okta and Azure AD", "Sign in with your company's identity "
     "provider; users are created on first sign-in.", None, 0),
    ("Bulk user import", "Add hundreds of users from a CSV file in one step.", None, 1),
    ("New usage dashboards", "Adoption by team and feature, ready to share.", 40, None),
    ("Faster reports", "Large reports open up to five times faster.", 130, None),
)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def product_feedback(s: Session, *, seed: int, as_of: date, since: np.ndarray,
                     churned_on: np.ndarray) -> int:
    """Write the items, asks and updates; returns the rows written. ``since`` and
    ``churned_on`` are the accounts' ordinal days (account ``i`` has id ``i + 1``; -1: not
    churned)."""
    rng = np.random.default_rng([seed, 23])
    first_contact = dict(s.execute(select(Contact.account_id, func.min(Contact.id))
                                   .group_by(Contact.account_id)).tuples().all())
    start = quarter_start(as_of)
    today = as_of.toordinal()
    rows = 0
    ids: list[int] = []
    for title, status, ship_in, kind, asked, words, note in ITEMS:
        shipped = (min(start + timedelta(days=ship_in), as_of)
                   if status is ProductStatus.SHIPPED and ship_in is not None else None)
        item = ProductItem(title=title, key=" ".join(title.casefold().split()),
                           status=status, shipped_on=shipped, internal_note=note,
                           external_id=f"PROD-{100 + len(ids)}")
        s.add(item)
        s.flush()
        ids.append(item.id)
        rows += 1
        # mostly live customers; now and then one that has churned since it asked
        live = np.flatnonzero(churned_on < 0)
        gone = np.flatnonzero(churned_on >= 0)
        who = list(rng.choice(live, size=min(asked, len(live)), replace=False))
        if len(gone) and rng.random() < 0.5:
            who.append(int(rng.choice(gone)))
        last = (shipped.toordinal() - 7) if shipped else today
        for k, i in enumerate(sorted(int(x) for x in who)):
            end = min(last, int(churned_on[i]) if churned_on[i] >= 0 else last)
            lo = min(max(int(since[i]), end - 300), end)
            day = date.fromordinal(int(lo + rng.integers(0, end - lo + 1)))
            s.add(FeatureRequest(account_id=i + 1, item_id=item.id,
                                 title=words[k % len(words)], kind=kind, asked_on=day,
                                 contact_id=first_contact.get(i + 1)))
            rows += 1
    for title, description, ago, item_at in UPDATES:
        if ago is None:
            ship = s.get(ProductItem, ids[item_at or 0])
            released = ship.shipped_on if ship is not None and ship.shipped_on else as_of
        else:
            released = as_of - timedelta(days=ago)
        s.add(ProductUpdate(title=title, description=description, released_on=released,
                            item_id=ids[item_at] if item_at is not None else None))
        rows += 1
    s.flush()
    return rows
