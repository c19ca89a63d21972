"""Counts read as a person writes them: never "ticket(s)"."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from csdesk.services.formatting import counted


def test_counted_agrees_with_its_number() -> None:
    assert counted(1, "ticket") == "1 ticket"
    assert counted(0, "ticket") == "0 tickets"
    assert counted(2, "risk") == "2 risks"
    assert counted(1204, "account") == "1,204 accounts"
    assert counted(2, "person", "people") == "2 people"


def test_no_text_says_something_s() -> None:
    """No message or document in csdesk writes a count as 'thing(s)'."""
    root = Path(__file__).resolve().parents[2] / "csdesk"
    found = []
    for path in root.rglob("*.py"):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        found += [f"{path.name}:{t.start[0]}" for t in tokens
                  if t.type == tokenize.STRING
                  and "(s)" in re.sub(r"\{[^{}]*\}", "", t.string)]  # text, not {code}
    assert found == []
