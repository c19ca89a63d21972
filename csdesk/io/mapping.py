"""Which CSV column feeds which field: CRM profiles, synonyms, then a fuzzy match.

Profiles recognise the common exports exactly (Salesforce Data Loader and report exports,
HubSpot, ChurnZero, Gainsight). The remaining columns are matched to each field's name and
synonyms, first exactly (ignoring case, spaces and punctuation), then with rapidfuzz. A field
takes at most one column; unmatched columns go to the record's custom fields.

Columns mean what the CRM means: a record's creation date is not "customer since" (HubSpot's
``Became a Customer Date`` is), and a company's annual revenue or head count is never ARR or
seats. Values are mapped as well as columns: a choice field (status, stage, ...) reads the
file's own words through a value map: the profile's (HubSpot's lifecycle stage ``Customer``
is an active account), a churn flag's (``TRUE`` is churned), then the user's
(``--map-value COLUMN:VALUE=VALUE``, saved with the mapping).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from csdesk.io.entities import ERROR_COLUMNS, EntitySpec

CUSTOM = "custom"  # mapping target: keep the column in custom_fields
IGNORE = "ignore"  # mapping target: do not import the column

PROFILES: dict[str, dict[str, dict[str, str]]] = {
    "salesforce": {
        "accounts": {
            "id": "external_id", "account id": "external_id", "name": "name",
            "account name": "name", "industry": "industry", "ownerid": "owner",
            "account owner": "owner", "parentid": "parent_external_id",
            "parent account id": "parent_external_id", "website": "domain",
            "billingcountry": "region", "billing country": "region",
            "lastactivitydate": "last_activity_on", "last activity": "last_activity_on",
        },
        "contacts": {
            "id": "external_id", "contact id": "external_id", "accountid": "account_external_id",
            "account id": "account_external_id", "name": "name", "full name": "name",
            "email": "email", "title": "title", "phone": "phone",
            "lastactivitydate": "last_contacted", "last activity": "last_contacted",
        },
        "opportunities": {
            "id": "external_id", "opportunity id": "external_id",
            "accountid": "account_external_id", "account id": "account_external_id",
            "name": "title", "opportunity name": "title", "stagename": "stage",
            "stage": "stage", "amount": "amount", "closedate": "close_date",
            "close date": "close_date", "iswon": "is_won", "won": "is_won", "type": "kind",
        },
    },
    "hubspot": {
        "accounts": {
            "record id": "external_id", "company name": "name", "company owner": "owner",
            "company domain name": "domain", "industry": "industry",
            "became a customer date": "customer_since", "country/region": "region",
            "parent company": "parent_external_id", "lifecycle stage": "status",
            "last activity date": "last_activity_on",
        },
        "contacts": {
            "record id": "external_id", "email": "email", "job title": "title",
            "phone number": "phone", "associated company id": "account_external_id",
            "last activity date": "last_contacted",
        },
    },
    "churnzero": {
        "accounts": {
            "accountexternalid": "external_id", "name": "name",
            "nextrenewaldate": "renewal_date", "totalcontractamount": "arr",
            "licensecount": "seats", "owneruseraccount": "owner", "startdate": "customer_since",
            "parentaccountexternalid": "parent_external_id", "industry": "industry",
            "isactive": "status",
        },
        "contacts": {
            "contactexternalid": "external_id", "accountexternalid": "account_external_id",
            "email": "email", "title": "title",
        },
    },
    "gainsight": {
        "accounts": {
            "gsid": "external_id", "company id": "external_id", "name": "name",
            "company name": "name", "arr": "arr", "mrr": "mrr", "csm": "owner",
            "renewal date": "renewal_date", "industry": "industry", "stage": "lifecycle_stage",
            "status": "status", "parent company": "parent_external_id",
            "original contract date": "customer_since",
        },
    },
    # Pendo's account list (People → Accounts → Actions → Download to CSV) and account
    # reports (Account Reports → export as CSV): one row per Account ID with its visitors'
    # usage over the report's time range (support.pendo.io "Accounts" 360031870892,
    # "Account reports" 360032202731, "Visitor Summary Page" 360032202811). No date
    # column: the snapshot is the export's day (a date column when there is one, else
    # --as-of). Days active, time on site and first/last visit have no usage field.
    "pendo": {
        "usage": {
            "account id": "account_external_id", "account": "account_external_id",
            "number of visitors": "active_users", "visitors": "active_users",
            "active visitors": "active_users",
            # Events are a total over the report's range, not one day's: stored as the
            # snapshot's key events they would read as a spike (a usage trend of 100 for a
            # falling account). Left out unless mapped by hand (--map).
            "number of events": IGNORE, "events": IGNORE, "days active": IGNORE,
            "time on site (minutes)": IGNORE,
            "time on site": IGNORE, "time on app (minutes)": IGNORE,
            "average daily time on site (minutes)": IGNORE, "first visit": IGNORE,
            "last visit": IGNORE, "account name": IGNORE, "display name": IGNORE,
            "account display name": IGNORE,
        },
    },
}

# What a CRM's own words in a choice column mean, per profile, entity and field. A value
# left out is asked for: HubSpot's Lead or Other on an account is not a customer's status.
PROFILE_VALUES: dict[str, dict[str, dict[str, dict[str, str]]]] = {
    "salesforce": {
        # Salesforce's default opportunity types: an upgrade is an upsell; a new customer's
        # deal, a renewal, a replacement or a downgrade is no expansion, so those rows are
        # left out (counted and reported; --map-value 'Type:New Customer=...' to keep them).
        "opportunities": {"kind": {"existing_customer_upgrade": "upsell",
                                   "new_customer": "leave_out",
                                   "existing_customer_renewal": "leave_out",
                                   "existing_customer_replacement": "leave_out",
                                   "existing_customer_downgrade": "leave_out"}},
    },
    "hubspot": {
        "accounts": {
            "status": {"customer": "active", "evangelist": "active"},
        },
    },
    # ChurnZero's IsActive flag.
    "churnzero": {"accounts": {"status": {"true": "active", "false": "churned"}}},
    # Gainsight's predefined company stages and statuses; "Will Churn" is a risk flag, not a
    # stage, so it is asked for.
    "gainsight": {
        "accounts": {
            "lifecycle_stage": {"new_customer": "onboarding", "kick_off": "onboarding",
                                "launched": "adoption", "adopting": "adoption"},
            "status": {"churn": "churned", "inactive": "churned"},
        },
    },
}

# A yes/no column mapped to the account's status is a churn flag.
CHURN_FLAG_VALUES = {"true": "churned", "yes": "churned", "y": "churned", "1": "churned",
                     "false": "active", "no": "active", "n": "active", "0": "active"}
CHURN_FLAG_COLUMNS = {"churnflag", "churned", "ischurned", "churn", "haschurned"}

# A value's reading that leaves its rows out of the import (a HubSpot Lead is not a
# customer): counted and reported, never an error.
LEAVE_OUT = "leave_out"
LEAVE_OUT_WORDS = {"leave_out", "skip", "ignore", "exclude", "drop"}
# A value's reading that imports its rows with the field left as it is (blank: the default
# for a new record) and the file's own word kept as a custom field under the column's name.
KEEP_CUSTOM = "keep_as_custom"
KEEP_CUSTOM_WORDS = {"keep_as_custom", "keep_custom", "custom", "keep"}

FUZZY_CUTOFF = 88


def value_key(text: str) -> str:
    """A choice value as csdesk compares it: case, spaces, dashes and slashes aside."""
    return re.sub(r"[\s\-/]+", "_", text.casefold()).strip("_")


def normalise(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", header.casefold())


@dataclass
class Mapping:
    """column → field name, ``custom`` or ``ignore``; plus how it was decided."""

    columns: dict[str, str]
    how: dict[str, str] = field(default_factory=dict)  # column → "profile"/"name"/"fuzzy"/...
    profile: str | None = None
    # field → {the file's value (as value_key reads it): the value csdesk stores}
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    # field → the further columns joined after its own, with a space (a contact's name
    # from a CRM's First Name and Last Name)
    joined: dict[str, list[str]] = field(default_factory=dict)
    # column → one value for every row, for a column the file lacks (a snapshot's date)
    constants: dict[str, str] = field(default_factory=dict)

    def mapped(self) -> dict[str, str]:
        """field → column for the columns mapped to a field."""
        return {f: c for c, f in self.columns.items() if f not in (CUSTOM, IGNORE)}


PROFILE_LABELS = {"salesforce": "Salesforce", "hubspot": "HubSpot", "churnzero": "ChurnZero",
                  "gainsight": "Gainsight", "pendo": "Pendo"}


def profile_label(profile: str) -> str:
    """A profile as its maker spells it (HubSpot, not Hubspot)."""
    return PROFILE_LABELS.get(profile, profile.title())


def confidence(how: str) -> str:
    """How sure a column's match is, from how it was made: ``sure`` (chosen, saved, a CRM
    profile's own column, an exact name or synonym), ``likely`` (a very similar name),
    ``check`` (a looser similarity) or ``""`` (no field: kept as a custom field)."""
    if how.startswith("similar name"):
        score = float(re.sub(r"[^0-9.]", "", how) or 0)
        return "likely" if score >= 94 else "check"
    if how in ("no matching field", "csdesk error report", "") or how.startswith("chosen: not"):
        return ""
    return "sure"


def detect_profile(spec: EntitySpec, header: list[str]) -> str | None:
    """The CRM profile whose known columns cover the most of this header (at least 3); none
    for csdesk's own export (its columns are csdesk's field names, read as they are)."""
    if detect_entity(header) == spec.name:
        return None
    low = {h.casefold() for h in header}
    best, best_hits = None, 2
    for name, entities in PROFILES.items():
        known = entities.get(spec.name, {})
        hits = len(low & set(known))
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def auto_map(spec: EntitySpec, header: list[str], *, profile: str | None = None,
             overrides: dict[str, str] | None = None,
             saved: dict[str, str] | None = None,
             value_overrides: dict[str, dict[str, str]] | None = None,
             saved_values: dict[str, dict[str, str]] | None = None) -> Mapping:
    """Map each column of ``header`` to a field of ``spec``, and the values of its choice
    columns to the field's choices.

    Precedence: explicit ``overrides`` (``--map COLUMN=FIELD``), then a ``saved`` mapping,
    then the CRM ``profile`` (detected when not given), then names and synonyms, then fuzzy.
    Values: the profile's, a churn flag's, the ``saved_values`` (field → value map), then
    ``value_overrides`` (column → value map, ``--map-value COLUMN:VALUE=VALUE``).
    """
    overrides = overrides or {}
    saved = saved or {}
    valid = set(spec.field_names) | {CUSTOM, IGNORE}
    for target in {**saved, **overrides}.values():
        if target not in valid:
            raise ValueError(f"{target!r} is not a field of {spec.name} "
                             f"(fields: {', '.join(spec.field_names)})")
    unknown = [c for c in overrides if c not in header]
    if unknown:
        raise ValueError(f"no column named {unknown[0]!r} in this file "
                         f"(columns: {', '.join(header)})")
    if profile is None:
        profile = detect_profile(spec, header)
    elif profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; one of: {', '.join(PROFILES)}")
    known = PROFILES.get(profile, {}).get(spec.name, {}) if profile else {}

    columns: dict[str, str] = {}
    how: dict[str, str] = {}
    taken: set[str] = set()

    def assign(col: str, target: str, reason: str) -> None:
        columns[col] = target
        how[col] = reason
        if target not in (CUSTOM, IGNORE):
            taken.add(target)

    for col in header:
        if col in ERROR_COLUMNS:
            assign(col, IGNORE, "csdesk error report")
        elif col in overrides:
            assign(col, overrides[col], "chosen")
        elif col in saved and saved[col] not in taken:
            assign(col, saved[col], "saved mapping")
    for col in header:
        if col in columns:
            continue
        found = known.get(col.casefold())
        if found and found not in taken:
            assign(col, found, f"{profile} profile")
    names: dict[str, str] = {}
    for f in spec.fields:
        for alias in (f.name, f.name.replace("_", " "), *f.synonyms):
            names.setdefault(normalise(alias), f.name)
    for col in header:
        if col in columns:
            continue
        # "ARR (USD)" and "Renewal Date (contract end)" are ARR and the renewal date: a
        # workbook's header often says its unit or meaning in brackets.
        found = names.get(normalise(col)) or names.get(normalise(re.sub(r"\(.*?\)|\[.*?\]",
                                                                        "", col)))
        if found and found not in taken:
            assign(col, found, "name")
    for col in header:
        if col in columns:
            continue
        key = normalise(col)
        best, score = None, 0.0
        for alias, target in names.items():
            if target in taken or len(key) < 3:
                continue
            s = fuzz.ratio(key, alias)
            if s > score:
                best, score = target, s
        if best is not None and score >= FUZZY_CUTOFF:
            assign(col, best, f"similar name ({score:.0f}%)")
        else:
            assign(col, CUSTOM if spec.custom_fields else IGNORE, "no matching field")
    for col in header:  # First Name alone is no name: a contact is named by both parts
        if normalise(col) in FIRST_NAME and "name" in spec.field_names \
                and "name" not in columns.values() and col not in overrides:
            assign(col, "name", "first and last name joined")
    mapping = Mapping(columns, how, profile)
    mapping.joined = _joined_name(mapping)
    mapping.values = _value_maps(spec, mapping, profile, value_overrides or {},
                                 saved_values or {})
    return mapping


FIRST_NAME = {"firstname", "givenname", "forename"}
LAST_NAME = {"lastname", "surname", "familyname"}


def _joined_name(mapping: Mapping) -> dict[str, list[str]]:
    """A name mapped from a first-name column takes the last-name column after it."""
    column = mapping.mapped().get("name")
    if column is None or normalise(column) not in FIRST_NAME:
        return {}
    last = [c for c, t in mapping.columns.items()
            if normalise(c) in LAST_NAME and t in (CUSTOM, IGNORE)]
    for c in last[:1]:
        mapping.columns[c] = IGNORE
        mapping.how[c] = "joined into name"
    return {"name": last[:1]} if last else {}


def _choice(text: str, choices: tuple[str, ...]) -> str:
    """A choice as typed ("Active", "mid market") read as the choice it names."""
    if value_key(text) in LEAVE_OUT_WORDS:
        return LEAVE_OUT
    if value_key(text) in KEEP_CUSTOM_WORDS:
        return KEEP_CUSTOM
    return next((c for c in choices if value_key(c) == value_key(text)), text.strip())


def _value_maps(spec: EntitySpec, mapping: Mapping, profile: str | None,
                overrides: dict[str, dict[str, str]], saved: dict[str, dict[str, str]]
                ) -> dict[str, dict[str, str]]:
    mapped = mapping.mapped()
    by_name = {c.casefold(): c for c in mapping.columns}
    merged: dict[str, dict[str, str]] = {}
    for column, given in overrides.items():
        merged.setdefault(by_name.get(column.casefold(), column), {}).update(given)
    overrides = merged
    for column in overrides:
        if column not in mapping.columns:
            raise ValueError(f"no column named {column!r} in this file "
                             f"(columns: {', '.join(mapping.columns)})")
        target = mapping.columns[column]
        if target not in mapped or spec.field(target).kind != "enum":
            raise ValueError(f"{column!r} is not mapped to a field with choices, so its "
                             "values cannot be mapped")
    out: dict[str, dict[str, str]] = {}
    for name, column in mapped.items():
        f = spec.field(name)
        if f.kind != "enum":
            continue
        values: dict[str, str] = {}
        values.update(PROFILE_VALUES.get(profile or "", {}).get(spec.name, {}).get(name, {}))
        if spec.name == "accounts" and name == "status" \
                and normalise(column) in CHURN_FLAG_COLUMNS:
            values.update(CHURN_FLAG_VALUES)
        values.update(saved.get(name, {}))
        values.update({value_key(v): _choice(t, f.choices)
                       for v, t in overrides.get(column, {}).items()})
        for value, target in values.items():
            if target not in f.choices and target not in (LEAVE_OUT, KEEP_CUSTOM):
                raise ValueError(f"cannot map {value!r} to {target!r}: {name} is one of "
                                 f"{', '.join(f.choices)}, or leave_out (leave its rows out)")
        if values:
            out[name] = values
    return out


def missing_required(spec: EntitySpec, mapping: Mapping, key: tuple[str, ...]) -> list[str]:
    mapped = mapping.mapped()
    need = [f.name for f in spec.fields if f.required] + list(key)
    if spec.name == "contacts" and "email" in key:
        need = [n for n in need if n != "external_id"]
    return sorted({n for n in need if n not in mapped})


def detect_entity(header: list[str]) -> str | None:
    """The entity whose csdesk export header this is, exactly (order aside)."""
    from csdesk.io.entities import ENTITIES

    cols = set(header) - set(ERROR_COLUMNS)
    for name, spec in ENTITIES.items():
        fields = set(spec.field_names)
        if cols and cols <= fields | {c for c in cols if c.startswith("custom.")} \
                and {f.name for f in spec.fields if f.required} <= cols \
                and len(cols & fields) >= max(2, len(fields) // 2):
            return name
    return None
