"""Column mapping: CRM profiles, synonyms, fuzzy names, overrides, custom fields."""

from __future__ import annotations

import pytest

from csdesk.io.entities import ENTITIES, entity
from csdesk.io.mapping import CUSTOM, IGNORE, auto_map, detect_entity
from csdesk.services.sync.export import export_fields


def test_salesforce_data_loader_accounts() -> None:
    header = ["ID", "NAME", "INDUSTRY", "ANNUALREVENUE", "OWNERID", "TYPE", "PARENTID",
              "WEBSITE", "CREATEDDATE"]
    m = auto_map(entity("accounts"), header)
    assert m.profile == "salesforce"
    assert m.columns["ID"] == "external_id"
    assert m.columns["OWNERID"] == "owner"
    assert m.columns["PARENTID"] == "parent_external_id"
    # The record's creation date is not when the company became a customer (issue 17).
    assert m.columns["CREATEDDATE"] == CUSTOM
    # Company revenue is not ARR: it is kept, as a custom field.
    assert m.columns["ANNUALREVENUE"] == CUSTOM


def test_salesforce_opportunities() -> None:
    header = ["ID", "ACCOUNTID", "NAME", "STAGENAME", "AMOUNT", "CLOSEDATE", "ISWON"]
    m = auto_map(entity("opportunities"), header)
    assert m.mapped() == {"external_id": "ID", "account_external_id": "ACCOUNTID",
                          "title": "NAME", "stage": "STAGENAME", "amount": "AMOUNT",
                          "close_date": "CLOSEDATE", "is_won": "ISWON"}


def test_hubspot_churnzero_gainsight() -> None:
    hub = auto_map(entity("accounts"), ["Record ID", "Company name", "Company owner",
                                        "Company Domain Name", "Industry", "Create Date"])
    assert hub.profile == "hubspot" and hub.columns["Company Domain Name"] == "domain"
    cz = auto_map(entity("accounts"), ["accountExternalId", "Name", "NextRenewalDate",
                                       "TotalContractAmount", "LicenseCount",
                                       "OwnerUserAccount", "StartDate", "EndDate",
                                       "ParentAccountExternalId"])
    assert cz.profile == "churnzero"
    assert cz.columns["TotalContractAmount"] == "arr"
    assert cz.columns["NextRenewalDate"] == "renewal_date"
    assert cz.columns["EndDate"] == CUSTOM  # renewal date already taken: kept, not dropped
    gs = auto_map(entity("accounts"), ["GSID", "Name", "ARR", "MRR", "CSM", "Renewal Date"])
    assert gs.profile == "gainsight" and gs.columns["CSM"] == "owner"


def test_synonyms_fuzzy_and_overrides() -> None:
    m = auto_map(entity("usage"), ["Account Id", "Snapshot Date", "Active Userz", "Seats",
                                   "Mystery"])
    assert m.columns["Account Id"] == "account_external_id"
    assert m.columns["Active Userz"] == "active_users"  # fuzzy
    assert m.how["Active Userz"].startswith("similar name")
    assert m.columns["Mystery"] == IGNORE  # usage keeps no custom fields
    m2 = auto_map(entity("usage"), ["Account Id", "Snapshot Date", "Mystery"],
                  overrides={"Mystery": "logins"})
    assert m2.columns["Mystery"] == "logins"
    with pytest.raises(ValueError, match="not a field of usage"):
        auto_map(entity("usage"), ["a"], overrides={"a": "nonsense"})
    with pytest.raises(ValueError, match="no column named"):
        auto_map(entity("usage"), ["a"], overrides={"b": "logins"})


@pytest.mark.parametrize("name", list(ENTITIES))
def test_own_export_header_identifies_its_entity(name: str) -> None:
    header = [f.name for f in export_fields(entity(name))]
    assert detect_entity([*header, "custom.Support minutes"]) == name
    assert auto_map(entity(name), header).mapped() == {h: h for h in header}


def test_churnzero_and_gainsight_profiles_read_their_own_fields_and_values() -> None:
    from csdesk.io.entities import ENTITIES
    from csdesk.io.mapping import auto_map

    cz = auto_map(ENTITIES["accounts"], ["AccountExternalId", "Name", "TotalContractAmount",
                                         "NextRenewalDate", "LicenseCount", "StartDate",
                                         "OwnerUserAccount", "IsActive", "EndDate"])
    assert cz.profile == "churnzero"
    assert cz.mapped() == {"external_id": "AccountExternalId", "name": "Name",
                           "arr": "TotalContractAmount", "renewal_date": "NextRenewalDate",
                           "seats": "LicenseCount", "customer_since": "StartDate",
                           "owner": "OwnerUserAccount", "status": "IsActive"}
    assert cz.values["status"] == {"true": "active", "false": "churned"}
    assert cz.columns["EndDate"] == "custom"  # the contract's end is not the next renewal
    gs = auto_map(ENTITIES["accounts"], ["GSID", "Name", "ARR", "CSM", "Stage", "Status",
                                         "Renewal Date", "Original Contract Date", "Employees",
                                         "Created Date"])
    assert gs.profile == "gainsight"
    assert gs.columns["Original Contract Date"] == "customer_since"
    assert gs.columns["Created Date"] == "custom" and gs.columns["Employees"] == "custom"
    assert gs.values["lifecycle_stage"]["kick_off"] == "onboarding"
    assert "will_churn" not in gs.values["lifecycle_stage"]


def test_a_header_that_says_its_unit_in_brackets_is_matched_by_its_name() -> None:
    from csdesk.io.entities import ENTITIES
    from csdesk.io.mapping import auto_map

    m = auto_map(ENTITIES["accounts"], ["Account ID", "Account Name", "ARR (USD)",
                                        "Renewal Date (contract end)", "Seats [licensed]",
                                        "Notes (internal)"])
    assert m.mapped() == {"external_id": "Account ID", "name": "Account Name", "arr": "ARR (USD)",
                          "renewal_date": "Renewal Date (contract end)",
                          "seats": "Seats [licensed]"}
    assert m.columns["Notes (internal)"] == "custom"
