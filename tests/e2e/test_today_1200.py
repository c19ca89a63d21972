"""Today at a laptop's 1200×800, styled as the application is: each account's line says
its rank, the day's line reads in one line, and the task panel's buttons are whole."""

from __future__ import annotations

from PySide6.QtCore import Qt

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Contact
from csdesk.ui.today_view import ROLE, TEXT_MARGINS
from tests.conftest import AS_OF
from tests.ui.conftest import open_window


def test_today_at_1200_px_ranks_each_account_line_and_fits_its_day_and_panel(
        qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    """At 1200×800: each account's line says its rank (the order between two accounts reads
    from the lines), the day's line reads in one line, and the task panel shows Reassign
    whole, not cut at the window's bottom."""
    with clock.pin(AS_OF):
        window = open_window(qtbot, demo_db)
        window.resize(1200, 800)
        window.open_view("today")
        view = window.today
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() > 1, timeout=20_000)
        # a new book's first run: the banner offering to spread the first touches is up
        view.show_first_run(
            "1,062 accounts have had no proactive touch in 14–90 days, by engagement model. "
            "Rather than 1,062 tasks at once, their first touches can be spread over about 2 "
            "weeks starting today, with the rest of the worklist, 15 tasks a day per owner "
            "at most.")
        longest = max(view.shown, key=lambda t: len(t.checklist))  # the tallest panel
        assert len(longest.checklist) >= 3
        with demo_db.write() as s:  # and a room full of people to tick
            s.add_all(Contact(account_id=longest.account_id, name=f"Person {k}",
                              title="Vice President, Customer Experience") for k in range(6))
        view.select(longest.id, 0)
        qtbot.wait(50)
        ranks = []
        for i in range(view.tree.topLevelItemCount()):
            head = view.tree.topLevelItem(i)
            best = next(t for t in view.shown if t.id == head.child(0).data(0, ROLE))
            assert f" · rank {best.score:,.0f} · " in head.text(0)
            ranks.append(best.score)
        assert ranks == sorted(ranks, reverse=True)
        line = view.subtitle
        assert line.height() < 2 * line.fontMetrics().lineSpacing()  # one line, not two
        assert line.fontMetrics().horizontalAdvance(line.text()) <= line.width()
        button = view.reassign_button
        area = view.detail.parentWidget()  # the scroll area's viewport
        bottom = button.mapTo(area, button.rect().bottomLeft()).y()
        assert button.isVisible() and 0 < bottom <= area.height()
        # Reassigned: what it did is said under the buttons, scrolled into view (it was
        # below the fold of the panel, cut at the window's bottom).
        view.new_owner.setText(longest.owner or "Someone Else")
        qtbot.mouseClick(view.reassign_button, Qt.MouseButton.LeftButton)
        result = view.result_line
        qtbot.waitUntil(lambda: result.text().startswith("Reassigned"), timeout=20_000)

        def result_in_view() -> bool:
            top = result.mapTo(area, result.rect().topLeft()).y()
            return top >= 0 and top + result.height() <= area.height()
        qtbot.waitUntil(result_in_view, timeout=5_000)


def test_today_at_1200_px_wraps_long_titles_and_account_lines_whole(
        qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    """At 1200×800, everyone's tasks (the Owner column shown): the title column has more
    room than the why, and a renewal step's long title or an account's long line wraps
    onto a row tall enough to read it whole, the full text in its tooltip too."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QFontMetrics

    with clock.pin(AS_OF):
        window = open_window(qtbot, demo_db)
        window.resize(1200, 800)
        window.open_view("today")
        view = window.today
        view.when.setCurrentIndex(view.when.findText("All open"))
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() > 20, timeout=20_000)
        qtbot.wait(50)
        tree, header = view.tree, view.tree.header()
        assert header.sectionSize(0) > header.sectionSize(1)
        steps = [i for i in view.task_items() if i.text(0).startswith("Renewal step")]
        assert steps
        wrapped = 0
        for item in [*steps[:30], *(tree.topLevelItem(g) for g in range(30))]:
            top = item.parent() is None
            room = (tree.viewport().width() if top else header.sectionSize(0)) \
                - tree.indentation() * (1 if top else 2) - 16 - TEXT_MARGINS
            metrics = QFontMetrics(item.font(0))
            need = metrics.boundingRect(QRect(0, 0, room, 1000),
                                        int(Qt.TextFlag.TextWordWrap), item.text(0)).height()
            tree.scrollToItem(item)
            assert tree.visualItemRect(item).height() >= need, item.text(0)
            assert item.toolTip(0).split("\n")[0] == item.text(0)
            wrapped += need > metrics.height()
        assert wrapped, "a long title or line wraps at 1200 px"
