"""Account matching: a file's account value read as an external id, a domain or a name."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from csdesk.db import Database
from csdesk.services.sync.importer import ImportRequest, run_import
from csdesk.services.sync.matching import match_accounts, normalise_domain, normalise_name

ACCOUNTS = [["Account ID", "Account Name", "Website"],
            ["ACC-1", "Acme, Inc.", "https://www.acme.com/"],
            ["ACC-2", "Globex GmbH", "globex.de"],
            ["ACC-3", "Initech LLC", ""],
            ["ACC-4", "Umbrella Ltd", "umbrella.example"],
            ["ACC-5", "Umbrella Limited", "umbrella-eu.example"],
            ["ACC-6", "Hooli", "hooli.example"],
            ["ACC-7", "Hooli XYZ", "HOOLI.example"]]


@pytest.mark.parametrize(("text", "domain"), [
    ("acme.com", "acme.com"), ("https://www.acme.com/", "acme.com"),
    ("HTTP://WWW.Acme.COM/pricing?x=1", "acme.com"), ("www.acme.com", "acme.com"),
    ("jane@acme.com", "acme.com"), ("app.acme.co.uk:8443/login", "app.acme.co.uk"),
    ("Acme Inc", None), ("ACC-1", None), ("", None), (None, None),
])
def test_a_domain_is_read_without_scheme_www_path_and_case(text: str | None,
                                                           domain: str | None) -> None:
    assert normalise_domain(text) == domain


@pytest.mark.parametrize(("text", "name"), [
    ("Acme, Inc.", "acme"), ("ACME Inc", "acme"), ("acme incorporated", "acme"),
    ("Globex GmbH", "globex"), ("Initech, L.L.C.", "initech"), ("Initech LLC", "initech"),
    ("Müller & Söhne AG", "muller and sohne"), ("The Co.", "the"), ("Inc", "inc"),
    ("Umbrella Corp Ltd", "umbrella"), ("  ", None), (None, None),
])
def test_a_name_is_read_without_case_punctuation_and_legal_suffixes(text: str | None,
                                                                    name: str | None) -> None:
    assert normalise_name(text) == name


def test_each_value_matches_by_id_then_domain_then_name_and_a_shared_one_matches_none(
        db: Database, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(ACCOUNTS)
    assert run_import(db, ImportRequest(path, entity="accounts")).inserted == 7
    values = ["ACC-2", "acme.com", "https://www.acme.com/", "ACME Inc", "initech", "Initech",
              "Umbrella", "hooli.example", "Foo Ltd", "Foo Ltd", "acc-2", "Acme Corp"]
    report = match_accounts(db, values)
    how = {v.value: (v.how, v.account, v.rows) for v in report.values}
    assert how == {
        "ACC-2": ("id", "Globex GmbH", 1),
        "acme.com": ("domain", "Acme, Inc.", 1),
        "https://www.acme.com/": ("domain", "Acme, Inc.", 1),
        "ACME Inc": ("name", "Acme, Inc.", 1),
        "initech": ("name", "Initech LLC", 1),
        "Initech": ("name", "Initech LLC", 1),
        "Umbrella": ("ambiguous", "", 1),  # Umbrella Ltd and Umbrella Limited: neither
        "hooli.example": ("ambiguous", "", 1),  # two accounts give this domain
        "Foo Ltd": ("not found", "", 2),
        "acc-2": ("not found", "", 1),  # ids are exact: case matters
        "Acme Corp": ("name", "Acme, Inc.", 1),  # one company whatever its legal form
    }
    umbrella = next(v for v in report.values if v.value == "Umbrella")
    assert umbrella.candidates == ("Umbrella Ltd", "Umbrella Limited")
    assert report.summary() == (
        "3 accounts matched by 7 values: 1 by id, 2 by domain, 4 by name; 2 not found: "
        "Foo Ltd (2 rows), acc-2 (1 row); 2 ambiguous: hooli.example (1 row, could be Hooli "
        "or Hooli XYZ), Umbrella (1 row, could be Umbrella Ltd or Umbrella Limited)")
