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


@pytest.fixture
def db(location: DatabaseLocation) -> Iterator[Database]:
    database = Database.open(location)
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated 250-account demo book per test session; tests get copies."""
    from csdesk.services.demo import generate_demo

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
