"""Tabs found by a stable name (``plan``, ``forecast``) rather than by position or title."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

from csdesk.errors import CsdeskError

_PROPERTY = "csdeskTabName"


def add_named_tab(tabs: QTabWidget, widget: QWidget, name: str, title: str) -> int:
    """Add ``widget`` as a tab titled ``title`` that :func:`show_tab` finds by ``name``."""
    widget.setProperty(_PROPERTY, name)
    return tabs.addTab(widget, title)


def tab_names(tabs: QTabWidget) -> list[str]:
    return [str(tabs.widget(i).property(_PROPERTY) or "") for i in range(tabs.count())]


def show_tab(tabs: QTabWidget, name: str, what: str = "tab") -> QWidget:
    """Bring the tab called ``name`` forward; an unknown name is a user-facing error."""
    names = tab_names(tabs)
    if name not in names:
        raise CsdeskError(f"{what} is one of {', '.join(n for n in names if n)}, not {name!r}")
    tabs.setCurrentIndex(names.index(name))
    return tabs.currentWidget()
