"""The account page as a CSM reads it: open tasks and key contacts at a glance, the health
breakdown's raw values, and the timeline grouped by day with its filters — on a live account,
a churned one, a brand-new empty one and one named ``AT&T <Legacy> 日本``."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from sqlalchemy import select, update

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Account, Activity, Contact, Task
from csdesk.services.book import account_detail as detail
from csdesk.services.worklist.rules import run_rules
from csdesk.services.worklist.today import open_tasks
from csdesk.ui.account_page import AccountPage
from tests.conftest import AS_OF
from tests.ui.conftest import new_account, show_account_page

DAY_ROLE = Qt.ItemDataRole.UserRole + 1


def _page(qtbot, db: Database, account_id: int) -> AccountPage:  # type: ignore[no-untyped-def]
    page: AccountPage = show_account_page(qtbot, db, account_id)
    return page


def _expected_tasks(db: Database, account_id: int) -> list[int]:
    """The account's open tasks as the Today worklist has them (the whole book's list)."""
    return [t.id for t in open_tasks(db, AS_OF) if t.account_id == account_id]


def _check_glance(page: AccountPage, db: Database) -> None:
    tasks = _expected_tasks(db, page.account_id)
    shown = [page.glance_tasks.item(i).data(Qt.ItemDataRole.UserRole)
             for i in range(page.glance_tasks.count())]
    assert sorted(shown) == sorted(tasks)
    text = page.tasks_summary.text()
    if tasks:
        assert text.startswith(f"{len(tasks)} open task"), text
    else:
        assert text == "No open tasks" and not page.glance_tasks.isVisibleTo(page)
    # the key contacts: every champion, sponsor and buyer, or a line saying where to add one
    people = detail.contacts(db, page.account_id)
    lines = [label.text() for label in page.key_contact_labels]
    for flag, role in (("is_champion", "Champion"), ("is_executive_sponsor",
                                                       "Executive sponsor"),
                       ("is_economic_buyer", "Economic buyer")):
        holders = [c for c in people if getattr(c, flag)]
        if not holders:
            assert f"No {role.lower()} recorded — add one on Contacts" in lines
        for c in holders:
            line = next(x for x in lines if x.startswith(f"{role}: {c.name}"))
            assert ("left the company" in line) == c.left_company
            if c.last_contacted is not None:
                assert f"last touched {c.last_contacted:%d %b %Y}" in line


def _check_timeline(page: AccountPage) -> None:
    """Day headings newest first, each activity under its own day."""
    tree = page.timeline_list
    days = [tree.topLevelItem(i).data(0, DAY_ROLE) for i in range(tree.topLevelItemCount())]
    assert days == sorted(set(days), reverse=True)  # newest first, each day once
    assert page.timeline_days() == [detail.day_heading(d, AS_OF) for d in days]
    by_id = {a.id: a for a in page.timeline_items}
    for i, day in enumerate(days):
        head = tree.topLevelItem(i)
        assert not head.flags() & Qt.ItemFlag.ItemIsSelectable  # a heading, not a row
        for j in range(head.childCount()):
            assert by_id[head.child(j).data(0, Qt.ItemDataRole.UserRole)].occurred_on == day


def _live_with_tasks(db: Database) -> int:
    """A live account with open tasks, one of them made overdue."""
    run_rules(db, AS_OF)
    rows = open_tasks(db, AS_OF)
    counts: dict[int, int] = {}
    for t in rows:
        if t.account_id is not None:
            counts[t.account_id] = counts.get(t.account_id, 0) + 1
    account_id = max(counts, key=lambda a: (counts[a], -a))
    first = next(t for t in rows if t.account_id == account_id)
    with db.write() as s:
        s.execute(update(Task).where(Task.id == first.id)
                  .values(due_date=AS_OF - timedelta(days=3)))
    return account_id


def test_a_live_account_at_a_glance_and_its_timeline(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                     pinned_today: date) -> None:
    account_id = _live_with_tasks(demo_db)
    page = _page(qtbot, demo_db, account_id)
    _check_glance(page, demo_db)
    assert ", 1 overdue" in page.tasks_summary.text()
    late = [page.glance_tasks.item(i).text() for i in range(page.glance_tasks.count())
            if "overdue" in page.glance_tasks.item(i).text()]
    assert len(late) == 1 and late[0].startswith("⚠ ")
    # at a glance is in sight without scrolling at 1200×800
    glance = page.tasks_summary.mapTo(page, page.tasks_summary.rect().bottomRight())
    assert 0 < glance.y() < 800 - 40 and glance.x() < 1200
    # the breakdown: each line's raw value in words beside its points
    e = page.explanation
    assert e is not None
    for r, line in enumerate(e.lines):
        assert page.breakdown.item(r, 4).text() == (line.detail or "—")

    page.open_tab("timeline")
    _check_timeline(page)
    everything = page.timeline_shown()
    assert len(everything) == len(page.timeline_items) > 3
    by_id = {a.id: a for a in page.timeline_items}

    # each filter's rows satisfy it, and nothing that satisfies it is left out
    page.tone_filter.setCurrentIndex(page.tone_filter.findData(True))
    shown = [aid for _d, aid in page.timeline_shown()]
    assert shown and all(by_id[a].proactive for a in shown)
    assert len(shown) == sum(a.proactive for a in page.timeline_items)
    page.tone_filter.setCurrentIndex(page.tone_filter.findData(False))
    shown = [aid for _d, aid in page.timeline_shown()]
    assert all(not by_id[a].proactive for a in shown)
    assert len(shown) == sum(not a.proactive for a in page.timeline_items)
    page.tone_filter.setCurrentIndex(0)
    for days in (30, 90):
        page.period_filter.setCurrentIndex(page.period_filter.findData(days))
        shown = [aid for _d, aid in page.timeline_shown()]
        first = AS_OF - timedelta(days=days - 1)
        assert all(by_id[a].occurred_on >= first for a in shown)
        assert len(shown) == sum(a.occurred_on >= first for a in page.timeline_items)
        _check_timeline(page)
    page.period_filter.setCurrentIndex(0)
    word = page.timeline_items[0].summary.split()[0]
    page.timeline_search.setText(word.upper())  # any case
    shown = [aid for _d, aid in page.timeline_shown()]
    hay = {a.id: (a.summary + " " + " ".join(a.contacts)).casefold()
           for a in page.timeline_items}
    assert shown and all(word.casefold() in hay[a] for a in shown)
    assert len(shown) == sum(word.casefold() in h for h in hay.values())
    named = next((a.contacts[0] for a in page.timeline_items if a.contacts), None)
    if named is not None:  # a contact's name finds the activities they took part in
        page.timeline_search.setText(named)
        shown = [aid for _d, aid in page.timeline_shown()]
        assert shown and all(named in by_id[a].contacts or named.casefold() in
                             by_id[a].summary.casefold() for a in shown)
    page.timeline_search.setText("zzz-no-such-words")
    assert page.timeline_shown() == [] and page.timeline_empty.isVisibleTo(page)
    assert "No activity matches" in page.timeline_empty.text()

    # a quick note while filtered out of view: it still shows, under Today, selected
    page.timeline_search.setText("")
    page.tone_filter.setCurrentIndex(page.tone_filter.findData(False))  # reactive only
    qtbot.keyClicks(page.quick_text, "Asked about SSO pricing")
    with qtbot.waitSignal(page.changed, timeout=5000):
        qtbot.keyClick(page.quick_text, Qt.Key.Key_Return)  # a proactive note by default
    assert page.timeline_days()[0] == "Today"
    head = page.timeline_list.topLevelItem(0)
    texts = [head.child(j).text(1) for j in range(head.childCount())]
    assert "Asked about SSO pricing" in texts
    assert page.timeline_list.currentItem().text(1) == "Asked about SSO pricing"
    _check_timeline(page)


def test_double_clicking_a_task_shows_it_on_today(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                  pinned_today: date) -> None:
    from tests.ui.conftest import open_window

    account_id = _live_with_tasks(demo_db)
    window = open_window(qtbot, demo_db)
    page = window.open_account(account_id)
    item = page.glance_tasks.item(0)
    with qtbot.waitSignal(page.task_requested, timeout=2000) as got:
        page.glance_tasks.itemDoubleClicked.emit(item)
    assert got.args == [item.data(Qt.ItemDataRole.UserRole)]
    assert window.views.currentWidget() is window.today


def test_a_churned_account_at_a_glance(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                       pinned_today: date) -> None:
    with demo_db.read() as s:
        account_id = s.scalar(select(Account.id).where(Account.status == "churned")
                              .order_by(Account.id))
    page = _page(qtbot, demo_db, account_id)
    _check_glance(page, demo_db)
    page.open_tab("timeline")
    _check_timeline(page)
    assert page.timeline_shown()


def test_a_brand_new_account_says_what_is_missing_in_words(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    account_id = new_account(db, "Brand New Ltd")
    with clock.pin(AS_OF):
        page = _page(qtbot, db, account_id)
        assert page.tasks_summary.text() == "No open tasks"
        assert [label.text() for label in page.key_contact_labels] == [
            "No champion recorded — add one on Contacts",
            "No executive sponsor recorded — add one on Contacts",
            "No economic buyer recorded — add one on Contacts"]
        page.open_tab("timeline")
        assert page.timeline_shown() == [] and page.timeline_days() == []
        assert page.timeline_empty.text().startswith("No activity yet")
        page.quick_text.setText("Kick-off call booked")
        page.add_note()
        assert page.timeline_days() == ["Today"]
        assert not page.timeline_empty.isVisibleTo(page)


def test_a_name_with_markup_and_japanese(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    """``AT&T <Legacy> 日本``: names are text, never markup, at a glance and on the timeline."""
    account_id = new_account(db, "AT&T <Legacy> 日本")
    with db.write() as s:
        champ = Contact(account_id=account_id, name="Tanaka <Hiro> 田中", title="CTO & Co",
                        is_champion=True, left_company=True)
        sponsor = Contact(account_id=account_id, name="Ann & Bo", is_executive_sponsor=True)
        s.add_all([champ, sponsor])
        s.flush()
        s.add_all([Task(account_id=account_id, title="Call <Hiro> & team", status="open",
                        priority="high", due_date=AS_OF - timedelta(days=1)),
                   Task(account_id=account_id, title="Send 日本 deck", status="open",
                        priority="medium", due_date=AS_OF + timedelta(days=4)),
                   Task(account_id=account_id, title="Done already", status="done",
                        priority="low", due_date=AS_OF - timedelta(days=9))])
        s.add_all([Activity(account_id=account_id, kind="call", summary="Intro <b>call</b>",
                            occurred_on=AS_OF - timedelta(days=1), proactive=True,
                            contacts=[champ]),
                   Activity(account_id=account_id, kind="email", summary="AT&T 日本 follow-up",
                            occurred_on=AS_OF - timedelta(days=8), proactive=False)])
    with clock.pin(AS_OF):
        page = _page(qtbot, db, account_id)
        assert page.title.text() == "AT&T <Legacy> 日本"
        assert page.tasks_summary.text() == "2 open tasks, 1 overdue"
        assert [page.glance_tasks.item(i).text() for i in range(page.glance_tasks.count())] \
            == [f"⚠ Call <Hiro> & team — overdue since {AS_OF - timedelta(days=1):%d %b %Y}",
                f"Send 日本 deck — due {AS_OF + timedelta(days=4):%d %b %Y}"]
        _check_glance(page, db)
        lines = [label.text() for label in page.key_contact_labels]
        assert lines[0] == ("Champion: Tanaka <Hiro> 田中, CTO & Co · last touched "
                            f"{AS_OF - timedelta(days=1):%d %b %Y} · left the company")
        assert all(label.textFormat() == Qt.TextFormat.PlainText
                   for label in page.key_contact_labels)
        page.open_tab("timeline")
        assert page.timeline_days() == ["Yesterday", f"{AS_OF - timedelta(days=8):%a %d %b %Y}"]
        assert page.timeline_list.topLevelItem(0).child(0).text(1) == "Intro <b>call</b>"
        assert page.timeline_list.topLevelItem(0).child(0).text(2) == "Tanaka <Hiro> 田中"
        page.timeline_search.setText("日本")
        assert [d for d, _a in page.timeline_shown()] == [
            f"{AS_OF - timedelta(days=8):%a %d %b %Y}"]
        page.timeline_search.setText("hiro")  # a contact's name, any case
        assert [d for d, _a in page.timeline_shown()] == ["Yesterday"]
