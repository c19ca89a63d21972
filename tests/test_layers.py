"""Layering (DESIGN.md §2): only csdesk/ui imports Qt; imports flow ui → services → models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "csdesk"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _modules(*parts: str) -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if not parts or p.relative_to(PACKAGE).parts[0] in parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_ui_imports_qt(path: Path) -> None:
    in_ui = path.relative_to(PACKAGE).parts[0] == "ui"
    qt = {m for m in _imports(path) if m.split(".")[0] in {"PySide6", "shiboken6"}}
    if not in_ui and path.name != "app.py":
        assert not qt, f"{path} imports {qt}"


def test_app_imports_qt_only_inside_the_gui_function() -> None:
    tree = ast.parse((PACKAGE / "app.py").read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert not any("PySide6" in ast.unparse(n) for n in top)


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("models", ("csdesk.services", "csdesk.ui", "csdesk.io", "csdesk.reports", "csdesk.db")),
        ("db", ("csdesk.services", "csdesk.ui")),
        ("services", ("csdesk.ui",)),
        ("io", ("csdesk.ui", "csdesk.services", "csdesk.db", "csdesk.models")),
        ("reports", ("csdesk.ui", "csdesk.db")),
    ],
)
def test_imports_flow_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    for path in _modules(layer):
        # The enumerations are the domain's vocabulary, shared by every layer.
        bad = {m for m in _imports(path)
               if m.startswith(forbidden) and m != "csdesk.models.enums"}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_cli_starts_without_qt() -> None:
    """`csdesk info` must not pay for Qt: the CLI imports the GUI lazily."""
    import subprocess
    import sys

    code = ("import sys, csdesk.cli; "
            "print(any(m.startswith('PySide6') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


SQLITE_ONLY = ("PRAGMA", "sqlite_master", "julianday(", "INSERT OR ", "total_changes",
               "BEGIN IMMEDIATE", "import sqlite3")


@pytest.mark.parametrize("path", [p for p in _modules() if p.relative_to(PACKAGE).parts[0]
                                  not in ("db", "migrations")],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_sqlite_only_sql_outside_the_storage_layer(path: Path) -> None:
    """Team mode runs the same code on PostgreSQL: dialect specifics live in csdesk/db."""
    text = path.read_text(encoding="utf-8")
    assert not [w for w in SQLITE_ONLY if w in text], path
