"""``csdesk gui --screenshot`` is a picture of the book: the file, its modification time
and its rows are the same after a render (no playbook run, re-plan nor health written)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation


def _state(path: Path) -> tuple[str, int, int, int, list[str]]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tasks = con.execute("SELECT count(*) FROM tasks").fetchone()[0]
        snapshots = con.execute("SELECT count(*) FROM health_snapshots").fetchone()[0]
    finally:
        con.close()
    return (digest, path.stat().st_mtime_ns, tasks, snapshots,
            sorted(p.name for p in path.parent.iterdir()))


def test_a_screenshot_leaves_the_book_as_it_was(
        qtbot: Any, demo_location: DatabaseLocation,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    book = demo_location.path
    assert book is not None
    con = sqlite3.connect(book)  # a book whose worklist the next opening would fill
    con.execute("DELETE FROM tasks")
    con.commit()
    con.close()
    before = _state(book)
    for view in ("today", "accounts", "renewals"):
        shot = tmp_path_factory.mktemp("shots") / f"{view}.png"
        assert main(["gui", "--db", str(book), "--screenshot", str(shot), "--view", view,
                     "--size", "1200x800"]) == 0
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _state(book) == before
