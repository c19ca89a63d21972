"""The quarterly business review as a PDF: the layout of a
:class:`~csdesk.services.plans.qbr_document.QbrDocument`, and nothing more.

What the document says, and to whom (which sections, which facts the customer may see, the
headlines and their wording), is decided in ``csdesk.services.plans.qbr_document``; this module
runs no queries and makes no such decision. A section is kept on one page where it fits
(its heading never alone at a page's foot).
"""

from __future__ import annotations

import io
import os
from dataclasses import replace

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from csdesk.reports.branding import page_footer
from csdesk.reports.charts import bar_chart, line_chart
from csdesk.reports.document import (
    BODY_HEIGHT,
    BODY_WIDTH,
    TABLE_WIDTH,
    Branding,
    ProgressBar,
    Report,
    grid,
)
from csdesk.services.plans.qbr import QbrData
from csdesk.services.plans.qbr_document import QbrDocument, Section, Table, qbr_document


def qbr_report(d: QbrData | QbrDocument, branding: Branding | None = None, *,
               internal: bool = False) -> Report:
    """The PDF of ``d``: a document as it is, or the facts made into the document for the
    customer (or, with ``internal``, for our team)."""
    doc = d if isinstance(d, QbrDocument) else qbr_document(d, internal=internal)
    branding = branding or Branding()
    branding = replace(branding, footer=page_footer(doc, branding))
    r = Report(doc.title, branding)
    r.cover(doc.kind, doc.customer, doc.period_line, doc.prepared_line(r.branding.company),
            doc.customer_logo)
    starts, heights = [], []
    for section in doc.sections:
        starts.append(len(r.story))
        heights.append(_section(r, doc, section))
    _keep_the_tail_together(r, starts, heights)
    return r


TAIL_SHARE = 0.35  # a document's last sections shorter than this share of a page …


def _keep_the_tail_together(r: Report, starts: list[int], heights: list[float]) -> None:
    """… go with the section before them (as one block, when it fits on a page), so that the
    document never ends on a page holding only a few stray lines: the page before ends early
    instead, and the last page reads as a whole (next quarter's plan with its asks)."""
    if len(starts) < 2:
        return
    first, grouped, tail = len(starts) - 1, False, heights[-1]
    while first > 0 and tail < BODY_HEIGHT * TAIL_SHARE:
        if tail + heights[first - 1] >= BODY_HEIGHT * 0.9:
            break
        first, grouped = first - 1, True
        tail += heights[first]
    first = starts[first]
    if grouped:
        r.story[first:] = [KeepTogether(r.story[first:])]


def _section(r: Report, doc: QbrDocument, section: Section) -> float:
    s = r.styles
    start = len(r.story)
    r.heading(section.title)
    for line in section.paragraphs:
        r.paragraph(line)
    for line in section.bullets:
        r.paragraph(f"• {line}")
    for o in section.objectives:
        r.add(r.para(f"<b>{r.text(o.title)}</b> — {r.text(o.status)}", s.body))
        if o.measure:
            r.paragraph(o.measure, s.small)
        if o.bar is not None:
            r.add(ProgressBar(o.bar, r.branding.accent, o.bar_label))
        if o.note:
            r.paragraph(o.note, s.small)
        r.spacer(1.5)
    if section.charts and doc.usage:
        dates = [u[0] for u in doc.usage]
        r.add(line_chart("Active users against licensed seats", dates,
                         [("Active users", [u[1] for u in doc.usage], r.branding.accent),
                          ("Licensed seats", [u[2] for u in doc.usage], "#9ca3af")]))
        # the two smaller charts side by side: the section then fits on a page with room
        # to spare, and the document does not end on a page of a few stray lines
        half = (TABLE_WIDTH / mm - 4) / 2
        r.add(grid([[bar_chart("Key value events per week", dates, [u[3] for u in doc.usage],
                               r.branding.accent, width_mm=half),
                     line_chart("Features used (breadth)", dates,
                                [("Features used", [u[4] for u in doc.usage], "#16a34a")],
                                width_mm=half)]],
                   [TABLE_WIDTH / 2] * 2, [("LEFTPADDING", (0, 0), (-1, -1), 0),
                                           ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    if section.table is not None:
        _table(r, section.table)
    for note in section.notes:
        r.paragraph(note, s.small)
    r.spacer(2)
    # A section that fits on a page is kept together, so a page never ends on a lone
    # heading or the first lines of a table (and the last page is not a few stray lines).
    flowables = r.story[start:]
    height = _height(flowables)
    if height < BODY_HEIGHT * 0.9:
        r.story[start:] = [KeepTogether(flowables)]
    return height


def _table(r: Report, t: Table) -> None:
    rows: list[list[object]] = []
    for i, row in enumerate(t.rows):
        rows.append([r.para(r.warn(cell), r.styles.cell) if (i, j) in t.warn else cell
                     for j, cell in enumerate(row)])
    r.table(list(t.header), rows, list(t.widths), right=t.right)


def _height(flowables: list[Flowable]) -> float:
    total = 0.0
    for f in flowables:
        total += f.wrap(BODY_WIDTH, BODY_HEIGHT)[1] + f.getSpaceBefore() + f.getSpaceAfter()
    return total


def write_qbr_pdf(d: QbrData | QbrDocument, out: str | os.PathLike[str] | io.BytesIO,
                  branding: Branding | None = None, *, internal: bool = False) -> set[str]:
    """Write the PDF; return the characters no font could print (empty when all did)."""
    return qbr_report(d, branding, internal=internal).build(out)
