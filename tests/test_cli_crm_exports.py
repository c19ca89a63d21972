"""CRM exports in each CRM's own column layout, imported with no --entity and no --map, as a
new user would: HubSpot companies and contacts, Salesforce accounts and opportunities (Data
Loader layout), ChurnZero accounts. What the CSM then sees: statuses, segments, stages, the
last touch, health "not enough data" rather than a number made from two inputs, and no
onboarding task for a customer of years."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.models import Account, Contact, Opportunity
from csdesk.models.enums import AccountStatus, LifecycleStage, OpportunityStage, Segment

AS_OF = "2026-11-20"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "csdesk", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=180)


def ok(*args: str) -> Any:
    done = run(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout


def write(path: Path, header: list[str], rows: list[list[str]], *, quote_all: bool = False
          ) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)
    return path


# HubSpot: companies and contacts exports, in HubSpot's column names and order.
HS_COMPANIES = ["Record ID", "Company name", "Company Domain Name", "Annual Revenue",
                "Company owner", "Create Date", "Industry", "Number of Employees", "City",
                "Country/Region", "Lifecycle Stage", "Last Activity Date"]
HS_CONTACTS = ["Record ID", "First Name", "Last Name", "Email", "Phone Number",
               "Contact owner", "Job Title", "Associated Company ID", "Last Activity Date",
               "Create Date", "Lifecycle Stage"]


def _hubspot(tmp: Path) -> tuple[Path, Path, dict[str, date]]:
    stages = ["Customer"] * 8 + ["Evangelist"] * 2 + ["Lead"]
    companies, touch = [], {}
    for i, stage in enumerate(stages, start=1):
        last = date(2026, 10, i)
        touch[f"{7_000 + i}"] = last
        companies.append([f"{7_000 + i}", f"Firma {i} GmbH", f"firma{i}.example",
                          f"{i * 2_500_000}", "ana@vendor.example",
                          f"2021-0{1 + i % 9}-11 09:15", "Software", str(40 * i), "Berlin",
                          "Germany", stage, last.isoformat()])
    contacts = []
    for i in range(1, 9):  # the first eight companies have a contact; one touched later
        later = date(2026, 11, 3) if i == 2 else date(2026, 9, 1)
        contacts.append([f"{50_000 + i}", f"Vera{i}", f"Klein {i}", f"vera{i}@firma{i}.example",
                         "+49 30 000", "ana@vendor.example", "Head of Ops",
                         f"{7_000 + i}", later.isoformat(), "2021-02-01 10:00", "Customer"])
        touch[f"{7_000 + i}"] = max(touch[f"{7_000 + i}"], later)
    return (write(tmp / "hubspot-companies.csv", HS_COMPANIES, companies),
            write(tmp / "hubspot-contacts.csv", HS_CONTACTS, contacts), touch)


def test_hubspot_companies_and_contacts_as_a_csm_sees_them(tmp_path: Path) -> None:
    companies, contacts, touch = _hubspot(tmp_path)
    book = str(tmp_path / "b.sqlite")
    out = ok("import", str(companies), "--json", "--db", book,
             "--map-value", "Lifecycle Stage:Lead=leave_out")
    assert out["entity"] == "accounts" and out["inserted"] == 10
    out = ok("import", str(contacts), "--json", "--db", book)
    assert out["entity"] == "contacts" and out["inserted"] == 8, out
    ok("health", "--db", book, "--as-of", AS_OF)

    rows = {r["external_id"]: r for r in ok("accounts", "--json", "--db", book, "--as-of",
                                             AS_OF)["accounts"]}
    assert set(rows) == set(touch) - {"7011"}  # the Lead was left out
    for ext, r in rows.items():
        # No ARR in a companies export (Annual Revenue is the company's, not the contract).
        assert r["segment"] == "unsegmented", r
        # The last touch is the CRM's Last Activity Date, or a contact's later one.
        assert r["last_touch"] == touch[ext].isoformat(), r
        # A name, a domain and a touch are no health: not a number from 2 of 9 inputs.
        assert r["health_score"] is None and r["health_note"] == "not enough data", r
    explained = ok("health", "--account", "7001", "--db", book, "--as-of", AS_OF)
    assert "not enough data" in explained and "add usage with licensed seats" in explained
    tasks = ok("tasks", "--run", "--json", "--db", book, "--as-of", AS_OF)
    assert not [t for t in tasks["open"] if "onboarding" in t["title"].casefold()], tasks

    with Database.open(resolve_database(book)) as db, db.read() as s:
        accounts = s.scalars(select(Account)).all()
        assert {a.status for a in accounts} == {AccountStatus.ACTIVE}
        assert {a.lifecycle_stage for a in accounts} == {LifecycleStage.UNKNOWN}
        assert all(a.customer_since is None for a in accounts)  # Create Date is not that
        assert all(a.segment == Segment.UNSEGMENTED for a in accounts)
        people = {c.email: c for c in s.scalars(select(Contact))}
        assert people["vera2@firma2.example"].name == "Vera2 Klein 2"  # First + Last
        assert people["vera2@firma2.example"].last_contacted == date(2026, 11, 3)
        assert people["vera2@firma2.example"].title == "Head of Ops"


# Salesforce: Data Loader exports (API names, every field quoted).
SF_ACCOUNTS = ["Id", "Name", "Type", "ParentId", "BillingCountry", "Website", "Industry",
               "AnnualRevenue", "NumberOfEmployees", "OwnerId", "CreatedDate",
               "LastActivityDate"]
SF_OPPS = ["Id", "AccountId", "Name", "StageName", "Amount", "CloseDate", "Type", "IsWon",
           "CreatedDate"]


def test_salesforce_accounts_and_opportunities(tmp_path: Path) -> None:
    ids = [f"001A000001Ab{n:03d}XAA" for n in range(1, 5)]
    accounts = write(tmp_path / "Account.csv", SF_ACCOUNTS, [
        [ids[i], f"Acme {i}", "Customer - Direct", "", "United States", f"acme{i}.example",
         "Energy", "5000000", "1200", "005A0000001xyzQAA", "2019-03-04T17:02:11.000Z",
         f"2026-11-0{i + 1}"] for i in range(4)], quote_all=True)
    stages = ["Prospecting", "Id. Decision Makers", "Closed Won", "Closed Lost"]
    opps = write(tmp_path / "Opportunity.csv", SF_OPPS, [
        [f"006A000000Op{n:03d}AAA", ids[n], f"Acme {n} upgrade", stages[n], f"{(n + 1) * 10000}",
         "2026-12-31", "Existing Customer - Upgrade", "true" if n == 2 else "false",
         "2026-06-01T09:00:00.000Z"] for n in range(4)], quote_all=True)
    book = str(tmp_path / "b.sqlite")
    assert ok("import", str(accounts), "--json", "--db", book)["inserted"] == 4
    out = ok("import", str(opps), "--json", "--db", book)
    assert out["entity"] == "opportunities" and out["inserted"] == 4, out
    rows = ok("accounts", "--json", "--db", book, "--as-of", AS_OF)["accounts"]
    assert sorted(r["last_touch"] for r in rows) == [f"2026-11-0{i + 1}" for i in range(4)]
    assert {r["segment"] for r in rows} == {"unsegmented"}
    with Database.open(resolve_database(book)) as db, db.read() as s:
        acc = s.scalars(select(Account)).all()
        assert all(a.customer_since is None for a in acc)  # CreatedDate is the record's
        assert all(a.custom_fields.get("AnnualRevenue") == "5000000" for a in acc)
        assert {a.domain for a in acc} == {f"acme{i}.example" for i in range(4)}
        stage = {o.title: (o.stage, o.amount_cents) for o in s.scalars(select(Opportunity))}
        assert stage == {
            "Acme 0 upgrade": (OpportunityStage.IDENTIFIED, 1_000_000),
            "Acme 1 upgrade": (OpportunityStage.QUALIFIED, 2_000_000),
            "Acme 2 upgrade": (OpportunityStage.WON, 3_000_000),
            "Acme 3 upgrade": (OpportunityStage.LOST, 4_000_000)}


# ChurnZero: an accounts export, which does carry the contract.
CZ_ACCOUNTS = ["AccountExternalId", "Name", "TotalContractAmount", "NextRenewalDate",
               "LicenseCount", "StartDate", "OwnerUserAccount", "Industry"]


def test_churnzero_accounts_are_segmented_from_their_contract(tmp_path: Path) -> None:
    src = write(tmp_path / "churnzero-accounts.csv", CZ_ACCOUNTS, [
        ["CZ-1", "Big Co", "120000", "2027-03-31", "400", "2023-04-01", "ana@v.example", "Retail"],
        ["CZ-2", "Mid Co", "30000", "2027-01-15", "60", "2025-01-16", "ana@v.example", "Retail"],
        ["CZ-3", "Tiny Co", "3000", "2027-02-01", "5", "2026-09-01", "ana@v.example", "Retail"],
    ])
    book = str(tmp_path / "b.sqlite")
    out = ok("import", str(src), "--json", "--db", book)
    assert out["entity"] == "accounts" and out["inserted"] == 3, out
    rows = {r["external_id"]: r for r in ok("accounts", "--json", "--db", book, "--as-of",
                                             AS_OF)["accounts"]}
    assert {k: r["segment"] for k, r in rows.items()} == {
        "CZ-1": "enterprise", "CZ-2": "mid_market", "CZ-3": "self_serve"}
    assert rows["CZ-1"]["next_renewal"] == "2027-03-31"
    assert rows["CZ-2"]["arr_cents"] == 3_000_000
    with Database.open(resolve_database(book)) as db, db.read() as s:
        since = {a.external_id: a.customer_since for a in s.scalars(select(Account))}
    assert since == {"CZ-1": date(2023, 4, 1), "CZ-2": date(2025, 1, 16),
                     "CZ-3": date(2026, 9, 1)}


# A public SaaS dataset's accounts file: a churn flag, and a churn date where one is known.
SAAS = ["account_id", "account_name", "industry", "country", "signup_date", "plan_tier",
        "seats", "is_trial", "churn_flag", "churn_date"]


def test_a_churn_flag_and_its_date_make_a_churned_account(tmp_path: Path) -> None:
    src = write(tmp_path / "accounts.csv", SAAS, [
        ["A-1", "Alpha", "FinTech", "US", "2023-03-01", "Basic", "12", "False", "False", ""],
        ["A-2", "Beta", "EdTech", "UK", "2024-01-15", "Pro", "40", "False", "True",
         "2026-05-31"],
        ["A-3", "Gamma", "DevTools", "DE", "2022-07-09", "Pro", "9", "False", "True", ""],
    ])
    book = str(tmp_path / "b.sqlite")
    ok("import", str(src), "--json", "--db", book)
    with Database.open(resolve_database(book)) as db, db.read() as s:
        got = {a.external_id: (a.status.value, a.churned_on, a.customer_since)
               for a in s.scalars(select(Account))}
    assert got == {"A-1": ("active", None, date(2023, 3, 1)),
                   "A-2": ("churned", date(2026, 5, 31), date(2024, 1, 15)),
                   "A-3": ("churned", None, date(2022, 7, 9))}
    ok("health", "--db", book, "--as-of", AS_OF)
    # Churned on a date nobody gave: one plain line, not a traceback.
    done = run("health", "--account", "A-3", "--db", book, "--as-of", AS_OF)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "no churn date" in done.stderr
    assert run("health", "--account", "A-2", "--db", book, "--as-of", AS_OF).returncode == 0


def test_salesforce_opportunities_that_are_no_expansion_are_left_out_and_counted(
        tmp_path: Path) -> None:
    """A renewal or a new customer's deal is no expansion: left out and reported, never
    imported as a won upsell."""
    ids = ["001A000001Ab001XAA"]
    accounts = write(tmp_path / "Account.csv", SF_ACCOUNTS, [
        [ids[0], "Hooli", "Customer - Direct", "", "US", "hooli.example", "Tech", "", "",
         "005A0000001xyzQAA", "2019-03-04T17:02:11.000Z", "2026-11-02"]], quote_all=True)
    types = ["Existing Customer - Upgrade", "Existing Customer - Renewal", "New Customer"]
    opps = write(tmp_path / "Opportunity.csv", SF_OPPS, [
        [f"006A000000Op{n:03d}AAA", ids[0], f"Hooli {t}", "Closed Won", "12000", "2026-10-31",
         t, "true", "2026-06-01T09:00:00.000Z"] for n, t in enumerate(types)], quote_all=True)
    book = str(tmp_path / "b.sqlite")
    ok("import", str(accounts), "--db", book)
    out = ok("import", str(opps), "--json", "--db", book)
    assert out["inserted"] == 1 and out["rows_left_by_value"] == 2, out
    with Database.open(resolve_database(book)) as db, db.read() as s:
        assert [o.title for o in s.scalars(select(Opportunity))] == [
            "Hooli Existing Customer - Upgrade"]
