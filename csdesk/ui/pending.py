"""Edits made while the team's server is unreachable: kept, shown, and saved when it is back.

An editor that gets ``ServerUnreachable`` while saving hands the edit here (what it was, and
how to save it again); the window lists them in its offline banner and replays them, in
order, once the server answers. Each replay is the same version-checked service call, so a
record a team mate changed meanwhile is a conflict the user sees, never an overwrite.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from csdesk.db import Database
from csdesk.errors import CsdeskError


@dataclass
class PendingEdit:
    description: str
    replay: Callable[[], object]


class PendingEdits(QObject):
    changed = Signal(int)  # how many edits wait

    def __init__(self) -> None:
        super().__init__()
        self.edits: list[PendingEdit] = []

    def add(self, description: str, replay: Callable[[], object]) -> None:
        self.edits.append(PendingEdit(description, replay))
        self.changed.emit(len(self.edits))

    def replay_all(self) -> tuple[list[str], list[str]]:
        """Save each waiting edit in order: (saved, refused with the reason). Stops at the
        first that finds the server gone again, keeping it and the rest."""
        from csdesk.errors import ServerUnreachable

        saved: list[str] = []
        refused: list[str] = []
        while self.edits:
            edit = self.edits[0]
            try:
                edit.replay()
            except ServerUnreachable:
                break
            except CsdeskError as exc:
                refused.append(f"{edit.description}: {exc}")
            else:
                saved.append(edit.description)
            self.edits.pop(0)
        self.changed.emit(len(self.edits))
        return saved, refused


_BY_BOOK: weakref.WeakKeyDictionary[Database, PendingEdits] = weakref.WeakKeyDictionary()


def pending_for(db: Database) -> PendingEdits:
    """The waiting edits of one open book (shared by its window and editors)."""
    if db not in _BY_BOOK:
        _BY_BOOK[db] = PendingEdits()
    return _BY_BOOK[db]
