"""``today``, ``accounts`` and ``show``: what is due, the book, one account.

``today`` answers from the file alone when it can (store/fast.py): this module imports
nothing heavy at module level, so that path never loads SQLAlchemy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bookkeeper_tui.cli.common import (
    EXIT_OK,
    _band,
    _clean,
    _dump,
    _esc,
    _open,
    _owned_hint,
    _owner,
    _synced,
    _title_cut,
    _today,
    _whose,
)

if TYPE_CHECKING:
    from bookkeeper_tui.core.account_view import AccountView, TimelineEntry


def _cmd_today(args) -> int:
    _owner(args)  # a --mine without `me` is bad usage: said before the book is opened
    rows = _today_fast(args)
    if rows is not None:
        return _print_today(None, args, rows)
    book = _open(args)
    try:
        return _show_today(book, args)
    finally:
        book.close()


def _today_fast(args) -> list | None:
    """Today's rows read with sqlite3 (or psycopg) alone, when that is exactly what the full
    path would print: the book was already brought up to this very day (store/fast.py), so
    the sync would change nothing. Saves importing SQLAlchemy and opening the book (issue
    16: `today --json` on a 10,000-account book). None: take the full path."""
    from bookkeeper_tui.store.fast import read_today
    from bookkeeper_tui.store.location import is_url, resolve_db

    as_of = _today(args)
    owner = _owner(args)
    location = resolve_db(args.db)
    try:
        rows = read_today(location, as_of, args.ahead, owner, exact_day=True)
    except Exception as exc:  # a damaged file, a new database...: the full path says it
        if is_url(location):
            from bookkeeper_tui.store.pg import unreachable

            if (problem := unreachable(location, exc)) is not None:
                raise problem from None  # a server away: now, not after a second timeout
        return None
    if not rows:  # the empty message may need the book (whose accounts are these?)
        return None
    return rows


def _show_today(book, args) -> int:
    as_of = _today(args)
    owner = _owner(args)
    book.sync(as_of)
    rows = book.today(as_of, ahead_days=args.ahead, owner=owner)
    return _print_today(book, args, rows)


def _print_today(book, args, rows) -> int:
    as_of = _today(args)
    owner = _owner(args)
    if args.json:
        _dump([r.as_json() for r in rows])
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    con = Console()
    if not rows:
        if owner is not None:
            con.print(f"Nothing due on {as_of} ({_whose(owner)}). {_owned_hint(book, owner)}")
            return EXIT_OK
        con.print(f"Nothing due on {as_of}. Enjoy the quiet, or run `bookkeeper accounts`.")
        return EXIT_OK
    table = Table(title=f"Today · {as_of}{_title_cut(owner)}", title_justify="left")
    for col in ("when", "account", "touchpoint", "tier", "health", "why"):
        table.add_column(col)
    for r in rows:
        when = (
            f"[red]{r.days_overdue}d overdue[/]"
            if r.days_overdue > 0
            else "[bold]today[/]"
            if r.days_overdue == 0
            else f"in {-r.days_overdue}d"
        )
        table.add_row(
            when,
            _esc(r.account),
            r.kind.replace("_", " "),
            r.tier,
            _band(r.health, r.band),
            _esc(r.note),
        )
    con.print(table)
    return EXIT_OK


def _cmd_accounts(args) -> int:
    as_of = _today(args)
    owner = _owner(args)
    hint = ""

    def work(book, day):
        nonlocal hint
        states = book.accounts(day, tier=args.tier, band=args.health, owner=owner)
        if not states and owner is not None:
            hint = _owned_hint(book, owner)
        return states

    states = _synced(args, work)
    if args.json:
        from bookkeeper_tui.cli.shapes import account_row_json

        _dump([account_row_json(st) for st in states])
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    con = Console()
    if not states:
        if owner is not None:
            con.print(f"No accounts match ({_whose(owner)}). {hint}")
            return EXIT_OK
        con.print(
            "No accounts match. Try without --tier/--health, or add one with `bookkeeper add`."
        )
        return EXIT_OK
    table = Table(title=f"Book · {as_of}{_title_cut(owner)}", title_justify="left")
    for col in ("account", "tier", "MRR", "health", "last touch", "next", "renewal", "flags"):
        table.add_column(col, justify="right" if col == "MRR" else "left")
    for st in states:
        acc = st.account
        nxt = st.next_touchpoint
        table.add_row(
            _esc(acc.name) + (" [dim](churned)[/]" if acc.status == "churned" else ""),
            acc.tier,
            f"{st.mrr:,.0f}",
            _band(st.health.score, st.health.band),
            f"{(as_of - st.last_touch).days}d ago" if st.last_touch else "never",
            f"{nxt.kind.replace('_', ' ')} {nxt.due}" if nxt else "",
            f"{(acc.renewal - as_of).days}d" if acc.renewal else "",
            ", ".join(f.label for f in st.flags),
        )
    con.print(table)
    return EXIT_OK


def _cmd_show(args) -> int:
    view = _synced(args, lambda book, as_of: book.show(" ".join(args.account), as_of))
    if args.json:
        from bookkeeper_tui.cli.shapes import account_view_json

        _dump(account_view_json(view))
        return EXIT_OK
    _print_account(view)
    return EXIT_OK


def _print_account(v: AccountView) -> None:
    from rich.console import Console

    from bookkeeper_tui.core.health import NOT_ENOUGH_DATA, stale_words, weight_words

    con = Console()
    h = v.health
    con.print(
        f"[bold]{_esc(v.name)}[/]  {v.tier} · MRR {v.mrr:,.0f} · "
        f"renewal {v.renewal or '-'} · owner {_esc(v.owner or '-')} · {v.status}"
    )
    con.print(f"Health {_band(h.score, h.band)}" + (" (manual override)" if h.overridden else ""))
    if h.score is None and v.status != "churned":
        con.print(f"  [dim]{NOT_ENOUGH_DATA}[/]")
    for c in h.components:
        con.print(
            f"  {c.name:<11} {c.value:>5.0f}  {weight_words(c.weight, c.share)}  {_esc(c.detail)}"
        )
    if h.missing:
        con.print(f"  [dim]unknown, no data yet (left out): {', '.join(h.missing)}[/]")
    for name, day in h.stale:
        con.print(f"  [dim]{name}: {stale_words(name, day)}[/]")
    for change in v.changes:
        con.print(f"  [dim]since last snapshot: {_esc(change)}[/]")
    if v.flags:
        con.print("Flags: " + "; ".join(_esc(f.detail) for f in v.flags))
    n = v.nps
    if n.flagged:
        con.print(
            f"NPS gap: buyers and champions {n.buyer_side_mean:.1f}"
            f" vs users {n.user_side_mean:.1f} (mean of each contact's latest answer)"
        )
    if v.first_value:
        con.print(f"First value {v.first_value} ({v.days_to_value} days after the start)")
    if v.onboarding:
        o = v.onboarding
        con.print(f"Onboarding {o.done}/{o.total} done ({round(o.share, 4) * 100:.0f}%)")
    if v.contacts:
        con.print("Contacts:")
        for c in v.contacts:
            scores = " ".join(f"{k} {value:g}" for k, value in c.scores)
            left = f" (left {c.left_on})" if c.left_on else ""
            con.print(f"  {_esc(c.name)} · {c.role}{left} {scores}")
    if v.touchpoints:
        con.print("Open touchpoints:")
        for t in v.touchpoints:
            con.print(f"  {t.due}  {t.kind.replace('_', ' ')}  [dim]{_esc(t.note)}[/]")
    _print_timeline(con, v.timeline)


def _print_timeline(con, timeline: tuple[TimelineEntry, ...]) -> None:
    """The account's last 50 events, churn words in red (``show``'s last part)."""
    from rich.text import Text

    from bookkeeper_tui.config import load_config
    from bookkeeper_tui.core.account_view import InteractionEntry, MrrEntry, ScoreEntry
    from bookkeeper_tui.core.signals import churn_spans

    con.print("Timeline:")
    words = load_config().churn_words
    for e in timeline[:50]:
        if isinstance(e, InteractionEntry):
            line = Text(f"  {e.day}  {e.kind:<10} ")
            body = Text(_clean(e.summary or e.notes))
            for start, end, _ in churn_spans(body.plain, words):
                body.stylize("bold red", start, end)
            line.append(body)
            if e.contact:
                line.append(f"  (with {_clean(e.contact)})", style="dim")
            con.print(line)
            for item in e.checklist:
                con.print(Text(f"{'':16}✓ {_clean(item)}", style="dim"))
        elif isinstance(e, ScoreEntry):
            con.print(f"  {e.day}  {e.kind:<10} {e.value:g}")
        elif isinstance(e, MrrEntry):
            con.print(f"  {e.day}  mrr        {e.before:,.0f} -> {e.after:,.0f} ({e.movement})")
        else:
            con.print(f"  {e.day}  [dim]{e.kind.replace('_', ' ')} {e.status}[/]")
    if len(timeline) > 50:
        con.print(f"  [dim]... {len(timeline) - 50} older entries (use --json for all)[/]")
