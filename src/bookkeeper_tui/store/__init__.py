"""Persistence: engine, schema and migrations, and the Book query/command API."""
