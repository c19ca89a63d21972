"""`csdesk tasks`: run the rules, list the open tasks as text and JSON, and never twice."""

from __future__ import annotations

import json

import pytest

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation


def test_tasks_run_json_and_dedupe(demo_location: DatabaseLocation,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_location.path)
    assert main(["tasks", "--run", "--json", "--as-of", "2026-11-22", "--db", db]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["created"] > 0 and len(first["open"]) == first["created"]
    task = first["open"][0]
    assert {"account", "rule", "reason", "due", "priority"} <= set(task)
    assert task["reason"] and task["rule"] and task["account"]
    assert task["priority"] in {"critical", "high", "medium", "low"}
    assert main(["tasks", "--run", "--json", "--as-of", "2026-11-22", "--db", db]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["created"] == 0 and len(again["open"]) == len(first["open"])
    assert main(["tasks", "--as-of", "2026-11-22", "--db", db]) == 0
    text = capsys.readouterr().out
    assert "Overdue" in text or "This week" in text
    assert f"{len(first['open'])} open task" in text
