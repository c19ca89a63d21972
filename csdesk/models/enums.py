"""The fixed vocabularies of the book of business, stored as their ``value`` strings."""

from __future__ import annotations

import enum


class Segment(enum.StrEnum):
    ENTERPRISE = "enterprise"
    MID_MARKET = "mid_market"
    SMB = "smb"
    SELF_SERVE = "self_serve"
    # No ARR known (an imported account with no contract): not Self-Serve, which would
    # claim the account is small.
    UNSEGMENTED = "unsegmented"

    @property
    def label(self) -> str:
        return {
            "enterprise": "Enterprise",
            "mid_market": "Mid-Market",
            "smb": "SMB",
            "self_serve": "Self-Serve",
            "unsegmented": "Unsegmented",
        }[self.value]


class EngagementModel(enum.StrEnum):
    HIGH_TOUCH = "high_touch"
    MID_TOUCH = "mid_touch"
    TECH_TOUCH = "tech_touch"
    COMMUNITY_TOUCH = "community_touch"

    @property
    def label(self) -> str:
        return self.value.replace("_", "-")


class LifecycleStage(enum.StrEnum):
    ONBOARDING = "onboarding"
    ADOPTION = "adoption"
    VALUE = "value"
    RENEWAL = "renewal"
    EXPANSION = "expansion"
    # An imported account whose file does not say where it is in its journey: never guessed
    # as onboarding (which would set off onboarding tasks for a customer of years).
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return "Stage unknown" if self is LifecycleStage.UNKNOWN else self.value.capitalize()


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    CHURNED = "churned"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Sentiment(enum.StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    UNKNOWN = "unknown"


class AdvocacyLevel(enum.StrEnum):
    """Advocacy maturity from the source texts: none → passive → active → strategic → evangelist."""

    NONE = "none"
    PASSIVE = "passive"
    ACTIVE = "active"
    STRATEGIC = "strategic"
    EVANGELIST = "evangelist"


class BillingFrequency(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"
    MULTI_YEAR = "multi_year"


class TicketPriority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    PENDING = "pending"
    CLOSED = "closed"


class SurveyKind(enum.StrEnum):
    NPS = "nps"
    CSAT = "csat"


class ActivityKind(enum.StrEnum):
    NOTE = "note"
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    QBR = "qbr"
    ONSITE = "onsite"


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class ObjectiveStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class MilestoneStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


class OwnerSide(enum.StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"


class RenewalTrack(enum.StrEnum):
    AUTO_RENEW = "auto_renew"
    STANDARD = "standard"
    AT_RISK = "at_risk"

    @property
    def label(self) -> str:
        return {"auto_renew": "Auto-renew", "standard": "Standard", "at_risk": "At risk"}[
            self.value]


class RenewalStage(enum.StrEnum):
    NOT_STARTED = "not_started"
    PREPARING = "preparing"
    NEGOTIATING = "negotiating"
    CLOSED = "closed"


class RenewalOutcome(enum.StrEnum):
    PENDING = "pending"
    RENEWED = "renewed"
    EXPANDED = "expanded"
    DOWNSOLD = "downsold"
    CHURNED = "churned"


class ChurnCategory(enum.StrEnum):
    CONTROLLABLE = "controllable"
    UNCONTROLLABLE = "uncontrollable"


class OpportunityKind(enum.StrEnum):
    UPSELL = "upsell"
    CROSS_SELL = "cross_sell"
    SEATS = "seats"


class OpportunityStage(enum.StrEnum):
    IDENTIFIED = "identified"
    QUALIFIED = "qualified"
    HANDED_TO_SALES = "handed_to_sales"
    WON = "won"
    LOST = "lost"


class HealthBand(enum.StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    SNOOZED = "snoozed"
    DISMISSED = "dismissed"


class Priority(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ImportStatus(enum.StrEnum):
    APPLIED = "applied"
    DRY_RUN = "dry_run"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REVERTED = "reverted"  # undone afterwards (csdesk revert-import): its changes are gone


class RateSource(enum.StrEnum):
    """Where an exchange rate came from: typed by hand (never overwritten by an import) or
    imported from a rates file."""

    TYPED = "typed"
    IMPORTED = "imported"


class HistorySource(enum.StrEnum):
    """Who changed a field: an import, or a hand edit in csdesk."""

    IMPORT = "import"
    EDIT = "edit"


class ProductStatus(enum.StrEnum):
    """Where the product team has a customer ask: from new to shipped (or won't do)."""

    NEW = "new"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SHIPPED = "shipped"
    WONT_DO = "wont_do"

    @property
    def label(self) -> str:
        return "Won't do" if self is ProductStatus.WONT_DO else \
            self.value.replace("_", " ").capitalize()


class RequestKind(enum.StrEnum):
    """What a customer's ask is: a new feature, a gap against what they need, or a bug
    that stands in their way like a gap."""

    FEATURE_REQUEST = "feature_request"
    PRODUCT_GAP = "product_gap"
    BUG = "bug"

    @property
    def label(self) -> str:
        return {"feature_request": "Feature request", "product_gap": "Product gap",
                "bug": "Bug (as a gap)"}[self.value]
