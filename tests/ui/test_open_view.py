"""Views and tabs are opened by name (what ``csdesk gui --view`` takes), not by position."""

from __future__ import annotations

import pytest

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from tests.conftest import AS_OF
from tests.ui.conftest import open_window


def test_views_and_tabs_open_by_name(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    with clock.pin(AS_OF):
        window = open_window(qtbot, demo_db)
        assert window.open_view("renewals/forecast") is window.renewals
        # the forecast tab scrolls (two quarters and the accuracy history)
        assert window.renewals.tabs.currentWidget().widget() is window.renewals.forecast_panel
        window.open_view("renewals")
        assert window.renewals.tabs.currentIndex() == 0
        assert window.open_view("reports") is window.reports
        page = window.open_view("account:ACC-000132/plan")
        assert window.account_tabs.currentWidget() is page
        assert page.current_pane() is page.plan
        assert page.open_tab("value") is page.value
        with pytest.raises(CsdeskError, match="plan"):
            page.open_tab("nope")
        with pytest.raises(CsdeskError):
            window.open_view("calendar")
        with pytest.raises(CsdeskError):
            window.open_view("reports/forecast")
