"""The main window, driven through real widgets with pytest-qt (no sleeps: signals only)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QPoint, Qt

from csdesk.db import Database
from csdesk.models.enums import Segment
from csdesk.services.book.accounts import account_table
from csdesk.ui.accounts_model import ARR, DAYS, HEALTH, NAME, SORT_ROLE, AccountsModel
from tests.book_facts import book_facts, shown_ids
from tests.conftest import AS_OF
from tests.ui.conftest import open_window


def test_empty_book_offers_demo_and_import(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, db)
    assert window.book_stack.currentWidget() is window.empty
    assert window.empty.demo_button.isEnabled()
    assert window.empty.import_button.isVisible()
    assert "0 accounts" in window.book_label.text()


def test_loading_the_demo_book_from_the_empty_state(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, db)
    with qtbot.waitSignal(window.book_loaded, timeout=60_000) as loaded:
        qtbot.mouseClick(window.empty.demo_button, Qt.MouseButton.LeftButton)
    assert loaded.args == [250]
    assert window.book_stack.currentWidget() is window.account_tabs
    churned = window.accounts.table_model.churned_count()
    assert churned > 0
    assert window.accounts.table_model.rowCount() == 250 - churned  # churned hidden by default
    assert window.accounts.count_label.text() == f"{250 - churned} accounts"
    assert window.accounts.churned.text() == f"Churned ({churned})"
    assert not window.act_demo.isEnabled()


def test_demo_book_opens_on_the_table(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    model = window.accounts.table_model
    assert window.book_stack.currentWidget() is window.account_tabs
    assert model.rowCount() == 250 - model.churned_count()
    names = [model.index(r, NAME).data() for r in range(model.rowCount())]
    assert names == sorted(names, key=str.casefold)


def test_filter_by_name_owner_or_id(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    view = window.accounts
    qtbot.keyClicks(view.filter_edit, "ACC-00001")
    # Ids are ACC-000001…ACC-000250: "ACC-00001" is in ACC-000010…ACC-000019 only (no name
    # or owner has it), whatever the letters' case.
    every = book_facts(demo_db)
    facts = {i: f for i, f in every.items() if f.status != "churned"}  # hidden by default
    matching = {i for i, f in every.items() if "acc-00001" in f.external_id.casefold()
                or "acc-00001" in f.name.casefold() or "acc-00001" in (f.owner or "").casefold()}
    assert {every[i].external_id for i in matching} == {f"ACC-0000{n}" for n in range(10, 20)}
    expected = matching & set(facts)
    assert expected
    assert shown_ids(view.table_model) == expected
    assert view.count_label.text() == f"{len(expected)} of {len(facts)} accounts"
    view.filter_edit.setText("acc-00001")
    assert shown_ids(view.table_model) == expected
    owner = sorted({f.owner for f in facts.values() if f.owner})[0]
    view.filter_edit.setText(owner.upper())  # an owner's name finds their accounts
    assert shown_ids(view.table_model) == {
        i for i, f in facts.items() if owner.casefold() in (f.owner or "").casefold()
        or owner.casefold() in f.name.casefold()}
    view.filter_edit.clear()
    assert shown_ids(view.table_model) == set(facts)


def _model(demo_db: Database) -> AccountsModel:
    model = AccountsModel()
    model.set_table(account_table(demo_db, as_of=AS_OF))
    return model


def test_chips_combine_each_on_its_own_column(demo_db: Database) -> None:
    """Any two chips together show exactly the accounts that pass both (each chip tests its
    own column: a shared closure variable once made segment + band show nothing)."""
    from datetime import timedelta
    from itertools import combinations

    from sqlalchemy import select

    from csdesk.models import Renewal

    with demo_db.write() as s:  # one renewal overdue (still pending): not "renews within"
        late = s.scalars(select(Renewal).where(Renewal.outcome == "pending")
                         .order_by(Renewal.id)).first()
        late.renewal_date = AS_OF - timedelta(days=5)
        late_account = late.account_id
    facts = book_facts(demo_db, AS_OF)
    # Past its date and still pending: no longer "next"; the subscription's end (if any is
    # still ahead) is, as in the renewals pipeline.
    assert facts[late_account].renewal is None or facts[late_account].renewal >= AS_OF
    owners = sorted({f.owner for f in facts.values() if f.owner})

    def within(f, days: int) -> bool:  # type: ignore[no-untyped-def]
        d = f.days_to_renewal(AS_OF)
        return d is not None and 0 <= d <= days

    some = sorted(facts)[::3]
    chips = {
        "segment": ("mid_market", lambda f: f.segment == "mid_market"),
        "band": ("yellow", lambda f: f.band == "yellow"),
        "owner": (owners[0], lambda f: f.owner == owners[0]),
        "renewal_within": (180, lambda f: within(f, 180)),
        "ids": (set(some), lambda f: f.id in some),
        "attention": (True, lambda f: f.needs_attention(AS_OF)),
    }
    model = _model(demo_db)
    for (a, (va, pa)), (b, (vb, pb)) in combinations(chips.items(), 2):
        model.set_filters(**{a: va, b: vb})
        # Churned accounts are hidden unless a drill-down (ids) names them.
        expected = {i for i, f in facts.items() if pa(f) and pb(f)
                    and (f.status != "churned" or "ids" in (a, b))}
        assert shown_ids(model) == expected, (a, b)
        assert expected, (a, b)  # each pair keeps someone, so a wrong column shows
    model.set_filters(renewal_within=30)
    assert late_account not in shown_ids(model)
    model.set_filters(band="yellow")  # typed text, with a chip
    needle = next(f for f in facts.values() if f.band == "yellow").name.split()[0].casefold()
    model.set_text_filter(needle)
    typed = {i for i, f in facts.items() if f.band == "yellow" and (
        needle in f.name.casefold() or needle in f.external_id.casefold()
        or needle in (f.owner or "").casefold())}
    assert shown_ids(model) == typed and typed


def test_sorting_uses_raw_values_with_blanks_last(demo_db: Database) -> None:
    model = _model(demo_db)
    for column in (ARR, HEALTH, DAYS):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            model.sort(column, order)
            values = [model.index(r, column).data(SORT_ROLE) for r in range(model.rowCount())]
            present = [v for v in values if v is not None]
            assert present == sorted(present, reverse=order == Qt.SortOrder.DescendingOrder)
            assert all(v is None for v in values[len(present):])
    model.sort(ARR, Qt.SortOrder.DescendingOrder)
    top = model.index(0, ARR).data(SORT_ROLE)
    assert isinstance(top, int) and top >= 100_000_00  # the largest is an Enterprise deal


def test_cells_read_like_a_csm_expects(demo_db: Database) -> None:
    model = _model(demo_db)
    model.sort(ARR, Qt.SortOrder.DescendingOrder)
    assert model.index(0, ARR).data().startswith("$")
    assert "," in model.index(0, ARR).data()
    assert model.index(0, 1).data() == Segment.ENTERPRISE.label
    renew = model.index(0, 4).data(SORT_ROLE)
    assert isinstance(renew, date)
    assert model.index(0, DAYS).data() == f"{(renew - AS_OF).days} d"


def test_read_only_book_disables_writing(qtbot, demo_db: Database, demo_location) -> None:  # type: ignore[no-untyped-def]
    with Database.open(demo_location, readonly_if_locked=True) as second:
        assert second.readonly
        window = open_window(qtbot, second)
        assert "(read-only)" in window.windowTitle()
        assert not window.act_backup.isEnabled()
        assert not window.act_import.isEnabled()
        assert window.banner.isVisible()
        assert "another csdesk" in window.banner.text()
        # The worklist, playbook rules and renewal settings can be read, not changed.
        assert not window.act_rules.isEnabled() and not window.act_run_rules.isEnabled()
        assert not window.today.done_button.isEnabled()
        assert not window.today.run_button.isEnabled()
        assert not window.renewals.settings_button.isEnabled()
        from csdesk.ui.rules_dialog import RulesDialog

        rules = RulesDialog(second)
        qtbot.addWidget(rules)
        assert not rules.save_button.isEnabled()


def test_an_unreachable_server_shows_the_offline_state_and_retries(  # type: ignore[no-untyped-def]
        qtbot, db: Database, monkeypatch) -> None:
    from csdesk.errors import ServerUnreachable

    window = open_window(qtbot, db)
    assert window.offline.isHidden()

    def lost(*_a, progress, cancel):  # type: ignore[no-untyped-def]
        raise ServerUnreachable("postgresql+psycopg://team@db.example/book", "connection refused")

    handle = window.runner.submit("Loading the book", lost)
    handle.failed.connect(window._task_failed)
    qtbot.waitUntil(lambda: not window.offline.isHidden(), timeout=5000)
    assert "Cannot reach the server" in window.offline_text.text()
    assert "connection refused" in window.offline_text.text()
    assert window.retry_timer.isActive()
    assert window.handle_exception(ServerUnreachable("x", "gone", unsaved=True))
    assert "the change was not saved" in window.offline_text.text()

    monkeypatch.setattr(db, "ping", lambda: False)
    assert not window.retry_server()
    assert "still unreachable" in window.offline_text.text()
    monkeypatch.setattr(db, "ping", lambda: True)
    with qtbot.waitSignal(window.book_loaded, timeout=20_000):
        assert window.retry_server()
    assert window.offline.isHidden() and not window.retry_timer.isActive()


def test_edits_made_while_the_server_is_away_are_kept_and_saved_on_return(  # type: ignore[no-untyped-def]
        qtbot, db: Database, monkeypatch) -> None:
    from csdesk.errors import ServerUnreachable
    from csdesk.models import Account, Task
    from csdesk.services.plans import success_plans as plans
    from csdesk.services.worklist import today as worklist
    from csdesk.ui.pending import pending_for
    from csdesk.ui.plan_editor import TITLE

    with db.write() as s:
        acc = Account(external_id="K1", name="Kept Co", segment="smb",
                      engagement_model="tech_touch", owner="Ana")
        s.add(acc)
        s.flush()
        s.add(Task(account_id=acc.id, title="Call back", due_date=date.today(),
                   priority="high", owner="Ana"))
        account = acc.id
    plan = plans.create_plan(db, account, "Plan", date(2026, 1, 1))
    plans.add_node(db, "objective", plan, "Go live")
    window = open_window(qtbot, db)
    page = window.open_account(account)
    editor = page.plan  # type: ignore[attr-defined]
    editor.reload()
    away = ServerUnreachable("postgresql+psycopg://team@db/book", "server closed the connection",
                             unsaved=True)

    def away_once(real):  # type: ignore[no-untyped-def]
        calls = []

        def call(*a, **k):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 1:
                raise away
            return real(*a, **k)
        return call

    monkeypatch.setattr(plans, "update_node", away_once(plans.update_node))
    monkeypatch.setattr(worklist, "complete_tasks", away_once(worklist.complete_tasks))
    editor.tree.topLevelItem(0).setText(TITLE, "Go live everywhere")
    qtbot.waitUntil(lambda: not editor._pending, timeout=5000)
    assert "kept and will be saved" in editor.problem.text()
    assert editor.tree.topLevelItem(0).text(TITLE) == "Go live everywhere"  # still on screen
    with qtbot.waitSignal(window.today.loaded, timeout=20_000):
        window.today.reload()
    window.today.summary.setText("Called them")
    assert window.today.complete()  # on the task runner: the server's absence comes back
    qtbot.waitUntil(lambda: "kept" in window.today.problem.text(), timeout=20_000)
    assert window.today.done_button.isEnabled()  # the next action may start
    assert len(pending_for(db).edits) == 2
    window.show_offline(str(away))
    assert "2 edits made meanwhile are kept" in window.offline_text.text()

    monkeypatch.setattr(db, "ping", lambda: True)  # the server is back
    with qtbot.waitSignal(window.book_loaded, timeout=20_000):
        assert window.retry_server()
    assert not pending_for(db).edits and window.offline.isHidden()
    assert plans.plan_view(db, plan).objectives[0].title == "Go live everywhere"
    with db.read() as s:
        assert s.get(Task, 1).status.value == "done"


def test_a_kept_edit_that_now_conflicts_is_reported_not_forced(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    from csdesk.errors import ConflictError
    from csdesk.ui.pending import pending_for

    window = open_window(qtbot, db)

    def conflicting() -> None:
        raise ConflictError("this objective was changed elsewhere")

    pending_for(db).add("objective title → Mine", conflicting)
    window.show_offline("cannot reach the server at x: gone")
    with qtbot.waitSignal(window.book_loaded, timeout=20_000):
        assert window.retry_server()
    told = window.refused_box.text()
    assert "objective title → Mine: this objective was changed elsewhere" in told
    assert not pending_for(db).edits


def test_a_burst_of_edits_refreshes_the_book_once(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    """Every edit on a page used to queue the whole refresh chain (book, playbooks, views)
    again; a burst of edits now gives one refresh, after the one running is done."""
    from tests.ui.conftest import open_window

    window = open_window(qtbot, demo_db)
    page = window.open_account(int(window.table.rows[0][window.table.columns.index("id")]))  # type: ignore[call-overload]
    calls: list[int] = []
    real = window.refresh
    window.refresh = lambda **kw: (calls.append(1), real(**kw))  # type: ignore[method-assign]
    for _ in range(5):  # five edits saved back to back
        page.changed.emit()
    qtbot.waitUntil(lambda: len(calls) >= 1, timeout=20_000)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    qtbot.wait(800)  # time for any further refresh to start
    assert len(calls) == 1


def test_navigation_fits_its_titles_at_1200_wide(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                 pinned_today: date) -> None:
    """At 1200 px the side navigation shows every title whole, the Today badge included,
    with no sideways scroll bar, and the window keeps the width it was given."""
    window = open_window(qtbot, demo_db)
    window.resize(1200, 800)
    window.nav.setCurrentRow(0)  # Today: the widest view
    qtbot.waitUntil(lambda: window.nav.item(0).text().startswith("Today ("), timeout=30_000)
    window._today_badge(1234)  # a big book's badge: "Today (1,234)"
    # A team book's long subtitle (61 owners…) must wrap, not widen the window (nor squeeze
    # the navigation).
    window.today.subtitle.setText("Friday 27 Nov 2026 · 176 tasks planned today, 15 a day "
                                  "for each of 61 owners · 3,482 tasks planned on later days"
                                  " · listing the 2,000 highest-ranked of 4,300 accounts")
    qtbot.wait(50)
    nav = window.nav
    assert nav.item(0).text() == "Today (1,234)"
    assert not nav.horizontalScrollBar().isVisible()
    assert nav.horizontalScrollBar().maximum() == 0  # nothing to scroll to either
    metrics = nav.fontMetrics()
    for i in range(nav.count()):
        text = nav.item(i).text()
        # the item's box holds the whole text and its padding (12 px a side)
        assert nav.visualItemRect(nav.item(i)).width() >= metrics.horizontalAdvance(text) + 24
    assert window.width() == 1200
    # As wide as its titles, and the views begin right beside it: no gap either.
    assert nav.width() == nav.sizeHintForColumn(0)
    assert window.views.mapTo(window, QPoint(0, 0)).x() == (
        nav.mapTo(window, QPoint(0, 0)).x() + nav.width())
