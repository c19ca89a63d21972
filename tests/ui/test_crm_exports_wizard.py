"""CRM exports through the import wizard, then what the CSM sees in the window: a HubSpot
companies and contacts export (a Lead left out on the values table), a Salesforce Data
Loader pair. The book says "not enough data" where a number from two inputs used to be,
files companies with no contract as Unsegmented, shows the CRM's last activity as the last
touch, and the account page and the worklist agree."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.io.entities import ENTITIES
from csdesk.io.mapping import LEAVE_OUT
from csdesk.models import Account, Contact, Opportunity
from csdesk.services.health.scoring import recompute
from csdesk.services.worklist.rules import run_rules
from csdesk.services.worklist.today import open_tasks
from csdesk.ui.account_page import AccountPage
from csdesk.ui.accounts_model import (
    HEALTH,
    LAST_TOUCH,
    NAME,
    NOT_ENOUGH,
    RENEWAL,
    SEGMENT,
    SORT_ROLE,
)
from csdesk.ui.import_wizard import ImportWizard
from csdesk.ui.tasks import TaskRunner
from tests.conftest import AS_OF
from tests.test_cli_crm_exports import CZ_ACCOUNTS, SF_ACCOUNTS, SF_OPPS, _hubspot, write
from tests.ui.conftest import open_window


def _through_the_wizard(qtbot, db: Database, path: Path, entity: str,  # type: ignore[no-untyped-def]
                        choose=None) -> ImportWizard:
    wizard = ImportWizard(db, TaskRunner(), path)
    qtbot.addWidget(wizard)
    wizard.show()
    # Nobody said what the file holds: the wizard guesses it from the header.
    assert wizard.file_page.detected.text().startswith(
        f"This looks like {ENTITIES[entity].label.lower()}"), wizard.file_page.detected.text()
    wizard.next()
    if choose is not None:
        choose(wizard.mapping_page)
    assert wizard.mapping_page.isComplete(), wizard.mapping_page.problem.text()
    with qtbot.waitSignal(wizard.preview_page.finished, timeout=30_000):
        wizard.next()
    assert "0 in error" in wizard.preview_page.summary.text(), \
        wizard.preview_page.summary.text()
    with qtbot.waitSignal(wizard.imported, timeout=30_000):
        wizard.next()
    return wizard


def _how(page, column: str) -> str:  # type: ignore[no-untyped-def]
    row = next(r for r in range(page.table.rowCount()) if page.table.item(r, 0).text() == column)
    return str(page.table.item(row, 3).text())


def test_hubspot_companies_and_contacts_through_the_wizard_then_the_book(  # type: ignore[no-untyped-def]
        qtbot, db: Database, tmp_path: Path) -> None:
    companies, contacts, touch = _hubspot(tmp_path)

    def leave_the_lead_out(page) -> None:  # type: ignore[no-untyped-def]
        assert page.combos["Last Activity Date"].currentData() == "last_activity_on"
        assert page.combos["Create Date"].currentData() == "custom"
        assert _how(page, "Lifecycle Stage") == "hubspot profile · sure"
        lead = page.value_combos[("Lifecycle Stage", "Lead")]
        lead.setCurrentIndex(lead.findData(LEAVE_OUT))

    _through_the_wizard(qtbot, db, companies, "accounts", leave_the_lead_out)

    def names_joined(page) -> None:  # type: ignore[no-untyped-def]
        assert page.combos["First Name"].currentData() == "name"
        assert page.combos["Last Name"].currentData() == "ignore"
        assert _how(page, "Last Name") == "joined into name · sure"
        assert page.combos["Associated Company ID"].currentData() == "account_external_id"

    _through_the_wizard(qtbot, db, contacts, "contacts", names_joined)
    with db.read() as s:
        assert {c.name for c in s.scalars(select(Contact))} == {
            f"Vera{i} Klein {i}" for i in range(1, 9)}
        ids = {a.external_id: a.id for a in s.scalars(select(Account))}
    assert set(ids) == set(touch) - {"7011"}
    recompute(db, as_of=AS_OF)
    run_rules(db, AS_OF)
    assert not [t for t in open_tasks(db, AS_OF) if "onboarding" in t.title.casefold()]

    window = open_window(qtbot, db)
    model = window.accounts.table_model
    assert model.rowCount() == 10
    for row in range(model.rowCount()):
        aid = model.account_id(row)
        ext = next(e for e, i in ids.items() if i == aid)
        assert model.index(row, HEALTH).data() == "not enough data"
        assert "add usage or contacts" in model.index(row, HEALTH).data(
            Qt.ItemDataRole.ToolTipRole)
        assert model.index(row, SEGMENT).data() == "Unsegmented"
        assert model.index(row, LAST_TOUCH).data(SORT_ROLE) == touch[ext]
        assert model.index(row, NAME).data().startswith("Firma ")
    # The health chip's "Not enough data" lists them all; "Green" none.
    view = window.accounts
    view.band.setCurrentIndex(view.band.findData(NOT_ENOUGH))
    assert model.rowCount() == 10
    view.band.setCurrentIndex(view.band.findData("green"))
    assert model.rowCount() == 0

    page = AccountPage(db, ids["7002"])
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    assert page.badge.text() == "● not enough data"
    assert "add usage with licensed seats" in page.summary_label.text()
    assert "last touch 03 Nov 2026" in page.subtitle.text()  # the contact's, later
    assert page.stage.currentText() == "Stage unknown"


def test_salesforce_accounts_and_opportunities_through_the_wizard(  # type: ignore[no-untyped-def]
        qtbot, db: Database, tmp_path: Path) -> None:
    ids = [f"001A000001Ab{n:03d}XAA" for n in range(1, 4)]
    accounts = write(tmp_path / "Account.csv", SF_ACCOUNTS, [
        [ids[i], f"Acme {i}", "Customer - Direct", "", "United States", f"acme{i}.example",
         "Energy", "5000000", "1200", "005A0000001xyzQAA", "2019-03-04T17:02:11.000Z",
         f"2026-11-0{i + 1}"] for i in range(3)], quote_all=True)
    opps = write(tmp_path / "Opportunity.csv", SF_OPPS, [
        [f"006A000000Op{n:03d}AAA", ids[n], f"Acme {n} upgrade",
         ["Negotiation/Review", "Closed Won", "Perception Analysis"][n], "25000", "2026-12-31",
         "Existing Customer - Upgrade", "false", "2026-06-01T09:00:00.000Z"]
        for n in range(3)], quote_all=True)

    def record_dates_are_not_contracts(page) -> None:  # type: ignore[no-untyped-def]
        assert page.combos["CreatedDate"].currentData() == "custom"
        assert page.combos["AnnualRevenue"].currentData() == "custom"
        assert page.combos["NumberOfEmployees"].currentData() == "custom"
        assert page.combos["LastActivityDate"].currentData() == "last_activity_on"
        assert _how(page, "Id") == "salesforce profile · sure"

    _through_the_wizard(qtbot, db, accounts, "accounts", record_dates_are_not_contracts)
    _through_the_wizard(qtbot, db, opps, "opportunities")
    with db.read() as s:
        stages = {o.title: o.stage.value for o in s.scalars(select(Opportunity))}
        assert all(a.customer_since is None for a in s.scalars(select(Account)))
    assert stages == {"Acme 0 upgrade": "handed_to_sales", "Acme 1 upgrade": "won",
                      "Acme 2 upgrade": "qualified"}


def test_churnzero_accounts_through_the_wizard_are_segmented_from_their_contract(  # type: ignore[no-untyped-def]
        qtbot, db: Database, tmp_path: Path) -> None:
    today = clock.today()  # the book shows renewals still to come: dates from today
    big, tiny = today + timedelta(days=125), today + timedelta(days=70)
    src = write(tmp_path / "churnzero-accounts.csv", CZ_ACCOUNTS, [
        ["CZ-1", "Big Co", "120000", big.isoformat(), "400", "2023-04-01", "ana@v.example",
         "Retail"],
        ["CZ-2", "Tiny Co", "3000", tiny.isoformat(), "5", "2026-09-01", "ana@v.example",
         "Retail"],
    ])

    def contract_columns(page) -> None:  # type: ignore[no-untyped-def]
        assert page.combos["TotalContractAmount"].currentData() == "arr"
        assert page.combos["NextRenewalDate"].currentData() == "renewal_date"
        assert page.combos["StartDate"].currentData() == "customer_since"
        assert _how(page, "LicenseCount") == "churnzero profile · sure"

    _through_the_wizard(qtbot, db, src, "accounts", contract_columns)
    window = open_window(qtbot, db)
    model = window.accounts.table_model
    shown = {model.index(r, NAME).data(): (model.index(r, SEGMENT).data(),
                                           model.index(r, RENEWAL).data(SORT_ROLE))
             for r in range(model.rowCount())}
    assert shown == {"Big Co": ("Enterprise", big), "Tiny Co": ("Self-Serve", tiny)}
