"""The PDFs: what a reader finds in them, how long content flows, and escaping."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account
from csdesk.reports import fonts
from csdesk.reports.document import Branding, Report
from csdesk.reports.plan_pdf import write_plan_pdf
from csdesk.reports.value_pdf import write_value_pdf
from csdesk.services.plans import success_plans as plans
from csdesk.services.plans import value as value_log
from tests.conftest import AS_OF

ODD = ["Łódź Ćwiczenia", "Müller & Söhne", "AT&T <Legacy>"]


def _text(data: bytes) -> tuple[int, list[str]]:
    """Page count and each page's text, with line breaks from wrapping folded into spaces."""
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), [" ".join(page.extract_text().split()) for page in reader.pages]


def _pdf(report: Report) -> bytes:
    out = io.BytesIO()
    report.build(out)
    return out.getvalue()


def _demo_account(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(Account.id).where(Account.external_id == "ACC-000132"))


def test_plan_pdf_shows_the_plan_and_is_deterministic(demo_db: Database) -> None:
    account = _demo_account(demo_db)
    plan = plans.plan_view(demo_db, plans.active_plan_id(demo_db, account))
    first, second = io.BytesIO(), io.BytesIO()
    write_plan_pdf(plan, first, Branding(company="Acme CS"))
    write_plan_pdf(plan, second, Branding(company="Acme CS"))
    assert first.getvalue() == second.getvalue()
    pages, texts = _text(first.getvalue())
    whole = "\n".join(texts)
    assert plan.account_name in whole
    for objective in plan.objectives:
        assert objective.title in whole
        for milestone in objective.milestones:
            assert milestone.title in whole
    assert f"★ {plan.first_value_milestone}" in whole
    assert f"Page 1 of {pages}" in texts[0] and "Acme CS" in texts[0]


def test_value_pdf_totals_and_evidence(demo_db: Database) -> None:
    account = _demo_account(demo_db)
    data = value_log.value_report(demo_db, account, today=AS_OF)
    out = io.BytesIO()
    write_value_pdf(data, out)
    whole = "\n".join(_text(out.getvalue())[1])
    assert data.entries, "the demo account has value outcomes"
    for entry in data.entries:
        assert entry.title in whole
    total = f"${data.totals.to_date_cents / 100:,.0f}"
    assert total in whole
    assert f"{data.totals.roi:.1f}×" in whole
    assert "Confirmed by" in whole


def test_names_print_as_typed_and_markup_is_text() -> None:
    r = Report("Names", Branding(company="Müller & Söhne"))
    for name in ODD:
        r.paragraph(name)
    r.paragraph('<img src="http://example.invalid/x.png"/> <b>not bold</b> & more')
    data = _pdf(r)
    whole = "\n".join(_text(data)[1])
    for name in ODD:
        assert name in whole
    assert '<img src="http://example.invalid/x.png"/>' in whole
    assert "<b>not bold</b>" in whole


def test_cjk_falls_back_to_a_system_font_or_says_it_cannot(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    r = Report("CJK")
    r.paragraph("東京データ")
    whole = "\n".join(_text(_pdf(r))[1])
    if fonts.fallback_font(ord("東")) is not None:
        assert "東京データ" in whole
        assert not r.fonts.missing
    else:
        assert "could not be printed" in whole

    # With no font on the machine that has them, the report says so instead of blank boxes.
    monkeypatch.setattr(fonts, "fallback_font", lambda _cp: None)
    r = Report("CJK")
    r.paragraph("東京データ")
    whole = "\n".join(_text(_pdf(r))[1])
    assert r.fonts.missing == set("東京データ")
    assert "could not be printed" in whole
    assert "?????" in whole


def test_long_tables_split_with_the_header_repeated_and_long_notes_wrap() -> None:
    r = Report("Long")
    r.table(["Account", "Note"], [[f"Row {i:03d}", "x" * (i % 40)] for i in range(300)],
            [1, 3])
    r.paragraph(("A long note with many words. " * 350)[:10_000])
    r.paragraph("y" * 10_000)  # one 10,000-character word
    pages, texts = _text(_pdf(r))
    assert pages >= 7
    with_table = [t for t in texts if "Row " in t]
    assert len(with_table) > 1
    assert all("Account" in t and "Note" in t for t in with_table)
    assert "Row 000" in texts[0] and "Row 299" in "\n".join(texts)
    assert all(f"Page {n} of {pages}" in t for n, t in enumerate(texts, start=1))


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_the_font_is_embedded(tmp_path: Path) -> None:
    r = Report("Fonts")
    r.masthead("Fonts", "every table and paragraph uses the embedded family")
    r.table(["A"], [["Łódź"]], [1])
    r.paragraph("Łódź")
    path = tmp_path / "fonts.pdf"
    r.build(path)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                             check=True).stdout
    lines = [line for line in listing.splitlines()[2:] if line.strip()]
    assert lines and all("TrueType" in line and " yes yes " in line for line in lines)
    assert any("DejaVuSans" in line for line in lines)
    assert not list(tmp_path.glob("*.part"))


def test_a_logo_and_branding_show(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 0.5))
    fig.text(0.1, 0.3, "LOGO")
    logo = tmp_path / "logo.png"
    fig.savefig(logo)
    r = Report("Brand", Branding(company="Acme", logo=str(logo), footer="For Acme's eyes"))
    r.masthead("Title", "Sub")
    data = _pdf(r)
    assert b"/Subtype /Image" in data
    assert "For Acme's eyes" in _text(data)[1][0]


def test_an_svg_logo_is_drawn_as_vectors_and_a_broken_one_falls_back(tmp_path: Path) -> None:
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30">'
                   '<rect x="0" y="0" width="120" height="30" fill="#7c3aed"/></svg>',
                   encoding="utf-8")
    r = Report("Brand", Branding(company="Acme SVG", logo=str(svg)))
    r.masthead("Title", "Sub")
    data = _pdf(r)
    assert b"/Subtype /Image" not in data  # drawn, not rasterised
    assert "Acme SVG Title" not in _text(data)[1][0]  # the logo stands for the name

    broken = tmp_path / "broken.svg"
    broken.write_text("<svg", encoding="utf-8")
    r = Report("Brand", Branding(company="Acme Fallback", logo=str(broken)))
    r.masthead("Title", "Sub")
    assert "Acme Fallback Title" in _text(_pdf(r))[1][0]
