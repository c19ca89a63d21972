"""Branding for the documents (company name, logo, accent colour, footer): the same in every
PDF, kept in the user's settings. Light to import: no reportlab here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from csdesk.config import load_settings, save_settings

if TYPE_CHECKING:
    from csdesk.services.plans.qbr_document import QbrDocument

ACCENT = "#2563eb"  # the app's accent (ui/theme.py)


@dataclass(frozen=True)
class Branding:
    """The same in every document; kept in the user's settings."""

    company: str = "Your company"
    logo: str | None = None  # a PNG, JPEG or SVG path
    accent: str = ACCENT
    footer: str = "Confidential: prepared for the customer"
    deck_template: str | None = None  # the company's .pptx; decks use its master and layouts

    def unset_notice(self) -> str | None:
        """One plain line when the company is still the default (documents then say "Your
        company"); None once it is set. Said, never a reason to refuse a document."""
        if self.company.strip() and self.company != Branding.company:
            return None
        return (f"Branding is not set: documents say '{Branding.company}' — set it with "
                "Reports → Branding… in the csdesk window.")

    @classmethod
    def load(cls) -> Branding:
        raw = load_settings().get("branding") or {}
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__ and v}
        return cls(**known)

    def template(self) -> tuple[Path | None, str | None]:
        """The deck template to use, and a plain line when the saved one is gone (decks then
        take the built-in look, never fail for it)."""
        if not self.deck_template:
            return None, None
        path = Path(self.deck_template)
        if path.is_file():
            return path, None
        return None, (f"The deck template {path} is not there any more: the deck uses the "
                      "built-in look. Set it again with Reports → Branding….")

    def save(self) -> None:
        settings = load_settings()
        settings["branding"] = {"company": self.company, "logo": self.logo,
                                "accent": self.accent, "footer": self.footer,
                                "deck_template": self.deck_template}
        save_settings(settings)


def page_footer(doc: QbrDocument, branding: Branding) -> str:
    """The footer on every page and slide: the internal mark first, before the user's own
    footer (the default footer, "prepared for the customer", is replaced by the mark)."""
    if doc.page_mark is None:
        return branding.footer
    if not branding.footer or branding.footer == Branding().footer:
        return doc.page_mark
    return f"{doc.page_mark} · {branding.footer}"
