"""The real messy files in ../shared/data/messy-csv (csvkit and Salesforce Data Loader)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from csdesk.db import Database
from csdesk.errors import CsvReadError
from csdesk.io.reader import inspect_csv, iter_chunks
from csdesk.models import Account
from csdesk.services.sync.importer import ImportRequest, run_import
from tests.conftest import SHARED

MESSY = SHARED / "data" / "messy-csv"
pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(not MESSY.is_dir(), reason="../shared/data/messy-csv is not present"),
]

# What each file must give: its header, or the start of the error it must raise.
EXPECTED = {
    "csvkit/test_utf16_big.csv": ["a", "b", "c"],
    "csvkit/test_utf16_little.csv": ["a", "b", "c"],
    "csvkit/test_utf8_bom.csv": ["foo", "bar", "baz"],
    "csvkit/test_latin1.csv": ["a", "b", "c"],
    "csvkit/mac_newlines.csv": ["a", "b", "c"],
    "csvkit/test_skip_lines.csv": ["a", "b", "c"],
    "csvkit/null_byte.csv": "row 2: contains a NUL byte",
    "salesforce-dataloader/csvtext_BOM_UTF32BE.csv": ["column1", "column2", "column3"],
    "salesforce-dataloader/csvtext_BOM_UTF32LE.csv": ["column1", "column2", "column3"],
    "salesforce-dataloader/csvtext_BOM_UTF16LE.csv": ["column1", "column2", "column3"],
    "salesforce-dataloader/csvtext_BOM_UTF8.csv": ["column1", "column2", "column3"],
    "salesforce-dataloader/csvEscapedQuotes.csv": ["column1", "column2"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_known_files(name: str) -> None:
    path = MESSY / name
    expected = EXPECTED[name]
    if isinstance(expected, str):
        with pytest.raises(CsvReadError, match=expected):
            info = inspect_csv(path)
            list(iter_chunks(info))
        return
    info = inspect_csv(path)
    assert info.header == expected
    records = [r for c in iter_chunks(info) for r in c.records]
    assert records and all(len(r) >= 1 for r in records)
    text = " ".join(" ".join(r) for r in records)
    assert "\ufffd" not in text  # never garbage in silence


def test_every_file_parses_or_fails_clearly() -> None:
    for path in sorted(MESSY.rglob("*.csv")):
        try:
            info = inspect_csv(path)
            for _ in iter_chunks(info):
                pass
        except CsvReadError as exc:
            assert str(exc), path


def test_latin1_and_utf16_values_decode(tmp_path: Path) -> None:
    latin = [r for c in iter_chunks(inspect_csv(MESSY / "csvkit/test_latin1.csv"))
             for r in c.records]
    assert latin[-1][-1] == "©"
    utf16 = [r for c in iter_chunks(inspect_csv(MESSY / "csvkit/test_utf16_little.csv"))
             for r in c.records]
    assert utf16[-1][-1] == "ʤ"


def test_salesforce_upsert_template_imports_as_accounts(db: Database) -> None:
    path = MESSY / "salesforce-dataloader/upsertAccountCsvTemplate.csv"
    request = ImportRequest(path, entity="accounts",
                            overrides={"ACCOUNTNUMBER__C": "external_id", "NAME": "name"})
    result = run_import(db, request)
    assert result.error_count == 0 and result.inserted == 100
    assert result.mapping["WEBSITE"] == "domain"
    assert result.mapping["ORACLE_ID__C"] == "custom"  # kept, not dropped
    again = run_import(db, request)
    assert again.unchanged == 100


def test_salesforce_dates_with_time_zones(db: Database) -> None:
    path = MESSY / "salesforce-dataloader/dateWithTimeZone.csv"
    request = ImportRequest(path, entity="accounts",
                            overrides={"ACCOUNTNUMBER__C": "external_id", "NAME": "name",
                                       "DATE_ONLY": "customer_since"})
    result = run_import(db, request)
    assert result.error_count == 0, result.errors
    assert result.inserted == 2
    with db.read() as s:  # the calendar date as written, whatever the time zone
        since = dict(s.execute(select(Account.external_id, Account.customer_since)).all())
    assert since == {"ACCT_0": date(2010, 10, 14), "ACCT_1": date(2010, 10, 14)}
