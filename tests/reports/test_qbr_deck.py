"""The QBR as an editable PowerPoint deck, read back with python-pptx: its slides say what the
QBR document says (titles, headlines, tables), usage is a native chart with the data behind it,
each slide has speaker notes, the customer's deck never shows what is ours alone and the
internal one says so on every slide; a company's own template lends its layouts."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.dml import MSO_THEME_COLOR
from sqlalchemy import func, select

from csdesk.cli.main import main
from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.models import Account, Contact, HealthSnapshot, Subscription, ValueOutcome
from csdesk.reports.branding import Branding
from csdesk.reports.qbr_deck import write_qbr_deck
from csdesk.safefile import deck_made_by_csdesk
from csdesk.services.plans import success_plans as plans
from csdesk.services.plans import value as value_log
from csdesk.services.plans.qbr import QbrData, qbr_data
from csdesk.services.plans.qbr_document import INTERNAL_MARK, QbrDocument, qbr_document
from tests.conftest import AS_OF

pytestmark = pytest.mark.sqlite_only("a generated demo book, an SQLite file")

PERIOD = "2026Q3"
ATT = "AT&T <Legacy> 日本"
FORBIDDEN = re.compile(r"health|\b(green|yellow|red)\b|likelihood|auto[- ]renew|at[- ]risk"
                       r"|\bstandard\b|forecast|internal|\(s\)", re.IGNORECASE)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, int]]]:
    """A 30-account demo book plus AT&T (a champion who left, health yellow, milestones
    overdue and due next quarter, value below 1× its ARR) and an account with nothing."""
    from csdesk.services.demo.generate import generate_demo

    path = tmp_path_factory.mktemp("qbr-deck") / "demo.sqlite"
    db = Database.open(resolve_database(path))
    generate_demo(db, accounts=30, seed=7, as_of=AS_OF)
    with db.write() as s:
        model = s.scalar(select(HealthSnapshot.model_id).limit(1))
        att = Account(external_id="ATT-1", name=ATT, segment="enterprise",
                      engagement_model="high_touch", lifecycle_stage="adoption",
                      customer_since=date(2025, 1, 1))
        empty = Account(external_id="EMPTY-1", name="Empty Co", segment="smb",
                        engagement_model="tech_touch", lifecycle_stage="onboarding")
        s.add_all([att, empty])
        s.flush()
        s.add(Subscription(account_id=att.id, external_id="S-ATT", start_date=date(2026, 2, 1),
                           end_date=date(2027, 1, 31), arr_cents=12_000_000, seats=50))
        s.add(Contact(account_id=att.id, name="Old Champ", is_champion=True,
                      left_company=True, left_on=date(2026, 8, 14)))
        s.add(HealthSnapshot(account_id=att.id, model_id=model, as_of=date(2026, 9, 1),
                             score=55.0, band="yellow"))
        ids = {"att": att.id, "empty": empty.id}
    plan = plans.create_plan(db, ids["att"], "2026 plan", date(2026, 1, 1))
    goal = plans.add_node(db, "objective", plan, "Faster close", kpi_name="Days to close",
                          baseline=10, current=5, target=4)
    for title, due in (("Pilot team live", date(2026, 8, 31)),
                       ("Legacy import", date(2026, 3, 14)),
                       ("Rollout to finance", date(2026, 11, 15))):
        plans.add_node(db, "milestone", goal, title, due_date=due, owner_side="customer")
    value_log.add_entry(db, ids["att"], {"title": "Fewer manual journals",
                                         "occurred_on": date(2026, 8, 3),
                                         "value_cents": 2_400_000, "currency": "USD"})
    with db.read() as s:
        ids["rich"] = s.scalar(select(ValueOutcome.account_id).where(
            ValueOutcome.account_id != ids["att"]).group_by(ValueOutcome.account_id)
            .order_by(func.count().desc(), ValueOutcome.account_id).limit(1))
    db.close()
    yield path, ids


@pytest.fixture(scope="module")
def docs(book: tuple[Path, dict[str, int]]) -> dict[tuple[str, bool], tuple[QbrData,
                                                                             QbrDocument]]:
    path, ids = book
    out = {}
    with Database.open(resolve_database(path)) as db:
        for key in ("rich", "att", "empty"):
            d = qbr_data(db, ids[key], PERIOD, today=AS_OF)
            for internal in (False, True):
                out[key, internal] = (d, qbr_document(d, internal=internal))
    return out


def _deck(doc: QbrDocument, **kwargs: Any) -> Any:
    out = io.BytesIO()
    write_qbr_deck(doc, out, **kwargs)
    out.seek(0)
    return Presentation(out)


def _texts(slide: Any) -> list[str]:
    """Every text on a slide: text frames and table cells."""
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame and shape.text_frame.text.strip():
            out.append(shape.text_frame.text)
        if shape.has_table:
            out += [c.text for row in shape.table.rows for c in row.cells]
    return out


def _title(slide: Any) -> str:
    return slide.shapes.title.text_frame.text if slide.shapes.title is not None else ""


def _without_their_words(text: str, d: QbrData) -> str:
    theirs = {d.header.name, *(e.title for e in d.value.entries)}
    for o in d.plan.objectives if d.plan is not None else ():
        theirs |= {o.title, o.kpi_name or "", *(m.title for m in o.milestones)}
    for words in sorted(theirs, key=len, reverse=True):
        if words.strip():
            text = text.replace(words, "")
    return text


def test_the_slides_follow_the_document(docs: dict[Any, Any]) -> None:
    for key in ("rich", "att"):
        for internal in (False, True):
            _, doc = docs[key, internal]
            prs = _deck(doc)
            assert prs.slide_width * 9 == prs.slide_height * 16  # 16:9
            slides = list(prs.slides)
            first = " ".join(_texts(slides[0]))
            assert doc.customer in first and doc.period_line in first
            assert "Prepared for" in first
            titles = [_title(s) for s in slides]
            agenda = " ".join(_texts(slides[1]))
            people = doc.section("attendees")
            if people is None:
                assert titles[1] == "Agenda"
            else:  # who attends: the agenda slide's headline, not a slide of its own
                assert titles[1] == "Agenda and attendees"
                assert " · ".join(people.bullets) in _texts(slides[1])
            for section in doc.sections:
                if section is people:
                    assert section.title not in titles
                    continue
                assert section.title in titles, (key, section.title, titles)
                assert section.title in agenda
                if section.headline:
                    slide = slides[titles.index(section.title)]
                    assert section.headline in _texts(slide), (section.key, _texts(slide))
            for slide in slides:
                notes = slide.notes_slide.notes_text_frame.text
                assert notes.strip(), _title(slide)
            # every row of every table is on a slide (continued where long)
            cells = {c for s in slides for c in _texts(s)}
            for section in doc.sections:
                for row in section.table.rows if section.table else ():
                    assert set(row) <= cells, (section.key, row)


def test_att_deck_says_what_its_document_says(docs: dict[Any, Any]) -> None:
    _, doc = docs["att", False]
    slides = list(_deck(doc).slides)
    titles = [_title(s) for s in slides]
    assert titles[0] == ATT
    nxt = slides[titles.index("Next quarter: plan and asks (to 31 Dec 2026)")]
    assert "Rollout to finance" in _texts(nxt)
    risks = " ".join(_texts(slides[titles.index("Risks and mitigation")]))
    assert "Name a new champion" in risks and "with the champion" not in risks
    value = " ".join(_texts(slides[titles.index("Value delivered")]))
    assert "$24,000" in value and "×" not in value
    outcomes = " ".join(_texts(slides[titles.index("Objectives and progress")]))
    assert "Days to close: baseline 10 → now 5 → target 4" in outcomes


def test_adoption_is_a_native_chart_with_the_usage_data(docs: dict[Any, Any]) -> None:
    _, doc = docs["rich", False]
    assert doc.usage
    slides = list(_deck(doc).slides)
    slide = next(s for s in slides if _title(s) == "Adoption and usage")
    charts = [shape.chart for shape in slide.shapes if shape.has_chart]
    assert len(charts) == 2
    users = {s.name: list(s.values) for s in charts[0].plots[0].series}
    assert users["Active users"] == [float(u[1]) for u in doc.usage]
    assert users["Licensed seats"] == [float(u[2]) for u in doc.usage]
    events = list(charts[1].plots[0].series[0].values)
    assert events == [float(u[3]) for u in doc.usage]
    assert len(list(charts[0].plots[0].categories)) == len(doc.usage)
    assert not any(shape.shape_type == 13 for s in slides for shape in s.shapes)  # no pictures
    notes = slide.notes_slide.notes_text_frame.text
    first = doc.usage[0]
    assert f"active users {first[1]:,}, seats {first[2]:,}" in notes
    quarters = next(s for s in slides if _title(s) == "Adoption and usage: by quarter")
    assert "Use of seats" in _texts(quarters)


def test_the_customer_deck_never_shows_what_is_ours(docs: dict[Any, Any]) -> None:
    for key in ("rich", "att", "empty"):
        d, doc = docs[key, False]
        prs = _deck(doc)
        for slide in prs.slides:
            text = " ".join(_texts(slide)) + " " + slide.notes_slide.notes_text_frame.text
            found = {m.group(0) for m in FORBIDDEN.finditer(_without_their_words(text, d))}
            assert not found, (key, _title(slide), found)


def test_the_internal_deck_is_marked_on_every_slide(docs: dict[Any, Any]) -> None:
    ours = Branding(company="Acme CS", footer="Acme CS · Confidential")
    for key in ("rich", "att", "empty"):
        _, doc = docs[key, True]
        for branding in (None, ours):
            slides = list(_deck(doc, branding=branding).slides)
            assert len(slides) >= 3
            for slide in slides:
                assert any(t.startswith(INTERNAL_MARK) for t in _texts(slide)), _title(slide)
        texts = [t for s in _deck(doc, branding=ours).slides for t in _texts(s)]
        assert f"{INTERNAL_MARK} · Acme CS · Confidential" in texts
        assert "Renewal and commercial (internal)" in [_title(s) for s in _deck(doc).slides]


def test_a_long_table_continues_on_the_next_slide(docs: dict[Any, Any]) -> None:
    _, doc = docs["att", False]
    value = doc.section("value")
    assert value is not None and value.table is not None
    rows = tuple((f"{d:02d} Aug 2026", f"Outcome number {d} " + "with a long name " * (d % 3),
                  "$1,000", "—") for d in range(1, 21))
    long = replace(doc, sections=tuple(
        replace(s, table=replace(value.table, rows=rows)) if s.key == "value" else s
        for s in doc.sections))
    slides = list(_deck(long).slides)
    titles = [_title(s) for s in slides]
    pages = [i for i, t in enumerate(titles) if t.startswith("Value delivered")]
    assert len(pages) >= 3 and titles[pages[1]] == "Value delivered (continued)"
    cells = [c for i in pages for c in _texts(slides[i])]
    assert [c for c in cells if c.startswith("Outcome number")] == [r[1] for r in rows]
    assert cells.count("Date") == len(pages)  # the header on each slide


def test_empty_sections_have_no_slide(docs: dict[Any, Any]) -> None:
    _, doc = docs["empty", False]
    titles = [_title(s) for s in _deck(doc).slides]
    for missing in ("Executive summary", "Objectives and progress", "Value delivered",
                    "Adoption and usage", "Support", "Risks and mitigation"):
        assert missing not in titles
    assert titles[0] == "Empty Co" and titles[-1].startswith("Next quarter")


def test_the_built_in_look_is_in_the_branding_accent(docs: dict[Any, Any]) -> None:
    _, doc = docs["rich", False]
    prs = _deck(doc, branding=Branding(company="Acme CS", accent="#0f766e"))
    slide = prs.slides[2]
    run = slide.shapes.title.text_frame.paragraphs[0].runs[0]
    assert run.font.color.rgb == RGBColor(0x0F, 0x76, 0x6E)
    assert "Acme CS" in " ".join(_texts(prs.slides[0]))


def _template(path: Path) -> Path:
    """A company template: custom layout names, its own theme accent, a sample slide."""
    prs = Presentation()
    names = {"Title Slide": "Acme Cover", "Title and Content": "Acme Text",
             "Title Only": "Acme Heading"}
    for layout in prs.slide_layouts:
        layout.name = names.get(layout.name, layout.name)
    prs.slides.add_slide(prs.slide_layouts[0]).shapes.title.text = "Sample slide"
    theme = next(r.target_part for r in prs.slide_master.part.rels.values()
                 if r.reltype.endswith("/theme"))
    theme._blob = theme.blob.replace(b'<a:srgbClr val="4F81BD"/>', b'<a:srgbClr val="C2410C"/>')
    prs.save(str(path))
    return path


def test_a_company_template_lends_its_layouts_and_theme(docs: dict[Any, Any],
                                                        tmp_path: Path) -> None:
    _, doc = docs["rich", False]
    template = _template(tmp_path / "acme.pptx")
    prs = _deck(doc, template=template)
    slides = list(prs.slides)
    layouts = [s.slide_layout.name for s in slides]
    assert layouts[0] == "Acme Cover"
    assert "Acme Text" in layouts and "Acme Heading" in layouts
    assert "Sample slide" not in [_title(s) for s in slides]
    assert prs.slide_width == Presentation(str(template)).slide_width  # the template's size
    theme = next(r.target_part for r in prs.slide_master.part.rels.values()
                 if r.reltype.endswith("/theme"))
    assert b"C2410C" in theme.blob
    # headlines take the theme's accent, not csdesk's own colour
    slide = next(s for s in slides if _title(s) == "Value delivered")
    headline = next(sh for sh in slide.shapes if sh.has_text_frame
                    and sh.text_frame.text == doc.section("value").headline)
    assert headline.text_frame.paragraphs[0].runs[0].font.color.theme_color == \
        MSO_THEME_COLOR.ACCENT_1


def test_cli_writes_the_deck_and_refuses_a_file_it_did_not_write(
        book: tuple[Path, dict[str, int]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = book
    common = ["--db", str(path), "--as-of", "2026-11-22", "--period", PERIOD]
    out = tmp_path / "att.pptx"
    assert main(["report", "deck", "ATT-1", "-o", str(out), *common]) == 0
    assert deck_made_by_csdesk(out) and out.stat().st_mode & 0o077 == 0
    assert _title(Presentation(str(out)).slides[0]) == ATT
    internal = tmp_path / "att-internal.pptx"
    template = _template(tmp_path / "acme.pptx")
    assert main(["report", "deck", ATT, "-o", str(internal), "--internal",
                 "--template", str(template), *common]) == 0
    slides = list(Presentation(str(internal)).slides)
    assert slides[0].slide_layout.name == "Acme Cover"
    assert all(any(t.startswith(INTERNAL_MARK) for t in _texts(s)) for s in slides)
    # csdesk's own deck is replaced; the user's own file is not, without --overwrite
    assert main(["report", "deck", "ATT-1", "-o", str(out), *common]) == 0
    theirs = tmp_path / "theirs.pptx"
    Presentation().save(str(theirs))
    before = theirs.read_bytes()
    capsys.readouterr()
    assert main(["report", "deck", "ATT-1", "-o", str(theirs), *common]) != 0
    assert "already exists" in capsys.readouterr().err
    assert theirs.read_bytes() == before
    assert main(["report", "deck", "ATT-1", "-o", str(theirs), "--overwrite", *common]) == 0
    assert deck_made_by_csdesk(theirs)
    assert main(["report", "deck", "ATT-1", "-o", str(tmp_path / "t.pptx"),
                 "--template", str(tmp_path / "none.pptx"), *common]) != 0


def test_the_saved_template_is_the_default_and_a_batch_of_decks(
        book: tuple[Path, dict[str, int]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Set once with the branding, the company's template is used by every deck, one and in
    batch; a file that is no template is refused before any deck is written; a saved template
    since deleted is said in one line and the deck takes the built-in look."""
    from csdesk.reports.branding import Branding

    path, _ = book
    common = ["--db", str(path), "--as-of", "2026-11-22", "--period", PERIOD]
    template = _template(tmp_path / "acme.pptx")
    Branding(company="Acme CS", deck_template=str(template)).save()
    one = tmp_path / "one.pptx"
    assert main(["report", "deck", "ATT-1", "-o", str(one), *common]) == 0
    assert Presentation(str(one)).slides[0].slide_layout.name == "Acme Cover"

    folder = tmp_path / "decks"
    assert main(["report", "batch", "deck", "-o", str(folder), "--renewing-within", "30",
                 *common]) == 0
    decks = sorted(folder.glob("*.pptx"))
    assert decks and f"Wrote {len(decks)} decks to" in capsys.readouterr().out
    assert all(Presentation(str(d)).slides[0].slide_layout.name == "Acme Cover"
               for d in decks)

    junk = tmp_path / "junk.pptx"
    junk.write_bytes(b"PK not a deck")
    empty = tmp_path / "none"
    assert main(["report", "batch", "deck", "-o", str(empty), "--template", str(junk),
                 *common]) != 0
    err = capsys.readouterr().err
    assert "junk.pptx is not a PowerPoint template csdesk can use" in err
    assert len(err.strip().splitlines()) == 1 and not empty.exists()

    template.unlink()
    assert main(["report", "deck", "ATT-1", "-o", str(one), *common]) == 0
    out = capsys.readouterr().out
    assert "is not there any more: the deck uses the built-in look" in out
    assert Presentation(str(one)).slides[0].slide_layout.name == "Title Slide"


def test_render_for_a_look(docs: dict[Any, Any]) -> None:
    """Not a check: writes the decks a person looks at (set DECK_LOOK=folder)."""
    folder = os.environ.get("DECK_LOOK")
    if not folder:
        pytest.skip("set DECK_LOOK to a folder to keep the decks")
    Path(folder).mkdir(parents=True, exist_ok=True)
    for (key, internal), (_, doc) in docs.items():
        name = f"{key}-{'internal' if internal else 'customer'}.pptx"
        write_qbr_deck(doc, Path(folder) / name)




def test_a_churned_account_gets_no_document(book: tuple[Path, dict[str, int]], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """As in the window: no QBR (deck or PDF) from the data that stopped when it left."""
    from sqlalchemy import select

    from csdesk.models.enums import AccountStatus

    path, _ = book
    with Database.open(resolve_database(path), create=False) as db, db.read() as s:
        gone = s.scalar(select(Account.external_id)
                        .where(Account.status == AccountStatus.CHURNED).limit(1))
    assert gone is not None
    for kind, name in (("deck", "gone.pptx"), ("qbr", "gone.pdf")):
        out = tmp_path / name
        assert main(["report", kind, gone, "-o", str(out), "--db", str(path)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.endswith(f"{gone} has churned: csdesk writes its documents for live "
                            "customers only") and "\n" not in err
        assert not out.exists()
