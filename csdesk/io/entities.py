"""What each importable entity's fields are: type, range, whether required, and synonyms.

The same specification drives the column mapping (synonyms), validation (kind, range,
required), the export (column order and names, which csdesk's own import maps exactly) and
the detection of the entity from a header.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TypedDict

import csdesk.models.enums as enums

# "id" | "text" | "currency" | "money" | "int" | "float" | "percent" | "bool" | "date" | "enum"
Kind = str


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    required: bool = False
    synonyms: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)  # enum text → value


@dataclass(frozen=True)
class EntitySpec:
    name: str
    label: str
    fields: tuple[FieldSpec, ...]
    keys: tuple[tuple[str, ...], ...]  # allowed upsert keys; the first is the default
    parent: bool = True  # rows belong to an account (account_external_id)
    custom_fields: bool = True  # unmapped columns are kept in custom_fields
    bulk: bool = False  # streamed in chunks (usage)

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _enum(enum_cls: type[enum.StrEnum], **aliases: str) -> tuple[tuple[str, ...], dict[str, str]]:
    return tuple(m.value for m in enum_cls), aliases


_SEG = _enum(enums.Segment, enterprise="enterprise", ent="enterprise", mm="mid_market",
             midmarket="mid_market", mid="mid_market", small_business="smb",
             selfserve="self_serve", self_service="self_serve", long_tail="self_serve")
_ENG = _enum(enums.EngagementModel, high="high_touch", mid="mid_touch", low="tech_touch",
             tech="tech_touch", digital="tech_touch", community="community_touch")
_STAGE = _enum(enums.LifecycleStage, onboard="onboarding", implementation="onboarding",
               adopt="adoption", mature="value", value_realization="value",
               renew="renewal", expand="expansion", growth="expansion")
_STATUS = _enum(enums.AccountStatus, customer="active", current="active", live="active",
                churn="churned", lost="churned", former_customer="churned", inactive="churned",
                cancelled="churned", canceled="churned")
_SENT = _enum(enums.Sentiment, happy="positive", good="positive", ok="neutral",
              bad="negative", unhappy="negative")
_ADV = _enum(enums.AdvocacyLevel)
_BILL = _enum(enums.BillingFrequency, month="monthly", year="annual", yearly="annual",
              annually="annual", quarter="quarterly", multiyear="multi_year")
_PRI = _enum(enums.TicketPriority, medium="normal", p1="urgent", p2="high", p3="normal",
             p4="low", critical="urgent")
_TSTAT = _enum(enums.TicketStatus, new="open", in_progress="pending", waiting="pending",
               on_hold="pending", solved="closed", resolved="closed", done="closed")
_SURVEY = _enum(enums.SurveyKind)
_ACT = _enum(enums.ActivityKind, phone="call", phone_call="call", mail="email", e_mail="email",
             on_site="onsite", visit="onsite", business_review="qbr", comment="note")
_TRACK = _enum(enums.RenewalTrack, auto="auto_renew", autorenew="auto_renew", risk="at_risk")
_RSTAGE = _enum(enums.RenewalStage)
_OUTCOME = _enum(enums.RenewalOutcome, open="pending", renewal="renewed", upsell="expanded",
                 expansion="expanded", contraction="downsold", downgrade="downsold",
                 churn="churned", lost="churned", cancelled="churned")
_CHURN = _enum(enums.ChurnCategory)
_OKIND = _enum(enums.OpportunityKind, upgrade="upsell", add_on="cross_sell", addon="cross_sell",
               new_product="cross_sell", licenses="seats", seat_expansion="seats")
_OSTAGE = _enum(enums.OpportunityStage, prospecting="identified", new="identified",
                qualification="qualified", needs_analysis="qualified",
                value_proposition="qualified", proposal="handed_to_sales",
                proposal_price_quote="handed_to_sales", negotiation="handed_to_sales",
                negotiation_review="handed_to_sales", closed_won="won", closed_lost="lost",
                # Salesforce's other default stages ("Id. Decision Makers", ...)
                **{"id._decision_makers": "qualified", "perception_analysis": "qualified"})

ACCOUNT_REF = FieldSpec("account_external_id", "id", True,
                        ("account id", "account external id", "accountid", "company id",
                         "account", "customer id", "account number", "accountexternalid"))


class _Bounds(TypedDict, total=False):
    """The numeric limits _f takes as keywords, for a set of fields that share them."""

    minimum: float | None
    maximum: float | None


def _f(name: str, kind: Kind, required: bool = False, *synonyms: str, minimum: float | None = None,
       maximum: float | None = None,
       enum: tuple[tuple[str, ...], dict[str, str]] | None = None) -> FieldSpec:
    choices, aliases = enum if enum else ((), {})
    return FieldSpec(name, kind, required, synonyms, minimum, maximum, choices, aliases)


ENTITIES: dict[str, EntitySpec] = {}


def _add(spec: EntitySpec) -> None:
    ENTITIES[spec.name] = spec


_add(EntitySpec("accounts", "Accounts", (
    _f("external_id", "id", True, "id", "account id", "record id", "crm id", "account number",
       "customer id", "company id"),
    _f("name", "text", True, "account name", "company name", "company", "customer",
       "customer name", "organization", "organisation"),
    _f("domain", "text", False, "website", "company domain name", "domain name", "url", "web"),
    _f("industry", "text", False, "sector", "vertical"),
    _f("region", "text", False, "territory", "geo", "country", "billing country"),
    _f("owner", "text", False, "csm", "account owner", "company owner", "owner id",
       "customer success manager", "owner name"),
    _f("segment_override", "enum", False, "segment", "tier", "customer tier", enum=_SEG),
    _f("engagement_model", "enum", False, "engagement", "touch model", "coverage model",
       enum=_ENG),
    _f("lifecycle_stage", "enum", False, "lifecycle", "stage", "journey stage", enum=_STAGE),
    _f("status", "enum", False, "account status", "customer status", "churn flag", "churned",
       "is churned", "has churned", enum=_STATUS),
    _f("churned_on", "date", False, "churn date", "churned date", "cancellation date"),
    # A CRM record's creation date ("Create Date", CreatedDate) is not when it became a
    # customer: it stays a custom field unless mapped by hand.
    _f("customer_since", "date", False, "start date", "customer since", "first contract date",
       "became a customer date", "signup date", "sign up date", "customer start date"),
    _f("parent_external_id", "id", False, "parent id", "parent account id", "parent account",
       "parent"),
    _f("first_value_date", "date", False, "first value", "time to value date", "go live date",
       "go-live date"),
    # A CRM's last logged activity with the company (HubSpot's Last Activity Date,
    # Salesforce's LastActivityDate): the account's last touch when the timeline has none later.
    _f("last_activity_on", "date", False, "last activity date", "last activity",
       "last activity on", "last engagement date", "last touch", "last contacted",
       "last contact date", "lastactivitydate"),
    _f("arr", "money", False, "annual recurring revenue", "total contract amount", "acv",
       "contract value", "current arr", minimum=0),
    _f("mrr", "money", False, "monthly recurring revenue", minimum=0),
    _f("renewal_date", "date", False, "next renewal date", "renewal", "contract end date",
       "end date"),
    _f("seats", "int", False, "licenses", "license count", "seat count", "licensed seats",
       minimum=0),
), keys=(("external_id",), ("domain",)), parent=False))

_add(EntitySpec("contacts", "Contacts", (
    _f("external_id", "id", False, "contact id", "id", "record id"),
    ACCOUNT_REF,
    _f("name", "text", True, "full name", "contact name", "contact"),
    _f("email", "text", False, "email address", "e-mail", "work email"),
    _f("title", "text", False, "job title", "role", "position"),
    _f("phone", "text", False, "phone number", "mobile"),
    _f("is_champion", "bool", False, "champion"),
    _f("is_executive_sponsor", "bool", False, "executive sponsor", "exec sponsor", "sponsor"),
    _f("is_economic_buyer", "bool", False, "economic buyer", "decision maker", "buyer"),
    _f("is_user", "bool", False, "user", "end user"),
    _f("sentiment", "enum", False, enum=_SENT),
    _f("advocacy_level", "enum", False, "advocacy", enum=_ADV),
    _f("last_contacted", "date", False, "last contact", "last contacted date", "last touch"),
    _f("left_company", "bool", False, "left", "no longer at company", "inactive"),
), keys=(("external_id",), ("email",))))

_add(EntitySpec("subscriptions", "Subscriptions", (
    _f("external_id", "id", True, "subscription id", "contract id", "id"),
    ACCOUNT_REF,
    _f("start_date", "date", True, "start", "contract start", "term start"),
    _f("end_date", "date", True, "end", "contract end", "term end", "renewal date"),
    _f("plan", "text", False, "product", "plan name", "edition"),
    _f("seats", "int", False, "licenses", "quantity", "license count", minimum=0),
    _f("arr", "money", True, "annual recurring revenue", "amount", "acv", minimum=0),
    _f("currency", "currency", False, "currency code", "curr"),
    _f("auto_renew", "bool", False, "auto renewal", "autorenew", "evergreen"),
    _f("billing_frequency", "enum", False, "billing", "billing period", enum=_BILL),
), keys=(("external_id",),)))

_USAGE_INT: _Bounds = {"minimum": 0}
_add(EntitySpec("usage", "Usage (one row per account and date)", (
    ACCOUNT_REF,
    _f("date", "date", True, "day", "week", "snapshot date", "usage date", "period"),
    _f("active_users", "int", False, "active users", "dau", "wau", "mau", "users active",
       **_USAGE_INT),
    _f("licensed_seats", "int", False, "seats", "licenses", "license count", **_USAGE_INT),
    _f("key_events", "int", False, "key events", "value events", "events", "messages",
       **_USAGE_INT),
    _f("features_used", "int", False, "features", "feature count", "breadth", **_USAGE_INT),
    _f("logins", "int", False, "sessions", "login count", **_USAGE_INT),
), keys=(("account_external_id", "date"),), custom_fields=False, bulk=True))

_add(EntitySpec("feature_events", "Feature events (aggregated per account, date, feature)", (
    ACCOUNT_REF,
    _f("date", "date", True, "timestamp", "event date", "day", "occurred at"),
    _f("feature", "text", True, "feature name", "event", "event name", "module"),
    _f("usage_count", "int", False, "count", "usage", "uses", minimum=0),
    _f("duration_seconds", "float", False, "duration", "seconds", "time spent", minimum=0),
    _f("errors", "int", False, "error count", "failures", minimum=0),
), keys=(("account_external_id", "date", "feature"),), custom_fields=False, bulk=True))

_add(EntitySpec("tickets", "Support tickets", (
    _f("external_id", "id", True, "ticket id", "case id", "case number", "id"),
    ACCOUNT_REF,
    _f("subject", "text", True, "title", "summary", "description"),
    _f("opened_on", "date", True, "created", "created date", "opened", "date opened"),
    _f("closed_on", "date", False, "closed", "closed date", "resolved", "date closed"),
    _f("priority", "enum", False, "severity", enum=_PRI),
    _f("status", "enum", False, "state", enum=_TSTAT),
    _f("is_escalation", "bool", False, "escalated", "escalation"),
), keys=(("external_id",),)))

_add(EntitySpec("surveys", "Survey responses (NPS / CSAT)", (
    _f("external_id", "id", False, "response id", "survey id", "id"),
    ACCOUNT_REF,
    _f("kind", "enum", False, "survey", "survey type", "type", enum=_SURVEY),
    _f("score", "int", True, "nps", "nps score", "csat", "rating", "answer", minimum=0,
       maximum=10),
    _f("responded_on", "date", True, "date", "response date", "submitted", "submitted at"),
    _f("comment", "text", False, "comments", "feedback", "verbatim", "reason"),
    _f("contact_email", "text", False, "email", "respondent", "respondent email"),
), keys=(("external_id",), ("account_external_id", "responded_on", "kind", "score"))))

_add(EntitySpec("activities", "Activities", (
    _f("external_id", "id", False, "activity id", "id"),
    ACCOUNT_REF,
    _f("kind", "enum", True, "type", "activity type", "channel", enum=_ACT),
    _f("occurred_on", "date", True, "date", "activity date", "when"),
    _f("summary", "text", True, "subject", "title"),
    _f("details", "text", False, "notes", "description", "body"),
    _f("proactive", "bool", False, "is proactive"),
    _f("owner", "text", False, "csm", "assigned to", "owner name"),
), keys=(("external_id",), ("account_external_id", "occurred_on", "kind", "summary"))))

_add(EntitySpec("renewals", "Renewals", (
    _f("external_id", "id", False, "renewal id", "id"),
    ACCOUNT_REF,
    _f("renewal_date", "date", True, "renewal", "date", "close date"),
    _f("current_arr", "money", True, "arr", "current arr", "amount", minimum=0),
    _f("forecast_arr", "money", False, "forecast", "expected arr", minimum=0),
    _f("new_arr", "money", False, "renewed arr", "new amount", minimum=0),
    _f("currency", "currency", False, "currency code"),
    _f("likelihood", "percent", False, "probability", "renewal probability", minimum=0,
       maximum=1),
    _f("track", "enum", False, "renewal track", enum=_TRACK),
    _f("stage", "enum", False, "renewal stage", enum=_RSTAGE),
    _f("outcome", "enum", False, "result", "status", enum=_OUTCOME),
    _f("closed_on", "date", False, "closed", "closed date"),
    _f("churn_reason_code", "text", False, "churn reason", "reason", "loss reason"),
    _f("churn_category", "enum", False, "reason category", enum=_CHURN),
    _f("notes", "text", False, "comments", "description"),
), keys=(("external_id",), ("account_external_id", "renewal_date"))))

_add(EntitySpec("opportunities", "Expansion opportunities", (
    _f("external_id", "id", True, "opportunity id", "id", "deal id"),
    ACCOUNT_REF,
    _f("title", "text", True, "name", "opportunity name", "deal name"),
    _f("kind", "enum", False, "type", "opportunity type", enum=_OKIND),
    _f("signal", "text", False, "reason", "description"),
    _f("amount", "money", False, "value", "deal amount", minimum=0),
    _f("currency", "currency", False, "currency code"),
    _f("stage", "enum", False, "stage name", "deal stage", enum=_OSTAGE),
    _f("close_date", "date", False, "expected close date", "close"),
    _f("is_won", "bool", False, "won", "closed won"),
    _f("handed_to_sales_on", "date", False, "handoff date", "handed to sales"),
    _f("handed_to", "text", False, "sales owner", "account executive", "ae"),
), keys=(("external_id",),)))

_add(EntitySpec("rates", "Exchange rates (to the base currency, by day)", (
    _f("currency", "currency", True, "currency code", "code", "from currency"),
    _f("day", "date", True, "date", "as of", "valid from", "effective date", "rate date"),
    _f("rate_to_base", "float", True, "rate", "rate to base", "exchange rate", "fx rate",
       "conversion rate", minimum=0.000001),
    _f("source", "enum", False, "rate source",
       enum=(("typed", "imported"), {"manual": "typed", "by hand": "typed"})),
), keys=(("currency", "day"),), parent=False, custom_fields=False))

# Dependency order for a whole-book import (accounts first, then what refers to them).
IMPORT_ORDER = ("rates", "accounts", "contacts", "subscriptions", "renewals", "opportunities",
                "usage", "feature_events", "tickets", "surveys", "activities")

# Columns that csdesk's own error report adds; never imported.
ERROR_COLUMNS = ("csdesk_row", "csdesk_errors")


def entity(name: str) -> EntitySpec:
    try:
        return ENTITIES[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}; one of: {', '.join(ENTITIES)}") from None
