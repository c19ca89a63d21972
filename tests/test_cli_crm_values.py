"""A HubSpot companies export and a SaaS accounts file with a churn flag, imported as a new
user would: columns mean what the CRM means, and a choice column's values are mapped too."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.io.entities import ENTITIES
from csdesk.io.mapping import auto_map
from csdesk.models import Account
from csdesk.models.enums import AccountStatus

# HubSpot's companies export, in its own column order and words.
HUBSPOT_HEADER = ["Record ID", "Company name", "Company Domain Name", "Annual Revenue",
                  "Company owner", "Create Date", "Industry", "Number of Employees", "City",
                  "Country/Region", "Lifecycle Stage", "Last Activity Date"]
STAGES = ["Customer"] * 14 + ["Evangelist"] * 3 + ["Other", "Lead", "Customer"]


def _hubspot(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HUBSPOT_HEADER)
        for i, stage in enumerate(STAGES, start=1):
            w.writerow([f"{9_000_000 + i}", f"Company {i} & Co", f"company{i}.example",
                        f"{(i * 1_000_000):d}", "Ana Silva", f"2022-0{1 + i % 9}-15 10:2{i % 10}",
                        "Software", str(20 * i), "Lisbon", "Portugal", stage,
                        "2026-11-0" + str(1 + i % 9)])
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "csdesk", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=120)


def test_hubspot_columns_mean_what_hubspot_means() -> None:
    mapping = auto_map(ENTITIES["accounts"], HUBSPOT_HEADER)
    assert mapping.profile == "hubspot"
    assert mapping.columns["Lifecycle Stage"] == "status"
    # A record's creation date, the company's revenue and head count are not the contract.
    assert mapping.columns["Create Date"] == "custom"
    assert mapping.columns["Annual Revenue"] == "custom"
    assert mapping.columns["Number of Employees"] == "custom"
    assert mapping.values["status"] == {"customer": "active", "evangelist": "active"}
    became = auto_map(ENTITIES["accounts"], [*HUBSPOT_HEADER, "Became a Customer Date"])
    assert became.columns["Became a Customer Date"] == "customer_since"


def test_a_value_nobody_mapped_is_asked_for_then_mapped_on_the_command_line(
        tmp_path: Path) -> None:
    src = _hubspot(tmp_path / "hubspot-companies.csv")
    book = str(tmp_path / "b.sqlite")
    first = run("import", str(src), "--entity", "accounts", "--json", "--db", book)
    out = json.loads(first.stdout)
    assert first.returncode == 1 and out["written"] is False
    assert {(e["row"], e["value"]) for e in out["errors"]} == {(19, "Other"), (20, "Lead")}
    assert all("map the value" in e["reason"] for e in out["errors"])

    done = run("import", str(src), "--entity", "accounts", "--json", "--db", book,
               "--map-value", "Lifecycle Stage:Other=active",
               "--map-value", "Lifecycle Stage:Lead=churned", "--save-mapping", "hubspot")
    out = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    assert out["written"] is True and out["inserted"] == 20
    assert out["values"]["status"]["other"] == "active"
    with Database.open(resolve_database(book)) as db, db.read() as s:
        rows = {a.external_id: a for a in s.scalars(select(Account))}
        assert rows["9000020"].status == AccountStatus.ACTIVE  # HubSpot's Customer
        assert rows["9000019"].status == AccountStatus.CHURNED  # Lead, as mapped
        assert all(a.customer_since is None for a in rows.values())
        assert rows["9000001"].custom_fields["Create Date"].startswith("2022-")

    # The value map is saved with the mapping and used again.
    again = run("import", str(src), "--entity", "accounts", "--json", "--db", book,
                "--mapping", "hubspot")
    out = json.loads(again.stdout)
    assert again.returncode == 0, again.stderr
    assert out["error_count"] == 0 and out["unchanged"] == 20


def test_a_hubspot_export_needs_no_entity_and_values_are_typed_as_a_csm_types_them(
        tmp_path: Path) -> None:
    src = _hubspot(tmp_path / "hubspot-companies.csv")
    book = str(tmp_path / "b.sqlite")
    first = run("import", str(src), "--db", book, "--dry-run")
    assert "→ accounts (hubspot profile)" in first.stdout
    assert 'say what a value means with --map-value "Lifecycle Stage:Other=VALUE"' in first.stdout
    done = run("import", str(src), "--db", book, "--json",
               "--map-value", "lifecycle stage:other=Active",
               "--map-value", "LIFECYCLE STAGE:Lead=churned")
    out = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    assert (out["entity"], out["inserted"]) == ("accounts", 20)
    assert out["values"]["status"]["other"] == "active"
    missing = run("import", str(src), "--db", book, "--map-value", "Stage:Lead=active")
    assert missing.returncode == 2 and "(columns: Record ID, Company name" in missing.stderr


def test_a_churn_flag_is_the_status(tmp_path: Path) -> None:
    src = tmp_path / "saas-accounts.csv"
    src.write_text("account_id,account_name,signup_date,plan_tier,seats,churn_flag\n"
                   "A-1,Alpha,2023-01-09,Pro,40,False\n"
                   "A-2,Beta,2022-06-01,Basic,5,True\n", encoding="utf-8")
    book = str(tmp_path / "b.sqlite")
    done = run("import", str(src), "--entity", "accounts", "--json", "--db", book)
    out = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    assert out["mapping"]["churn_flag"] == "status"
    assert out["mapping"]["signup_date"] == "customer_since"
    with Database.open(resolve_database(book)) as db, db.read() as s:
        rows = {a.external_id: a for a in s.scalars(select(Account))}
        assert rows["A-1"].status == AccountStatus.ACTIVE
        assert rows["A-2"].status == AccountStatus.CHURNED
        assert str(rows["A-2"].customer_since) == "2022-06-01"


def test_bad_value_maps_are_usage_errors(tmp_path: Path) -> None:
    src = _hubspot(tmp_path / "h.csv")
    book = str(tmp_path / "b.sqlite")
    wrong = run("import", str(src), "--entity", "accounts", "--db", book,
                "--map-value", "Lifecycle Stage:Lead=prospect")
    assert wrong.returncode == 2 and "prospect" in wrong.stderr
    shape = run("import", str(src), "--entity", "accounts", "--db", book,
                "--map-value", "Lifecycle Stage=active")
    assert shape.returncode == 2 and "COLUMN:VALUE=VALUE" in shape.stderr
    not_choice = run("import", str(src), "--entity", "accounts", "--db", book,
                     "--map-value", "Company name:Acme=active")
    assert not_choice.returncode == 2 and "choices" in not_choice.stderr


def test_the_valid_rows_on_request_and_the_rest_in_the_error_file(tmp_path: Path) -> None:
    src = _hubspot(tmp_path / "hubspot-companies.csv")
    book = str(tmp_path / "b.sqlite")
    errors = tmp_path / "errors.csv"
    dry = run("import", str(src), "--entity", "accounts", "--db", book, "--skip-invalid",
              "--dry-run")
    assert dry.returncode == 0 and "18 would be inserted" in dry.stdout
    assert "the valid rows would be imported" in dry.stdout
    done = run("import", str(src), "--entity", "accounts", "--json", "--db", book,
               "--skip-invalid", "--errors", str(errors))
    out = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    assert (out["written"], out["inserted"], out["error_count"], out["rows_left_out"]) == \
        (True, 18, 2, 2)
    with errors.open(encoding="utf-8") as f:
        left = list(csv.DictReader(f))
    assert [r["Lifecycle Stage"] for r in left] == ["Other", "Lead"]
    with Database.open(resolve_database(book)) as db, db.read() as s:
        names = set(s.scalars(select(Account.external_id)))
    assert len(names) == 18 and "9000019" not in names and "9000020" in names
    again = run("import", str(src), "--entity", "accounts", "--db", book, "--skip-invalid")
    assert again.returncode == 0 and "no valid row had anything to change" in again.stdout
    fresh = run("import", str(src), "--entity", "accounts", "--db", str(tmp_path / "c.sqlite"),
                "--skip-invalid")
    assert fresh.returncode == 0 and "2 rows in error were left out, as asked" in fresh.stdout


def test_all_or_nothing_stays_the_default(tmp_path: Path) -> None:
    src = _hubspot(tmp_path / "h.csv")
    book = str(tmp_path / "b.sqlite")
    plain = run("import", str(src), "--entity", "accounts", "--db", book)
    assert plain.returncode == 1 and "--skip-invalid" in plain.stdout
    with Database.open(resolve_database(book)) as db, db.read() as s:
        assert list(s.scalars(select(Account.id))) == []


def test_prospects_are_left_out_by_their_value_not_as_errors(tmp_path: Path) -> None:
    src = _hubspot(tmp_path / "hubspot-companies.csv")
    book = str(tmp_path / "b.sqlite")
    done = run("import", str(src), "--db", book, "--json",
               "--map-value", "Lifecycle Stage:Lead=leave_out",
               "--map-value", "Lifecycle Stage:Other=skip")
    out = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    assert (out["inserted"], out["error_count"], out["rows_left_by_value"]) == (18, 0, 2)
    text = run("import", str(src), "--db", str(tmp_path / "c.sqlite"),
               "--map-value", "Lifecycle Stage:Lead=leave_out",
               "--map-value", "Lifecycle Stage:Other=leave_out")
    assert "2 rows were left out because of a value mapped to leave_out" in text.stdout


def test_a_value_kept_as_a_custom_field_imports_its_row_with_the_word_kept(
        tmp_path: Path) -> None:
    """HubSpot's Other is neither a status nor a reason to drop the company: read as
    keep_as_custom, the row comes in with the default status and the word in a custom field
    named after the column; an existing account keeps the status it had."""
    src = _hubspot(tmp_path / "hubspot-companies.csv")
    book = str(tmp_path / "b.sqlite")
    done = run("import", str(src), "--json", "--db", book,
               "--map-value", "Lifecycle Stage:Other=keep_as_custom",
               "--map-value", "Lifecycle Stage:Lead=leave_out")
    out = json.loads(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert out["inserted"] == 19 and out["rows_left_by_value"] == 1
    with Database.open(resolve_database(book)) as db, db.write() as s:
        rows = {a.external_id: a for a in s.scalars(select(Account))}
        other = rows["9000018"]
        assert other.status == AccountStatus.ACTIVE  # the default for a new account
        assert other.custom_fields["Lifecycle Stage"] == "Other"
        assert "Lifecycle Stage" not in rows["9000001"].custom_fields  # Customer: a status
        other.status = AccountStatus.CHURNED
    again = run("import", str(src), "--json", "--db", book,
                "--map-value", "Lifecycle Stage:Other=keep",
                "--map-value", "Lifecycle Stage:Lead=skip")
    assert again.returncode == 0, again.stdout + again.stderr
    with Database.open(resolve_database(book)) as db, db.read() as s:
        kept = s.scalars(select(Account).where(Account.external_id == "9000018")).one()
        assert kept.status == AccountStatus.CHURNED  # the book's status is not overwritten
