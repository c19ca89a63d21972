"""`csdesk renewals`: the pipeline as text, JSON and an .ics file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from icalendar import Calendar

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation


def test_renewals_json_and_ics(demo_location: DatabaseLocation, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_location.path)
    assert main(["renewals", "--within", "90", "--json", "--as-of", "2026-11-22",
                 "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)["renewals"]
    assert rows and all(0 <= r["days_to_go"] <= 90 for r in rows)
    assert {r["track"] for r in rows} <= {"auto_renew", "standard", "at_risk"}
    assert all(r["reasons"] for r in rows)
    ics = tmp_path / "renewals.ics"
    assert main(["renewals", "--within", "90", "--ics", str(ics), "--as-of", "2026-11-22",
                 "--db", db]) == 0
    events = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert len(events) == len(rows)
    assert len({str(e["uid"]) for e in events}) == len(events)
    assert main(["renewals", "--segment", "giant", "--db", db]) == 1
    assert "no segment 'giant'" in capsys.readouterr().err
