"""Shared fixtures: headless Qt, an isolated data folder, fresh and demo books."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from csdesk.config import DatabaseLocation, resolve_database
from csdesk.db import Database

AS_OF = date(2026, 11, 22)
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


TODAY_ENV = "CSDESK_TEST_TODAY"


@pytest.fixture(scope="session", autouse=True)
def _shifted_today() -> Iterator[None]:
    """``CSDESK_TEST_TODAY=2028-02-29`` runs the whole session as if that were the real date
    (the wall clock itself is moved, so anything that still read it would show): the suite
    must pass on any day (``make test-dates``)."""
    day = os.environ.get(TODAY_ENV)
    if not day:
        yield
        return
    from datetime import datetime

    import time_machine

    with time_machine.travel(datetime.fromisoformat(day).replace(hour=10), tick=True):
        yield


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test ever touches the real user data folder or a CSDESK_DB from the shell."""
    folder = tmp_path_factory.mktemp("csdesk-data")
    monkeypatch.setenv("CSDESK_DATA_DIR", str(folder))
    monkeypatch.delenv("CSDESK_DB", raising=False)
    return folder


@pytest.fixture
def location(tmp_path: Path) -> DatabaseLocation:
    return resolve_database(tmp_path / "book.sqlite")


# -- SQLite and PostgreSQL ------------------------------------------------------------------
#
# Every test that asks for ``db`` outside tests/ui runs twice: on an SQLite file and on a fresh
# PostgreSQL database. CSDESK_TEST_PG is the URL of a server (and a role allowed to create
# databases) to make them on; without it the PostgreSQL half skips with that reason, unless
# CSDESK_REQUIRE_PG=1 (as in CI), where it fails instead.

PG_ENV, REQUIRE_PG_ENV = "CSDESK_TEST_PG", "CSDESK_REQUIRE_PG"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        ui = f"{os.sep}tests{os.sep}ui{os.sep}" in str(metafunc.definition.path)
        metafunc.parametrize("backend", ["sqlite"] if ui else ["sqlite", "postgresql"])


def _pg_unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"PostgreSQL is required here ({REQUIRE_PG_ENV}=1) but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


class PgServer:
    """Makes throw-away databases on the test server, each a copy of one migrated template."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.base = make_url(admin_url)
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.prefix = f"csdesk_test_{os.getpid()}"
        self.count = 0
        self.made: list[str] = []
        self.templates: dict[str, str] = {}

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _sql(self, statement: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(statement))

    def create(self, template: str | None = None) -> str:
        self.count += 1
        name = f"{self.prefix}_{self.count}"
        self._retry(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.made.append(name)
        return name

    def template(self, kind: str, fill: object = None) -> str:
        """A migrated (and, with ``fill``, filled) database to copy: made once a session."""
        if kind not in self.templates:
            name = self.create()
            with Database.open(resolve_database(self.url(name))) as database:
                if callable(fill):
                    fill(database)
            self.templates[kind] = name
        return self.templates[kind]

    def drop(self, name: str) -> None:
        self._retry(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _retry(self, statement: str) -> None:
        """An autovacuum worker visiting a database (which a role without superuser cannot
        terminate) blocks copying or dropping it for a moment: try a few times."""
        import time

        for attempt in range(30):
            try:
                self._sql(statement)
                return
            except Exception:
                if attempt == 29:
                    raise
                time.sleep(0.1)

    def close(self) -> None:
        for name in self.made:
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    url = os.environ.get(PG_ENV)
    if not url:
        _pg_unavailable(f"set {PG_ENV} to a server URL, e.g. "
                        "postgresql+psycopg://csdesk:csdesk@localhost:5432/postgres")
    try:
        server = PgServer(url)  # type: ignore[arg-type]
        server._sql("SELECT 1")
    except Exception as exc:  # no driver, no server, bad password: say which
        _pg_unavailable(f"cannot reach {url}: {exc}")
    yield server
    server.close()


@pytest.fixture
def backend() -> str:  # parametrised by pytest_generate_tests
    return "sqlite"


@pytest.fixture
def db(backend: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    if backend == "postgresql":
        only = request.node.get_closest_marker("sqlite_only")
        if only is not None:
            pytest.skip(f"SQLite only: {only.args[0] if only.args else 'file behaviour'}")
        server: PgServer = request.getfixturevalue("pg_server")
        name = server.create(server.template("empty"))
        database = Database.open(resolve_database(server.url(name)))
        yield database
        database.close()
        server.drop(name)
        return
    database = Database.open(request.getfixturevalue("location"))
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated 250-account demo book per test session; tests get copies."""
    from csdesk.services.demo.generate import generate_demo

    path = tmp_path_factory.mktemp("demo-template") / "demo.sqlite"
    with Database.open(resolve_database(path)) as database:
        generate_demo(database, accounts=250, seed=7, as_of=AS_OF)
    return path


@pytest.fixture
def demo_location(demo_template: Path, tmp_path: Path) -> DatabaseLocation:
    target = tmp_path / "demo.sqlite"
    src = sqlite3.connect(demo_template)
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    return resolve_database(target)


@pytest.fixture
def demo_db(demo_location: DatabaseLocation) -> Iterator[Database]:
    database = Database.open(demo_location)
    yield database
    database.close()


@pytest.fixture
def small_disk() -> Iterator[object]:
    """``small_disk(folder, kib)`` mounts a tmpfs of ``kib`` KiB on ``folder``: a real full
    disk (ENOSPC, SQLITE_FULL) for the code under test. Needs root (CI runs as root);
    elsewhere the test skips, saying why."""
    import subprocess

    mounted: list[Path] = []

    def make(folder: Path, kib: int) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if os.name != "posix" or os.geteuid() != 0:
            pytest.skip("a full disk is a small tmpfs, which only root can mount")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kib}k,mode=0700", "tmpfs",
                               str(folder)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield make
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)
