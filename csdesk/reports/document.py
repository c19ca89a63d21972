"""The shared frame of every csdesk PDF: branding, styles, the page footer ("Page x of y"),
tables that split with their header repeated, and deterministic output (the same data gives
the same bytes: reportlab's invariant mode fixes the creation date and document id).

Any text of any length gives a PDF: paragraphs wrap (a word wider than the line is broken)
and split across pages, a table row too tall to move whole to the next page splits inside,
display text (titles, the customer on the cover) is cut to a few lines with "…" and then
printed whole in body type, page furniture is cut to its space, and a picture in a cell that
is taller than a page is cut with a visible mark.

Reports build a list of flowables from service dataclasses; they run no queries of their own.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import _listWrapOn

from csdesk.reports.branding import Branding
from csdesk.reports.fonts import BOLD, FAMILY, FontSet, register
from csdesk.safefile import atomic_open

INK = colors.HexColor("#111827")
MUTED = colors.HexColor("#6b7280")
RULE = colors.HexColor("#e5e7eb")
BAND_COLOURS = {"green": "#16a34a", "yellow": "#d97706", "red": "#dc2626"}
STRIPE = colors.HexColor("#f9fafb")

TABLE_WIDTH = A4[0] - 36 * mm  # tables span the margins
BODY_WIDTH = TABLE_WIDTH - 12  # text, inside the frame's padding
BODY_HEIGHT = A4[1] - 34 * mm - 12


class Styles:
    def __init__(self, accent: str) -> None:
        register()
        base = ParagraphStyle("body", fontName=FAMILY, fontSize=9.5, leading=13, textColor=INK)
        self.body = base
        self.small = ParagraphStyle("small", base, fontSize=8, leading=10.5, textColor=MUTED)
        self.cell = ParagraphStyle("cell", base, fontSize=8.5, leading=11)
        self.cell_right = ParagraphStyle("cellr", self.cell, alignment=TA_RIGHT)
        self.cell_indent = ParagraphStyle("celli", self.cell, leftIndent=10)
        self.head = ParagraphStyle("head", self.cell, fontName=BOLD, textColor=colors.white)
        self.title = ParagraphStyle("title", base, fontName=BOLD, fontSize=22, leading=27)
        self.subtitle = ParagraphStyle("subtitle", base, fontSize=12, leading=16,
                                       textColor=MUTED)
        self.h1 = ParagraphStyle("h1", base, fontName=BOLD, fontSize=14, leading=18,
                                 spaceBefore=10, spaceAfter=6, keepWithNext=1,
                                 textColor=colors.HexColor(accent))
        self.h2 = ParagraphStyle("h2", base, fontName=BOLD, fontSize=10.5, leading=14,
                                 spaceBefore=6, spaceAfter=3, keepWithNext=1)
        self.footer = ParagraphStyle("footer", base, fontSize=7.5, leading=9, textColor=MUTED)


class ProgressBar(Flowable):
    """A horizontal bar filled to ``value`` (0–1), with a label at its right."""

    def __init__(self, value: float, colour: str, label: str, width: float = 90 * mm,
                 height: float = 3.2 * mm) -> None:
        super().__init__()
        self.value, self.colour, self.label = max(0.0, min(1.0, value)), colour, label
        self.bar_width, self.bar_height = width, height
        self.keepWithNext = True

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.bar_width + 20 * mm, self.bar_height + 2 * mm

    def draw(self) -> None:
        c = self.canv
        c.setFillColor(RULE)
        c.roundRect(0, 1 * mm, self.bar_width, self.bar_height, 1.5, stroke=0, fill=1)
        c.setFillColor(colors.HexColor(self.colour))
        if self.value > 0:
            c.roundRect(0, 1 * mm, self.bar_width * self.value, self.bar_height, 1.5,
                        stroke=0, fill=1)
        c.setFillColor(INK)
        c.setFont(FAMILY, 8)
        c.drawString(self.bar_width + 2 * mm, 1.6 * mm, self.label)


class Report:
    """Collects flowables with escaped text, then writes the PDF."""

    def __init__(self, title: str, branding: Branding | None = None) -> None:
        self.branding = branding or Branding()
        self.title = title
        self.fonts = FontSet()
        self.styles = Styles(self.branding.accent)
        self.story: list[Flowable] = []

    # -- text ---------------------------------------------------------------------------

    def text(self, value: object) -> str:
        """User text escaped for paragraph markup (with font fallback runs)."""
        return self.fonts.markup(value)

    def para(self, markup: str, style: ParagraphStyle | None = None) -> Paragraph:
        return _Paragraph(markup, style or self.styles.body)

    def add(self, *flowables: Flowable) -> None:
        self.story.extend(flowables)

    def masthead(self, title: str, subtitle: str) -> None:
        """Our branding (logo or company name, in the accent colour), then the title."""
        b = self.branding
        logo = _logo(b.logo)
        brand: Flowable = logo if logo is not None else self.brand(ParagraphStyle(
            "brand", self.styles.h2, textColor=colors.HexColor(b.accent)))
        self.add(grid([[brand]], [TABLE_WIDTH], [
            ("LINEBELOW", (0, 0), (-1, -1), 2, colors.HexColor(b.accent)),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]),
                 Spacer(1, 6 * mm))
        self.display(title, self.styles.title)
        self.display(subtitle, self.styles.subtitle)
        self.spacer(5)

    def cover(self, kind: str, customer: str, period: str, prepared: str,
              customer_logo: str | None = None) -> None:
        """A cover page: our branding at the top, the customer (and its logo) and the period.

        A customer's name too long for three lines is cut there: ``prepared`` (in body type)
        is to name the customer in full."""
        b = self.branding
        accent = colors.HexColor(b.accent)
        ours = _logo(b.logo) or self.brand(ParagraphStyle(
            "cover-brand", self.styles.h2, fontSize=13, leading=16, textColor=accent))
        self.add(ours, Spacer(1, 60 * mm))
        theirs = _logo(customer_logo, 20 * mm)
        if theirs is not None:
            self.add(theirs, Spacer(1, 8 * mm))
        self.display(kind, ParagraphStyle("cover-kind", self.styles.subtitle, fontSize=14,
                                          leading=18, textColor=accent))
        self.spacer(3)
        self.display(customer, ParagraphStyle("cover-title", self.styles.title, fontSize=30,
                                              leading=36), whole=False)
        self.spacer(4)
        self.display(period, ParagraphStyle("cover-period", self.styles.subtitle, fontSize=14,
                                            leading=18))
        self.add(Spacer(1, 30 * mm), self.para(self.text(prepared), self.styles.body),
                 PageBreak())

    def cut(self, text: object, style: ParagraphStyle, width: float = BODY_WIDTH,
            lines: int = 3, suffix: str = "") -> tuple[str, bool]:
        """The markup of ``text`` cut with "…" to fill at most ``lines`` lines of ``width``
        (room left for ``suffix``, markup to follow it), and whether it was cut."""
        whole = "" if text is None else str(text)

        def fits(length: int) -> bool:
            shown = whole if length >= len(whole) else whole[:length].rstrip() + "…"
            height = Paragraph(self.text(shown) + suffix, style).wrap(width, 1e9)[1]
            return height <= lines * style.leading + 0.01

        if fits(len(whole)):
            return self.text(whole), False
        low, high = 0, len(whole)  # the longest prefix that fits is in [low, high)
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if fits(middle) else (low, middle)
        return self.text(whole[:low].rstrip() + "…"), True

    def display(self, text: object, style: ParagraphStyle, lines: int = 3,
                whole: bool = True) -> None:
        """Display text (a title) in at most ``lines`` lines; a longer one is cut with "…"
        there and follows whole in body type (unless ``whole`` is off: it shows elsewhere),
        so nothing is lost."""
        markup, was_cut = self.cut(text, style, lines=lines)
        self.add(self.para(markup, style))
        if was_cut and whole:
            self.add(self.para(self.text(text), ParagraphStyle(
                f"{style.name}-whole", self.styles.body,
                keepWithNext=getattr(style, "keepWithNext", 0))))

    def brand(self, style: ParagraphStyle) -> Paragraph:
        """Our company's name, in at most two lines."""
        return self.para(self.cut(self.branding.company, style, lines=2)[0], style)

    def warn(self, text: str) -> str:
        """User text, escaped, in the warning colour (for use inside a cell or paragraph)."""
        return f'<font color="{BAND_COLOURS["red"]}">{self.text(text)}</font>'

    def heading(self, text: str) -> None:
        self.display(text, self.styles.h1)

    def paragraph(self, text: str, style: ParagraphStyle | None = None) -> None:
        """A paragraph of user text, however long (it wraps and splits across pages)."""
        self.add(self.para(self.text(text), style))

    def spacer(self, height: float = 4) -> None:
        self.add(Spacer(1, height * mm))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]],
              widths: Sequence[float], right: Sequence[int] = ()) -> None:
        """A table that splits across pages with its header row repeated (and a row too tall
        to move whole to the next page split inside)."""
        s = self.styles
        data: list[list[Any]] = [[self.para(self.text(h), s.head) for h in header]]
        for row in rows:
            data.append([cell if isinstance(cell, Flowable) else
                         self.para(self.text(cell), s.cell_right if i in right else s.cell)
                         for i, cell in enumerate(row)])
        total = sum(widths)
        # Every other row shaded, row by row: a row split across pages keeps its shade.
        stripes = [("BACKGROUND", (0, i), (-1, i), STRIPE) for i in range(2, len(data), 2)]
        self.add(grid(data, [w * TABLE_WIDTH / total for w in widths], [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(self.branding.accent)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE), *stripes,
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ], repeat_rows=1))

    # -- output -------------------------------------------------------------------------

    def build(self, out: str | os.PathLike[str] | io.BytesIO) -> set[str]:
        """Write the PDF. To a path, atomically: a half-written file never replaces a good one.

        Returns the characters no font could print (empty when all could).
        """
        if self.fonts.missing:
            chars = " ".join(sorted(self.fonts.missing))
            self.add(Spacer(1, 4 * mm), self.para(
                self.text(f"Some characters could not be printed (no font on this computer "
                          f"has them) and show as '?': {chars}"), self.styles.small))
        if isinstance(out, io.BytesIO):
            self._build(out)
            return self.fonts.missing
        # Private from the first byte (0600), on disk before it replaces the old PDF.
        with atomic_open(Path(out), "wb") as fh:
            self._build(fh)
        return self.fonts.missing

    def _build(self, fh: Any) -> None:
        s = self.styles
        footer = self.para(self.cut(self.branding.footer, s.footer, TABLE_WIDTH * 0.65,
                                    lines=2)[0], s.footer)
        company = self.cut(self.branding.company, s.footer, TABLE_WIDTH * 0.33, lines=2,
                           suffix=" · Page 9999 of 9999")[0]
        doc = BaseDocTemplate(fh, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                              topMargin=16 * mm, bottomMargin=18 * mm, title=self.title,
                              author=self.branding.company, creator="csdesk", invariant=1,
                              initialFontName=FAMILY)  # no stray unembedded Helvetica
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")

        def decorate(canvas: Any, d: Any) -> None:
            canvas.saveState()
            canvas.setStrokeColor(RULE)
            canvas.line(d.leftMargin, 13 * mm, d.leftMargin + d.width, 13 * mm)
            _w, h = footer.wrap(d.width * 0.65, 10 * mm)
            footer.drawOn(canvas, d.leftMargin, 12 * mm - h)
            canvas.restoreState()

        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
        doc.keepTogetherClass = _KeepWithNext
        doc.build(list(self.story), canvasmaker=_numbered_canvas(doc, company, s))


class _Paragraph(Paragraph):
    """A paragraph that lays out its lines once per width: a table splitting a long cell
    across pages asks for the same layout several times a page (in 4.x, each costs a pass
    over the whole text, a long word a measure per character)."""

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self.__dict__.get("_wrapped_at") == availWidth and "blPara" in self.__dict__:
            return self.width, self.height
        size = super().wrap(availWidth, availHeight)
        self._wrapped_at = availWidth
        return size


class _KeepWithNext(KeepTogether):
    """Headings kept with what follows them, as usual, except that when what follows is
    taller than a page (a long table) it starts under the heading, if the heading and some
    of it fit, instead of on the next page, leaving this one blank."""

    def split(self, aW: float, aH: float) -> list[Flowable]:
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        *lead, last = self._content
        if self._H > BODY_HEIGHT and lead:
            _w, above = _listWrapOn(lead, aW, self.canv)
            room = aH - above - last.getSpaceBefore()
            parts = last.splitOn(self.canv, aW, room) if room > 0 else []
            if parts:
                return [*lead, *parts]
        return super().split(aW, aH)


class _SplittingTable(Table):
    """A table whose row too tall to move whole to the next page (a third of a page or more)
    splits inside, its cells' paragraphs continuing on the next page; shorter rows move whole,
    as usual. Every part keeps the repeated header rows."""

    TALL = BODY_HEIGHT / 3

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self._calc(availWidth, availHeight)
        heights = self._rowHeights
        row = next((i for i, bottom in enumerate(accumulate(heights)) if bottom > availHeight),
                   None)
        if row is not None and heights[row] > self.TALL:
            parts = self._splitRows(availHeight, doInRowSplit=1)
            if parts:
                return parts
        return self._splitRows(availHeight)


class _Capped(Flowable):
    """A flowable that cannot split (a picture), cut to ``height`` with a mark when taller,
    and to the width it is given."""

    def __init__(self, content: Flowable, height: float) -> None:
        super().__init__()
        self.content, self.cap = content, height
        self.full_width = self.full_height = 0.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.full_width, self.full_height = self.content.wrap(availWidth, availHeight)
        self.width = min(self.full_width, availWidth)
        self.height = min(self.full_height, self.cap)
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        if self.full_height <= self.height and self.full_width <= self.width:
            self.content.drawOn(c, 0, 0)
            return
        c.saveState()
        path = c.beginPath()
        path.rect(0, 0, self.width, self.height)
        c.clipPath(path, stroke=0, fill=0)
        self.content.drawOn(c, 0, self.height - self.full_height)
        c.restoreState()
        mark = Paragraph("… (cut: too large for a page)", ParagraphStyle(
            "cut", fontName=FAMILY, fontSize=7.5, leading=9, textColor=MUTED,
            backColor=colors.white))
        mark.wrap(self.width, self.height)
        mark.drawOn(c, 0, 0)


def grid(data: Sequence[Sequence[Any]], widths: Sequence[float], style: Sequence[Any],
         repeat_rows: int = 0) -> Table:
    """A table of flowables (and text) in which any content gives a PDF: a tall row splits
    across pages, and a picture taller than a page is cut (see :class:`_Capped`)."""
    cells = [[cell if not isinstance(cell, Flowable) else
              [cell] if isinstance(cell, Paragraph) else [_Capped(cell, BODY_HEIGHT * 0.8)]
              for cell in row] for row in data]
    table = _SplittingTable(cells, colWidths=list(widths), repeatRows=repeat_rows,
                            splitInRow=36)  # a split row shows three lines or more each side
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FAMILY), *style]))
    return table


def _logo(path: str | None, height: float = 12 * mm) -> Flowable | None:
    """The logo (PNG, JPEG or SVG) scaled to ``height`` (or narrower, to fit the page), or
    None when unset or unreadable (the name shows instead)."""
    if not path or not Path(path).is_file():
        return None
    if Path(path).suffix.lower() == ".svg":
        from svglib.svglib import svg2rlg

        try:
            drawing = svg2rlg(path)
        except Exception:  # malformed SVG: fall back to the name
            return None
        if drawing is None or not drawing.height:
            return None
        scale = min(height / drawing.height, BODY_WIDTH / (drawing.width or 1))
        drawing.scale(scale, scale)
        drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
        drawing.hAlign = "LEFT"
        return drawing
    from reportlab.platypus import Image

    try:
        image = Image(path)
    except Exception:  # not an image reportlab can read
        return None
    scale = min(height / image.imageHeight, BODY_WIDTH / image.imageWidth)
    image.drawHeight, image.drawWidth = image.imageHeight * scale, image.imageWidth * scale
    image.hAlign = "LEFT"
    return image


def _numbered_canvas(doc: Any, company: str, styles: Styles) -> Any:
    """A canvas that holds pages back until the end, to print "<company> · Page x of y"
    (``company`` is markup)."""
    from reportlab.pdfgen.canvas import Canvas

    style = ParagraphStyle("page-number", styles.footer, alignment=TA_RIGHT)

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for number, state in enumerate(self._saved, start=1):
                self.__dict__.update(state)
                label = Paragraph(f"{company} · Page {number} of {total}", style)
                _w, h = label.wrap(doc.width * 0.33, 10 * mm)
                label.drawOn(self, doc.leftMargin + doc.width * 0.67, 12 * mm - h)
                super().showPage()
            super().save()

    return NumberedCanvas
