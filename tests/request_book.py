"""A small book of customers asking for things, shared by the request tests: AT&T $120,000,
Müller €50,000 (1 EUR = 1.10 USD from 1 Jan 2026, so $55,000), Gone Ltd churned with
$80,000 still on its contract, Pound plc £40,000 with no GBP rate; the base is USD."""

from __future__ import annotations

from datetime import date

from csdesk.db import Database
from csdesk.models import Account, Contact, Subscription
from csdesk.models.enums import AccountStatus
from csdesk.services.money import save_rate

ATT = "AT&T <Legacy> 日本"
ACCOUNTS = (("ATT-1", ATT, 120_000, "USD", AccountStatus.ACTIVE),
            ("MUL-1", "Müller & Söhne", 50_000, "EUR", AccountStatus.ACTIVE),
            ("GONE-1", "Gone Ltd", 80_000, "USD", AccountStatus.CHURNED),
            ("GBP-1", "Pound plc", 40_000, "GBP", AccountStatus.ACTIVE))


def asking_accounts(db: Database) -> dict[str, int]:
    """The accounts above (and Ana Souza, a contact at AT&T); their ids by external id."""
    save_rate(db, "EUR", date(2026, 1, 1), 1.10)
    ids: dict[str, int] = {}
    with db.write() as s:
        for ext, name, units, cur, status in ACCOUNTS:
            a = Account(external_id=ext, name=name, segment="smb",
                        engagement_model="tech_touch", status=status)
            s.add(a)
            s.flush()
            s.add(Subscription(account_id=a.id, start_date=date(2026, 1, 1),
                               end_date=date(2026, 12, 31), arr_cents=units * 100,
                               currency=cur))
            ids[ext] = a.id
        s.add(Contact(account_id=ids["ATT-1"], name="Ana Souza"))
    return ids
