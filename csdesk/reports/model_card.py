"""The health model card: a one-to-three page account of a calibration, in the spirit of
TRIPOD+AI (Collins et al. 2024) — what was predicted, from what, on which renewals, how well,
how sure, how it compares with the score in use, and what the data cannot tell.

It is built from the :class:`~csdesk.services.health.calibration.CalibrationReport` alone
(no queries). The same report gives the same bytes: the document is written in reportlab's
invariant mode and the charts carry no timestamps.
"""

from __future__ import annotations

import io
import os
from dataclasses import replace
from typing import Any

from reportlab.lib.units import mm

from csdesk.reports.branding import Branding
from csdesk.reports.charts import INK, MUTED, _figure, _render, _style
from csdesk.reports.document import BAND_COLOURS, Report
from csdesk.services.health.calibration import CalibrationReport

BAND_CURVE = {**BAND_COLOURS, "no score": "#9ca3af"}


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def _num(v: float | None, fmt: str = ".3f") -> str:
    return "—" if v is None else format(v, fmt)


def _ci(ci: Any, fmt: str = ".3f") -> str:
    return "" if not ci else f" ({ci[0]:{fmt}} to {ci[1]:{fmt}})"


def _span(ci: Any) -> str:
    """A positive interval in a narrow table cell (odds ratios, AUCs): "(0.67–0.76)"."""
    return "" if not ci else f" ({ci[0]:.2f}–{ci[1]:.2f})"


def _calibration_plot(report: CalibrationReport) -> Any:
    fig = _figure(82, 62)
    ax = fig.add_subplot(1, 1, 1)
    _style(ax, "Calibration of the fitted model")
    top = max([0.05] + [max(p["predicted"], p["observed"]) for p in report.calibration_curve])
    ax.plot([0, top], [0, top], color=MUTED, linewidth=0.8, linestyle="--")
    xs = [p["predicted"] for p in report.calibration_curve]
    ys = [p["observed"] for p in report.calibration_curve]
    ax.plot(xs, ys, color=INK, marker="o", markersize=3, linewidth=1)
    ax.set_xlabel("predicted churn", fontsize=6.5, color=MUTED)
    ax.set_ylabel("observed churn", fontsize=6.5, color=MUTED)
    ax.set_xlim(0, top * 1.05)
    ax.set_ylim(0, top * 1.05)
    return _render(fig, 82, 62)


def _retention_plot(report: CalibrationReport) -> Any | None:
    curves = report.survival.get("by_band") or []
    if not curves:
        return None
    fig = _figure(82, 62)
    ax = fig.add_subplot(1, 1, 1)
    _style(ax, "Retention by health band (Kaplan–Meier)")
    for c in curves:
        pts = c["points"]
        if not pts or c["accounts"] < 5:  # too few to draw a curve worth reading
            continue
        colour = BAND_CURVE.get(c["group"], INK)
        ax.step([p[0] / 30.44 for p in pts], [p[1] for p in pts], where="post",
                color=colour, linewidth=1.2, label=f"{c['group']} ({c['accounts']})")
        ax.fill_between([p[0] / 30.44 for p in pts], [p[2] for p in pts],
                        [p[3] for p in pts], step="post", color=colour, alpha=0.12,
                        linewidth=0)
    landmark = report.survival.get("landmark")
    ax.set_xlabel(f"months after {landmark:%d %b %Y}" if landmark else "months",
                  fontsize=6.5, color=MUTED)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=6, frameon=False, loc="lower left")
    return _render(fig, 82, 62)


def model_card(report: CalibrationReport, branding: Branding | None = None) -> Report:
    """The model card's flowables (see the module docstring)."""
    branding = branding or Branding()
    if branding.footer == Branding().footer:  # the customer footer would mislead here
        branding = replace(branding, footer="Internal: the health model behind the scores")
    r = Report("Health model card", branding)
    event = "downsell" if report.outcome == "downsell" else "churn"
    period = (f"{report.period[0]:%d %b %Y} to {report.period[1]:%d %b %Y}"
              if report.period else "—")
    r.masthead("Health model card",
               f"Calibrated on {report.as_of:%d %B %Y} · renewals {period}")
    m, cur, cal = report.model, report.current_score, report.calibration
    size = report.sample_size

    r.heading("The question")
    grain = (("one row per renewal decision of a customer who stayed (renewed, expanded or "
              "downsold; churns are left out)" if report.outcome == "downsell" else
              "one row per renewal decision (an account's renewal that was renewed, expanded, "
              "downsold or churned)") if report.mode == "renewals" else
             "one row per account, its status (active or churned) the outcome — the book "
             "has too few recorded renewals")
    r.paragraph(
        f"Which health inputs foretell {event} at renewal in this book, and how well the "
        f"score foretells it. The grain is {grain}; each input is measured "
        f"{report.horizon_days} days before the renewal, so nothing the customer did after "
        f"deciding is used. Outcome: {report.churned:,} {event}s among "
        f"{report.outcomes:,} renewals ({report.churned / max(report.outcomes, 1):.1%}).")

    r.heading("Inputs and missing data")
    r.paragraph(
        "Each input is on a 0–100 scale (higher is healthier). In the model, inputs are "
        "standardised and a missing value is set to the input's average, so a gap counts as "
        "neither good nor bad; inputs present for fewer than half the renewals, constant, or "
        "copies of another input are not tested. Effects are odds ratios of "
        f"{event} per standard deviation of the input, with 95% intervals; an input "
        "predicts when its interval excludes 1. The odds ratio is adjusted for the other "
        "inputs fitted; the AUC is the input alone.")
    rows = []
    for i in sorted(report.inputs, key=lambda i: (i.p_value is None, i.p_value or 0)):
        rows.append([i.label, "—" if i.odds_ratio is None else
                     f"{i.odds_ratio:.2f}{_span(i.effect_ci)}",
                     f"{_num(i.auc, '.2f')}{_span(i.auc_ci)}", _pct(i.coverage), i.verdict,
                     f"{report.current_weights.get(i.name, 0):g}",
                     "—" if report.suggested_weights is None else
                     f"{report.suggested_weights.get(i.name, 0):g}"])
    r.table(["Input", "Odds ratio (95% CI)", "AUC alone", "Present", "Verdict", "Weight",
             "Suggested"], rows, [17, 18, 17, 11, 14, 10, 13], right=(1, 2, 3, 5, 6))

    r.heading("The model")
    r.paragraph(
        f"{m['method'][:1].upper()}{m['method'][1:]}, on {len(m['inputs'])} input"
        f"{'s' if len(m['inputs']) != 1 else ''}. Discrimination and calibration are measured "
        f"on held-out renewals ({m['folds']}-fold cross-validation, the penalty chosen inside "
        f"each fold); intervals are 95% bootstrap intervals ({m['bootstrap']:,} resamples) "
        "unless stated.")
    perf = [
        ["AUC, model", f"{_num(m['cv_auc'])}{_ci(m['cv_auc_ci'])}"],
        ["AUC, current score (same renewals)", f"{_num(cur['cv_auc'])}"
                                                f"{_ci(cur['cv_auc_ci'])}"],
        ["Calibration slope (1 is ideal)", f"{_num(cal.get('slope'), '.2f')}"
                                           f"{_ci(cal.get('slope_ci'), '.2f')}"],
        ["Calibration intercept (0 is ideal)", f"{_num(cal.get('intercept'), '+.2f')}"
                                               f"{_ci(cal.get('intercept_ci'), '.2f')}"],
        ["Brier score", f"{_num(cal.get('brier'))}{_ci(cal.get('brier_ci'))}"],
        ["Top-decile lift, model", f"{_num(report.lift.get('model'), '.2f')}"
                                   f"{_ci(report.lift.get('model_ci'), '.2f')}"],
        ["Top-decile lift, current score", f"{_num(report.lift.get('current_score'), '.2f')}"
                                           f"{_ci(report.lift.get('current_score_ci'), '.2f')}"],
    ]
    rate = "Downsell" if report.outcome == "downsell" else "Churn"
    for band, b in report.bands.items():
        if not b["accounts"]:
            continue
        perf.append([f"{rate} rate, {band} ({b['accounts']:,} renewals, current score)",
                     f"{b['churn_rate']:.1%}{_ci(b.get('churn_rate_ci'), '.1%')} (Wilson)"])
    r.table(["Figure", "Value (95% interval)"], perf, [45, 55])
    plots = [p for p in (_calibration_plot(report), _retention_plot(report)) if p is not None]
    if plots:
        from reportlab.platypus import Table

        r.spacer(3)
        r.add(Table([plots], colWidths=[86 * mm] * len(plots)))
    for line in report.survival.get("sentences", []):
        r.paragraph(line)
    if report.survival.get("note"):
        r.paragraph(report.survival["note"], r.styles.small)

    r.heading("Against the current score")
    if report.suggested_weights is None:
        r.paragraph(f"No new weights are suggested: {report.suggestion_withheld}.")
    else:
        s = report.suggestion
        r.paragraph(
            f"Suggested weights beat the current ones on the same held-out renewals: AUC "
            f"{s['current_cv_auc']:.3f} now, {s['cv_auc']:.3f} suggested (difference "
            f"{s['difference']:+.3f}{_ci(s['difference_ci'], '+.3f')}, paired bootstrap).")

    r.heading("Limits")
    limits = [
        f"Sample size ({size.get('rule', '')}): {size.get('events', 0):,} events support "
        f"about {size.get('inputs_supported', 0)} inputs"
        + (f"; {size.get('outcomes_needed', 0):,} renewals would be needed for all "
           f"{size.get('inputs_available', 0)}." if not size.get("adequate") else
           f", enough for all {size.get('inputs_available', 0)} in play.")
        + ("" if size.get("adequate") else " Below that, fewer inputs are fitted and no input "
           "is zeroed on this evidence alone."),
        *(n for n in report.notes if "support about" not in n), *report.warnings,
        "Associations, not causes: an input that predicts may not move the outcome when "
        "changed.",
    ]
    for line in limits:
        r.paragraph(f"• {line}")
    r.paragraph(f"Current score: {cur.get('model', '')}. Card made on "
                f"{report.as_of:%d %B %Y}.", r.styles.small)
    return r


def write_model_card(report: CalibrationReport, out: str | os.PathLike[str] | io.BytesIO,
                     branding: Branding | None = None) -> set[str]:
    """Write the model card PDF (atomically to a path); return unprintable characters."""
    return model_card(report, branding).build(out)
