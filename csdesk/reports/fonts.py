"""Fonts for the PDFs: the bundled DejaVu Sans family, and a per-run fallback for characters it
lacks (CJK, for one), found among the system's fonts with matplotlib's font manager.

All user text goes through :func:`markup`, which escapes it for reportlab's paragraph markup
(so ``AT&T <Legacy>`` prints as typed and ``<img src=…>`` prints as text, fetching nothing) and
wraps each run of characters DejaVu cannot draw in a ``<font>`` tag naming a font that can.
Characters no font on the machine can draw are replaced by "?" and collected in
:attr:`FontSet.missing`, so the report can say so instead of printing blank boxes.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FAMILY = "CsSans"
FACES = {FAMILY: "DejaVuSans.ttf", f"{FAMILY}-Bold": "DejaVuSans-Bold.ttf",
         f"{FAMILY}-Italic": "DejaVuSans-Oblique.ttf",
         f"{FAMILY}-BoldItalic": "DejaVuSans-BoldOblique.ttf"}
BOLD = f"{FAMILY}-Bold"
ITALIC = f"{FAMILY}-Italic"

_lock = threading.Lock()


def _font_dir() -> Path:
    return Path(str(resources.files("csdesk.resources") / "fonts"))


@functools.cache
def register() -> frozenset[int]:
    """Register the bundled family once; return the code points it can draw."""
    with _lock:
        for name, file in FACES.items():
            pdfmetrics.registerFont(TTFont(name, str(_font_dir() / file)))
        pdfmetrics.registerFontFamily(FAMILY, normal=FAMILY, bold=BOLD, italic=ITALIC,
                                      boldItalic=f"{FAMILY}-BoldItalic")
    return frozenset(_charmap(_font_dir() / FACES[FAMILY]))


def _charmap(path: Path, index: int = 0) -> set[int]:
    from matplotlib.ft2font import FT2Font

    try:
        # matplotlib's stubs leave out FT2Font's private _index (a face of a .ttc file).
        font = (FT2Font(str(path), _index=index)  # type: ignore[call-arg]
                if index else FT2Font(str(path)))
        return set(font.get_charmap())
    except Exception:  # an unreadable system font is simply not a candidate
        return set()


@functools.cache
def _system_fonts() -> tuple[Path, ...]:
    from matplotlib import font_manager

    paths = font_manager.findSystemFonts(fontext="ttf")
    # .ttc collections are fine too (first face); prefer broad "fallback" fonts first.
    keys = ("droid", "wqy", "noto", "unifont")
    return tuple(sorted((Path(p) for p in paths),
                        key=lambda p: (not any(k in p.name.lower() for k in keys), str(p))))


@functools.cache
def _coverage(path: Path) -> frozenset[int]:
    return frozenset(_charmap(path))


@functools.cache
def fallback_font(codepoint: int) -> str | None:
    """The reportlab name of a registered system font that draws this character, or None."""
    for path in _system_fonts():
        if path.suffix.lower() not in (".ttf", ".ttc", ".otf"):
            continue
        if codepoint in _coverage(path):
            name = f"Fallback-{path.stem}"
            try:
                with _lock:
                    if name not in pdfmetrics.getRegisteredFontNames():
                        font = (TTFont(name, str(path), subfontIndex=0)
                                if path.suffix.lower() == ".ttc" else TTFont(name, str(path)))
                        pdfmetrics.registerFont(font)
            except Exception:  # CFF-flavoured .otf and the like: reportlab cannot embed it
                continue
            return name
    return None


@dataclass
class FontSet:
    """Escapes user text and tracks the characters no font could draw in one document."""

    missing: set[str] = field(default_factory=set)

    def markup(self, text: object) -> str:
        covered = register()
        out: list[str] = []
        run: list[str] = []
        run_font: str | None = None

        def flush() -> None:
            if run:
                chunk = escape("".join(run))
                out.append(chunk if run_font is None
                           else f'<font name="{run_font}">{chunk}</font>')
                run.clear()

        for ch in "" if text is None else str(text):
            cp = ord(ch)
            if cp in covered or ch in "\n\t" or cp < 32:
                font = None
            else:
                font = fallback_font(cp)
                if font is None:
                    self.missing.add(ch)
                    ch = "?"
            if font != run_font:
                flush()
                run_font = font
            run.append(ch)
        flush()
        return "".join(out).replace("\n", "<br/>")
