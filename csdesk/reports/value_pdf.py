"""Value delivered: a short, evidence-backed summary of outcomes with the totals and ROI.

Built from a :class:`~csdesk.services.plans.value.ValueReport` alone (no queries).
"""

from __future__ import annotations

import io
import os

from reportlab.lib.styles import ParagraphStyle

from csdesk.reports.document import RULE, STRIPE, TABLE_WIDTH, Branding, Report, grid
from csdesk.services.formatting import format_date, format_money, format_number
from csdesk.services.plans.value import ValueEntry, ValueReport


def _metric(e: ValueEntry) -> str:
    if e.metric_before is None and e.metric_after is None:
        return e.metric_name or ""
    unit = f" {e.metric_unit}" if e.metric_unit else ""
    name = f"{e.metric_name}: " if e.metric_name else ""
    return f"{name}{format_number(e.metric_before)} → {format_number(e.metric_after)}{unit}"


def _evidence(e: ValueEntry) -> str:
    parts = [p for p in (e.evidence, e.evidence_url) if p]
    if e.evidence_file:
        parts.append(f"file: {os.path.basename(e.evidence_file)}")
    return "; ".join(parts) or "—"


def value_report_pdf(data: ValueReport, branding: Branding | None = None) -> Report:
    r = Report(f"Value delivered — {data.account_name}", branding)
    r.masthead(f"Value delivered — {data.account_name}",
               f"Outcomes to {format_date(data.as_of)}")
    t = data.totals
    currency = t.currency  # the customer's document: in the customer's currency only
    tiles = [("This quarter", format_money(t.quarter_cents, currency)),
             ("Year to date", format_money(t.year_cents, currency)),
             ("To date", format_money(t.to_date_cents, currency)),
             ("Return on ARR", "—" if t.roi is None else f"{t.roi:.1f}×")]
    s = r.styles
    figure = ParagraphStyle("figure", s.title, fontSize=15, leading=19)
    cells = [[r.para(r.text(v), figure) for _l, v in tiles],
             [r.para(r.text(label), s.small) for label, _v in tiles]]
    r.add(grid(cells, [TABLE_WIDTH / 4] * 4, [("BOX", (0, 0), (-1, -1), 0.6, RULE),
                                              ("LINEBEFORE", (1, 0), (-1, -1), 0.6, RULE),
                                              ("BACKGROUND", (0, 0), (-1, -1), STRIPE),
                                              ("TOPPADDING", (0, 0), (-1, 0), 6)]))
    r.spacer(2)
    arr = format_money(t.arr_cents, currency)
    r.paragraph(f"Return on ARR is the value delivered to date divided by the current annual "
                f"recurring revenue ({arr})."
                + (" An outcome logged in another currency is converted at the rate of its "
                   "day." if any(e.currency != currency for e in data.entries) else "")
                + (f" {t.note.capitalize()}." if t.note else ""), s.small)
    if not data.entries:
        r.spacer()
        r.paragraph("No value outcomes have been logged yet.")
        return r
    r.heading("Outcomes")
    rows: list[list[object]] = []
    for e in data.entries:
        outcome = r.text(e.title)
        objective = data.objectives.get(e.objective_id or -1)
        if objective and objective != e.title:
            outcome += "<br/>" + f'<font size="7.5" color="#6b7280">for {r.text(objective)}</font>'
        if e.value_method:
            outcome += "<br/>" + f'<font size="7.5" color="#6b7280">{r.text(e.value_method)}</font>'
        confirmed = (f"{e.confirmed_by}, {format_date(e.confirmed_on)}" if e.confirmed_by
                     and e.confirmed_on else e.confirmed_by or "Not yet")
        rows.append([format_date(e.occurred_on), r.para(outcome, s.cell), _metric(e),
                     format_money(e.value_cents, e.currency), _evidence(e), confirmed])
    r.table(["Date", "Outcome", "Metric, before → after", "Worth", "Evidence",
             "Confirmed by the customer"], rows, [13, 28, 22, 11, 18, 16], right=(3,))
    return r


def write_value_pdf(data: ValueReport, out: str | os.PathLike[str] | io.BytesIO,
                    branding: Branding | None = None) -> set[str]:
    """Write the PDF; return the characters no font could print (empty when all did)."""
    return value_report_pdf(data, branding).build(out)
