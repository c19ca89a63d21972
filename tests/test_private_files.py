"""Settings are private and written whole; a team-server password is never printed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from csdesk.cli.main import main
from csdesk.config import hide_password, load_settings, save_settings, settings_path


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_settings_are_private_and_whole() -> None:
    save_settings({"me": "Ana", "recent": ["x"]})
    path = settings_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings() == {"me": "Ana", "recent": ["x"]}
    assert [p.name for p in path.parent.iterdir() if p.name != "settings.json"] == []


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://bob:s3cr3t!@db.example:54x2/book",
    "postgresql+psycopg://bob:p@ss:w0rd@db.example:5x/book",  # '@' and ':' in the password
    "postgresql://bob:s3cr3t@db.example:/book:",
])
def test_a_malformed_server_url_never_shows_the_password(
        url: str, capsys: pytest.CaptureFixture[str]) -> None:
    secret = url.split("://", 1)[1].split(":", 1)[1].rsplit("@", 1)[0]
    code = main(["info", "--db", url])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("csdesk: error:")
    assert secret not in err and "***" in err
    assert secret not in hide_password(url)


def test_hide_password_leaves_other_text_alone(tmp_path: Path) -> None:
    assert hide_password("postgresql://bob@host/db") == "postgresql://bob@host/db"
    assert hide_password(str(tmp_path / "book.sqlite")) == str(tmp_path / "book.sqlite")


@pytest.mark.parametrize(("url", "secret"), [
    ("postgresql+psycopg://me@127.0.0.1:1/book?password=Secret123", "Secret123"),
    ("postgresql+psycopg://me:Sec@ret123@127.0.0.1:1/book", "ret123"),
])
def test_an_unreachable_server_never_shows_the_password(
        url: str, secret: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("csdesk: error:") and secret not in err
