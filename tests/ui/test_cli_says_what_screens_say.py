"""The command line and the screens give one answer, in the same words: ``csdesk renewals``
(its JSON checkpoint, its column titles and track labels) reads as the Renewals pipeline, and
``csdesk accounts`` names segments, tracks and statuses as the book table does."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from csdesk import clock
from csdesk.cli.main import main
from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.services.book.accounts import account_table
from csdesk.services.renewals.pipeline import pipeline
from csdesk.ui.accounts_model import RENEWAL, SEGMENT, TRACK, AccountsModel
from csdesk.ui.pipeline_model import CHECKPOINT, PipelineModel
from csdesk.ui.pipeline_model import TRACK as PIPE_TRACK
from tests.conftest import AS_OF

DAY = AS_OF.isoformat()


def _screen_pipeline(db: Database) -> tuple[PipelineModel, dict[str, int]]:
    model = PipelineModel()
    model.set_rows(pipeline(db, today=AS_OF))
    return model, {model.row(i).external_id: i for i in range(model.rowCount())}


def test_the_json_checkpoint_is_the_screens_checkpoint(
        qtbot, demo_db: Database, demo_location: DatabaseLocation,  # type: ignore[no-untyped-def]
        capsys: pytest.CaptureFixture[str]) -> None:
    """Where the Checkpoint column reads "passed 28 Oct", the JSON says so too (it said
    ``next_checkpoint: null``)."""
    with clock.pin(AS_OF):
        model, at = _screen_pipeline(demo_db)
        assert main(["renewals", "--json", "--as-of", DAY, "--db",
                     str(demo_location.path)]) == 0
    rows = json.loads(capsys.readouterr().out)["renewals"]
    assert len(rows) == model.rowCount()
    states = set()
    for r in rows:
        shown = model.index(at[r["external_id"]], CHECKPOINT).data()
        mark = r["checkpoint"]
        states.add(mark["state"])
        assert mark["text"] == shown, r["name"]
        if mark["state"] == "passed":
            assert shown.startswith("passed ") and mark["date"] < DAY, r["name"]
        else:
            assert mark["state"] == "next" and mark["date"] >= DAY, r["name"]
    assert states == {"next", "passed"}  # both kinds are in the demo book


def test_renewals_text_has_the_screens_titles_and_tracks(
        qtbot, demo_db: Database, demo_location: DatabaseLocation,  # type: ignore[no-untyped-def]
        capsys: pytest.CaptureFixture[str]) -> None:
    with clock.pin(AS_OF):
        model, at = _screen_pipeline(demo_db)
        assert main(["renewals", "--json", "--as-of", DAY, "--db",
                     str(demo_location.path)]) == 0
        rows = json.loads(capsys.readouterr().out)["renewals"]
        assert main(["renewals", "--as-of", DAY, "--db", str(demo_location.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    title = {c: model.headerData(c, Qt.Orientation.Horizontal)
             for c in range(model.columnCount())}
    # Renews, Days, Track, ARR, Likely, Owner, Account: the screen's titles, in that order
    assert lines[0].split()[:7] == [title[c] for c in (2, 3, 4, 6, 7, 1, 0)]
    assert "Odds" not in lines[0]
    body = lines[1:1 + len(rows)]
    tracks = set()
    for line, r in zip(body, rows, strict=True):
        track = model.index(at[r["external_id"]], PIPE_TRACK).data()
        tracks.add(track)
        assert f" {track} " in line, line
        cells = line.split("  —")[0]  # the reasons after it are prose
        assert "at-risk" not in cells and "auto-renew" not in cells, line
    assert tracks == {"At risk", "Standard", "Auto-renew"}


def test_accounts_text_has_a_status_and_the_screens_labels(
        qtbot, demo_db: Database, demo_location: DatabaseLocation,  # type: ignore[no-untyped-def]
        capsys: pytest.CaptureFixture[str]) -> None:
    with clock.pin(AS_OF):
        model = AccountsModel()
        model.set_table(account_table(demo_db, as_of=AS_OF))
        model.set_filters(churned=True)
        assert main(["accounts", "--include-churned", "--as-of", DAY, "--db",
                     str(demo_location.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0]
    assert header.split()[:5] == ["External", "id", "Account", "Segment", "Status"]
    cut = {name: header.index(name) for name in ("Segment", "Status", "Health", "ARR",
                                                 "Renews", "Track", "Owner")}
    screen = {}
    for row in range(model.rowCount()):
        name = model.index(row, 0).data()
        screen[name] = (model.index(row, SEGMENT).data(), model.index(row, RENEWAL).data(),
                        model.index(row, TRACK).data())
    statuses, segments = set(), set()
    for line in lines[1:-1]:
        if line.startswith("Note:"):
            continue
        segment = line[cut["Segment"]:cut["Status"]].strip()
        status = line[cut["Status"]:cut["Health"]].strip()
        track = line[cut["Track"]:cut["Owner"]].strip()
        renews = line[cut["Renews"] - 1:cut["Track"]].strip()  # after ARR, right-aligned
        name = line[header.index("Account"):cut["Segment"]].strip()
        if name not in screen:  # a long name is cut in the terminal
            continue
        assert (segment, renews, track) == screen[name], line
        statuses.add(status)
        segments.add(segment)
    assert statuses == {"Active", "Churned"}
    assert "Mid-Market" in segments and not any("_" in s for s in segments)
