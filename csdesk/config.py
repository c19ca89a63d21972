"""Where csdesk keeps its data and settings (recent team servers among them), and how a
``--db`` argument becomes a database location.

Order of precedence for the database: ``--db`` on the command line, then the ``CSDESK_DB``
environment variable, then ``book.sqlite`` in the user data directory (platformdirs). Either
may be a file path or an SQLAlchemy URL. ``CSDESK_DATA_DIR`` moves the data directory (tests
and portable installs use it).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from csdesk.connections import Server, parse_server, with_password
from csdesk.errors import CsdeskError
from csdesk.safefile import private_dir, write_text

APP_NAME = "csdesk"
DB_ENV = "CSDESK_DB"
DATA_DIR_ENV = "CSDESK_DATA_DIR"


def data_dir() -> Path:
    """The folder that holds the default book, the demo book and their backups."""
    override = os.environ.get(DATA_DIR_ENV)
    path = Path(override) if override else platformdirs.user_data_path(APP_NAME, appauthor=False)
    return path.expanduser()


def config_dir() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def default_db_path() -> Path:
    return data_dir() / "book.sqlite"


def demo_db_path() -> Path:
    """The demo book lives apart from the user's own book so trying csdesk touches nothing."""
    return data_dir() / "demo.sqlite"


@dataclass(frozen=True)
class DatabaseLocation:
    """A resolved database: the SQLAlchemy URL, and the file path when it is SQLite on disk."""

    url: str
    path: Path | None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def display(self) -> str:
        """What to show a user: the path, or the URL with any password hidden."""
        if self.path is not None:
            return str(self.path)
        return hide_password(self.url)


def resolve_database(arg: str | os.PathLike[str] | None = None) -> DatabaseLocation:
    """Turn ``--db`` (or ``CSDESK_DB``, or the default) into a :class:`DatabaseLocation`."""
    raw = os.fspath(arg) if arg is not None else os.environ.get(DB_ENV) or None
    if raw is None:
        path = default_db_path()
        return DatabaseLocation(f"sqlite:///{path}", path)
    if "://" in raw:
        try:
            from sqlalchemy.engine import make_url  # not needed by --help

            url = make_url(raw)
        except Exception as exc:  # sqlalchemy raises ArgumentError with a terse text
            # Neither the URL nor the driver's message may show the password.
            shown = hide_password(raw)
            reason = scrub(str(exc).replace(raw, shown), raw)
            if "invalid literal for int()" in reason:
                reason = "the port is not a number"
            raise CsdeskError(f"not a database URL: {shown!r} ({reason})") from None
        if url.drivername.startswith("sqlite"):
            if not url.database or url.database == ":memory:":
                raise CsdeskError("an in-memory SQLite database cannot hold a book; give a file")
            path = Path(url.database).expanduser().resolve()
            return DatabaseLocation(f"sqlite:///{path}", path)


        return DatabaseLocation(with_password(raw), None)
    path = Path(raw).expanduser().resolve()
    if path.is_dir():
        raise CsdeskError(f"{path} is a folder; --db takes a database file or URL")
    return DatabaseLocation(f"sqlite:///{path}", path)


# scheme://user:password@host…; a password may itself hold "@" or ":", so it runs to the
# last "@" (host, port and database hold none).
_USERINFO = re.compile(r"^(?P<head>[^:/]+://[^:/@]*:)(?P<password>.*)(?P<tail>@[^@]*)$")


_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)[^&]*")


def passwords_in(url: str) -> list[str]:
    """Every password a URL may carry (in its user part, or as ``?password=``)."""
    found = [m.group(0).split("=", 1)[1] for m in _QUERY_PASSWORD.finditer(url)]
    m = _USERINFO.match(_QUERY_PASSWORD.sub(r"\1", url))
    if m and m.group("password"):
        found.append(m.group("password"))
        found.extend(part for part in m.group("password").split("@") if len(part) >= 3)
    return [p for p in found if p]


def hide_password(url: str) -> str:
    """``url`` with any password shown as ``***``; works on malformed URLs too."""
    url = _QUERY_PASSWORD.sub(r"\1***", url)
    m = _USERINFO.match(url)
    if not m or not m.group("password"):
        return url
    return f"{m.group('head')}***{m.group('tail')}"


def scrub(text: str, url: str) -> str:
    """``text`` (an error message about ``url``) with every password of ``url`` hidden."""
    for secret in sorted(passwords_in(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings() -> dict[str, Any]:
    """Per-user application settings (not per book); a damaged file reads as empty."""
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_settings(settings: dict[str, Any]) -> None:
    """Write the settings whole (or leave the old file), readable by this user only."""
    path = settings_path()
    private_dir(path.parent)
    write_text(path, json.dumps(settings, indent=2, sort_keys=True))


def remember_server(server: Server) -> None:
    """Recent servers, newest first, in the user's settings (never a password)."""
    settings = load_settings()
    recent = [s for s in settings.get("servers", []) if s != server.url()]
    settings["servers"] = [server.url(), *recent][:8]
    save_settings(settings)


def recent_servers() -> list[Server]:
    out = []
    for url in load_settings().get("servers", []):
        try:
            out.append(parse_server(url))
        except (CsdeskError, ValueError):
            continue
    return out
