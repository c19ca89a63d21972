"""`csdesk renewals`: the pipeline as text, JSON and an .ics file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from icalendar import Calendar

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation
from csdesk.services.formatting import TRACK_LABELS


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


def test_renewals_text_names_its_columns_and_owners(demo_location: DatabaseLocation,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The text has a header row, an Owner column, and tracks worded as on the screens."""
    db = str(demo_location.path)
    assert main(["renewals", "--within", "90", "--json", "--as-of", "2026-11-22",
                 "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)["renewals"]
    assert main(["renewals", "--within", "90", "--as-of", "2026-11-22", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:6] == ["Renews", "Days", "Track", "ARR", "Likely", "Owner"]
    body = lines[1:1 + len(rows)]
    assert len(body) == len(rows)
    for line, r in zip(body, rows, strict=True):
        assert f"  {TRACK_LABELS[r['track']]} " in line and "_" not in line.split("  —")[0]
        assert f"  {r['owner'] or '—'} " in line and r["name"] in line
