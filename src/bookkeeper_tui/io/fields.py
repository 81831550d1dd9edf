"""The import/export vocabulary: every kind, its fields, and the column names that map themselves.

One table shared by the importer and the exporter, so an exported file re-imports with
no ``--map`` (export column names are these field names).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    required: bool = False
    #: Column headers (case-insensitive, spaces/dashes as underscores) that map to it.
    synonyms: tuple[str, ...] = ()
    help: str = ""


KINDS: dict[str, tuple[Field, ...]] = {
    "accounts": (
        Field(
            "name",
            True,
            ("account_name", "company", "company_name", "account", "customer"),
            "the account's name (unique, case-insensitive)",
        ),
        Field(
            "external_id",
            False,
            ("account_id", "id", "customer_id", "crm_id"),
            "the id in your CRM or billing system",
        ),
        Field("tier", False, ("segment",), "enterprise, mid-market or smb (default: from MRR)"),
        Field(
            "start",
            False,
            ("signup_date", "start_date", "created", "created_at", "since"),
            "customer since (default: today)",
        ),
        Field("renewal", False, ("renewal_date", "renews", "contract_end")),
        Field("owner", False, ("csm", "account_owner", "success_owner")),
        Field("industry", False, ("sector", "vertical")),
        Field(
            "mrr",
            False,
            ("mrr_amount", "monthly_revenue"),
            "MRR from the start date for a new account; a change applies from the import day; "
            "ignored for accounts with subscriptions",
        ),
        Field("tags", False, ("labels",), "space- or comma-separated"),
        Field("source", False, ("referral_source", "lead_source", "channel")),
    ),
    "contacts": (
        Field("account", True, ("account_id", "account_name", "company")),
        Field("name", True, ("contact", "contact_name", "full_name", "person")),
        Field("email", False, ("email_address", "mail")),
        Field(
            "role",
            False,
            ("title_role", "persona"),
            "champion, economic_buyer (or buyer, eb), admin, end_user (or user) or other",
        ),
    ),
    "subscriptions": (
        Field("account", True, ("account_id", "account_name", "customer_id")),
        Field("start", True, ("start_date", "started", "starts")),
        Field("mrr", True, ("mrr_amount", "monthly_amount", "amount")),
        Field("end", False, ("end_date", "ended", "ends", "cancelled_at")),
        Field("external_id", False, ("subscription_id", "id")),
        Field("trial", False, ("is_trial",)),
    ),
    "interactions": (
        Field("account", True, ("account_id", "account_name")),
        Field("date", True, ("day", "when", "occurred_at", "churn_date", "timestamp")),
        Field("kind", False, ("type", "interaction_type")),
        Field("summary", False, ("subject", "title", "feedback_text")),
        Field("notes", False, ("body", "note", "description", "details", "reason_code")),
        Field("contact", False, ("contact_name", "with")),
        Field("external_id", False, ("interaction_id", "churn_event_id", "event_id", "id")),
    ),
    "scores": (
        Field("account", True, ("account_id", "account_name")),
        Field("date", True, ("day", "when", "answered_at", "submitted_at")),
        Field("kind", True, ("type", "score_type", "survey")),
        Field("value", True, ("score", "rating")),
        Field("contact", False, ("contact_name", "respondent")),
        Field("external_id", False, ("response_id", "id")),
    ),
    "tickets": (
        Field("account", True, ("account_id", "account_name")),
        Field("opened", True, ("submitted_at", "created_at", "opened_at", "created")),
        Field("closed", False, ("closed_at", "resolved_at", "solved_at")),
        Field("priority", False, ("severity",)),
        Field("csat", False, ("satisfaction_score", "satisfaction", "csat_score")),
        Field("external_id", False, ("ticket_id", "id")),
    ),
    "usage": (
        Field("account", False, ("account_id", "account_name")),
        Field("subscription", False, ("subscription_id",)),
        Field("date", True, ("usage_date", "day", "when")),
        Field("count", False, ("usage_count", "events", "uses")),
        Field("external_id", False, ("usage_id", "id")),
    ),
}


def field_names(kind: str) -> list[str]:
    return [f.name for f in KINDS[kind]]


def normalise_header(header: str) -> str:
    """'Account Name ' -> 'account_name' (how headers are compared)."""
    return "_".join(header.strip().lstrip("\ufeff").casefold().replace("-", " ").split())
