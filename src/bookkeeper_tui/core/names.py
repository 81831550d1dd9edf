"""How names are compared: one rule for the store's unique keys and the screens' matching."""

from __future__ import annotations


def name_key(name: str) -> str:
    """The key that makes account names unique case-insensitively (and space-insensitively)."""
    return " ".join(name.split()).casefold()
