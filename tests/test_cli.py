"""The command line: each command works, and errors are one clear line with no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation
from csdesk.db.backup import list_backups
from csdesk.models import Base


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "csdesk", *args], capture_output=True,
                          text=True, env=full_env, timeout=120)


def test_info_json_lists_every_table(demo_location: DatabaseLocation,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json", "--db", str(demo_location.path)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["database"] == str(demo_location.path)
    assert info["schema_version"] == info["schema_head"]
    assert set(info["counts"]) == set(Base.metadata.tables)
    assert info["counts"]["accounts"] == 250


def test_db_option_before_the_command_and_env_variable(
    demo_location: DatabaseLocation, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["--db", str(demo_location.path), "info"]) == 0
    assert "accounts" in capsys.readouterr().out
    monkeypatch.setenv("CSDESK_DB", str(demo_location.path))
    assert main(["info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["accounts"] == 250


def test_demo_then_info_in_a_fresh_folder(tmp_path: Path) -> None:
    book = tmp_path / "new" / "book.sqlite"
    done = run("demo", "--accounts", "40", "--seed", "5", "--db", str(book))
    assert done.returncode == 0, done.stderr
    assert "40 accounts" in done.stdout
    info = json.loads(run("info", "--json", "--db", str(book)).stdout)
    assert info["counts"]["accounts"] == 40


def test_default_book_lives_in_the_data_folder(tmp_path: Path) -> None:
    done = run("demo", "--accounts", "5", env={"CSDESK_DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "book.sqlite").exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["info", "--db", "{tmp}/missing.sqlite"], 1, "no csdesk book at"),
        (["info", "--db", "{tmp}"], 1, "is a folder"),
        (["restore", "{tmp}/nothing.sqlite", "--db", "{tmp}/b.sqlite"], 1, "not a sound"),
        (["demo", "--accounts", "0", "--db", "{tmp}/b.sqlite"], 2, "at least 1"),
        (["gui", "--screenshot", "x.png", "--size", "big"], 2, "1440x900"),
        (["info", "--db", "postgresql+psycopg://u@127.0.0.1:1/x"], 1, "cannot reach the server"),
    ],
)
def test_user_errors_are_one_line(tmp_path: Path, args: list[str], code: int,
                                  message: str) -> None:
    done = run(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    if code == 1:
        assert done.stderr.startswith("csdesk: error: ")
        assert done.stderr.count("\n") == 1


def test_backup_list_and_restore(demo_location: DatabaseLocation,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_location.path)
    assert main(["backup", "--db", db]) == 0
    assert "Backup verified" in capsys.readouterr().out
    assert main(["backup", "--list", "--db", db]) == 0
    assert "manual" in capsys.readouterr().out
    (backup,) = list_backups(demo_location.path)
    assert main(["demo", "--replace", "--accounts", "3", "--db", db]) == 0
    assert main(["restore", str(backup.path), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Restored" in out and "before is kept in" in out
    assert main(["info", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["accounts"] == 250


def test_gui_screenshot_of_the_demo_book(tmp_path: Path) -> None:
    shot = tmp_path / "shots" / "accounts.png"
    done = run("gui", "--demo", "--screenshot", str(shot), "--size", "1200x700",
               env={"CSDESK_DATA_DIR": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert (width, height) == (1200, 700)
    assert (tmp_path / "data" / "demo.sqlite").exists()
    assert not (tmp_path / "data" / "book.sqlite").exists()  # the user's own book untouched
