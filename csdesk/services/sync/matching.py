"""Which account a file's account value means: its external id, its domain, or its name.

A product-analytics export names accounts its own way: the CRM id, a domain (``acme.com``,
``https://www.acme.com/``) or a company name (``Acme, Inc.``, ``ACME Inc``). Each distinct
value is resolved once, in that order: the external id exactly; then the domain, read
without scheme, ``www.``, path and case; then the name, read without case, punctuation and
legal suffixes (inc, llc, ltd, gmbh, ...). Matching is exact after that reading: a value
two accounts share is *ambiguous* and matches neither, and nothing is guessed across
different companies (no fuzzy matching).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.db import Database
from csdesk.models import Account
from csdesk.services.formatting import counted

BY_ID, BY_DOMAIN, BY_NAME = "id", "domain", "name"
AMBIGUOUS, NOT_FOUND = "ambiguous", "not found"

LEGAL_SUFFIXES = frozenset({
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "gmbh", "mbh", "ag", "kg",
    "corp", "corporation", "co", "company", "plc", "sa", "sas", "sarl", "srl", "spa", "bv",
    "nv", "pty", "pte", "oy", "ab", "as", "aps", "kk", "se", "ug", "sl", "lda",
})
_DOMAIN = re.compile(r"^(?:[a-z][a-z0-9+.\-]*://)?(?:[^@/\s]+@)?([^/\s:?#]+\.[a-z]{2,})"
                     r"(?::\d+)?(?:[/?#].*)?$")


def normalise_domain(text: str | None) -> str | None:
    """``https://www.Acme.com/pricing`` → ``acme.com``; None when it is no domain."""
    if not text:
        return None
    m = _DOMAIN.match(text.strip().casefold())
    if m is None:
        return None
    host = m[1].rstrip(".")
    return host.removeprefix("www.") or None


def normalise_name(text: str | None) -> str | None:
    """``Acme, Inc.`` and ``ACME Inc`` → ``acme``: case, accents, punctuation and trailing
    legal suffixes aside (a name that is nothing but a suffix keeps it)."""
    if not text:
        return None
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    plain = re.sub(r"(?<=\w)\.(?=\w)", "", plain.replace("&", " and "))  # L.L.C. is LLC
    words = re.sub(r"[^\w]+", " ", plain).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words) or None


@dataclass(frozen=True)
class ValueMatch:
    """One distinct value of the file's account column and what it matched."""

    value: str
    how: str  # id | domain | name | ambiguous | not found
    account_id: int | None
    account: str  # the account's name ("" when not matched)
    rows: int
    candidates: tuple[str, ...] = ()  # the accounts an ambiguous value could mean


@dataclass
class MatchReport:
    """Every distinct account value of a file, how it matched, and on how many rows."""

    values: list[ValueMatch] = field(default_factory=list)
    unit: str = "row"  # what the counts count ("row"; "cell" for a wide file's dates)

    def count(self, how: str) -> int:
        return sum(1 for v in self.values if v.how == how)

    @property
    def matched(self) -> list[ValueMatch]:
        return [v for v in self.values if v.account_id is not None]

    @property
    def unmatched(self) -> list[ValueMatch]:
        """Not found and ambiguous, most rows first."""
        return sorted((v for v in self.values if v.account_id is None),
                      key=lambda v: (-v.rows, v.value.casefold()))

    def summary(self, shown: int = 5) -> str:
        """'412 accounts matched: 300 by id, 100 by domain, 12 by name; 3 not found: Foo Ltd
        (52 rows), …' in one line."""
        accounts = len({v.account_id for v in self.matched})
        hows = [f"{self.count(h):,} by {h}" for h in (BY_ID, BY_DOMAIN, BY_NAME)
                if self.count(h)]
        values = len(self.matched)
        text = (f"{counted(accounts, 'account')} matched"
                + (f" by {values:,} values" if values != accounts else "")
                + (f": {', '.join(hows)}" if hows else ""))
        for how in (NOT_FOUND, AMBIGUOUS):
            these = [v for v in self.unmatched if v.how == how]
            if not these:
                continue
            listed = ", ".join(f"{v.value} ({counted(v.rows, self.unit)}"
                               + (f", could be {' or '.join(v.candidates)}" if v.candidates
                                  else "") + ")" for v in these[:shown])
            more = f", and {len(these) - shown:,} more" if len(these) > shown else ""
            text += f"; {len(these):,} {how}: {listed}{more}"
        return text

    def as_json(self) -> dict[str, object]:
        return {"matched": {h: self.count(h) for h in (BY_ID, BY_DOMAIN, BY_NAME)},
                "values": [{"value": v.value, "how": v.how, "account": v.account or None,
                            "rows": v.rows, "candidates": list(v.candidates)}
                           for v in self.values]}


class AccountMatcher:
    """Resolves account values against one book, each distinct value once.

    The book's accounts are read once, up front (one query), so the matcher can then be used
    from the import's reader thread without touching the database; names and domains are
    read (normalised) only when a value is not an external id, so a file of CRM ids costs
    what the plain id look-up cost.
    """

    def __init__(self, session: Session) -> None:
        self._accounts = session.execute(select(Account.external_id, Account.id, Account.name,
                                                Account.domain)).tuples().all()
        self.ids: dict[str, int] = {ext: acc_id for ext, acc_id, _n, _d in self._accounts}
        self._domains: dict[str, list[int]] | None = None
        self._names: dict[str, list[int]] = {}
        self._label: dict[int, str] | None = None
        self.resolved: dict[str, tuple[str, int | None, tuple[int, ...]]] = {}
        self.rows: dict[str, int] = {}

    def _indexes(self) -> dict[str, list[int]]:
        if self._domains is None:
            self._domains = {}
            for _ext, acc_id, name, domain in self._accounts:
                d = normalise_domain(domain)
                if d:
                    self._domains.setdefault(d, []).append(acc_id)
                n = normalise_name(name)
                if n:
                    self._names.setdefault(n, []).append(acc_id)
        return self._domains

    def resolve_all(self, values: list[str]) -> list[int | None]:
        """The account id each value means (None: not found or ambiguous)."""
        ids, resolved = self.ids, self.resolved
        out: list[int | None] = []
        for value in values:
            found = ids.get(value)
            if found is None:
                known = resolved.get(value)
                if known is None:
                    known = resolved[value] = self._resolve(value)
                found = known[1]
            out.append(found)
        return out

    def _resolve(self, value: str) -> tuple[str, int | None, tuple[int, ...]]:
        found = self.ids.get(value)
        if found is not None:
            return BY_ID, found, ()
        domains = self._indexes()
        for how, index, key in ((BY_DOMAIN, domains, normalise_domain(value)),
                                (BY_NAME, self._names, normalise_name(value))):
            hits = index.get(key, []) if key else []
            if len(hits) == 1:
                return how, hits[0], ()
            if len(hits) > 1:
                return AMBIGUOUS, None, tuple(sorted(hits))
        return NOT_FOUND, None, ()

    def reason(self, value: str) -> str:
        """Why a value matched no account, for the row's problem."""
        how, _acc, candidates = self.resolved.get(value) or self._resolve(value)
        if how == AMBIGUOUS:
            label = self._labels()
            names = " and ".join(label.get(c, str(c)) for c in candidates)
            return (f"matches {len(candidates)} accounts ({names}): give the account's "
                    "external id")
        return "no account with this external id, domain or name in the book"

    def count(self, values: list[str], rows: list[int]) -> None:
        """Add the rows each value is on, for the report."""
        tally = self.rows
        for value, n in zip(values, rows, strict=True):
            tally[value] = tally.get(value, 0) + n

    def _labels(self) -> dict[int, str]:
        if self._label is None:
            self._label = {acc_id: name for _e, acc_id, name, _d in self._accounts}
        return self._label

    def report(self, unit: str = "row") -> MatchReport:
        """What each value counted so far matched, in the order first seen."""
        label, out = self._labels(), []
        for value, rows in self.rows.items():
            how, acc, candidates = self.resolved.get(value) or self._resolve(value)
            out.append(ValueMatch(value, how, acc, label.get(acc, "") if acc is not None else "",
                                  rows, tuple(label.get(c, str(c)) for c in candidates)))
        return MatchReport(out, unit)


def match_accounts(db: Database, values: Iterable[str]) -> MatchReport:
    """How each value (one per row) would match the book's accounts, with row counts."""
    with db.read() as session:
        matcher = AccountMatcher(session)
    listed = list(values)
    matcher.resolve_all(listed)
    matcher.count(listed, [1] * len(listed))
    return matcher.report()
