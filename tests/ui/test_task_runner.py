"""The task runner's rule: any Qt-free function is a task, its result and failure come back
on the GUI thread, and a failure nobody handles goes to one default handler."""

from __future__ import annotations

import functools
import threading
from typing import Any

from csdesk.errors import CsdeskError
from csdesk.ui.tasks import TaskError, TaskRunner, reports_progress


def plain_sum(a: int, b: int, *, c: int = 0) -> tuple[int, str]:
    return a + b + c, threading.current_thread().name


def with_progress(n: int, *, progress: Any, cancel: Any) -> int:
    progress(0.5, "half way")
    return n * 2 if not cancel() else -1


def refuses() -> None:
    raise CsdeskError("the folder is full")


def test_which_functions_are_given_progress_and_cancel() -> None:
    assert not reports_progress(plain_sum)
    assert reports_progress(with_progress)
    assert reports_progress(functools.partial(with_progress, 3))
    assert not reports_progress(print)  # no signature to read: run as it is

    def backup(reason: str, *, progress: Any = None) -> None: ...  # another kind of progress
    assert not reports_progress(backup)


def test_a_plain_function_runs_as_itself_off_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    got: list[Any] = []
    handle = runner.submit("Adding", plain_sum, 2, 3, c=4, on_done=got.append)
    qtbot.waitUntil(lambda: handle.is_done)
    total, thread = got[0]
    assert total == 9 and thread != threading.main_thread().name


def test_progress_comes_back_and_the_result_goes_to_on_done(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    got: list[Any] = []
    seen: list[str] = []
    handle = runner.submit("Doubling", with_progress, 21, on_done=got.append)
    handle.progress.connect(lambda _f, message: seen.append(message))
    qtbot.waitUntil(lambda: handle.is_done)
    assert got == [42] and seen == ["half way"]


def test_a_failure_goes_to_its_handler_or_else_to_the_default(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    defaults: list[TaskError] = []
    mine: list[TaskError] = []
    runner.on_failure = defaults.append

    handled = runner.submit("Saving", refuses, on_failed=mine.append)
    qtbot.waitUntil(lambda: handled.is_done)
    assert [e.message for e in mine] == ["Saving failed: the folder is full"]
    assert defaults == []  # a handled failure is not shown twice

    unhandled = runner.submit("Exporting", refuses)
    qtbot.waitUntil(lambda: unhandled.is_done)
    assert [e.message for e in defaults] == ["Exporting failed: the folder is full"]
    assert len(mine) == 1
