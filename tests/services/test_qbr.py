"""The QBR's numbers, summary, risks and next steps come from the book."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from csdesk.db import Database
from csdesk.models import SupportTicket, UsageSnapshot
from csdesk.models.enums import TicketPriority, TicketStatus
from csdesk.reports.qbr_pdf import write_qbr_pdf
from csdesk.services.book.account_detail import account_id_for
from csdesk.services.plans import success_plans as plans
from csdesk.services.plans.qbr import qbr_data
from tests.conftest import AS_OF


def _pages(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


def test_qbr_from_the_demo_book(demo_db: Database) -> None:
    account = account_id_for(demo_db, "ACC-000132")
    d = qbr_data(demo_db, account, "2026Q3", today=AS_OF)
    assert (d.period_start, d.period_end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert [q.label for q in d.quarters] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert all(date(2025, 10, 1) <= u[0] <= date(2026, 9, 30) for u in d.usage)
    assert d.value_in_period_cents == sum(e.value_cents or 0 for e in d.value.entries
                                          if date(2026, 7, 1) <= e.occurred_on
                                          <= date(2026, 9, 30))
    assert d.summary[0].startswith(f"Health is {d.health_now:.0f} of 100")
    plan = plans.plan_view(demo_db, plans.active_plan_id(demo_db, account), today=date(2026, 9, 30))
    open_soon = {m.title for o in plan.objectives for m in o.milestones if m.status != "done"}
    assert {n.title for n in d.next_steps} == open_soon

    out = io.BytesIO()
    write_qbr_pdf(d, out)
    again = io.BytesIO()
    write_qbr_pdf(d, again)
    assert out.getvalue() == again.getvalue()
    text = " ".join(_pages(out.getvalue()))
    for section in ("Executive summary", "Objectives and progress", "Value delivered",
                    "Adoption and usage", "Support", "Risks and mitigation",
                    "Next quarter: plan and asks"):
        assert section in text
    for o in plan.objectives:
        assert o.title in text
    assert d.header.name in text


def test_support_and_risks_follow_the_data(db: Database) -> None:
    from csdesk.models import Account, Subscription

    with db.write() as s:
        acc = Account(external_id="Q1", name="Müller & Söhne", segment="mid_market",
                      engagement_model="mid_touch", customer_since=date(2025, 1, 1))
        s.add(acc)
        s.flush()
        s.add(Subscription(account_id=acc.id, start_date=date(2026, 1, 1),
                           end_date=date(2026, 12, 31), seats=100, arr_cents=5_000_000))
        for week in range(26):
            day = date(2026, 4, 6).toordinal() + 7 * week
            users = 80 if week < 13 else 30  # adoption collapses in Q3
            s.add(UsageSnapshot(account_id=acc.id, date=date.fromordinal(day),
                                active_users=users, licensed_seats=100,
                                key_events=users * 10, features_used=5))
        s.add_all([
            SupportTicket(account_id=acc.id, subject="Login broken", opened_on=date(2026, 7, 2),
                          closed_on=date(2026, 7, 12), priority=TicketPriority.URGENT,
                          status=TicketStatus.CLOSED, is_escalation=True),
            SupportTicket(account_id=acc.id, subject="Export slow", opened_on=date(2026, 8, 1),
                          closed_on=date(2026, 8, 5), priority=TicketPriority.NORMAL,
                          status=TicketStatus.CLOSED),
            SupportTicket(account_id=acc.id, subject="Old", opened_on=date(2026, 3, 1),
                          priority=TicketPriority.LOW, status=TicketStatus.OPEN)])
        account_id = acc.id
    d = qbr_data(db, account_id, "2026Q3", today=date(2026, 11, 1))
    assert (d.support.opened, d.support.closed, d.support.escalations) == (2, 2, 1)
    assert d.support.urgent_or_high == 1 and d.support.median_days_to_close == 7
    assert d.support.open_now == 1
    risks = " ".join(r.risk for r in d.risks)
    assert "30% of licensed seats" in risks
    assert "Key value events fell 62%" in risks
    assert "1 support escalation" in risks
    assert d.plan is None and d.next_steps == ()
    out = io.BytesIO()
    write_qbr_pdf(d, out)
    text = " ".join(_pages(out.getvalue()))
    assert "Müller & Söhne" in text and "no success plan" in text


def test_the_cover_carries_the_customers_logo(demo_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    from csdesk.models import Account

    fig = Figure(figsize=(2, 1))
    fig.text(0.2, 0.4, "CUSTOMER")
    logo = tmp_path / "customer.png"
    fig.savefig(logo)
    account = account_id_for(demo_db, "ACC-000132")
    plain = io.BytesIO()
    write_qbr_pdf(qbr_data(demo_db, account, "2026Q3", today=AS_OF), plain)
    with demo_db.write() as s:
        acc = s.get(Account, account)
        acc.custom_fields = {**(acc.custom_fields or {}), "logo": str(logo)}
    d = qbr_data(demo_db, account, "2026Q3", today=AS_OF)
    assert d.customer_logo == str(logo)
    branded = io.BytesIO()
    write_qbr_pdf(d, branded)
    first = PdfReader(io.BytesIO(branded.getvalue())).pages[0]
    assert "/XObject" in first["/Resources"]
    assert "/XObject" not in PdfReader(io.BytesIO(plain.getvalue())).pages[0]["/Resources"]
    assert "Quarterly business review Lambdarock Technologies Co." in \
        _pages(branded.getvalue())[0]


def test_then_and_now_from_the_field_history(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Stage, segment, seats and ARR at the start of the quarter against its end, from two
    imports dated before and inside the quarter; an account with no history shows none."""
    import csv
    from datetime import timedelta

    from csdesk import clock
    from csdesk.services.periods import current_period, parse_period
    from csdesk.services.sync.importer import ImportRequest, run_import

    period = current_period(clock.today())
    start, _end = parse_period(period)
    header = ["Account ID", "Account Name", "ARR", "Seats", "Renewal Date", "Lifecycle Stage"]
    renew = (clock.today() + timedelta(days=200)).isoformat()

    def load(name: str, day: date, rows: list[list[str]]) -> None:
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *rows])
        assert run_import(db, ImportRequest(path, entity="accounts", as_of=day)).written

    load("before.csv", start - timedelta(days=10),
         [["A-1", "Acme", "$24,000", "10", renew, "onboarding"],
          ["A-2", "Bolt", "$5,000", "3", renew, "adoption"]])
    load("during.csv", start + timedelta(days=20),
         [["A-1", "Acme", "$60,000", "25", renew, "adoption"],
          ["A-2", "Bolt", "$5,000", "3", renew, "adoption"]])
    data = qbr_data(db, account_id_for(db, "A-1"), period)
    assert [(t.label, t.then, t.now) for t in data.then_vs_now] == [
        ("Lifecycle stage", "Onboarding", "Adoption"),
        ("Segment", "SMB", "Mid-Market"),
        ("Seats", "10", "25"),
        ("ARR", "$24,000", "$60,000"),
    ]
    assert qbr_data(db, account_id_for(db, "A-2"), period).then_vs_now == ()
    pdf = io.BytesIO()
    write_qbr_pdf(data, pdf, internal=True)
    text = " ".join(_pages(pdf.getvalue()))
    assert "Then and now" in text and "$24,000" in text and "Mid-Market" in text
    (tmp_path / "qbr.pdf").write_bytes(pdf.getvalue())
    # The customer's version: their seats, not our segment, stage or ARR bands
    pdf = io.BytesIO()
    write_qbr_pdf(data, pdf)
    text = " ".join(_pages(pdf.getvalue()))
    assert "Then and now" in text and "Seats" in text
    assert "Segment" not in text and "$24,000" not in text and "Lifecycle" not in text


def test_a_change_on_the_quarters_first_day_is_that_quarters(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """'Then' is the eve of the quarter: a stage moved on its first day shows in its QBR."""
    import csv
    from datetime import timedelta

    from csdesk import clock
    from csdesk.services.periods import current_period, parse_period
    from csdesk.services.sync.importer import ImportRequest, run_import

    period = current_period(clock.today())
    start, _end = parse_period(period)
    for name, day, stage in (("a.csv", start - timedelta(days=30), "onboarding"),
                             ("b.csv", start, "adoption")):
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["Account ID", "Account Name", "Lifecycle Stage"],
                                      ["A-1", "Acme", stage]])
        assert run_import(db, ImportRequest(path, entity="accounts", as_of=day)).written
    data = qbr_data(db, account_id_for(db, "A-1"), period)
    assert [(t.label, t.then, t.now) for t in data.then_vs_now] == [
        ("Lifecycle stage", "Onboarding", "Adoption")]
    assert data.then_vs_now_days is not None
    assert data.then_vs_now_days[0] == start - timedelta(days=1)
