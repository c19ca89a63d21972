"""``csdesk health``, ``calibrate``, ``metrics`` and ``segments``: the numbers, in a terminal."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from csdesk import clock
from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError
from csdesk.services.formatting import NOT_ENOUGH_DATA

if TYPE_CHECKING:
    from csdesk.db import Database


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    health = sub.add_parser("health", parents=[common],
                            help="recompute health scores and list them, with the reasons")
    health.add_argument("--account", metavar="ID", help="explain one account (external id or "
                                                        "exact name)")
    health.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD",
                        help="score the book as it was on this day (default: today)")
    health.add_argument("--json", action="store_true")

    cal = sub.add_parser("calibrate", parents=[common],
                         help="test the health inputs against the book's own churn")
    cal.add_argument("--cutoff-days", "--horizon-days", type=int, default=90,
                     help="measure inputs this many days before each renewal (default 90)")
    cal.add_argument("--inputs", choices=("builtin", "custom", "all"), default="builtin")
    cal.add_argument("--outcome", choices=("churn", "downsell"), default="churn",
                     help="what to foretell: churn (default) or a downsell among those "
                          "who stayed")
    cal.add_argument("--apply", action="store_true",
                     help="save the suggested weights as a new health model version (only "
                          "when they beat the current score out of sample)")
    cal.add_argument("--report", type=Path, metavar="FILE.pdf",
                     help="write the model card (a PDF) to this file")
    cal.add_argument("--overwrite", action="store_true",
                     help="replace a file of that name that csdesk did not write")
    cal.add_argument("--magic-metric", default="key_events",
                     choices=("key_events", "active_users", "features_used", "logins"))
    cal.add_argument("--magic-days", type=int, default=90)
    cal.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD")
    cal.add_argument("--json", action="store_true")

    met = sub.add_parser("metrics", parents=[common],
                         help="GRR, NRR, churn, expansion, TTV, proactive ratio")
    met.add_argument("--period", help="quarter (the last complete: the default), ttm (the "
                     "twelve months to today) or year (this year to date), as on the "
                     "Portfolio; or 2026Q1, 2026, TTM:2026-11-27")
    met.add_argument("--by", choices=("segment",), help="also per segment")
    met.add_argument("--json", action="store_true")

    seg = sub.add_parser("segments", parents=[common],
                         help="show or change the ARR bands of the segments")
    seg.add_argument("--bands", metavar="ENT,MM,SMB",
                     help="lower ARR bounds in dollars, e.g. 100000,25000,5000; re-segments "
                          "the book")


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    with open_book(location, create=False) as db:
        return {"health": _health, "calibrate": _calibrate, "metrics": _metrics,
                "segments": _segments}[args.command](args, db)


def _health(args: argparse.Namespace, db: Database) -> int:
    from csdesk.services.health.scoring import explain, recompute

    as_of = args.as_of or clock.today()
    if args.account:
        from csdesk.cli.pulse import pulse_line
        from csdesk.services.health.pulse import disagrees, latest_pulse

        e = explain(db, args.account, as_of=as_of)
        # The CSM's pulse, beside the computed health (never blended into it).
        pulse = latest_pulse(db, e.account_id, as_of)
        if args.json:
            out = asdict(e)
            out["pulse"] = None if pulse is None else asdict(pulse)
            print(json.dumps(out, default=str, indent=2, ensure_ascii=False))
            return 0
        band = (e.band or "no score").upper()
        if e.churned_on is not None:
            from csdesk.services.renewals.outcomes import churn_record

            record = churn_record(db, e.account_id)
            why = f": {record.reason}" + (f" ({record.category})" if record.category else "") \
                if record is not None else ""
            print(f"Churned on {e.churned_on}{why}. Its last health, the day before:")
        if e.score is None and e.churned_on is None:
            print(f"{e.name} ({e.external_id}) on {e.as_of}: {e.evidence_text()} "
                  f"({e.model})")
        else:
            print(f"{e.name} ({e.external_id}) on {e.as_of}: {band} "
                  f"{'' if e.score is None else f'{e.score:.0f}'} — rests on "
                  f"{e.inputs_present} of {e.inputs_total} inputs ({e.model})")
        said = pulse_line(db, e.account_id, as_of)
        if said is not None:
            print(said)
            if pulse is not None and disagrees(pulse.rating, e.band):
                print("Your pulse and the computed health disagree.")
        if e.adoption_score is not None:
            print(f"Adoption score: {e.adoption_score:.0f}")
        print(f"  {'input':<28} {'value':>6} {'weight':>7} {'points':>7}  raw value")
        for line in e.lines:
            value = "missing" if line.value is None else f"{line.value:.0f}"
            points = "—" if line.points is None else f"{line.points:.1f}"
            flag = "  (stale)" if line.stale else ""
            mark = "  ← pulls the score down most" if line.name == e.drag else ""
            print(f"  {line.label:<28} {value:>6} {line.weight:>7.0f} {points:>7}  "
                  f"{line.detail or '—'}{flag}{mark}")
        return 0
    summary = recompute(db, as_of=as_of)
    assert summary.book is not None
    book = summary.book.sort_values("score", na_position="first")
    if args.json:
        rows = [{"external_id": r["external_id"], "name": r["name"],
                 "score": None if r["score"] != r["score"] else round(float(r["score"]), 1),
                 "band": r["band"], "inputs_present": int(r["inputs_present"]),
                 "inputs_total": int(r["inputs_total"]),
                 "drag": r["drag"] if isinstance(r["drag"], str) else None}
                for r in book.to_dict("records")]
        print(json.dumps({"as_of": as_of.isoformat(), "bands": summary.bands,
                          "accounts": rows}, indent=2, ensure_ascii=False))
        return 0
    print(f"Scored {summary.scored:,} of {summary.accounts:,} accounts as of {as_of} "
          f"in {summary.seconds:.1f} s: " +
          ", ".join(f"{summary.bands.get(b, 0):,} {b}" for b in ("green", "yellow", "red"))
          + (f", {summary.accounts - summary.scored:,} {NOT_ENOUGH_DATA}"
             if summary.accounts > summary.scored else ""))
    for r in book.head(25).to_dict("records"):
        score = "—" if r["score"] != r["score"] else f"{r['score']:.0f}"
        drag = r["drag"] if isinstance(r["drag"], str) else ""
        weakest = f"weakest: {drag}" if score != "—" else NOT_ENOUGH_DATA
        print(f"  {r['band'] or '':<7}{score:>4}  {r['name'][:40]:<40} "
              f"{int(r['inputs_present'])}/{int(r['inputs_total'])} inputs  {weakest}")
    if len(book) > 25:
        print(f"  … {len(book) - 25:,} more (csdesk health --json for all)")
    return 0


def _ci(ci: list[float] | tuple[float, float] | None, fmt: str = ".2f") -> str:
    return "" if ci is None else f" ({ci[0]:{fmt}} to {ci[1]:{fmt}})"


def _calibrate(args: argparse.Namespace, db: Database) -> int:
    from csdesk.services.health.calibration import apply_suggestion, calibrate, magic_number

    if args.report:
        # Checked before the work: a card that cannot be written is said at once.
        _check_card_path(args.report, args.overwrite)
    report = calibrate(db, cutoff_days=args.cutoff_days, inputs=args.inputs, as_of=args.as_of,
                       outcome=args.outcome)
    magic = magic_number(db, metric=args.magic_metric, days=args.magic_days, as_of=args.as_of)
    refused = (f"nothing applied: {report.suggestion_withheld}"
               if args.apply and report.suggested_weights is None else None)
    applied = apply_suggestion(db, report) if args.apply and refused is None else None
    if args.report:
        from csdesk.reports.model_card import write_model_card

        write_model_card(report, args.report)
    if args.json:
        out = report.as_json()
        out["magic_number"] = asdict(magic)
        out["applied_version"] = applied
        out["apply_refused"] = refused
        print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
        return _refused(refused)
    event = "downsold" if report.outcome == "downsell" else "churned"
    rate = "Downsell" if report.outcome == "downsell" else "Churn"
    print(f"{report.outcomes:,} renewal decisions ({report.churned:,} {event}), inputs "
          f"measured {report.cutoff_days} days before each ({report.mode}).")
    for w in report.warnings:
        print(f"warning: {w}")
    for n in report.notes:
        print(f"note: {n}")
    m, cur = report.model, report.current_score
    print(f"Model: {m['method']}.")
    print(f"Model cross-validated AUC: {m['cv_auc']:.3f}{_ci(m['cv_auc_ci'], '.3f')}   "
          f"current score AUC, same folds: "
          f"{'n/a' if cur['cv_auc'] is None else format(cur['cv_auc'], '.3f')}"
          f"{_ci(cur['cv_auc_ci'], '.3f')}   (95% intervals)")
    cal = report.calibration
    if cal.get("slope") is not None:
        print(f"Calibration: slope {cal['slope']:.2f}{_ci(cal['slope_ci'])}, intercept "
              f"{cal['intercept']:+.2f}{_ci(cal['intercept_ci'])}, Brier "
              f"{cal['brier']:.3f}{_ci(cal['brier_ci'], '.3f')}")
    print("Verdicts come from the odds ratio in the model (adjusted for the other inputs "
          "fitted); AUC alone is the input by itself.")
    print(f"  {'input':<28} {'odds ratio per SD (95% CI)':>27} {'AUC alone (95% CI)':>20}  "
          f"{'verdict':<20} weight now → suggested")
    sugg = report.suggested_weights or {}
    for r in sorted(report.inputs, key=lambda r: r.p_value if r.p_value is not None else 2):
        ratio = "not fitted" if r.odds_ratio is None else f"{r.odds_ratio:.2f}{_ci(r.effect_ci)}"
        a = "n/a" if r.auc is None else f"{r.auc:.2f}{_ci(r.auc_ci)}"
        now = report.current_weights.get(r.name, 0)
        new = f"{sugg.get(r.name, 0):g}" if report.suggested_weights is not None else "—"
        print(f"  {r.label[:28]:<28} {ratio:>27} {a:>20}  {r.verdict:<20} {now:>5g} → {new}")
    print(f"{rate} by band (the current score {report.cutoff_days} days before): " + ", ".join(
        f"{b} {v['churned']}/{v['accounts']} ({v['churn_rate']:.0%}"
        + ("" if v["churn_rate_ci"] is None else
           f", {v['churn_rate_ci'][0]:.0%} to {v['churn_rate_ci'][1]:.0%}") + ")"
        for b, v in report.bands.items()))
    if report.suggested_weights is None:
        print(f"No suggested weights: {report.suggestion_withheld}.")
    else:
        s = report.suggestion
        print("Suggested weights: " + ", ".join(f"{k} {v:g}" for k, v in sugg.items()))
        print(f"  held out: AUC {s['current_cv_auc']:.3f} now → {s['cv_auc']:.3f} suggested "
              f"(difference {s['difference']:+.3f}{_ci(s['difference_ci'], '+.3f')})")
    for line in report.survival.get("sentences", []):
        print(line)
    if report.survival.get("note"):
        print(f"  ({report.survival['note']})")
    if magic.threshold is not None:
        print(f"Magic number: {magic.metric} ≥ {magic.threshold:,.0f} in the first "
              f"{magic.days} days — retention {magic.retention_above:.0%} above "
              f"({magic.accounts_above} accounts) vs {magic.retention_below:.0%} below "
              f"({magic.accounts_below})")
    if applied is not None:
        print(f"Applied: health model version {applied}.")
    if args.report:
        print(f"Model card written to {args.report}.")
    return _refused(refused)


def _refused(refused: str | None) -> int:
    """An --apply with nothing to apply: the report was shown; say so and fail."""
    if refused is None:
        return 0
    import sys

    print(f"csdesk: {refused}", file=sys.stderr)
    return 1


def _check_card_path(path: Path, overwrite: bool) -> None:
    from csdesk.safefile import PDF_MARK, check_replace, made_by_csdesk

    if not path.parent.is_dir():
        raise CsdeskError(f"folder {path.parent} does not exist; nothing was written")
    # Only an earlier model card is csdesk's to replace: a QBR of the same name is not.
    ours = made_by_csdesk(path, PDF_MARK) and made_by_csdesk(path, b"/Title (Health model card)")
    check_replace(path, ours=ours, overwrite=overwrite, what="a model card csdesk wrote")


def _metrics(args: argparse.Namespace, db: Database) -> int:
    from csdesk.models.enums import Segment
    from csdesk.services.health.metrics import FORMULAS, LABELS, portfolio_metrics
    from csdesk.services.periods import (
        NOT_BEGUN,
        chosen_period,
        period_heading,
        period_span,
        period_state,
    )

    period = chosen_period(args.period)
    if period_state(period) == NOT_BEGUN:  # no figure of a future period is real
        start, end = period_span(period)
        if args.json:
            print(json.dumps({"period": period, "start": start.isoformat(),
                              "end": end.isoformat(), "not_begun": True}, indent=2))
        else:
            print(f"{period_heading(period)} has not begun: today is "
                  f"{clock.today():%d %b %Y}, so there are no figures for it yet.")
        return 0
    whole, parts = portfolio_metrics(db, period, by_segment=args.by == "segment")
    if args.json:
        out = whole.as_json()
        if parts:
            out["by_segment"] = {p.segment: {k: v for k, v in p.as_json().items()
                                             if k not in ("formulas",)} for p in parts}
        print(json.dumps(out, indent=2))
        return 0
    print(f"Money in {whole.currency} (the base currency), both ends of the period at the "
          f"rates of its first day.")
    width = max(len(label) for label in LABELS.values())
    for m in [whole, *parts]:
        print(period_heading(m.period) + (f" — {Segment(m.segment).label}" if m.segment
                                          else ""))
        if m.note:
            print(f"  Revenue metrics refused: {m.note}.")
        elif all(v is None for v in m.values.values()):
            print("  No figures: the book holds no subscriptions or renewals for this period.")
            continue
        for key, value in m.values.items():
            shown = "n/a" if value is None else (f"{value:.1f} days" if key.endswith("days")
                                                 else f"{value:.2f}" if key.endswith("ratio")
                                                 else f"{value:.1%}")
            line = f"  {LABELS[key]:<{width}} {shown:>10}"
            print(f"{line}   {FORMULAS[key]}" if not m.segment else line)
    return 0


def _segments(args: argparse.Namespace, db: Database) -> int:
    from csdesk.services.book.segments import load_bands, set_bands
    from csdesk.services.formatting import format_money
    from csdesk.services.money import base_currency

    if args.bands:
        try:
            ent, mm, smb = (float(x) for x in args.bands.split(","))
        except ValueError:
            raise CsdeskError("--bands takes three amounts in the base currency: ENT,MM,SMB"
                              ) from None
        changed = set_bands(db, int(ent * 100), int(mm * 100), int(smb * 100))
        print(f"Bands saved; {changed:,} accounts changed segment.")
    bands, base = load_bands(db), base_currency(db)
    print(f"Enterprise ≥ {format_money(bands.enterprise_cents, base)}; Mid-Market ≥ "
          f"{format_money(bands.mid_market_cents, base)}; SMB ≥ "
          f"{format_money(bands.smb_cents, base)}; Self-Serve below "
          f"(ARR in {base}, the base currency, at today's rates).")
    return 0
