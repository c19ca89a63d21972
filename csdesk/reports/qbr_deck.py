"""The quarterly business review as an editable 16:9 PowerPoint deck (python-pptx): the
slides of a :class:`~csdesk.services.plans.qbr_document.QbrDocument`, and nothing more.

What the deck says, and to whom (its sections, their "so what" headlines, which facts the
customer may see), is decided in ``csdesk.services.plans.qbr_document``, as for the PDF; this
module only lays the document out: a title slide, an agenda, one slide per section (long
tables continue on a further slide), usage as native charts whose data stays editable, every
text a real text frame, and the data behind each slide in its speaker notes.

With ``template`` (the company's own .pptx) its slide master and layouts are used, picked by
their placeholders (title; title and content; title only), and colours come from its theme;
without one, a clean built-in look in the branding's accent colour. The internal version
carries the document's mark on every slide.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from csdesk.errors import CsdeskError
from csdesk.reports.branding import Branding, page_footer
from csdesk.safefile import DECK_CREATOR, atomic_open
from csdesk.services.formatting import format_date
from csdesk.services.plans.qbr_document import QbrDocument, Section, Table

WIDTH, HEIGHT = Emu(12_192_000), Emu(6_858_000)  # 16:9 (13.333 × 7.5 in)
ROWS_PER_SLIDE = 8  # table rows on one slide at most; more continue on the next
GREY = RGBColor(0x9C, 0xA3, 0xAF)
INK = RGBColor(0x11, 0x18, 0x27)
MARK_RED = RGBColor(0xB9, 0x1C, 0x1C)

_BODY_TYPES = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT}
_TITLE_TYPES = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE}


@dataclass(frozen=True)
class _Box:
    left: int
    top: int
    width: int
    height: int


def write_qbr_deck(doc: QbrDocument, out: Path | io.BytesIO,
                   branding: Branding | None = None, template: Path | None = None) -> None:
    """Write ``doc`` as a .pptx to ``out`` (atomically and privately when a path)."""
    prs = _Deck(doc, branding or Branding(), template).build()
    if isinstance(out, io.BytesIO):
        prs.save(out)
        return
    with atomic_open(Path(os.fspath(out)), "wb") as fh:
        prs.save(fh)


def check_template(template: Path) -> None:
    """Refuse, in one line, a file that is not a PowerPoint deck or template csdesk can fill
    (checked once, before any deck is written)."""
    if not template.is_file():
        raise CsdeskError(f"no template at {template}")
    try:
        _layouts(Presentation(str(template)))
    except Exception as exc:  # python-pptx says "not a package", KeyError, ValueError, …
        raise CsdeskError(f"{template.name} is not a PowerPoint template csdesk can use: "
                          "open it in PowerPoint and save it as a .pptx") from exc


class _Deck:
    def __init__(self, doc: QbrDocument, branding: Branding, template: Path | None) -> None:
        self.doc, self.branding, self.template = doc, branding, template
        if template is not None:
            self.prs = Presentation(str(template))
            _drop_slides(self.prs)
        else:
            self.prs = Presentation()
            _widen(self.prs)
        self.title_layout, self.content_layout, self.title_only_layout = _layouts(self.prs)
        self.accent = None if template is not None else _rgb(branding.accent)
        self.footer = page_footer(doc, branding)

    # -- the slides ---------------------------------------------------------------------
    def build(self) -> Any:
        doc = self.doc
        self._title_slide()
        # who is in the room goes on the agenda slide, as its headline, not a slide of its own
        people = doc.section("attendees")
        sections = [s for s in doc.sections if s is not people]
        titles = list(dict.fromkeys(s.title for s in sections))
        if titles:
            attending = " · ".join(people.bullets) if people is not None else None
            self._text_slide("Agenda and attendees" if attending else "Agenda", attending,
                             titles, notes=[*(["Attending: " + attending] if attending else []),
                                            "Agenda: " + "; ".join(titles)])
        for section in sections:
            self._section(section)
        core = self.prs.core_properties
        core.author = DECK_CREATOR
        core.last_modified_by = DECK_CREATOR
        core.title = doc.title
        core.subject = doc.kind
        core.keywords = ""
        core.comments = ""
        return self.prs

    def _title_slide(self) -> None:
        doc = self.doc
        slide = self.prs.slides.add_slide(self.title_layout)
        title = _placeholder(slide, _TITLE_TYPES)
        lines = [doc.period_line, doc.prepared_line(self.branding.company)]
        if title is not None:
            self._set_text(title, [doc.customer], size=40, colour=self.accent, bold=True)
        sub = _placeholder(slide, {PP_PLACEHOLDER.SUBTITLE, *_BODY_TYPES})
        if sub is not None:
            self._set_text(sub, [doc.kind, *lines], size=20)
        else:
            box = self._body_box()
            self._textbox(slide, _Box(box.left, box.top + box.height // 2, box.width,
                                      Inches(1.5)), [doc.kind, *lines], size=20)
        self._notes(slide, [f"{doc.kind} for {doc.customer}", *lines])
        self._foot(slide)

    def _section(self, s: Section) -> None:
        t = s.table
        notes = _section_notes(s)
        if s.charts and self.doc.usage:
            self._usage_slide(s, notes)
            if t is not None:
                self._table_slides(s.title + ": by quarter", s.headline, t, [], notes)
            return
        text = [*s.paragraphs, *s.bullets]
        if s.headline and text and text[0] == s.headline:
            text = text[1:]  # said once, as the headline
        if s.objectives:
            self._table_slides(s.title, s.headline, _objectives_table(s), text + list(s.notes),
                               notes)
        elif t is not None:
            self._table_slides(s.title, s.headline, t, text + list(s.notes), notes)
        else:
            self._text_slide(s.title, s.headline, text + list(s.notes), notes=notes)

    def _text_slide(self, title: str, headline: str | None, lines: Sequence[str],
                    notes: Sequence[str]) -> None:
        slide = self._slide(self.content_layout, title)
        box = self._body_box()
        if headline:
            box = self._headline(slide, headline, box)
        body = _placeholder(slide, _BODY_TYPES)
        if body is not None and not headline:
            self._set_text(body, lines, size=_text_size(lines))
        else:
            if body is not None:
                body._element.getparent().remove(body._element)
            self._textbox(slide, box, lines, size=_text_size(lines), bullets=True)
        self._notes(slide, notes)
        self._foot(slide)

    def _table_slides(self, title: str, headline: str | None, table: Table,
                      text: Sequence[str], notes: Sequence[str]) -> None:
        chunks = self._chunks(table, reserve=Inches(0.7 if headline else 0)
                              + Inches(0.4) * len(text))
        starts = [sum(len(c) for c in chunks[:n]) for n in range(len(chunks))]
        for n, rows in enumerate(chunks):
            slide = self._slide(self.title_only_layout,
                                title if n == 0 else f"{title} (continued)")
            box = self._body_box()
            if headline and n == 0:
                box = self._headline(slide, headline, box)
            if rows:
                height = self._table(slide, box, table, rows, start=starts[n])
                box = _Box(box.left, box.top + height + Inches(0.25), box.width,
                           box.height - height - Inches(0.25))
            if text and n == len(chunks) - 1:
                self._textbox(slide, box, text, size=14)
            self._notes(slide, notes)
            self._foot(slide)

    def _chunks(self, table: Table, reserve: int) -> list[tuple[tuple[str, ...], ...]]:
        """The table's rows cut into slides' worth: as many as fit under the header (at
        most ``ROWS_PER_SLIDE``), ``reserve`` kept free for a headline and text."""
        box = self._body_box()
        total = sum(table.widths) or 1
        widths = [int(box.width * w / total) for w in table.widths]
        size = _table_size(table)
        room = box.height - reserve - _row_height(table.header, widths, size)
        chunks: list[tuple[tuple[str, ...], ...]] = []
        current: list[tuple[str, ...]] = []
        used = 0
        for row in table.rows:
            height = _row_height(row, widths, size)
            if current and (used + height > room or len(current) == ROWS_PER_SLIDE):
                chunks.append(tuple(current))
                current, used = [], 0
            current.append(row)
            used += height
        return [*chunks, tuple(current)] if current else chunks or [()]

    def _usage_slide(self, s: Section, notes: Sequence[str]) -> None:
        slide = self._slide(self.title_only_layout, s.title)
        box = self._body_box()
        if s.headline:
            box = self._headline(slide, s.headline, box)
        usage = self.doc.usage
        weeks = [format_date(u[0])[:6] for u in usage]
        gap = Inches(0.3)
        half = (box.width - gap) // 2
        active = CategoryChartData()
        active.categories = weeks
        active.add_series("Active users", [u[1] for u in usage])
        active.add_series("Licensed seats", [u[2] for u in usage])
        self._chart(slide, _Box(box.left, box.top, half, box.height), XL_CHART_TYPE.LINE,
                    active, "Active users against licensed seats")
        events = CategoryChartData()
        events.categories = weeks
        events.add_series("Key value events per week", [u[3] for u in usage])
        self._chart(slide, _Box(box.left + half + gap, box.top, half, box.height),
                    XL_CHART_TYPE.COLUMN_CLUSTERED, events, "Key value events per week")
        weekly = [f"{format_date(u[0])}: active users {_n(u[1])}, seats {_n(u[2])}, key events "
                  f"{_n(u[3])}, features used {_n(u[4])}" for u in usage]
        self._notes(slide, [*notes, "Weekly usage:", *weekly])
        self._foot(slide)

    # -- pieces -------------------------------------------------------------------------
    def _slide(self, layout: Any, title: str) -> Any:
        slide = self.prs.slides.add_slide(layout)
        ph = _placeholder(slide, _TITLE_TYPES)
        if ph is None:
            box = self._body_box()
            self._textbox(slide, _Box(box.left, Inches(0.3), box.width, Inches(0.9)), [title],
                          size=28, colour=self.accent, bold=True)
        else:
            self._set_text(ph, [title], size=28, colour=self.accent, bold=True,
                           align=PP_ALIGN.LEFT if self.template is None else None)
        # placeholders the deck does not fill would show "Click to add text"
        for other in list(slide.placeholders):
            kind = other.placeholder_format.type
            if kind not in _TITLE_TYPES and kind not in _BODY_TYPES:
                other._element.getparent().remove(other._element)
        if self.accent is not None:
            bar = slide.shapes.add_shape(1, 0, 0, WIDTH, Inches(0.12))
            bar.fill.solid()
            bar.fill.fore_color.rgb = self.accent
            bar.line.fill.background()
        return slide

    def _headline(self, slide: Any, headline: str, box: _Box) -> _Box:
        height = Inches(0.55 if len(headline) <= 110 else 0.9)
        self._textbox(slide, _Box(box.left, box.top, box.width, height), [headline],
                      size=18, colour=self.accent, bold=True, theme_accent=self.accent is None)
        gap = height + Inches(0.15)
        return _Box(box.left, box.top + gap, box.width, box.height - gap)

    def _body_box(self) -> _Box:
        """Where a slide's content goes: the template's body placeholder, else margins."""
        body = _placeholder(self.content_layout, _BODY_TYPES)
        w, h = self._size()
        if body is not None and body.width and body.height and self.template is not None:
            return _Box(body.left, body.top, body.width, min(body.height,
                                                              h - body.top - Inches(0.5)))
        return _Box(Inches(0.6), Inches(1.35), w - Inches(1.2), h - Inches(1.35 + 0.75))

    def _size(self) -> tuple[int, int]:
        return self.prs.slide_width or WIDTH, self.prs.slide_height or HEIGHT

    def _textbox(self, slide: Any, box: _Box, lines: Sequence[str], *, size: int,
                 colour: RGBColor | None = None, bold: bool = False, bullets: bool = False,
                 theme_accent: bool = False) -> Any:
        shape = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
        tf = shape.text_frame
        tf.word_wrap = True
        for i, line in enumerate(lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            run = p.add_run()
            run.text = f"•  {line}" if bullets and len(lines) > 1 else line
            run.font.size = Pt(size)
            run.font.bold = bold
            if colour is not None:
                run.font.color.rgb = colour
            elif theme_accent:
                from pptx.enum.dml import MSO_THEME_COLOR
                run.font.color.theme_color = MSO_THEME_COLOR.ACCENT_1
            p.space_after = Pt(size * 0.5)
        return shape

    def _set_text(self, ph: Any, lines: Sequence[str], *, size: int,
                  colour: RGBColor | None = None, bold: bool = False,
                  align: Any = None) -> None:
        tf = ph.text_frame
        tf.clear()
        tf.word_wrap = True
        for i, line in enumerate(lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            if align is not None:
                p.alignment = align
            run = p.add_run()
            run.text = line
            title = ph.placeholder_format.type in _TITLE_TYPES
            if self.template is None or not title:  # a template's title sizes stand
                run.font.size = Pt(size)
            if self.template is None:  # and its colours
                run.font.bold = bold
                if colour is not None:
                    run.font.color.rgb = colour
        _keep_above_foot(ph, self._size()[1])
        if self.template is not None:
            tf.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # a long title in its own size
        else:
            tf.vertical_anchor = MSO_ANCHOR.MIDDLE if ph.placeholder_format.type in \
                _TITLE_TYPES else MSO_ANCHOR.TOP

    def _table(self, slide: Any, box: _Box, table: Table, rows: Sequence[Sequence[str]], *,
               start: int) -> int:
        """A native table of ``rows`` (from row ``start`` of ``table``); its height, about."""
        n_rows, n_cols = len(rows) + 1, len(table.header)
        size = _table_size(table)
        total = sum(table.widths) or 1
        widths = [int(box.width * w / total) for w in table.widths]
        heights = [_row_height([table.header, *rows][i], widths, size) for i in range(n_rows)]
        shape = slide.shapes.add_table(n_rows, n_cols, box.left, box.top, box.width,
                                       sum(heights))
        grid = shape.table
        for j, w in enumerate(widths):
            grid.columns[j].width = Emu(w)
        for i, row in enumerate([table.header, *rows]):
            grid.rows[i].height = Emu(heights[i])
            for j, value in enumerate(row):
                cell = grid.cell(i, j)
                cell.text = value
                p = cell.text_frame.paragraphs[0]
                p.alignment = PP_ALIGN.RIGHT if j in table.right else PP_ALIGN.LEFT
                for run in p.runs:
                    run.font.size = Pt(size)
                    run.font.bold = i == 0
                    if i > 0 and (start + i - 1, j) in table.warn:
                        run.font.color.rgb = MARK_RED
                if i == 0 and self.accent is not None:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = self.accent
        return sum(heights)

    def _chart(self, slide: Any, box: _Box, kind: Any, data: CategoryChartData,
               title: str) -> None:
        chart = slide.shapes.add_chart(kind, box.left, box.top, box.width, box.height,
                                       data).chart
        chart.has_title = True
        chart.chart_title.text_frame.text = title
        chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(14)
        chart.has_legend = len(chart.plots[0].series) > 1
        if chart.has_legend:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
            chart.legend.font.size = Pt(11)
        chart.category_axis.tick_labels.font.size = Pt(10)
        chart.value_axis.tick_labels.font.size = Pt(10)
        chart.value_axis.has_major_gridlines = True
        colours = [self.accent, GREY] if self.accent is not None else []
        for series, colour in zip(chart.plots[0].series, colours, strict=False):
            if kind == XL_CHART_TYPE.LINE:
                series.format.line.color.rgb = colour
                series.format.line.width = Pt(2.25)
                series.smooth = False
            else:
                series.format.fill.solid()
                series.format.fill.fore_color.rgb = colour
        if kind == XL_CHART_TYPE.LINE:
            from pptx.enum.chart import XL_MARKER_STYLE
            for series in chart.plots[0].series:
                series.marker.style = XL_MARKER_STYLE.NONE

    def _notes(self, slide: Any, lines: Iterable[str]) -> None:
        slide.notes_slide.notes_text_frame.text = "\n".join(lines)

    def _foot(self, slide: Any) -> None:
        w, h = self._size()
        internal = self.doc.page_mark is not None
        self._textbox(slide, _Box(Inches(0.6), h - Inches(0.55), w - Inches(1.2), Inches(0.4)),
                      [self.footer], size=11, bold=internal,
                      colour=MARK_RED if internal else GREY)


# -- the document's content as slide content ---------------------------------------------
def _objectives_table(s: Section) -> Table:
    """The objectives as rows: what, where it stands, baseline → now → target, progress."""
    rows = tuple((o.title, o.status, o.measure or "—", o.bar_label) for o in s.objectives)
    return Table(("Objective", "Status", "Baseline → now → target", "Progress"), rows,
                 (30, 14, 42, 14))


def _section_notes(s: Section) -> list[str]:
    """The data behind a slide, for the presenter: every line and row of the section."""
    out = [s.title]
    if s.headline:
        out.append(s.headline)
    out += [x for x in (*s.paragraphs, *s.bullets) if x != s.headline]
    for o in s.objectives:
        out.append(f"{o.title}: {o.status}; {o.measure or 'no measure'}; progress "
                   f"{o.bar_label}" + (f". {o.note}" if o.note else ""))
    if s.table is not None:
        for row in s.table.rows:
            out.append("; ".join(f"{h}: {v}" if h else v
                                 for h, v in zip(s.table.header, row, strict=False)))
    out += list(s.notes)
    return out


def _keep_above_foot(ph: Any, height: int) -> None:
    """A placeholder ends above the footer line (a template's may reach the slide's foot)."""
    bottom = height - Inches(0.6)
    top, tall = ph.top, ph.height  # each read walks the layout and master: read once
    if top is not None and tall is not None and top + tall > bottom:
        ph.left, ph.width = ph.left, ph.width  # the position, made the slide's own
        ph.top, ph.height = top, max(Inches(0.5), bottom - top)


def _table_size(table: Table) -> int:
    return 14 if len(table.header) <= 4 else 13


def _row_height(cells: Sequence[str], widths: Sequence[int], size: int) -> int:
    """A table row's height: enough lines for its longest cell at ``size`` points."""
    lines = 1
    for text, width in zip(cells, widths, strict=False):
        per_line = max(8, int((width / 914_400 - 0.2) * 144 / size))  # ~0.5 em a character
        lines = max(lines, -(-len(text) // per_line))
    return int(Pt(size * 1.25 * lines) + Inches(0.2))


def _text_size(lines: Sequence[str]) -> int:
    chars = sum(len(x) for x in lines) + 60 * len(lines)
    return 20 if chars < 500 else 18 if chars < 800 else 16 if chars < 1100 else 14


def _n(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _rgb(hex_colour: str) -> RGBColor:
    try:
        return RGBColor.from_string(hex_colour.lstrip("#")[:6].upper())
    except ValueError:
        return RGBColor.from_string("2563EB")


# -- layouts --------------------------------------------------------------------------
def _kinds(layout: Any) -> set[Any]:
    return {ph.placeholder_format.type for ph in layout.placeholders}


def _layouts(prs: Any) -> tuple[Any, Any, Any]:
    """The title, title-and-content and title-only layouts: by placeholder types, the
    usual name breaking a tie; each falls back on the next best."""
    layouts = [(la, _kinds(la)) for la in prs.slide_layouts]

    def pick(want: Any, name: str) -> Any:
        found = [la for la, kinds in layouts if want(kinds)]
        named = [la for la in found if la.name.strip().lower() == name]
        return (named or found or [None])[0]

    title = pick(lambda k: PP_PLACEHOLDER.CENTER_TITLE in k, "title slide")
    content = pick(lambda k: bool(k & _TITLE_TYPES) and bool(k & _BODY_TYPES)
                   and PP_PLACEHOLDER.CENTER_TITLE not in k, "title and content")
    only = pick(lambda k: bool(k & _TITLE_TYPES) and not k & _BODY_TYPES
                and PP_PLACEHOLDER.CENTER_TITLE not in k, "title only")
    content = content or only or title or layouts[0][0]
    only = only or content
    title = title or content
    return title, content, only


def _placeholder(holder: Any, kinds: set[Any]) -> Any:
    for ph in holder.placeholders:
        if ph.placeholder_format.type in kinds:
            return ph
    return None


def _drop_slides(prs: Any) -> None:
    """A template's own sample slides are not part of the QBR."""
    ids = prs.slides._sldIdLst
    for sld in list(ids):
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)


def _widen(prs: Any) -> None:
    """python-pptx's blank template is 4:3: made 16:9, its placeholders widened to match."""
    factor = WIDTH / prs.slide_width
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    holders = [*prs.slide_master.placeholders]
    for layout in prs.slide_layouts:
        holders += [ph for ph in layout.placeholders if ph._element.xpath("./p:spPr/a:xfrm")]
    for ph in holders:
        ph.left, ph.width = int(ph.left * factor), int(ph.width * factor)
