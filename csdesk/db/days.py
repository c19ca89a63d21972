"""Whole days between two dates, in SQL that both SQLite and PostgreSQL run.

SQLite keeps dates as ISO text and counts days with ``julianday``; PostgreSQL subtracts one
date from another. ``days_between(later, earlier)`` compiles to either, so a service can
bucket rows by their age in one ``GROUP BY`` on any book.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class days_between(FunctionElement[float]):  # reads as the SQL function it renders
    """``later - earlier`` in whole days (dates, or ISO text on SQLite)."""

    type = Float()
    inherit_cache = True
    name = "days_between"

    def __init__(self, later: Any, earlier: Any) -> None:
        super().__init__(later, earlier)


@compiles(days_between, "sqlite")
def _sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


@compiles(days_between)
def _default(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST({later} AS DATE) - CAST({earlier} AS DATE))"
