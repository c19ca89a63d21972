"""The book table's opening order, whichever order the rows are read in."""

from __future__ import annotations

import random
from datetime import date

from csdesk.services.book.table import names_only


def test_names_open_sorted_by_folded_name_then_id_whatever_the_read_order() -> None:
    names = ["beta", "Alpha", "alpha", "ALPHA", "Ärger", "AT&T <Legacy> 日本", "zeta", "Beta"]
    accounts = [(i, f"X{i}", names[i % len(names)], "smb", "active", None)
                for i in range(1, 41)]
    expected = sorted(accounts, key=lambda a: (a[2].casefold(), a[0]))
    for seed in range(5):
        shuffled = list(accounts)
        random.Random(seed).shuffle(shuffled)
        table = names_only(shuffled, date(2026, 11, 27), "USD")
        assert [r[0] for r in table.rows] == [a[0] for a in expected]
