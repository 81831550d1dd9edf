"""The schema version this code writes (light: read at start-up without SQLAlchemy)."""

SCHEMA_VERSION = 4

#: A stored schema version above this is not a newer Bookkeeper's but a damaged value.
MAX_PLAUSIBLE_VERSION = 10_000

_V1_TABLES = frozenset(
    {"meta", "account", "contact", "interaction", "touchpoint", "score", "mrr_level"}
    | {"health_snapshot"}
)
#: The tables a book of each schema version has (a book missing one is damaged).
TABLES: dict[int, frozenset[str]] = {
    1: _V1_TABLES,
    2: _V1_TABLES | {"subscription", "ticket", "usage_event"},
    3: _V1_TABLES | {"subscription", "ticket", "usage_event", "renewal_outcome"},
    # Version 4 added indexes only (the KPI panel's).
    4: _V1_TABLES | {"subscription", "ticket", "usage_event", "renewal_outcome"},
}


def parse_version(raw: object) -> tuple[int | None, str | None]:
    """The schema version stored as *raw* in ``meta``, or (None, why it is invalid)."""
    try:
        version = int(str(raw).strip())
    except ValueError:
        version = None
    if version is None or not 1 <= version <= MAX_PLAUSIBLE_VERSION:
        shown = str(raw)[:40]
        return None, (
            f"the book's schema version '{shown}' is invalid (it should be a whole number "
            f"from 1 up, {SCHEMA_VERSION} for this Bookkeeper); the book is damaged"
        )
    return version, None


def missing_tables(version: int, tables: set[str]) -> list[str]:
    """The tables a book of *version* should have but *tables* lacks (sorted)."""
    return sorted(TABLES.get(version, frozenset()) - tables)


def missing_tables_problem(missing: list[str]) -> str:
    what = "table" if len(missing) == 1 else "tables"
    return f"the book is missing its {', '.join(missing)} {what}; the book is damaged"
