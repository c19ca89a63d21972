"""`csdesk tasks done|snooze|reassign ID …`: a CSM works the list from the command line, by the
ids the list shows; every refusal is one plain line, and changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date

import pytest

from csdesk import clock
from csdesk.cli.main import main
from csdesk.config import DatabaseLocation, resolve_database
from csdesk.db import Database
from csdesk.models import Account, Contact, Task
from csdesk.models.enums import TaskStatus
from csdesk.services.book.account_detail import timeline
from csdesk.services.defaults import ensure_defaults

DAY = "2026-11-22"  # a Sunday
ACME, GLOBEX = "Acme & Söhne", "Globex"


@pytest.fixture
def book(location: DatabaseLocation) -> Iterator[tuple[str, dict[str, int]]]:
    """Two accounts, their owners (Ana Lopez, Raj Patel), Acme's contacts (one has left),
    three open tasks due on DAY and one done."""
    day = date.fromisoformat(DAY)
    with Database.open(location) as db:
        ensure_defaults(db)
        with db.write() as s:
            acme = Account(external_id="A-1", name=ACME, owner="Ana Lopez",
                           segment="enterprise", engagement_model="high_touch")
            globex = Account(external_id="G-1", name=GLOBEX, owner="Raj Patel",
                             segment="smb", engagement_model="tech_touch")
            s.add_all([acme, globex])
            s.flush()
            s.add_all([Contact(account_id=acme.id, name="Dana Lee"),
                       Contact(account_id=acme.id, name="Sam Ortiz"),
                       Contact(account_id=acme.id, name="Old Timer", left_company=True)])
            tasks = {
                "call": Task(account_id=acme.id, title="Call the sponsor", due_date=day,
                             owner="Ana Lopez"),
                "recap": Task(account_id=acme.id, title="Send the recap", due_date=day,
                              owner="Ana Lopez"),
                "qbr": Task(account_id=globex.id, title="Plan the QBR", due_date=day,
                            owner="Raj Patel"),
                "old": Task(account_id=globex.id, title="Old news", due_date=day,
                            owner="Raj Patel", status=TaskStatus.DONE),
            }
            s.add_all(tasks.values())
            s.flush()
            ids = {k: t.id for k, t in tasks.items()}
            ids["acme"], ids["globex"] = acme.id, globex.id
    with clock.pin(day):
        yield str(location.path), ids


def _listed(db: str, capsys: pytest.CaptureFixture[str], *more: str) -> dict[int, dict]:
    assert main(["tasks", "--json", "--as-of", DAY, "--db", db, *more]) == 0
    return {t["id"]: t for t in json.loads(capsys.readouterr().out)["open"]}


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], code: int = 1) -> str:
    assert main(argv) == code
    captured = capsys.readouterr()
    assert not captured.out and "Traceback" not in captured.err
    assert captured.err.count("\n") == 1, captured.err  # one plain line
    return captured.err.removeprefix("csdesk: error: ").strip()


def test_the_list_shows_each_tasks_id(book: tuple[str, dict[str, int]],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = book
    assert main(["tasks", "--as-of", DAY, "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    line = next(x for x in lines if "Call the sponsor" in x)
    assert line.lstrip().startswith(f"#{ids['call']} ") and ACME in line
    assert "#" + str(ids["old"]) + " " not in "\n".join(lines)  # done: not listed



def test_the_list_has_an_owner_column_unless_one_owners_and_says_why_plainly(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    db, _ids = book
    assert main(["tasks", "--as-of", DAY, "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = next(x for x in lines if "Account — task" in x)
    assert head.split() == ["Id", "Due", "Priority", "Owner", "Account", "—", "task"]
    call = lines.index(next(x for x in lines if "Call the sponsor" in x))
    assert lines[call].split()[4:8] == ["medium", "Ana", "Lopez", ACME.split()[0]]
    qbr = next(x for x in lines if "Plan the QBR" in x)
    assert qbr.index("Raj Patel") == lines[call].index("Ana Lopez") == head.index("Owner")
    # The reason plainly, under the task (no "why first:" label on every line).
    assert lines[call + 1].strip() == "no ARR · health not scored · medium"
    assert not [x for x in lines if "why first" in x]
    # One owner's list: no Owner column.
    assert main(["tasks", "--as-of", DAY, "--owner", "ana lopez", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Owner" not in next(x for x in lines if "Account — task" in x)
    assert "Ana Lopez" not in next(x for x in lines if "Call the sponsor" in x)


def test_done_logs_the_touch_with_the_note_and_contacts(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = book
    call, recap = ids["call"], ids["recap"]
    assert main(["tasks", "done", str(call), f"#{recap}", "--note", "Agreed a recovery plan",
                 "--kind", "meeting", "--contact", "dana LEE", "--as-of", DAY,
                 "--db", db]) == 0
    assert capsys.readouterr().out == (
        f"Marked 2 tasks done: #{call} {ACME} — Call the sponsor, #{recap} {ACME} — Send "
        "the recap; logged the meeting “Agreed a recovery plan” on the timeline with Dana "
        "Lee\n")
    assert set(_listed(db, capsys)) == {ids["qbr"]}  # no longer on the list
    with Database.open(resolve_database(db), readonly=True) as book_:
        [touch] = timeline(book_, ids["acme"])
    assert (touch.summary, touch.kind, touch.proactive, touch.contacts, touch.occurred_on) == (
        "Agreed a recovery plan", "meeting", True, ("Dana Lee",), date.fromisoformat(DAY))
    assert touch.details == "Task: Call the sponsor\nTask: Send the recap"
    # Done is done: a second time is refused, plainly.
    assert _refused(["tasks", "done", str(call), "--db", db], capsys) == (
        f"#{call} {ACME} — Call the sponsor is done already")


def test_done_without_a_note_logs_nothing_and_json_gives_the_tasks(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = book
    assert main(["tasks", "--json", "done", str(ids["qbr"]), "--db", db]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["action"] == "done"
    assert [(t["id"], t["account"], t["status"]) for t in out["tasks"]] == [
        (ids["qbr"], GLOBEX, "done")]
    with Database.open(resolve_database(db), readonly=True) as book_:
        assert timeline(book_, ids["globex"]) == []


def test_done_refusals_are_one_line_and_change_nothing(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = book
    call = str(ids["call"])
    err = _refused(["tasks", "done", call, "--note", "Spoke", "--contact", "Old Timer",
                    "--db", db], capsys)
    assert err == (f"{ACME} has no contact called 'Old Timer'; its contacts: Dana Lee, "
                   "Sam Ortiz")
    err = _refused(["tasks", "done", call, "--contact", "Dana Lee", "--db", db], capsys, 2)
    assert "give --note too" in err
    err = _refused(["tasks", "done", call, str(ids["qbr"]), "--note", "Spoke", "--contact",
                    "Dana Lee", "--db", db], capsys, 2)
    assert err.startswith("--contact goes with the tasks of one account")
    assert _refused(["tasks", "done", call, "999999", "--db", db], capsys) == (
        "no task #999999 in this book (csdesk tasks lists the open tasks with their ids)")
    assert _refused(["tasks", "done", call, str(ids["old"]), "--db", db], capsys) == (
        f"#{ids['old']} {GLOBEX} — Old news is done already")
    assert _refused(["tasks", "--today", "done", call, "--db", db], capsys, 2) == (
        "--today goes with the list (csdesk tasks), not with csdesk tasks done")
    assert _refused(["tasks", "done", call, "--note", "  ", "--db", db], capsys) == (
        "say in a few words what was done, or log nothing")
    with Database.open(resolve_database(db)) as locked:  # the GUI has the book open
        err = _refused(["tasks", "done", call, "--db", db], capsys)
        assert "is open for writing in another csdesk" in err
        locked.close()
    assert ids["call"] in _listed(db, capsys)  # none of it marked anything done
    with Database.open(resolve_database(db), readonly=True) as book_:
        assert timeline(book_, ids["acme"]) == []


def test_snooze_moves_the_due_day(book: tuple[str, dict[str, int]],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = book
    qbr = ids["qbr"]
    assert main(["tasks", "snooze", str(qbr), "--days", "11", "--as-of", DAY, "--db", db]) == 0
    assert capsys.readouterr().out == (
        f"Snoozed #{qbr} {GLOBEX} — Plan the QBR until Thu 03 Dec 2026\n")
    # Still listed, marked snoozed with its day, until the day comes.
    listed = _listed(db, capsys)[qbr]
    assert (listed["status"], listed["snoozed_until"], listed["due"]) == (
        "snoozed", "2026-12-03", "2026-12-03")
    assert qbr not in _listed(db, capsys, "--today")
    assert main(["tasks", "--as-of", DAY, "--db", db]) == 0
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if f"#{qbr} " in x)
    assert line.endswith("Plan the QBR (snoozed until Thu 03 Dec 2026)")
    assert text.endswith("3 open tasks (1 snoozed)\n")
    assert _listed(db, capsys, "--as-of", "2026-12-03")[qbr]["due"] == "2026-12-03"
    assert main(["tasks", "snooze", str(ids["call"]), str(ids["recap"]), "--until",
                 "2026-11-23", "--json", "--db", db]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(t["id"], t["status"], t["due"]) for t in out["tasks"]] == [
        (ids["call"], "snoozed", "2026-11-23"), (ids["recap"], "snoozed", "2026-11-23")]
    assert _refused(["tasks", "snooze", str(qbr), "--until", DAY, "--db", db], capsys) == (
        "snooze until a day after today (Sun 22 Nov 2026), not Sun 22 Nov 2026")
    assert _refused(["tasks", "snooze", str(qbr), "--days", "0", "--as-of", "2026-12-01",
                     "--db", db], capsys) == (
        "snooze until a day after today (Tue 01 Dec 2026), not Tue 01 Dec 2026")


def test_reassign_to_a_known_owner_in_any_case_or_a_new_one(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = book
    call, qbr = ids["call"], ids["qbr"]
    assert main(["tasks", "reassign", str(call), "--to", "raj PATEL", "--db", db]) == 0
    assert capsys.readouterr().out == (
        f"Reassigned #{call} {ACME} — Call the sponsor to Raj Patel: planned for today\n")
    assert set(_listed(db, capsys, "--owner", "Raj Patel")) == {call, qbr}
    err = _refused(["tasks", "reassign", str(call), "--to", "Zed", "--db", db], capsys)
    assert err == "no owner called 'Zed' in this book; owners: Ana Lopez, Raj Patel"
    assert main(["tasks", "reassign", str(call), str(qbr), "--to", "Zed", "--new-owner",
                 "--db", db]) == 0
    assert capsys.readouterr().out == (
        f"Reassigned 2 tasks to Zed: #{call} {ACME} — Call the sponsor (planned for today), "
        f"#{qbr} {GLOBEX} — Plan the QBR (planned for today)\n")
    assert {t["owner"] for t in _listed(db, capsys).values() if t["id"] in (call, qbr)} == {
        "Zed"}


def test_actions_plan_the_worklist_again_and_say_where_the_task_landed(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    """One task a day: reassigning a task to an owner whose day is full plans it on their
    next day with room (said in the line), and a task of a later day done today takes
    today's place, so the day never shows more than its places."""
    db, ids = book
    assert main(["tasks", "--capacity", "1", "--as-of", DAY, "--db", db]) == 0
    capsys.readouterr()
    listed = _listed(db, capsys)
    assert (listed[ids["call"]]["due"], listed[ids["recap"]]["due"]) == (DAY, "2026-11-23")
    qbr = ids["qbr"]
    assert main(["tasks", "reassign", str(qbr), "--to", "Ana Lopez", "--as-of", DAY,
                 "--db", db]) == 0
    assert capsys.readouterr().out == (
        f"Reassigned #{qbr} {GLOBEX} — Plan the QBR to Ana Lopez: planned for Tue 24 Nov "
        "2026\n")
    assert [t["id"] for t in _listed(db, capsys, "--today", "--owner", "ana lopez").values()
            ] == [ids["call"]]
    # The Monday task done today: it took today's one place, so the call goes to Monday.
    assert main(["tasks", "done", str(ids["recap"]), "--as-of", DAY, "--db", db]) == 0
    capsys.readouterr()
    listed = _listed(db, capsys, "--owner", "Ana Lopez")
    assert [(t["id"], t["due"]) for t in listed.values()] == [
        (ids["call"], "2026-11-23"), (qbr, "2026-11-24")]


def test_reassigning_to_the_tasks_own_owner_says_so_and_changes_nothing(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = book
    call = ids["call"]
    # Reassigned to its own owner: said so, and nothing changes.
    version = _listed(db, capsys)[call]
    assert main(["tasks", "reassign", str(call), "--to", "ana LOPEZ", "--as-of", DAY,
                 "--db", db]) == 0
    assert capsys.readouterr().out == (
        f"#{call} {ACME} — Call the sponsor already belongs to Ana Lopez; nothing changed\n")
    assert _listed(db, capsys)[call] == version
    assert main(["tasks", "reassign", str(call), str(ids["qbr"]), "--to", "Ana Lopez",
                 "--as-of", DAY, "--db", db]) == 0
    assert capsys.readouterr().out == (
        f"Reassigned #{ids['qbr']} {GLOBEX} — Plan the QBR to Ana Lopez: planned for today; "
        f"#{call} {ACME} — Call the sponsor already belongs to Ana Lopez\n")


def test_today_over_the_capacity_says_why_due_tasks_are_not_listed(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = book
    assert main(["tasks", "reassign", str(ids["qbr"]), "--to", "Ana Lopez", "--db", db]) == 0
    assert main(["tasks", "--capacity", "1", "--as-of", DAY, "--db", db]) == 0
    capsys.readouterr()
    assert main(["tasks", "--today", "--as-of", DAY, "--owner", "Ana Lopez", "--db", db]) == 0
    assert ("  2 of 3 due tasks wait for a later day: today's 1 place is taken by "
            "higher-ranked tasks\n") in capsys.readouterr().out
    assert main(["tasks", "--today", "--json", "--as-of", DAY, "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["not_today"] == (
        "2 of 3 due tasks wait for a later day: today's 1 place is taken by higher-ranked "
        "tasks")


def test_an_unknown_owner_among_many_lists_twelve_and_how_many_more(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = book
    call = ids["call"]
    with Database.open(resolve_database(db)) as book_, book_.write() as s:
        s.add_all([Account(external_id=f"O-{i}", name=f"Co {i}", owner=f"Owner {i:02}",
                           segment="smb", engagement_model="tech_touch")
                   for i in range(1, 13)])
    err = _refused(["tasks", "reassign", str(call), "--to", "Zed", "--db", db], capsys)
    assert err == ("no owner called 'Zed' in this book; owners: Ana Lopez, "
                   + ", ".join(f"Owner {i:02}" for i in range(1, 12)) + " … and 2 more")


def test_action_help_loads_no_storage_layer() -> None:
    code = ("import sys, contextlib\nfrom csdesk.cli.main import main\n"
            "for argv in (['tasks', '--help'], ['tasks', 'done', '--help']):\n"
            "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(None):\n"
            "        main(argv)\n"
            "print(any(m.startswith('sqlalchemy') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def test_the_days_line_says_a_task_done_today_took_a_place(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = book
    assert main(["tasks", "done", str(ids["call"]), "--as-of", DAY, "--db", db]) == 0
    capsys.readouterr()
    assert main(["tasks", "--as-of", DAY, "--owner", "ana lopez", "--db", db]) == 0
    assert "Today: 2 of 15 places used (1 done today), " in capsys.readouterr().out
    assert main(["tasks", "--as-of", DAY, "--db", db]) == 0
    assert ("Today: 2 tasks planned today and 1 done, 15 a day for each of 2 owners, "
            in capsys.readouterr().out)


def test_later_days_are_listed_day_by_day_each_by_rank(
        book: tuple[str, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    """The later days in order, each under its name; within a day, the highest rank first
    (a critical task on Wednesday comes after Monday's low one)."""
    db, ids = book
    with Database.open(resolve_database(db)) as book_, book_.write() as s:
        s.add_all([
            Task(account_id=ids["acme"], title="Wednesday's critical", owner="Ana Lopez",
                 due_date=date(2026, 11, 25), priority="critical"),
            Task(account_id=ids["acme"], title="Monday's low", owner="Ana Lopez",
                 due_date=date(2026, 11, 23), priority="low"),
            Task(account_id=ids["acme"], title="Monday's high", owner="Ana Lopez",
                 due_date=date(2026, 11, 23), priority="high")])
    assert main(["tasks", "--as-of", DAY, "--db", db]) == 0
    lines = [x.strip() for x in capsys.readouterr().out.splitlines()]
    shown = [x for x in lines if x.startswith(("Planned on later days", "Mon ", "Wed "))
             or "’s " in x or "'s " in x]
    assert shown[0] == "Planned on later days: 3 tasks"
    assert shown[1] == "Mon 23 Nov 2026: 2 tasks"
    assert "Monday's high" in shown[2] and "Monday's low" in shown[3]
    assert shown[4] == "Wed 25 Nov 2026: 1 task"
    assert "Wednesday's critical" in shown[5]
