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
    assert task["why"].startswith("$") and " ARR · health " in task["why"]
    # In the worklist's order, as the text lists it: today's by rank, then each later day's.
    day = [t["due"] if t["due"] > "2026-11-22" else "" for t in first["open"]]
    assert day == sorted(day)
    for d in set(day):
        ranks = [t["rank"] for t, on in zip(first["open"], day, strict=True) if on == d]
        assert ranks == sorted(ranks, reverse=True)
    # A new book: the first touches wait, said plainly, until asked for.
    assert "have had no proactive touch in" in first["first_touches_held_back"]
    assert main(["tasks", "--run", "--first-touches", "--json", "--as-of", "2026-11-22",
                 "--db", db]) == 0
    touches = json.loads(capsys.readouterr().out)
    assert touches["created"] > 0 and touches["first_touches_held_back"] is None
    # Said plainly what happened: how many, and over how many work days.
    assert touches["created_text"].startswith(f"Created {touches['created']:,} ")
    assert " work days" in touches["created_text"]
    total = len(touches["open"])
    assert main(["tasks", "--run", "--json", "--as-of", "2026-11-22", "--db", db]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["created"] == 0 and len(again["open"]) == total
    today = [t for t in again["open"] if t["due"] <= "2026-11-22"]
    owners = {t["owner"] for t in again["open"]}
    assert again["capacity"] == 15 and today and len(owners) > 1
    for owner in owners:  # each owner's day holds the capacity, renewal steps counted
        assert len([t for t in today if t["owner"] == owner]) <= 15
    assert main(["tasks", "--as-of", "2026-11-22", "--db", db]) == 0
    text = capsys.readouterr().out
    assert (f"Today: {len(today)} tasks planned today, 15 a day for each of {len(owners)} "
            "owners") in text and "why first" not in text
    assert f"{total} open task" in text


def test_tasks_for_today_and_an_owner_in_any_case(demo_location: DatabaseLocation,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_location.path)
    assert main(["tasks", "--run", "--json", "--as-of", "2026-11-22", "--db", db]) == 0
    every = json.loads(capsys.readouterr().out)["open"]
    owner = next(t["owner"] for t in every if t["owner"])
    assert main(["tasks", "--json", "--today", "--owner", owner.upper(), "--as-of",
                 "2026-11-22", "--db", db]) == 0
    mine = json.loads(capsys.readouterr().out)["open"]
    assert mine and {t["owner"] for t in mine} == {owner}
    assert all(t["due"] is None or t["due"] <= "2026-11-22" for t in mine)
    assert len(mine) == len([t for t in every if t["owner"] == owner
                             and (t["due"] is None or t["due"] <= "2026-11-22")])
    assert main(["tasks", "--owner", owner + "zz", "--db", db]) == 1
    err = capsys.readouterr().err
    assert f"no owner called '{owner}zz'" in err and owner in err


def test_tasks_before_any_playbook_run_say_what_to_do(location: DatabaseLocation,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """A book nobody has run the playbooks on: not an empty day, but the next step."""
    from csdesk.db import Database
    from csdesk.services.defaults import ensure_defaults

    with Database.open(location) as db:
        ensure_defaults(db)
    for flags in (["--today"], []):
        assert main(["tasks", *flags, "--as-of", "2026-11-22", "--db",
                     str(location.path)]) == 0
        assert capsys.readouterr().out == (
            "No tasks yet — run `csdesk tasks --run` to evaluate the playbook rules\n")
