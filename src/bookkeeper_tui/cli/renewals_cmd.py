"""``renewals``: renewals coming up, ARR at stake, churn reasons, the forecast."""

from __future__ import annotations

from bookkeeper_tui.cli.common import (
    EXIT_OK,
    _band,
    _dump,
    _esc,
    _owner,
    _synced,
    _title_cut,
)


def _cmd_renewals(args) -> int:
    owner = _owner(args)
    desk = _synced(
        args, lambda book, day: book.renewals(day, args.within, since=args.since, owner=owner)
    )
    if args.json:
        from bookkeeper_tui.cli.shapes import renewal_desk_json

        _dump(renewal_desk_json(desk))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    con = Console()
    f = desk.forecast
    rows = desk.renewals
    con.print(
        f"[bold]Renewals[/] {desk.as_of} · next {desk.within_days} days{_title_cut(owner)}"
    )
    if not rows:
        con.print(
            f"No renewals in the next {desk.within_days} days. Try --within 120d, or set "
            "renewal dates on your accounts (import them, or e on an account in the app)."
        )
    else:
        con.print(
            f"  ARR at stake {f.arr_at_stake:,.0f} · expected retained "
            f"{f.expected_retained_arr:,.0f} [dim](risk-weighted by health band)[/]"
        )
        table = Table(title_justify="left")
        for col in ("renewal", "in", "account", "tier", "MRR", "ARR", "health", "last touch"):
            table.add_column(col, justify="right" if col in ("in", "MRR", "ARR") else "left")
        table.add_column("risks")
        for r in rows:
            last = r.last_touch
            table.add_row(
                r.renewal.isoformat(),
                f"{r.days_left}d",
                _esc(r.account),
                r.tier,
                f"{r.mrr:,.0f}",
                f"{r.arr:,.0f}",
                _band(r.health, r.band),
                f"{(desk.as_of - last).days}d ago" if last else "never",
                _esc(", ".join(x.label for x in r.risks)),
            )
        con.print(table)
    if desk.churn_reasons:
        con.print(f"[bold]Churn reasons[/] since {desk.since}")
        for c in desk.churn_reasons:
            con.print(f"  {c.count:>3} × {_esc(c.reason)} [dim](MRR {c.mrr:,.0f})[/]")
    if desk.accuracy:
        con.print("[bold]Forecast accuracy[/] [dim](forecast 90 days before vs kept)[/]")
        for m in desk.accuracy:
            con.print(
                f"  {m.month}  forecast {m.forecast_arr:>12,.0f}  kept "
                f"{m.actual_arr:>12,.0f}  [dim]{m.renewals} renewal"
                f"{'' if m.renewals == 1 else 's'}[/]"
            )
    return EXIT_OK
