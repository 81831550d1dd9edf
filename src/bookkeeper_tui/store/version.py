"""The schema version this code writes (light: read at start-up without SQLAlchemy)."""

SCHEMA_VERSION = 3
