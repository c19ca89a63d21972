"""`csdesk report plan|value`: PDFs from the command line, and the errors it gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation


def test_report_plan_and_value(demo_location: DatabaseLocation, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_location.path)
    plan, value = tmp_path / "plan.pdf", tmp_path / "value.pdf"
    assert main(["report", "plan", "ACC-000132", "-o", str(plan), "--as-of", "2026-11-22",
                 "--db", db]) == 0
    assert main(["report", "value", "Lambdarock Technologies Co.", "-o", str(value),
                 "--as-of", "2026-11-22", "--db", db]) == 0
    plan_text = " ".join(PdfReader(plan).pages[0].extract_text().split())
    assert "Success plan — Lambdarock Technologies Co." in plan_text
    value_text = " ".join(PdfReader(value).pages[0].extract_text().split())
    assert "Value delivered — Lambdarock Technologies Co." in value_text
    assert "Return on ARR" in value_text
    assert f"Wrote {value}" in capsys.readouterr().out


def test_report_errors(demo_location: DatabaseLocation, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_location.path)
    assert main(["report", "plan", "No Such Co", "-o", str(tmp_path / "x.pdf"),
                 "--db", db]) == 1
    assert "no account with external id or name 'No Such Co'" in capsys.readouterr().err
    assert main(["report", "value", "ACC-000132", "-o", str(tmp_path / "nope" / "x.pdf"),
                 "--db", db]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.pdf"))


def test_report_qbr_period_and_audience(demo_location: DatabaseLocation, tmp_path: Path) -> None:
    db = str(demo_location.path)
    customer, internal = tmp_path / "qbr.pdf", tmp_path / "qbr-internal.pdf"
    common = ["--as-of", "2026-11-22", "--period", "2026q3", "--db", db]
    assert main(["report", "qbr", "ACC-000132", "-o", str(customer), *common]) == 0
    assert main(["report", "qbr", "ACC-000132", "-o", str(internal), "--internal",
                 *common]) == 0
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(customer).pages).split())
    assert "Q3 2026 · 01 Jul 2026 to 30 Sep 2026" in text
    assert "Renewal and commercial" not in text  # off for a customer audience
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(internal).pages).split())
    assert "Renewal and commercial (internal)" in text
    assert main(["report", "qbr", "ACC-000132", "-o", str(customer), "--period", "2027Q4",
                 "--as-of", "2026-11-22", "--db", db]) == 1
