"""No widget stores an attribute under the name of a Qt method: Qt calls its virtuals (such
as ``QWidget.metric`` while painting) on the Python object, and a QLineEdit found there
instead crashed the process the first time the value dialog was painted."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest
from PySide6.QtCore import QObject

import csdesk.ui

_ASSIGNED = re.compile(r"\bself\.(\w+)\s*(?::[^=\n]+)?=(?!=)")


def _classes() -> list[type]:
    found = []
    for info in pkgutil.iter_modules(csdesk.ui.__path__, "csdesk.ui."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, QObject):
                found.append(cls)
    return found


CLASSES = _classes()


def test_every_ui_module_was_read() -> None:
    assert len(CLASSES) > 20


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_no_attribute_shadows_a_qt_member(cls: type) -> None:
    qt_bases = [b for b in cls.__mro__ if b.__module__.startswith("PySide6")]
    assigned = set(_ASSIGNED.findall(inspect.getsource(cls)))
    shadowing = sorted(name for name in assigned
                       if any(name in vars(base) for base in qt_bases))
    assert shadowing == [], f"{cls.__name__} stores {shadowing}, which Qt defines"
