"""Commands that write a file never replace one of the user's: a PDF, a calendar, the file
being imported. csdesk's own earlier output is replaced; anything else needs --overwrite."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mine(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return _digest(path)


@pytest.mark.parametrize("command", [
    ["report", "qbr", "ACC-000132", "-o", "{file}"],
    ["report", "value", "ACC-000132", "-o", "{file}"],
    ["renewals", "--ics", "{file}"],
])
def test_a_file_of_the_users_is_never_replaced(demo_location: DatabaseLocation,
                                               tmp_path: Path, command: list[str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / ("thesis.pdf" if "report" in command else "mycal.ics")
    before = _mine(target, b"%PDF-1.4 my own thesis" if "report" in command
                   else b"BEGIN:VCALENDAR\r\nPRODID:-//me//\r\nEND:VCALENDAR\r\n")
    args = [a.replace("{file}", str(target)) for a in command]
    assert main([*args, "--db", str(demo_location.path)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--overwrite" in err and err.count("\n") == 1
    assert _digest(target) == before
    # Said on purpose, it is replaced; and csdesk's own file is replaced again without asking.
    assert main([*args, "--overwrite", "--db", str(demo_location.path)]) == 0
    assert _digest(target) != before
    assert main([*args, "--db", str(demo_location.path)]) == 0


def test_the_error_report_never_replaces_the_file_imported(
        demo_location: DatabaseLocation, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "mixed.csv"
    source.write_text("external_id,name,segment\nG-1,Good one,smb\nB-1,,smb\nG-2,Good two,smb\n",
                      encoding="utf-8")
    before = _digest(source)
    code = main(["import", str(source), "--entity", "accounts", "--errors", str(source),
                 "--db", str(demo_location.path)])
    assert code == 1
    assert "file being imported" in capsys.readouterr().err
    assert _digest(source) == before
    theirs = tmp_path / "thesis.docx"
    theirs_digest = _mine(theirs, b"PK\x03\x04 my thesis")
    assert main(["import", str(source), "--entity", "accounts", "--errors", str(theirs),
                 "--db", str(demo_location.path)]) == 1
    assert _digest(theirs) == theirs_digest
    report = tmp_path / "errors.csv"
    for _ in range(2):  # its own earlier report is replaced
        assert main(["import", str(source), "--entity", "accounts", "--errors", str(report),
                     "--db", str(demo_location.path)]) == 1
        assert "csdesk_errors" in report.read_text(encoding="utf-8-sig")
