"""``demo``, ``add`` and ``delete``: fill the book, create an account, delete one."""

from __future__ import annotations

import sys
from datetime import date

from bookkeeper_tui.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    _clean,
    _dump,
    _open,
    _today,
)


def _cmd_demo(args) -> int:
    from bookkeeper_tui.store.demo import build_demo

    book = _open(args)
    try:
        if not book.is_empty() and not args.force:
            print(
                f"bookkeeper: the book at {_clean(book.location)} already has accounts; "
                "use --force to replace it with the demo book",
                file=sys.stderr,
            )
            return EXIT_USAGE
        stats = build_demo(
            book,
            accounts=args.accounts,
            seed=args.seed,
            as_of=_today(args),
            progress=sys.stderr.isatty(),
        )
    finally:
        book.close()
    print(
        f"Demo book ready at {_clean(book.location)}: {stats['accounts']} accounts, "
        f"{stats['interactions']} interactions, {stats['touchpoints']} touchpoints "
        f"({stats['seconds']:.1f} s)."
    )
    return EXIT_OK


def _cmd_add(args) -> int:
    book = _open(args)
    try:
        acc = book.add_account(
            args.name,
            args.tier,
            args.start,
            renewal=args.renewal,
            mrr=args.mrr,
            owner=args.owner,
            industry=args.industry,
            external_id=args.external_id,
            source=args.source,
            plan_on=date.today(),  # one transaction: a failure saves nothing
        )
    finally:
        book.close()
    if args.json:
        _dump(
            {
                "name": acc.name,
                "tier": acc.tier,
                "start": acc.start,
                "renewal": acc.renewal,
                "mrr": args.mrr,
            }
        )
    else:
        mrr = f", MRR {args.mrr:,.0f}" if args.mrr is not None else ""
        print(f"Added {_clean(acc.name)} ({acc.tier}, from {acc.start}{mrr}).")
    return EXIT_OK


def _cmd_delete(args) -> int:
    from bookkeeper_tui.store.book import rows_said

    query = " ".join(args.account)
    book = _open(args)
    try:
        found = book.account_rows(query)  # an unknown account is an error either way
        if not args.yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    f"deleting '{_clean(found.account)}' needs confirmation; nothing was "
                    "deleted. Run it in a terminal to be asked, or add --yes"
                )
            prompt = (
                f"Delete {_clean(found.account)} and its {rows_said(found)}? "
                "This cannot be undone. [y/N] "
            )
            try:
                answer = input(prompt)
            except EOFError:
                answer = ""
            if answer.strip().casefold() not in ("y", "yes"):
                print("Nothing was deleted.")
                return EXIT_OK
        removed = book.delete_account(query)
    finally:
        book.close()
    if args.json:
        from bookkeeper_tui.cli.shapes import deleted_json

        _dump(deleted_json(removed))
    else:
        print(f"Deleted {_clean(removed.account)} and its {rows_said(removed)}.")
    return EXIT_OK
