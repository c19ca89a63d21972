"""One answer per fact: for every account of a book (live, churned, new, with no data at
all, and `AT&T <Legacy> 日本`), the next renewal, its track, the health, the last touch and
the open-task count are the same in the book table, on the account page, in the renewals
pipeline, in the QBR's data and in ``csdesk accounts --json``."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import pytest

from csdesk import clock
from csdesk.cli.main import main
from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.models import Account, Renewal, Subscription
from csdesk.services.book import account_detail as detail
from csdesk.services.book.accounts import account_table
from csdesk.services.plans.qbr import qbr_data
from csdesk.services.renewals.pipeline import pipeline
from csdesk.services.worklist.today import open_tasks
from csdesk.ui.account_page import AccountPage
from csdesk.ui.accounts_model import (
    HEALTH,
    LAST_TOUCH,
    RENEWAL,
    SORT_ROLE,
    TASKS,
    TRACK,
    AccountsModel,
)
from tests.conftest import AS_OF


def _add_edge_accounts(db: Database) -> dict[str, int]:
    """A new account (a subscription, nothing else), an empty one, and AT&T (live)."""
    with db.write() as s:
        new = Account(external_id="NEW-1", name="Brand New Ltd", segment="smb",
                      engagement_model="tech_touch", customer_since=AS_OF - timedelta(days=3))
        empty = Account(external_id="EMPTY-1", name="Nothing Yet GmbH", segment="smb",
                        engagement_model="tech_touch")
        att = Account(external_id="ATT-1", name="AT&T <Legacy> 日本 (live)",
                      segment="enterprise", engagement_model="high_touch", owner="Ana Ruiz")
        s.add_all([new, empty, att])
        s.flush()
        for acc, end in ((new, AS_OF + timedelta(days=362)), (att, AS_OF + timedelta(days=40))):
            s.add(Subscription(account_id=acc.id, start_date=end - timedelta(days=364),
                               end_date=end, plan="Pro", seats=10, arr_cents=1_200_000,
                               currency="USD"))
        s.add(Renewal(account_id=att.id, renewal_date=AS_OF + timedelta(days=40),
                      current_arr_cents=1_200_000, currency="USD", track="auto_renew",
                      track_override="at_risk",  # the CSM's call: every place shows it
                      track_override_reason="the CFO announced budget cuts"))
        return {"new": new.id, "empty": empty.id, "att": att.id}


def _plain(value: object) -> object:
    return getattr(value, "value", value)


def _page_renewal(page: AccountPage) -> tuple[date | None, str | None]:
    found = re.search(r"renews (\d\d \w{3} \d{4}) \((-?\d+) days, ([\w-]+) track\)",
                      page.subtitle.text())
    if found is None:
        assert "no renewal pending" in page.subtitle.text()
        return None, None
    when = datetime.strptime(found[1], "%d %b %Y").date()
    assert int(found[2]) == (when - clock.today()).days
    return when, found[3].replace("-", "_")


@pytest.mark.slow
def test_every_place_gives_one_answer(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                      demo_location: DatabaseLocation, capsys) -> None:
    edge = _add_edge_accounts(demo_db)
    with clock.pin(AS_OF):
        table = account_table(demo_db, as_of=AS_OF)
        model = AccountsModel()
        model.set_table(table)
        model.set_filters(churned=True)  # every account, churned ones too
        pipe = {r.account_id: r for r in pipeline(demo_db, today=AS_OF)}
        tasks: dict[int, int] = {}
        for t in open_tasks(demo_db, AS_OF):
            tasks[t.account_id] = tasks.get(t.account_id, 0) + 1
        assert main(["accounts", "--db", str(demo_location.path), "--as-of", "2026-11-22",
                     "--json", "--include-churned"]) == 0
        cli = {r["external_id"]: r for r in json.loads(capsys.readouterr().out)["accounts"]}

        c = {n: i for i, n in enumerate(table.columns)}
        book = {}
        for row in range(model.rowCount()):
            aid = model.account_id(row)
            book[aid] = {
                "renewal": model.index(row, RENEWAL).data(SORT_ROLE),
                "track": _plain(model.index(row, TRACK).data(SORT_ROLE)),
                "health": model.index(row, HEALTH).data(SORT_ROLE),
                "shown": model.index(row, HEALTH).data(),
                "touch": model.index(row, LAST_TOUCH).data(SORT_ROLE),
                "tasks": model.index(row, TASKS).data(SORT_ROLE)}
        assert len(book) == 253
        # ARR: the customer's amount and currency, and the base amount (one function)
        money = {r[c["id"]]: (r[c["arr_cents"]], r[c["currency"]], r[c["arr_base_cents"]])
                 for r in table.rows}
        assert {m[1] for m in money.values() if m[0]} >= {"USD", "EUR", "GBP"}
        statuses = {r[c["id"]]: r[c["status"]].value for r in table.rows}
        ext = {r[c["id"]]: r[c["external_id"]] for r in table.rows}
        kinds = {"active", "churned"} <= set(statuses.values())
        assert kinds

        for aid, fact in book.items():
            who = ext[aid]
            # the renewals pipeline
            r = pipe.get(aid)
            assert fact["renewal"] == (r.renewal_date if r else None), who
            assert fact["track"] == (r.track if r else None), who
            if r is not None:
                assert fact["health"] == r.health, who
                assert (r.health_note or "—") == (fact["shown"] if fact["health"] is None
                                                  else "—"), who
            if statuses[aid] == "churned":
                assert r is None and fact["health"] is None, who
            # the command line
            line = cli[who]
            assert line["next_renewal"] == (fact["renewal"].isoformat()
                                            if fact["renewal"] else None), who
            assert line["track"] == fact["track"], who
            assert line["health_score"] == (None if fact["health"] is None
                                            else round(fact["health"], 1)), who
            assert (line["health_note"] or "—") == (fact["shown"] if fact["health"] is None
                                                    else "—"), who
            assert line["last_touch"] == (fact["touch"].isoformat()
                                          if fact["touch"] else None), who
            assert line["open_tasks"] == fact["tasks"], who
            assert (line["arr_cents"], line["currency"], line["arr_base_cents"]) == \
                money[aid], who
            # the worklist
            assert fact["tasks"] == tasks.get(aid, 0), who

        # The account page, the timeline and the QBR, for a spread of accounts of each kind.
        live = [a for a in book if statuses[a] == "active"]
        churned = [a for a in book if statuses[a] == "churned"]
        sample = sorted(set(live[::12] + churned[::8] + list(edge.values())))
        for aid in sample:
            fact, who = book[aid], ext[aid]
            page = AccountPage(demo_db, aid)
            qtbot.addWidget(page)
            assert _page_renewal(page) == (fact["renewal"], fact["track"]), who
            badge = page.badge.text()
            if statuses[aid] == "churned":
                assert badge.startswith("● churned"), who
            elif fact["shown"] == "not enough data":  # scored, on too little evidence
                assert badge == "● not enough data", who
            elif fact["health"] is None:
                assert badge in ("● no score", "● not scored yet"), who
            else:
                assert badge.startswith(f"● {fact['health']:.0f} "), who
            assert page.account_header.last_touch == fact["touch"], who
            h = page.account_header
            if money.get(aid, (None,))[0] is not None:
                assert (h.arr_cents, h.currency, h.arr_base_cents) == money[aid], who
            # Last touch: the latest of the timeline and the contacts' last contact.
            touches = [t.occurred_on for t in detail.timeline(demo_db, aid, None)
                       if t.occurred_on <= AS_OF]
            touches += [c.last_contacted for c in detail.contacts(demo_db, aid)
                        if c.last_contacted is not None and c.last_contacted <= AS_OF]
            assert fact["touch"] == (max(touches) if touches else None), who
            if statuses[aid] == "active" and aid != edge["empty"]:
                q = qbr_data(demo_db, aid, "2026Q3", today=AS_OF) if aid not in (
                    edge["new"],) else None
                if q is not None:
                    assert q.commercial.renewal_date == fact["renewal"], who
                    assert q.commercial.track == fact["track"], who
                    assert q.header.renewal_date == fact["renewal"], who
                    if r := pipe.get(aid):
                        assert q.commercial.likelihood == r.likelihood, who
            page.close()
        assert {edge["new"], edge["empty"], edge["att"]} <= set(sample)
        assert book[edge["empty"]] == {"renewal": None, "track": None, "health": None,
                                       "shown": "—", "touch": None, "tasks": 0}
        assert book[edge["att"]]["renewal"] == AS_OF + timedelta(days=40)
        assert book[edge["att"]]["track"] == "at_risk"
