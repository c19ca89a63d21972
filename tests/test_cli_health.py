"""`csdesk health`, `calibrate`, `metrics`, `segments`: the JSON contracts."""

from __future__ import annotations

import json

import pytest

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_health_calibrate_metrics(demo_location: DatabaseLocation,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_location.path)
    health = _json(capsys, "health", "--json", "--as-of", "2026-11-22", "--db", db)
    assert health["accounts"] and {"score", "band", "inputs_present", "drag"} <= set(
        health["accounts"][0])
    one = _json(capsys, "health", "--account", "ACC-000002", "--json", "--as-of",
                "2026-11-22", "--db", db)
    assert one["external_id"] == "ACC-000002" and one["lines"]
    assert main(["health", "--account", "ACC-000002", "--as-of", "2026-11-22", "--db", db]) == 0
    printed = capsys.readouterr().out
    assert "pulls the score down most" in printed
    # each input's raw value in words, the same words as the account page's breakdown
    details = [line["detail"] for line in one["lines"] if line["detail"]]
    assert details and all(d in printed for d in details)
    assert any(" active users of " in d for d in details)

    cal = _json(capsys, "calibrate", "--json", "--as-of", "2026-11-22", "--db", db)
    assert {"outcomes", "churned", "model", "current_score", "inputs", "suggested_weights",
            "suggestion_withheld", "calibration", "survival", "sample_size"} <= set(cal)
    lo, hi = cal["model"]["cv_auc_ci"]
    assert lo <= cal["model"]["cv_auc"] <= hi
    lo, hi = cal["current_score"]["cv_auc_ci"]
    assert lo <= cal["current_score"]["cv_auc"] <= hi
    assert (cal["suggested_weights"] is None) == (cal["suggestion_withheld"] is not None)
    assert {"slope", "intercept", "brier"} <= set(cal["calibration"])
    assert {"name", "coef", "odds_ratio", "p_value", "auc", "effect_ci", "predictive",
            "verdict"} <= set(cal["inputs"][0])
    for row in cal["inputs"]:  # one rule: predicts when the interval excludes no effect
        ci = row["effect_ci"]
        assert row["predictive"] == (ci is not None and not ci[0] <= 1 <= ci[1])
    assert main(["calibrate", "--as-of", "2026-11-22", "--db", db]) == 0
    assert "cross-validated AUC" in capsys.readouterr().out

    metrics = _json(capsys, "metrics", "--period", "2026Q3", "--by", "segment", "--json",
                    "--db", db)
    assert metrics["period"] == "2026Q3"
    for key in ("grr", "nrr", "logo_churn", "expansion_rate", "renewal_rate",
                "median_ttv_days", "proactive_ratio"):
        assert key in metrics and key in metrics["formulas"]
    assert 0 < metrics["grr"] <= 1 and metrics["nrr"] > 0
    assert set(metrics["by_segment"]) == {"enterprise", "mid_market", "smb", "self_serve"}


def test_bad_arguments(demo_location: DatabaseLocation,
                       capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_location.path)
    assert main(["metrics", "--period", "2026-03", "--db", db]) == 2  # a usage error
    assert "2026Q1" in capsys.readouterr().err
    assert main(["health", "--account", "nope", "--db", db]) == 1
    assert main(["segments", "--bands", "1,2", "--db", db]) == 1
    assert main(["segments", "--bands", "150000,30000,5000", "--db", db]) == 0
    assert "accounts changed segment" in capsys.readouterr().out


def test_calibrate_writes_the_model_card(demo_location: DatabaseLocation, tmp_path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from pypdf import PdfReader

    db = str(demo_location.path)
    card = tmp_path / "model.pdf"
    assert main(["calibrate", "--as-of", "2026-11-22", "--report", str(card), "--db", db]) == 0
    assert f"Model card written to {card}" in capsys.readouterr().out
    assert card.stat().st_mode & 0o077 == 0  # private
    pages = PdfReader(card).pages
    assert 1 <= len(pages) <= 3
    text = " ".join(p.extract_text() for p in pages)
    for part in ("The question", "Inputs and missing data", "The model",
                 "Against the current score", "Limits", "AUC, current score"):
        assert part in text
    first = card.read_bytes()
    assert main(["calibrate", "--as-of", "2026-11-22", "--report", str(card), "--db", db]) == 0
    assert card.read_bytes() == first  # the same book gives the same bytes
    theirs = tmp_path / "notes.pdf"
    theirs.write_bytes(b"%PDF-1.4 someone else's")
    assert main(["calibrate", "--as-of", "2026-11-22", "--report", str(theirs),
                 "--db", db]) != 0
    assert theirs.read_bytes() == b"%PDF-1.4 someone else's"  # not ours: left alone


def test_calibrate_refuses_a_card_it_cannot_or_must_not_write_before_working(
        demo_location: DatabaseLocation, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_location.path)
    assert main(["calibrate", "--report", str(tmp_path / "nodir" / "card.pdf"),
                 "--db", db]) != 0
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err and len(err.splitlines()) == 1
    qbr = tmp_path / "qbr.pdf"  # a csdesk document, but not a model card: not ours to replace
    from csdesk.reports.document import Report

    doc = Report("QBR")
    doc.paragraph("a customer's QBR")
    doc.build(qbr)
    before = qbr.read_bytes()
    assert main(["calibrate", "--report", str(qbr), "--db", db]) != 0
    assert qbr.read_bytes() == before


def test_downsell_and_a_refused_apply_say_what_they_are(
        demo_location: DatabaseLocation, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_location.path)
    assert main(["calibrate", "--outcome", "downsell", "--as-of", "2026-11-22",
                 "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Downsell by band" in out and "Churn by band" not in out
    # 250 accounts: nothing is suggested, so --apply shows the report and fails plainly.
    assert main(["calibrate", "--apply", "--as-of", "2026-11-22", "--db", db]) == 1
    captured = capsys.readouterr()
    assert "cross-validated AUC" in captured.out
    assert captured.err.startswith("csdesk: nothing applied:")


@pytest.mark.parametrize("kind", ["ttm", "year", "quarter"])
def test_metrics_takes_the_portfolio_periods_with_the_portfolio_figures(
        demo_location: DatabaseLocation, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    """`--period ttm|year|quarter` means what the Portfolio's picker means, and gives the
    figures the Portfolio shows for it (one answer per fact)."""
    from csdesk import clock
    from csdesk.db import Database
    from csdesk.services.health.metrics import portfolio_view
    from csdesk.services.periods import portfolio_period

    db = str(demo_location.path)
    with clock.pin(clock.today()):  # one day for both, however long the run
        shown = _json(capsys, "metrics", "--period", kind.upper() if kind == "ttm" else kind,
                      "--json", "--db", db)
        with Database.open(demo_location) as book:
            chosen, _history = portfolio_view(book, portfolio_period(kind))
    assert shown["period"] == chosen.period == portfolio_period(kind).upper()
    for key in ("grr", "nrr", "logo_churn", "expansion_rate", "renewal_rate"):
        assert shown[key] == pytest.approx(chosen.values[key]), key
    assert main(["metrics", "--period", kind, "--db", db]) == 0
    label = {"ttm": "12 months to ", "year": str(clock.today().year),
             "quarter": "Q"}[kind]
    assert capsys.readouterr().out.splitlines()[1].startswith(label)


def test_metrics_refuses_a_period_it_cannot_read_in_one_line(
        demo_location: DatabaseLocation, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", "--period", "last month", "--db", str(demo_location.path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "csdesk: error: a period is quarter, ttm, year, a quarter such as 2026Q1, a year such "
        "as 2026 or TTM:2026-11-27, not 'last month'")


def test_metrics_of_a_quarter_not_begun_says_so_in_one_line_without_figures(
        demo_location: DatabaseLocation, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import date

    from csdesk import clock

    db = str(demo_location.path)
    with clock.pin(date(2026, 11, 27)):
        assert main(["metrics", "--period", "2027Q1", "--db", db]) == 0
        out = capsys.readouterr().out
        assert out.splitlines() == [
            "Q1 2027 (1 Jan – 31 Mar 2027) has not begun: today is 27 Nov 2026, so there are "
            "no figures for it yet."]
        shown = _json(capsys, "metrics", "--period", "2027Q1", "--json", "--db", db)
        assert shown == {"period": "2027Q1", "start": "2027-01-01", "end": "2027-03-31",
                         "not_begun": True}


def test_metrics_name_the_quarter_its_days_and_each_figure_as_the_portfolio_does(
        demo_location: DatabaseLocation, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import date

    from csdesk import clock
    from csdesk.services.health.metrics import LABELS

    db = str(demo_location.path)
    with clock.pin(date(2026, 11, 27)):
        assert main(["metrics", "--period", "2026Q3", "--db", db]) == 0
        done = capsys.readouterr().out.splitlines()
        assert main(["metrics", "--period", "2026Q4", "--db", db]) == 0
        running = capsys.readouterr().out.splitlines()
    assert done[1] == "Q3 2026 (1 Jul – 30 Sep 2026)"
    assert running[1] == "Q4 2026 to date (1 Oct – 27 Nov 2026)"
    names = [line[2:].split("  ")[0] for line in done[2:]]
    assert names and set(names) <= set(LABELS.values())
    assert "Gross revenue retention" in names and "Net revenue retention" in names
    assert not any(line.split()[0] in LABELS for line in done[2:])  # no internal keys


def test_metrics_refuses_twelve_months_still_to_come_and_an_empty_period(
        demo_location: DatabaseLocation, capsys: pytest.CaptureFixture[str]) -> None:
    """"12 months to 30 Jun 2027" cannot be measured on 27 Nov 2026 (it was printed as such
    over five months' figures); an empty --period is not the default quarter in disguise."""
    from datetime import date

    from csdesk import clock

    db = str(demo_location.path)
    with clock.pin(date(2026, 11, 27)):
        assert main(["metrics", "--period", "TTM:2027-06-30", "--db", db]) == 2
        assert capsys.readouterr().err.strip() == (
            "csdesk: error: twelve months end on a day up to today (27 Nov 2026), not "
            "30 Jun 2027: TTM:2026-11-27 is the latest")
        assert main(["metrics", "--period", "", "--db", db]) == 2
        assert "not ''" in capsys.readouterr().err
        assert main(["metrics", "--period", "TTM:2026-11-27", "--db", db]) == 0


def test_metrics_of_a_period_before_the_book_says_there_is_nothing_in_it(
        demo_location: DatabaseLocation, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", "--period", "1999Q1", "--db", str(demo_location.path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ["Q1 1999 (1 Jan – 31 Mar 1999)",
                       "  No figures: the book holds no subscriptions or renewals for this "
                       "period."]
