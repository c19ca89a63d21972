"""The ``csdesk`` command line: the parser and the book commands (``main``), and one module
per command group (accounts, health, import, renewals, report, tasks). Every command prints
one plain line on failure; none imports Qt except ``csdesk gui``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from csdesk.config import DatabaseLocation
    from csdesk.db import Database


def open_book(location: DatabaseLocation, **options: Any) -> Database:
    """``Database.open``, imported when a command runs: building the parser (and
    ``csdesk --help``) needs no storage layer."""
    from csdesk.db import Database

    return Database.open(location, **options)
