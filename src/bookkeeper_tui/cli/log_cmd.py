"""``log``: record a quick-log line (docs/interfaces.md has its grammar)."""

from __future__ import annotations

import math

from bookkeeper_tui.cli.common import (
    EXIT_OK,
    UsageError,
    _clean,
    _config,
    _dump,
    _synced,
    _today,
)


def _log_fast(args):
    """The line recorded with sqlite3 alone when that is exactly what the full path would
    do (store/fast_log.py: a plain line on a book already brought up to the day), without
    importing SQLAlchemy (issue 16: `log` on a 10,000-account book). None: the full path."""
    from bookkeeper_tui.store.fast_log import log_fast
    from bookkeeper_tui.store.location import resolve_db

    return log_fast(
        resolve_db(args.db),
        " ".join(args.line),
        _today(args),
        _config(),
        yes=args.yes,
        checklist=args.check,
    )


def _cmd_log(args) -> int:
    def work(book, today):
        parsed = book.parse(" ".join(args.line), today)
        if parsed.account_match == "fuzzy" and not args.yes:
            # A typo must never write silently to another account.
            raise UsageError(
                f"did you mean {_clean(parsed.account)}? No account starts with what you "
                "typed, so nothing was saved; fix the account name, or add --yes to log "
                f"it to {_clean(parsed.account)}"
            )
        return book.record(parsed, today, checklist=args.check)

    res = _log_fast(args)
    if res is None:
        res = _synced(args, work)
    if args.json:
        _dump(res.as_json())
        return EXIT_OK
    parts = [f"Saved {res.kind} with {_clean(res.account)} on {res.day}"]
    if res.contact:
        parts.append(f"contact {_clean(res.contact)}" + (" (new)" if res.contact_created else ""))
    parts += [f"{k.upper()} {v}" for k, v in res.scores]
    if res.mrr_after is not None:
        parts.append(f"MRR {res.mrr_before:,.0f} -> {res.mrr_after:,.0f}")
    print("; ".join(parts) + ".")
    if res.summary:
        print(f'  "{_clean(res.summary)}"')
    for line in res.relationship_lines():
        print(f"  {_clean(line)}")
    for kind, due in res.completed:
        print(f"  completed: {kind.replace('_', ' ')} (due {due})")
    for kind, due, origin in res.created:
        print(f"  new touchpoint: {kind.replace('_', ' ')} due {due} ({origin})")
    if res.next:
        print(f"  next: {res.next[0].replace('_', ' ')} on {res.next[1]}")
    if res.outcome is not None:
        o = res.outcome
        line = f"  renewal of {o['renewal']}: {o['outcome']}"
        if o["next_renewal"] is not None:
            line += f"; next renewal {o['next_renewal']} ({o['term_months']}-month term)"
        print(line)
    if res.churn_terms:
        print(f"  churn language: {_clean(', '.join(res.churn_terms))}")
    if res.checklist:
        print(f"  checked: {'; '.join(_clean(i) for i in res.checklist)}")
    if res.band:
        print(f"  health {math.floor(res.health)} ({res.band})")
    return EXIT_OK
