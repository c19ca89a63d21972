"""The quarterly business review, for the customer's executives.

Built from a :class:`~csdesk.services.plans.qbr.QbrData` alone (no queries). The renewal and
commercial section is for an internal audience only and is off unless asked for.
"""

from __future__ import annotations

import io
import os
from dataclasses import replace

from reportlab.platypus import PageBreak

from csdesk.reports.charts import bar_chart, line_chart
from csdesk.reports.document import Branding, ProgressBar, Report
from csdesk.services.formatting import (
    counted,
    format_date,
    format_money,
    format_money_both,
    format_number,
)
from csdesk.services.plans.qbr import QbrData


def _nice(value: str | None) -> str:
    return (value or "—").replace("_", " ").capitalize()


def qbr_report(d: QbrData, branding: Branding | None = None, *,
               internal: bool = False) -> Report:
    h = d.header
    if internal and branding is not None and branding.footer == Branding().footer:
        branding = replace(branding, footer="Internal: not for the customer")
    elif internal and branding is None:
        branding = replace(Branding(), footer="Internal: not for the customer")
    r = Report(f"Quarterly business review — {h.name} — {d.period}", branding)
    s = r.styles
    period = f"{d.period[-2:]} {d.period[:4]}"
    r.cover("Quarterly business review" + (" · internal" if internal else ""), h.name,
            f"{period} · {format_date(d.period_start)} to {format_date(d.period_end)}",
            f"Prepared for {h.name} by {r.branding.company}"
            + (f" · {h.owner}" if h.owner else ""), d.customer_logo)

    r.heading("Executive summary")
    for line in d.summary:
        r.paragraph(f"• {line}")
    if not d.summary:  # a heading over nothing reads as a fault
        r.paragraph("No health score, success plan, value or usage is on record for this "
                    "quarter yet.", s.small)

    if d.then_vs_now and d.then_vs_now_days:
        then_day, now_day = d.then_vs_now_days
        r.heading("Then and now")
        r.table(["", f"On {format_date(then_day)}", f"On {format_date(now_day)}"],
                [[t.label, t.then, t.now] for t in d.then_vs_now], [34, 33, 33])

    r.heading("Objectives and progress")
    if d.plan is None or not d.plan.objectives:
        r.paragraph("There is no success plan with objectives yet; agreeing one is the first "
                    "step for next quarter.")
    else:
        for o in d.plan.objectives:
            r.add(r.para(f"<b>{r.text(o.title)}</b> — {r.text(_nice(o.status))}", s.body))
            if o.baseline is not None and o.target is not None:
                unit = f" {o.kpi_unit}" if o.kpi_unit else ""
                r.paragraph(f"{o.kpi_name or 'Measure'}: baseline {format_number(o.baseline)}"
                            f" → now {format_number(o.current)} → target "
                            f"{format_number(o.target)}{unit}", s.small)
            if o.progress is not None:
                r.add(ProgressBar(o.progress, r.branding.accent, f"{o.progress:.0%}"))
            r.spacer(1.5)

    r.heading("Value delivered")
    t = d.value.totals
    currency = t.currency  # the customer's, with the base beside where they differ
    roi = f" — {t.roi:.1f}× the annual subscription" if t.roi is not None else ""
    if t.note:
        r.paragraph(f"Value delivered cannot be totalled: {t.note}.")
    else:
        # the customer's currency; the base beside only in the internal version
        to_date = (format_money_both(t.to_date_cents, currency, t.to_date_base_cents,
                                     t.base_currency) if internal
                   else format_money(t.to_date_cents, currency))
        r.paragraph(f"This quarter {format_money(d.value_in_period_cents, currency)} · to date "
                    f"{to_date}{roi}.")
    in_period = [e for e in d.value.entries if d.period_start <= e.occurred_on <= d.period_end]
    shown = in_period or list(d.value.entries[:5])
    if shown:
        if not in_period:
            r.paragraph("No new outcomes were logged this quarter; the most recent:", s.small)
        r.table(["Date", "Outcome", "Worth", "Confirmed by"],
                [[format_date(e.occurred_on), e.title, format_money(e.value_cents, e.currency),
                  e.confirmed_by or "—"] for e in shown], [14, 46, 14, 26], right=(2,))

    r.add(PageBreak())
    r.heading("Adoption and usage")
    if d.usage:
        dates = [u[0] for u in d.usage]
        r.add(line_chart("Active users against licensed seats", dates,
                         [("Active users", [u[1] for u in d.usage], r.branding.accent),
                          ("Licensed seats", [u[2] for u in d.usage], "#9ca3af")]))
        r.add(bar_chart("Key value events per week", dates, [u[3] for u in d.usage],
                        r.branding.accent))
        r.add(line_chart("Features used (breadth)", dates,
                         [("Features used", [u[4] for u in d.usage], "#16a34a")]))
        r.table(["Quarter", "Active users", "Seats", "Use of seats", "Key events / week",
                 "Features used"],
                [[q.label, format_number(round(q.active_users or 0)),
                  format_number(round(q.seats or 0)),
                  f"{q.active_users / q.seats:.0%}" if q.seats and q.active_users is not None
                  else "—", format_number(round(q.key_events or 0)),
                  format_number(round(q.features_used or 0, 1))] for q in d.quarters],
                [14, 16, 12, 14, 18, 14], right=(1, 2, 3, 4, 5))
    else:
        r.paragraph("No usage has been recorded for this account yet.")

    r.heading("Support")
    sp = d.support
    median = (f"; the median time to close was {sp.median_days_to_close:.0f} days"
              if sp.median_days_to_close is not None else "")
    r.paragraph(f"{counted(sp.opened, 'ticket')} opened and {sp.closed:,} closed this "
                f"quarter{median}. "
                f"High or urgent priority: {sp.urgent_or_high}; escalated: {sp.escalations}; "
                f"open at the end of the period: {sp.open_now}.")

    r.heading("Risks and mitigation")
    if d.risks:
        r.table(["Risk", "Mitigation"], [[x.risk, x.mitigation] for x in d.risks], [45, 55])
    else:
        r.paragraph("No open risks: health, adoption, the plan and support are all on track.")

    r.heading("Next quarter: plan and asks")
    if d.next_steps:
        r.table(["Milestone", "Objective", "Owner", "Due"],
                [[n.title, n.objective, _nice(n.owner_side),
                  r.para(r.warn(f"{format_date(n.due_date)} · overdue") if n.overdue
                         else r.text(format_date(n.due_date)), s.cell)]
                 for n in d.next_steps], [34, 38, 12, 16])
        asks = [n for n in d.next_steps if n.owner_side == "customer"]
        if asks:
            r.paragraph(f"Our asks: {counted(len(asks), 'milestone')} above "
                        f"{'is' if len(asks) == 1 else 'are'} owned by your team.",
                        s.small)
    else:
        r.paragraph("Every milestone in the plan is done; next quarter's objectives are to "
                    "be agreed at this review.")

    if internal:
        c = d.commercial
        r.heading("Renewal and commercial (internal)")
        facts = [f"Renewal date: {format_date(c.renewal_date)}",
                 "Current ARR: " + format_money_both(c.current_arr_cents, c.currency,
                                                     c.current_arr_base_cents, c.base_currency),
                 f"Forecast ARR: {format_money(c.forecast_arr_cents, c.currency)}",
                 f"Likelihood: {'—' if c.likelihood is None else f'{c.likelihood:.0%}'}",
                 f"Track: {_nice(c.track)}"]
        for line in facts:
            r.paragraph(line)
        if c.open_opportunities:
            r.table(["Opportunity", "Kind", "Amount"],
                    [[title, _nice(kind), format_money(cents, currency)]
                     for title, kind, cents, currency in c.open_opportunities],
                    [60, 20, 20], right=(2,))
    return r


def write_qbr_pdf(d: QbrData, out: str | os.PathLike[str] | io.BytesIO,
                  branding: Branding | None = None, *, internal: bool = False) -> set[str]:
    """Write the PDF; return the characters no font could print (empty when all did)."""
    return qbr_report(d, branding, internal=internal).build(out)
