"""How money and dates read everywhere (screens, PDFs, CLI): Qt-free so all can share it."""

from __future__ import annotations

from datetime import date

from csdesk.models.enums import AccountStatus, RenewalTrack, Segment

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}

# What every screen, document and command says of an account whose latest health snapshot
# found too little evidence for a score (see services.health.scoring), and what helps.
NOT_ENOUGH_DATA = "not enough data"
NOT_ENOUGH_HINT = "add usage or contacts"


def health_note(scored: bool, score: float | None) -> str | None:
    """What a screen says instead of a number: "not enough data" when the latest snapshot
    exists but found too little evidence for a score; None otherwise (a score, or never
    scored, which shows as "—")."""
    return NOT_ENOUGH_DATA if scored and score is None else None


def format_money(cents: int | None, currency: str | None = "USD") -> str:
    if cents is None:
        return "—"
    symbol = SYMBOLS.get(currency or "USD", "")
    amount = f"{cents / 100:,.0f}"
    if amount.startswith("-"):
        return f"-{symbol}{amount[1:]}" if symbol else f"{amount} {currency}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def money_prefix(currency: str | None) -> str:
    """What an amount field shows before the number: "€ ", or "CHF " for a code without a
    symbol."""
    code = currency or "USD"
    return f"{SYMBOLS.get(code, code)} "


def format_money_both(cents: int | None, currency: str | None, base_cents: int | None,
                      base: str) -> str:
    """A customer's amount in its own currency, with the base amount beside it where they
    differ: "€50,000 ($54,000)"; "€50,000 (no EUR rate)" when it cannot be converted."""
    own = format_money(cents, currency)
    if cents is None or (currency or base) == base:
        return own
    if base_cents is None:
        return f"{own} (no {currency} rate)"
    return f"{own} ({format_money(base_cents, base)})"


def format_money_short(cents: float, currency: str | None = "USD") -> str:
    """An axis label: $12K, €1.5M, 800 CHF."""
    units = cents / 100
    text = (f"{units / 1e6:,.1f}M".replace(".0M", "M") if abs(units) >= 1e6
            else f"{units / 1e3:,.0f}K" if abs(units) >= 1e3 else f"{units:,.0f}")
    symbol = SYMBOLS.get(currency or "USD", "")
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def format_date(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value else "—"


def format_number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def counted(n: int, word: str, plural: str | None = None) -> str:
    """``1 ticket``, ``2 tickets``, ``1,204 accounts``: a count with its noun agreeing."""
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


# The words for the book's vocabularies: one table each, for every screen, document and
# command (``csdesk accounts`` says "Mid-Market" and "At risk" as the window does).
SEGMENT_LABELS = {s.value: s.label for s in Segment}
TRACK_LABELS = {t.value: t.label for t in RenewalTrack}
STATUS_LABELS = {s.value: s.label for s in AccountStatus}


def label(table: dict[str, str], key: object) -> str:
    """``key``'s word in one of the tables above (an enum or its value); "—" for none."""
    if key is None:
        return "—"
    value = str(getattr(key, "value", key))
    return table.get(value, value)
