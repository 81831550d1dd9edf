"""`bookkeeper review [--month YYYY-MM] [-o FILE] [--format md|html] [--json]`."""

from __future__ import annotations

import argparse
from datetime import date

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    p = sub.add_parser(
        "review",
        parents=[common],
        help="the monthly review: retention trend, MRR waterfall, health, NPS, renewals, risks",
    )
    p.add_argument(
        "--month", metavar="YYYY-MM", help="the month to review (default: the last full month)"
    )
    p.add_argument("--format", choices=["md", "html"], default="md", help="md (default) or html")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (0600) instead of stdout")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="treat this day as today")
    p.add_argument("--json", action="store_true", help="print the review's data as JSON")
    p.set_defaults(handler=run_review)


def _today(args: argparse.Namespace) -> date:
    from bookkeeper_tui.cli.common import UsageError, _iso

    if args.as_of is None:
        return date.today()
    try:
        return _iso(args.as_of)
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"--as-of: {exc}") from None


def run_review(args: argparse.Namespace) -> int:
    from bookkeeper_tui.cli.common import UsageError, _dump
    from bookkeeper_tui.core import review as rv

    today = _today(args)
    if args.json and args.format != "md":
        raise UsageError("--json prints the data; drop --format, or drop --json for a report")
    if args.month is None:
        year, month = rv.shift_month(today.year, today.month, -1)
    else:
        try:
            year, month = rv.parse_month(args.month)
        except ValueError as exc:
            raise UsageError(f"--month: {exc}") from None
    if args.month is not None and date(year, month, 1) > today:
        # Said before the book is opened: nothing to read for a month not begun.
        raise UsageError(f"--month: {rv.month_problem(year, month, today, None)}")

    from bookkeeper_tui.cli.export import _open, _output
    from bookkeeper_tui.store import review as store_review

    book = _open(args)
    try:
        problem = rv.month_problem(year, month, today, store_review.first_start(book))
        if problem:
            raise UsageError(f"--month: {problem}" if args.month else problem)
        review = store_review.build(book, year, month)
    finally:
        book.close()
    if month_open := (rv.month_window(year, month)[1] >= today):
        review.notes.append(
            f"{review.month} is not over yet (today is {today.isoformat()}): its numbers "
            "will change until the month ends."
        )
    if args.json:
        data = rv.review_data(review)
        if args.output and args.output != "-":
            import json

            from bookkeeper_tui.cli.common import _finite, _json_default

            with _output(args.output) as out:
                json.dump(
                    _finite(data),
                    out,
                    indent=2,
                    default=_json_default,
                    ensure_ascii=False,
                    allow_nan=False,
                )
                out.write("\n")
        else:
            _dump(data)
            return EXIT_OK
    else:
        from bookkeeper_tui.io.review import to_html, to_markdown

        rendered = to_html(review) if args.format == "html" else to_markdown(review)
        with _output(args.output) as out:
            out.write(rendered)
    if args.output and args.output != "-":
        import sys

        what = "data" if args.json else "HTML" if args.format == "html" else "Markdown"
        partial = " (month not over yet)" if month_open else ""
        print(
            f"Wrote the {review.month} review ({what}){partial} to {args.output}.", file=sys.stderr
        )
    return EXIT_OK
