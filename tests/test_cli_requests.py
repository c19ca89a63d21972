"""`csdesk requests` and `csdesk updates`: log, rank by ARR at stake, set and import statuses,
export for the product team, keep product updates; one plain line on every error."""

from __future__ import annotations

import csv
import json
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from csdesk import clock
from csdesk.cli.main import main
from csdesk.config import DatabaseLocation
from csdesk.db import Database
from tests.request_book import ATT, asking_accounts

DAY = date(2026, 11, 22)


@pytest.fixture
def book(location: DatabaseLocation) -> Iterator[str]:
    with Database.open(location) as db:
        asking_accounts(db)
    with clock.pin(DAY):
        yield str(location.path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_log_rank_and_status(book: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "requests", "--db", book)
    assert code == 0 and "No requests logged yet" in out
    code, out, _ = _run(capsys, "requests", "add", ATT, "SSO via Okta", "--by", "Ana",
                        "--on", "2026-09-01", "--db", book)
    assert code == 0
    assert out.strip() == (f"Logged for {ATT}: SSO via Okta (feature request) under product "
                           "item 1 “SSO via Okta”, new")
    assert _run(capsys, "requests", "add", "MUL-1", "Single sign-on", "--same-as", "1",
                "--kind", "gap", "--db", book)[0] == 0
    assert _run(capsys, "requests", "add", "GONE-1", "sso via okta", "--db", book)[0] == 0
    assert _run(capsys, "requests", "add", "MUL-1", "Audit log", "--kind", "bug",
                "--db", book)[0] == 0
    code, out, _ = _run(capsys, "requests", "--db", book)
    lines = out.splitlines()
    assert lines[0].startswith("ARR at stake: the ARR today of each live customer")
    assert "SSO via Okta" in lines[2] and "$175,000" in lines[2] and "2+1c" in lines[2]
    assert "Audit log" in lines[3] and "$55,000" in lines[3]
    code, out, _ = _run(capsys, "requests", "--json", "--db", book)
    data = json.loads(out)
    assert data["base_currency"] == "USD"
    assert [(i["title"], i["arr_at_stake_cents"], i["accounts"], i["live_accounts"])
            for i in data["items"]] == [("SSO via Okta", 17_500_000, 3, 2),
                                        ("Audit log", 5_500_000, 1, 1)]
    assert [a["live"] for a in data["items"][0]["asked_by"]] == [True, True, False]

    code, out, _ = _run(capsys, "requests", "status", "1", "Shipped", "--shipped",
                        "2026-10-15", "--db", book)
    assert code == 0 and out.strip() == ("Product item 1 “SSO via Okta”: shipped on "
                                         "15 Oct 2026")
    code, out, _ = _run(capsys, "requests", "--account", "ATT-1", "--db", book)
    assert "SSO via Okta · Ana  [Feature request; item 1: Shipped 15 Oct 2026]" in out


def test_errors_are_one_line(book: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "requests", "add", "ATT-1", "SSO", "--db", book)[0] == 0
    for argv, words in (
            (["requests", "status", "1", "someday"], "not a product status: 'someday'"),
            (["requests", "status", "9", "planned"], "no product item with id 9"),
            (["requests", "add", "NOPE", "x"], "no account with external id or name"),
            (["requests", "add", "ATT-1", "x", "--on", "2027-01-01"], "a day gone by"),
            (["requests", "--export", "out.txt"], "a .csv or .xlsx file"),
            (["requests", "--overwrite"], "--overwrite goes with --export")):
        code, out, err = _run(capsys, *argv, "--db", book)
        assert code in (1, 2) and out == ""
        assert err.startswith("csdesk: error: ") and words in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_import_and_export(book: str, capsys: pytest.CaptureFixture[str],
                           tmp_path: Path) -> None:
    _run(capsys, "requests", "add", "ATT-1", "SSO via Okta", "--db", book)
    _run(capsys, "requests", "add", "MUL-1", "Audit log", "--db", book)
    bad = tmp_path / "bad.csv"
    bad.write_text("Title,Status\nSSO via Okta,shipped\nAudit log,soon\n", encoding="utf-8")
    code, out, err = _run(capsys, "requests", "import", str(bad), "--db", book)
    assert code == 1 and out.strip().startswith("row 3: not a product status: 'soon'")
    assert "1 row in error; nothing was applied" in err
    assert "New" in _run(capsys, "requests", "--db", book)[1].splitlines()[2]
    good = tmp_path / "good.csv"
    good.write_text("title ,STATUS,shipped date\n sso via okta,Shipped,2026-11-02\n"
                    "Audit log,planned,\n", encoding="utf-8")
    code, out, _ = _run(capsys, "requests", "import", str(good), "--db", book)
    assert code == 0 and out.strip() == "Read 2 rows: 2 product items changed status"

    target = tmp_path / "for-product.csv"
    code, out, _ = _run(capsys, "requests", "--export", str(target), "--db", book)
    assert code == 0 and "Wrote 2 product items" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with open(target, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["product item"], r["status"], r["ARR at stake"], r["shipped"]) for r in rows] \
        == [("SSO via Okta", "Shipped", "120000.00", "2026-11-02"),
            ("Audit log", "Planned", "55000.00", "")]
    theirs = tmp_path / "theirs.xlsx"
    theirs.write_bytes(b"not ours")
    code, _out, err = _run(capsys, "requests", "--export", str(theirs), "--db", book)
    assert code == 1 and "already exists" in err and theirs.read_bytes() == b"not ours"
    assert _run(capsys, "requests", "--export", str(theirs), "--overwrite", "--db",
                book)[0] == 0


def test_updates(book: str, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "requests", "add", "ATT-1", "SSO via Okta", "--db", book)
    code, out, _ = _run(capsys, "updates", "list", "--db", book)
    assert code == 0 and "No product updates yet" in out
    code, out, _ = _run(capsys, "updates", "add", "Okta single sign-on", "--released",
                        "2026-11-10", "--item", "1", "--description", "Sign in with Okta.",
                        "--db", book)
    assert code == 0 and "delivering product item 1 “SSO via Okta”" in out
    code, out, _ = _run(capsys, "updates", "list", "--json", "--db", book)
    assert json.loads(out) == [{"id": 1, "title": "Okta single sign-on",
                                "description": "Sign in with Okta.",
                                "released_on": "2026-11-10", "item_id": 1,
                                "item": "SSO via Okta"}]
    # delivering the item shipped it on the release day
    assert "10 Nov 2026" in _run(capsys, "requests", "--db", book)[1].splitlines()[2]
    with pytest.raises(SystemExit) as stop:
        main(["updates", "add", "x", "--db", book])
    assert stop.value.code == 2 and "--released" in capsys.readouterr().err


def test_delete_an_ask_and_an_update_kept_by_mistake(book: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "requests", "add", ATT, "Dark mode", "--db", book)[0] == 0
    code, out, _ = _run(capsys, "requests", "--account", ATT, "--db", book)
    assert code == 0 and "#1 Dark mode" in out
    code, out, _ = _run(capsys, "requests", "delete", "1", "--db", book)
    assert (code, out.strip()) == (0, f"Deleted request 1 of {ATT}: Dark mode")
    code, out, _ = _run(capsys, "requests", "--db", book)
    assert "No requests logged yet" in out  # the item no one asks for went too
    code, _, err = _run(capsys, "requests", "delete", "1", "--db", book)
    assert code == 1 and "no request 1" in err and "\n" not in err.strip()
    assert _run(capsys, "updates", "add", "Okta SSO", "--released", "2026-11-01",
                "--db", book)[0] == 0
    code, out, _ = _run(capsys, "updates", "delete", "1", "--db", book)
    assert (code, out.strip()) == (0, "Deleted the update “Okta SSO”")
    assert "No product updates yet" in _run(capsys, "updates", "list", "--db", book)[1]
