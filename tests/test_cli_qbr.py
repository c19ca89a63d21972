"""`csdesk qbr`: record a QBR, list an account's QBRs, complete a commitment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest

from csdesk import clock
from csdesk.cli.main import main
from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.models import Account, Contact
from csdesk.services.defaults import ensure_defaults
from csdesk.services.plans import success_plans as plans

DAY = date(2026, 11, 22)
NAME = "AT&T <Legacy> 日本"


@pytest.fixture
def book(location: DatabaseLocation) -> Iterator[str]:
    with Database.open(location) as db:
        ensure_defaults(db)
        with db.write() as s:
            a = Account(external_id="ACC-1", name=NAME, segment="enterprise",
                        engagement_model="high_touch", customer_since=date(2025, 1, 1))
            s.add(a)
            s.flush()
            s.add(Contact(account_id=a.id, name="Kenji Sato"))
            account_id = a.id
        with clock.pin(DAY):
            plans.create_plan(db, account_id, "FY27", date(2026, 7, 1))
    with clock.pin(DAY):
        yield str(location.path)


def test_record_list_and_done(book: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qbr", "list", NAME, "--db", book]) == 0
    assert "No QBR recorded for" in capsys.readouterr().out
    assert main(["qbr", "record", NAME, "--date", "2026-10-14", "--attendee", "Kenji Sato",
                 "--attendee", "Yuki Tanaka", "--ours", "Ana", "--decision",
                 "Roll out to Osaka & Kyoto", "--commit",
                 "Kenji Sato|customer|Name an admin|2026-11-01", "--commit",
                 "Ana|ours|Send the <SSO> guide|2026-12-15", "--next-date", "2027-01-20",
                 "--db", book]) == 0
    out = capsys.readouterr().out
    assert out.strip() == (f"Recorded the 2026Q4 QBR of {NAME} held 14 Oct 2026: "
                           "2 commitments; 2 joined the success plan")
    assert main(["qbr", "list", "ACC-1", "--json", "--db", book]) == 0
    [m] = json.loads(capsys.readouterr().out)
    assert (m["quarter"], m["attendees"], m["ours"], m["decisions"], m["next_qbr_on"]) == (
        "2026Q4", ["Kenji Sato", "Yuki Tanaka"], ["Ana"], ["Roll out to Osaka & Kyoto"],
        "2027-01-20")
    assert [(c["what"], c["side"], c["state"]) for c in m["commitments"]] == [
        ("Name an admin", "customer", "late"), ("Send the <SSO> guide", "vendor", "open")]
    first = m["commitments"][0]["id"]
    assert main(["qbr", "done", str(first), "--on", "2026-11-05", "--db", book]) == 0
    assert capsys.readouterr().out.strip() == \
        "Done: Name an admin (Kenji Sato) on 05 Nov 2026 — done late"
    assert main(["qbr", "list", NAME, "--db", book]) == 0
    out = capsys.readouterr().out
    assert "2026Q4  held 14 Oct 2026  · next 20 Jan 2027" in out
    assert "Attendees: Kenji Sato, Yuki Tanaka, Ana" in out
    assert "Decision: Roll out to Osaka & Kyoto" in out
    assert (f"[{first}] Name an admin — Kenji Sato (customer), by 01 Nov 2026: Done late "
            "05 Nov 2026") in out


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["qbr", "record", NAME], 2, "say when the QBR was held"),
    (["qbr", "record", NAME, "--date", "2026-10-14", "--commit", "Ana|ours|x"], 1,
     "a commitment is who|side|what|YYYY-MM-DD"),
    (["qbr", "record", NAME, "--date", "2026-10-14", "--commit", "Ana|them|x|2026-12-01"], 1,
     "a commitment's side is customer or ours"),
    (["qbr", "record", NAME, "--date", "2026-12-30"], 1, "is in the future"),
    (["qbr", "record", "nobody", "--date", "2026-10-14"], 1, "no account with external id"),
    (["qbr", "done", "abc"], 2, "a commitment's id is a number"),
    (["qbr", "done", "999"], 1, "no commitment 999"),
    (["qbr", "list", NAME, "--decision", "x"], 2, "go with csdesk qbr record"),
])
def test_errors_are_one_plain_line(book: str, capsys: pytest.CaptureFixture[str],
                                   argv: list[str], code: int, message: str) -> None:
    assert main([*argv, "--db", book]) == code
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_second_qbr_in_a_quarter_is_refused(book: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qbr", "record", NAME, "--date", "2026-10-14", "--db", book]) == 0
    assert main(["qbr", "record", NAME, "--date", "2026-11-14", "--db", book]) == 1
    assert "already recorded for 2026Q4" in capsys.readouterr().err


def test_a_qbr_recorded_by_mistake_is_deleted_and_recorded_again(
        book: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qbr", "record", NAME, "--date", "2026-10-14", "--commit",
                 "Kenji Sato|customer|Name an admin|2026-12-01", "--db", book]) == 0
    capsys.readouterr()
    assert main(["qbr", "delete", NAME, "--quarter", "2026Q3", "--db", book]) == 1
    assert capsys.readouterr().err.strip().endswith(f"no QBR recorded for {NAME} in 2026Q3")
    assert main(["qbr", "delete", NAME, "--quarter", "2026q4", "--db", book]) == 0
    assert capsys.readouterr().out.strip() == (
        f"Deleted the 2026Q4 QBR of {NAME} held 14 Oct 2026 and its 1 commitment; 1 open "
        "step left the success plan")
    assert main(["qbr", "record", NAME, "--date", "2026-11-14", "--db", book]) == 0
    assert main(["qbr", "delete", NAME, "--db", book]) == 2
