"""The shared frame of every csdesk PDF: branding, styles, the page footer ("Page x of y"),
tables that split with their header repeated, and deterministic output (the same data gives
the same bytes: reportlab's invariant mode fixes the creation date and document id).

Reports build a list of flowables from service dataclasses; they run no queries of their own.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
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
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from csdesk.reports.branding import Branding
from csdesk.reports.fonts import BOLD, FAMILY, FontSet, register

INK = colors.HexColor("#111827")
MUTED = colors.HexColor("#6b7280")
RULE = colors.HexColor("#e5e7eb")
BAND_COLOURS = {"green": "#16a34a", "yellow": "#d97706", "red": "#dc2626"}


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
        return Paragraph(markup, style or self.styles.body)

    def add(self, *flowables: Flowable) -> None:
        self.story.extend(flowables)

    def masthead(self, title: str, subtitle: str) -> None:
        """Our branding (logo or company name, in the accent colour), then the title."""
        b = self.branding
        logo = _logo(b.logo)
        brand: Flowable = logo if logo is not None else self.para(
            self.text(b.company), ParagraphStyle("brand", self.styles.h2,
                                                 textColor=colors.HexColor(b.accent)))
        bar = Table([[brand]], colWidths=[A4[0] - 36 * mm])
        bar.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FAMILY),
                                 ("LINEBELOW", (0, 0), (-1, -1), 2, colors.HexColor(b.accent)),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
        self.add(bar, Spacer(1, 6 * mm), self.para(self.text(title), self.styles.title),
                 self.para(self.text(subtitle), self.styles.subtitle), Spacer(1, 5 * mm))

    def cover(self, kind: str, customer: str, period: str, prepared: str,
              customer_logo: str | None = None) -> None:
        """A cover page: our branding at the top, the customer (and its logo) and the period."""
        b = self.branding
        accent = colors.HexColor(b.accent)
        ours = _logo(b.logo) or self.para(self.text(b.company), ParagraphStyle(
            "cover-brand", self.styles.h2, fontSize=13, leading=16, textColor=accent))
        self.add(ours, Spacer(1, 60 * mm))
        theirs = _logo(customer_logo, 20 * mm)
        if theirs is not None:
            self.add(theirs, Spacer(1, 8 * mm))
        self.add(self.para(self.text(kind), ParagraphStyle(
            "cover-kind", self.styles.subtitle, fontSize=14, leading=18, textColor=accent)),
                 Spacer(1, 3 * mm),
                 self.para(self.text(customer), ParagraphStyle(
                     "cover-title", self.styles.title, fontSize=30, leading=36)),
                 Spacer(1, 4 * mm),
                 self.para(self.text(period), ParagraphStyle(
                     "cover-period", self.styles.subtitle, fontSize=14, leading=18)),
                 Spacer(1, 30 * mm),
                 self.para(self.text(prepared), self.styles.body),
                 PageBreak())

    def warn(self, text: str) -> str:
        """User text, escaped, in the warning colour (for use inside a cell or paragraph)."""
        return f'<font color="{BAND_COLOURS["red"]}">{self.text(text)}</font>'

    def heading(self, text: str) -> None:
        self.add(self.para(self.text(text), self.styles.h1))

    def paragraph(self, text: str, style: ParagraphStyle | None = None) -> None:
        """A paragraph of user text, however long (it wraps and splits across pages)."""
        self.add(self.para(self.text(text), style))

    def spacer(self, height: float = 4) -> None:
        self.add(Spacer(1, height * mm))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]],
              widths: Sequence[float], right: Sequence[int] = ()) -> None:
        """A table that splits across pages with its header row repeated."""
        s = self.styles
        data: list[list[Any]] = [[self.para(self.text(h), s.head) for h in header]]
        for row in rows:
            data.append([cell if isinstance(cell, Flowable) else
                         self.para(self.text(cell), s.cell_right if i in right else s.cell)
                         for i, cell in enumerate(row)])
        total = sum(widths)
        usable = A4[0] - 36 * mm
        t = Table(data, colWidths=[w * usable / total for w in widths], repeatRows=1)
        t.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), FAMILY),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(self.branding.accent)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f9fafb")]),
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        self.add(t)

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
        path = Path(out)
        tmp = path.with_name(path.name + ".part")
        tmp.unlink(missing_ok=True)  # left by a crash
        # Private from the first byte (0600), and on disk before it replaces the old PDF.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o600)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # whatever the umask
            with os.fdopen(fd, "wb") as fh:
                self._build(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return self.fonts.missing

    def _build(self, fh: Any) -> None:
        footer = self.para(self.text(self.branding.footer), self.styles.footer)
        right = f"{self.text(self.branding.company)} · Page {{n}} of {{total}}"
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
        doc.build(list(self.story), canvasmaker=_numbered_canvas(doc, right, self.styles))


def _logo(path: str | None, height: float = 12 * mm) -> Flowable | None:
    """The logo (PNG, JPEG or SVG) scaled to ``height``, or None when unset or unreadable
    (the name shows instead)."""
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
        scale = height / drawing.height
        drawing.scale(scale, scale)
        drawing.width, drawing.height = drawing.width * scale, height
        drawing.hAlign = "LEFT"
        return drawing
    from reportlab.platypus import Image

    try:
        image = Image(path)
    except Exception:  # not an image reportlab can read
        return None
    scale = height / image.imageHeight
    image.drawHeight, image.drawWidth = height, image.imageWidth * scale
    image.hAlign = "LEFT"
    return image


def _numbered_canvas(doc: Any, template: str, styles: Styles) -> Any:
    """A canvas that holds pages back until the end, to print "Page x of y"."""
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
                label = Paragraph(template.format(n=number, total=total), style)
                _w, h = label.wrap(doc.width * 0.33, 10 * mm)
                label.drawOn(self, doc.leftMargin + doc.width * 0.67, 12 * mm - h)
                super().showPage()
            super().save()

    return NumberedCanvas
