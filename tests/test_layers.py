"""Layering (docs/architecture.md), file by file: only csdesk/ui imports Qt, the lower layers
never import the upper ones, and SQLite-only SQL stays in csdesk/db. The finer contracts (the
ui never imports sqlalchemy or the models; the service groups) are import-linter's, run by
`make lint`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "csdesk"


def _imports(path: Path, text: str | None = None) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function; relative imports
    resolved to their absolute names (``from ..ui import x`` in csdesk/services/a.py is
    csdesk.ui), so none slips past a layer rule."""
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    package = ["csdesk", *path.relative_to(PACKAGE).parts[:-1]]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            if node.module:
                found.add(".".join([*base, node.module]))
            else:  # from . import a, b: each is a module of that package
                found.update(".".join([*base, alias.name]) for alias in node.names)
    return found


def _modules(*parts: str) -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if not parts or p.relative_to(PACKAGE).parts[0] in parts)


def _qt(path: Path) -> set[str]:
    return {m for m in _imports(path) if m.split(".")[0] in {"PySide6", "shiboken6"}}


def test_the_import_scan_sees_every_form() -> None:
    source = """
import json, csdesk.db
from csdesk.models import Account
from . import periods
from .. import ui
from ..ui.theme import BAND_COLOURS
from .formatting import counted

def later():
    from PySide6.QtCore import QTimer
"""
    assert _imports(PACKAGE / "services" / "x.py", source) == {
        "json", "csdesk.db", "csdesk.models", "csdesk.services.periods", "csdesk.ui",
        "csdesk.ui.theme", "csdesk.services.formatting", "PySide6.QtCore"}


NO_QT = [p for p in _modules() if p.relative_to(PACKAGE).parts[0] != "ui"]


@pytest.mark.parametrize("path", NO_QT, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_ui_imports_qt(path: Path) -> None:
    assert not _qt(path), f"{path} imports {_qt(path)}"


def test_qt_is_imported_by_the_ui_only() -> None:
    users = {str(p.relative_to(PACKAGE)) for p in _modules() if _qt(p)}
    assert {u for u in users if not u.startswith("ui/")} == set()
    assert {"ui/app.py", "ui/main_window.py", "ui/accounts_view.py",
            "ui/accounts_model.py"} <= users
    assert len(NO_QT) + len(_modules("ui")) == len(_modules())  # every module checked


def test_the_cli_starts_the_gui_only_inside_its_gui_command() -> None:
    tree = ast.parse((PACKAGE / "cli" / "main.py").read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert top  # the cli has top-level imports, and none of them is Qt or the ui
    assert not any("PySide6" in ast.unparse(n) or "csdesk.ui" in ast.unparse(n) for n in top)
    assert "csdesk.ui.app" in _imports(PACKAGE / "cli" / "main.py")  # inside a function


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
    paths = _modules(layer)
    assert len(paths) >= 3, f"csdesk/{layer} has no modules to check"
    for path in paths:
        # The enumerations are the domain's vocabulary, shared by every layer.
        bad = {m for m in _imports(path)
               if m.startswith(forbidden) and m != "csdesk.models.enums"}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_cli_starts_without_qt() -> None:
    """`csdesk info` must not pay for Qt: the CLI imports the GUI lazily."""
    import subprocess
    import sys

    code = ("import sys, csdesk.cli.main; "
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
