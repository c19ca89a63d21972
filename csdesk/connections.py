"""Team servers: connection URLs without passwords in settings, passwords in the OS keyring.

A URL given with ``--db`` or ``CSDESK_DB`` may carry its password; one chosen in the GUI's
connection dialog does not: the password goes to the system keyring (the ``keyring``
package: macOS Keychain, Windows Credential Locker, Secret Service on Linux) under the
server's user@host:port/database, and is looked up again when the book is opened. Where the
machine has no keyring, csdesk says so and the password is used for this session only.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from csdesk.errors import CsdeskError

SERVICE = "csdesk"


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    database: str
    user: str

    def url(self, password: str | None = None) -> str:
        from sqlalchemy.engine import URL

        return URL.create("postgresql+psycopg", username=self.user, password=password,
                          host=self.host, port=self.port, database=self.database
                          ).render_as_string(hide_password=False)

    @property
    def key(self) -> str:
        """The keyring entry's name: user@host:port/database."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


def parse_server(url: str) -> Server:
    from sqlalchemy.engine import make_url  # a team server only: --help goes without

    u = make_url(url)
    if not u.drivername.startswith("postgresql"):
        raise CsdeskError("a team server is a PostgreSQL URL: postgresql+psycopg://user@host/db")
    if not (u.host and u.database and u.username):
        raise CsdeskError("give the server's host, database and user, e.g. "
                          "postgresql+psycopg://anna@db.example.com/csdesk")
    return Server(u.host, u.port or 5432, u.database, u.username)


def check_server(server: Server) -> Server:
    problems = [name for name, value in (("host", server.host), ("database", server.database),
                                         ("user", server.user)) if not value.strip()]
    if problems:
        raise CsdeskError(f"the {', '.join(problems)} cannot be empty")
    if not 1 <= server.port <= 65535:
        raise CsdeskError(f"the port is a number from 1 to 65535, not {server.port}")
    return Server(server.host.strip(), server.port, server.database.strip(),
                  server.user.strip())


def keyring_available() -> bool:
    import keyring
    from keyring.backends import fail

    return not isinstance(keyring.get_keyring(), fail.Keyring)


def save_password(server: Server, password: str) -> None:
    """Keep the password in the OS keyring (CsdeskError when the machine has none)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, server.key, password)
    except KeyringError as exc:
        raise CsdeskError(f"the password could not be kept in the system keyring ({exc}); "
                          "it is used for this session only") from exc


def forget_password(server: Server) -> None:
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    with contextlib.suppress(PasswordDeleteError, KeyringError):  # nothing was kept
        keyring.delete_password(SERVICE, server.key)


def with_password(url: str) -> str:
    """``url`` with the password from the keyring filled in, when it has none and the keyring
    holds one for that server; otherwise ``url`` as given."""
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception:
        return url
    if not u.drivername.startswith("postgresql") or u.password or not u.username:
        return url
    import keyring
    from keyring.errors import KeyringError

    try:
        password = keyring.get_password(SERVICE, parse_server(url).key)
    except (KeyringError, CsdeskError):
        return url
    return u.set(password=password).render_as_string(hide_password=False) if password else url


def try_connection(url: str) -> str:
    """Connect once and say what is there: a csdesk book (with its size), an empty
    database, or another application's tables. CsdeskError (one line) when it fails."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if "accounts" in tables and "alembic_version" in tables:
                n = conn.execute(text("SELECT COUNT(*) FROM accounts")).scalar()
                return f"Connected: a csdesk book with {n:,} accounts."
            if not tables:
                return "Connected: an empty database; csdesk will create the book in it."
            return ("Connected, but this database holds other tables; csdesk needs an empty "
                    "database or an existing csdesk book.")
    except DBAPIError as exc:
        raise CsdeskError("cannot connect: " + " ".join(str(exc.orig).split())) from exc
    finally:
        engine.dispose()
