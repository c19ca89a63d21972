"""Optimistic concurrency: an edit lands only on the version of the row it was made from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from csdesk.errors import ConflictError


def update_versioned(s: Any, model: Any, row_id: int, expected_version: int,
                     values: dict[str, Any], conflict: str) -> Any:
    """Update one row only if it still has ``expected_version`` (bumping it), and return it
    refreshed; otherwise raise ConflictError(``conflict``): never a silent overwrite."""
    done = s.execute(update(model).where(model.id == row_id,
                                         model.version == expected_version)
                     .values(**values, version=model.version + 1),
                     execution_options={"synchronize_session": False})
    if done.rowcount != 1:
        raise ConflictError(conflict)
    row = s.get(model, row_id)
    s.refresh(row)
    return row
