"""Who owns an account (team mode): owner names compared the way people type them.

A shared book's owners are typed by hand, in forms and CSV files: "Maya", "maya " and
"MAYA" are the same person. Owner names are compared casefolded with surrounding and
repeated whitespace ignored. An empty name is the cut "no owner": it matches the
accounts nobody owns (``None`` or only spaces).

Plain functions on plain strings: the store, the CLI and the screens share them, so
every view agrees on whose account is whose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def owner_key(name: str | None) -> str:
    """The form owner names are compared in: casefolded, whitespace collapsed."""
    return " ".join((name or "").split()).casefold()


def owner_matches(owner: str | None, who: str | None) -> bool:
    """Does an account owned by *owner* belong to the cut *who*?

    *who* None is the whole team (every account); an empty or blank *who* means the
    accounts with no owner.
    """
    if who is None:
        return True
    return owner_key(owner) == owner_key(who)


def owned_by(who: str | None) -> Callable[[str | None], bool]:
    """:func:`owner_matches` for one cut, fast over many rows: a book has few distinct
    owners, so each one is folded and compared once."""
    if who is None:
        return lambda _owner: True
    key = owner_key(who)
    seen: dict[str | None, bool] = {}

    def test(owner: str | None) -> bool:
        ok = seen.get(owner)
        if ok is None:
            ok = seen[owner] = owner_key(owner) == key
        return ok

    return test


def owner_label(who: str | None) -> str:
    """How a cut reads in a title: 'whole team', 'no owner' or the name as typed."""
    if who is None:
        return "whole team"
    key = " ".join(who.split())
    return key if key else "no owner"


def owner_cut_label(who: str) -> str:
    """An owner cut in a status line: 'owner maya', or 'no owner' (not 'owner no owner')."""
    label = owner_label(who)
    return label if label == "no owner" else f"owner {label}"


def distinct_owners(owners: Iterable[str | None]) -> list[str]:
    """Each owner once (the first spelling seen), sorted by name; unowned left out."""
    seen: dict[str, str] = {}
    for name in owners:
        key = owner_key(name)
        if key and key not in seen:
            seen[key] = " ".join((name or "").split())
    return sorted(seen.values(), key=owner_key)
