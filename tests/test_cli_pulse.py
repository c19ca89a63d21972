"""`csdesk pulse`: record, show, reasons; `csdesk health --account` prints the pulse too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from csdesk import clock
from csdesk.cli.main import main
from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.models import Account, UsageSnapshot
from csdesk.services.defaults import ensure_defaults

DAY = date(2026, 11, 22)


@pytest.fixture
def book(location: DatabaseLocation) -> Iterator[str]:
    with Database.open(location) as db:
        ensure_defaults(db)
        with db.write() as s:
            a = Account(external_id="ACC-1", name="AT&T <Legacy> 日本", segment="smb",
                        engagement_model="tech_touch", customer_since=date(2025, 1, 1),
                        first_value_date=date(2025, 1, 10))
            s.add(a)
            s.flush()
            for week in range(16):
                s.add(UsageSnapshot(account_id=a.id, date=DAY - timedelta(days=7 * week),
                                    active_users=9, licensed_seats=10, key_events=100,
                                    features_used=6, logins=50))
    with clock.pin(DAY):
        yield str(location.path)


def test_record_show_and_health(book: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pulse", "ACC-1", "--db", book]) == 0
    assert "No pulse recorded for ACC-1 yet" in capsys.readouterr().out
    assert main(["pulse", "ACC-1", "2", "--reason", "Budget cuts", "--date", "2026-09-01",
                 "--db", book]) == 0
    assert main(["pulse", "AT&T <Legacy> 日本", "4", "--reason", "strong champion",
                 "--reason", "Expanding use", "--note", "QBR went well", "--date",
                 "2026-11-12", "--db", book]) == 0
    out = capsys.readouterr().out
    assert "CSM pulse: 4/5 · Strong champion, Expanding use · 12 Nov 2026 (healthy)" in out
    assert main(["pulse", "ACC-1", "--db", book]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "CSM pulse: 4/5 · Strong champion, Expanding use · 12 Nov 2026"
    assert out[1] == "History (2):"
    assert "12 Nov 2026  4/5 healthy" in out[2] and "QBR went well" in out[2]
    assert "01 Sep 2026  2/5 at risk" in out[3] and "Budget cuts" in out[3]
    assert main(["health", "--account", "ACC-1", "--db", book]) == 0
    out = capsys.readouterr().out
    assert "CSM pulse: 4/5 · Strong champion, Expanding use · 12 Nov 2026" in out
    assert "disagree" not in out
    # As of an earlier day, the pulse of that day (no look-ahead).
    assert main(["health", "--account", "ACC-1", "--as-of", "2026-10-01", "--db", book]) == 0
    assert "CSM pulse: 2/5 · Budget cuts · 01 Sep 2026" in capsys.readouterr().out


def test_disagreement_is_printed(book: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--account", "ACC-1", "--db", book]) == 0
    out = capsys.readouterr().out
    assert "GREEN" in out and "CSM pulse" not in out
    assert main(["pulse", "ACC-1", "red", "--db", book]) == 0
    capsys.readouterr()
    assert main(["health", "--account", "ACC-1", "--db", book]) == 0
    out = capsys.readouterr().out
    assert "GREEN" in out and "CSM pulse: 1/5 · 22 Nov 2026" in out
    assert "Your pulse and the computed health disagree." in out


def test_reasons_and_refusals(book: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pulse", "--reasons", "--db", book]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["Exec sponsor change", "Budget cuts"]
    assert main(["pulse", "--set-reasons", "Reorg, Price ,Champion left", "--db", book]) == 0
    assert "Pulse reasons saved: Reorg, Price, Champion left" in capsys.readouterr().out
    assert main(["pulse", "ACC-1", "3", "--reason", "Budget cuts", "--db", book]) == 1
    err = capsys.readouterr().err
    assert err.startswith("csdesk: error: not a pulse reason: Budget cuts (the reasons are: "
                          "Reorg, Price, Champion left)")
    assert main(["pulse", "ACC-1", "7", "--db", book]) == 1
    assert "rating from 1 (about to churn) to 5" in capsys.readouterr().err
    assert main(["pulse", "ACC-1", "3", "--date", "2026-11-23", "--db", book]) == 1
    assert "today is 22 Nov 2026" in capsys.readouterr().err
    assert main(["pulse", "nobody", "3", "--db", book]) == 1
    assert main(["pulse", "--db", book]) == 2
    assert main(["pulse", "ACC-1", "--note", "x", "--db", book]) == 2
    assert "go with a rating" in capsys.readouterr().err
