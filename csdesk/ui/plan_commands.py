"""The success-plan editor's undoable edits: each saves at once through the success-plan service."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

from csdesk.db import Database
from csdesk.errors import ConflictError, CsdeskError, ServerUnreachable
from csdesk.services.plans import success_plans


class PlanEditor(Protocol):
    """What a command needs of the editor it belongs to (the editor imports the commands,
    not the other way round)."""

    db: Database
    versions: dict[tuple[str, int], int]

    def reload(self, select: tuple[str, int | None] | None = None) -> None: ...

    def set_problem(self, text: str) -> None: ...

    def resolve_conflict(self, kind: str, node_id: int, mine: dict[str, Any],
                         exc: ConflictError) -> dict[str, Any]: ...

    def keep_for_later(self, kind: str, node_id: int, changes: dict[str, Any],
                       version: int) -> None: ...


class EditCommand(QUndoCommand):
    def __init__(self, editor: PlanEditor, kind: str, node_id: int, field: str, old: Any,
                 new: Any) -> None:
        super().__init__(f"edit {kind} {field.replace('_', ' ')}")
        self.editor, self.kind, self.node_id, self.field = editor, kind, node_id, field
        self.old, self.new = old, new

    def _apply(self, value: Any) -> None:
        version = self.editor.versions.get((self.kind, self.node_id), 0)
        changes = {self.field: value}
        if self.kind == "task" and self.field == "status":
            changes = {"done": value == "done"}
        try:
            success_plans.update_node(self.editor.db, self.kind, self.node_id, changes, version)
            self.editor.set_problem("")
        except ConflictError as exc:
            self.editor.resolve_conflict(self.kind, self.node_id, changes, exc)
            self.setObsolete(True)  # what is saved now is the user's choice, not this edit
        except ServerUnreachable:
            self.setObsolete(True)
            self.editor.keep_for_later(self.kind, self.node_id, changes, version)
            return  # the server is away: keep what the user typed on screen
        except CsdeskError as exc:
            self.setObsolete(True)
            self.editor.set_problem(str(exc))
        self.editor.reload()

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


class AddCommand(QUndoCommand):
    def __init__(self, editor: PlanEditor, kind: str, parent_id: int, title: str,
                 fields: dict[str, Any]) -> None:
        super().__init__(f"add {kind}")
        self.editor, self.kind, self.parent_id = editor, kind, parent_id
        self.title, self.fields = title, fields
        self.node_id: int | None = None

    def redo(self) -> None:
        try:
            self.node_id = success_plans.add_node(self.editor.db, self.kind, self.parent_id,
                                                  self.title, **self.fields)
        except CsdeskError as exc:
            self.setObsolete(True)
            self.editor.set_problem(str(exc))
        self.editor.reload(select=(self.kind, self.node_id))

    def undo(self) -> None:
        if self.node_id is not None:
            success_plans.delete_node(self.editor.db, self.kind, self.node_id)
        self.editor.reload()


class DeleteCommand(QUndoCommand):
    def __init__(self, editor: PlanEditor, kind: str, node_id: int, parent_id: int) -> None:
        super().__init__(f"delete {kind}")
        self.editor, self.kind, self.node_id, self.parent_id = editor, kind, node_id, parent_id
        self.snapshot = success_plans.node_snapshot(editor.db, kind, node_id)

    def redo(self) -> None:
        success_plans.delete_node(self.editor.db, self.kind, self.node_id)
        self.editor.reload()

    def undo(self) -> None:
        self.node_id = success_plans.restore_node(self.editor.db, self.kind, self.parent_id,
                                                  self.snapshot)
        self.editor.reload(select=(self.kind, self.node_id))


class MoveCommand(QUndoCommand):
    def __init__(self, editor: PlanEditor, kind: str, node_id: int, parent_id: int,
                 position: int) -> None:
        super().__init__(f"move {kind}")
        self.editor, self.kind, self.node_id = editor, kind, node_id
        self.target = (parent_id, position)
        self.back: tuple[int, int] | None = None

    def redo(self) -> None:
        try:
            self.back = success_plans.move_node(self.editor.db, self.kind, self.node_id,
                                                *self.target)
        except CsdeskError as exc:
            self.setObsolete(True)
            self.editor.set_problem(str(exc))
        self.editor.reload(select=(self.kind, self.node_id))

    def undo(self) -> None:
        if self.back is not None:
            success_plans.move_node(self.editor.db, self.kind, self.node_id, *self.back)
        self.editor.reload(select=(self.kind, self.node_id))


class FirstValueCommand(QUndoCommand):
    def __init__(self, editor: PlanEditor, milestone_id: int, previous: int | None) -> None:
        super().__init__("set the first value milestone")
        self.editor, self.milestone_id, self.previous = editor, milestone_id, previous

    def redo(self) -> None:
        success_plans.set_first_value_milestone(self.editor.db, self.milestone_id)
        self.editor.reload()

    def undo(self) -> None:
        if self.previous is not None:
            success_plans.set_first_value_milestone(self.editor.db, self.previous)
        self.editor.reload()
