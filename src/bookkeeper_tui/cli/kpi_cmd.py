"""``kpi``: NRR, GRR, churn, NPS, health and QBRs, with benchmarks."""

from __future__ import annotations

from bookkeeper_tui.cli.common import (
    EXIT_OK,
    _dump,
    _esc,
    _owner,
    _synced,
)


def _cmd_kpi(args) -> int:
    owner = _owner(args)
    tier = None
    if args.tier is not None:
        from bookkeeper_tui.store.book import parse_tier

        tier = parse_tier(args.tier)
    k = _synced(args, lambda book, as_of: book.kpi(as_of, args.period, owner=owner, tier=tier))
    if args.json:
        from bookkeeper_tui.cli.shapes import kpi_json

        shape = kpi_json(k)
        if owner is not None or tier is not None:
            shape["cut"] = {"owner": owner, "tier": tier}
        _dump(shape)
        return EXIT_OK
    from rich.console import Console

    from bookkeeper_tui.core.benchmarks import churn_note, rate
    from bookkeeper_tui.core.owners import owner_cut_label

    con = Console()
    cut = ""
    if owner is not None:
        cut += f" · {_esc(owner_cut_label(owner))}"
    if tier is not None:
        cut += f" · tier {tier}"
    con.print(f"[bold]KPIs[/] {k.start} .. {k.end}{cut}")

    def row(label: str, key: str, value: str) -> None:
        verdict, colour = rate(key, getattr(k, key) if key != "green" else k.health.green)
        con.print(f"  {label:<22} [{colour}]{value:>10}[/]  [dim]{verdict}[/]")

    row("NRR", "nrr", _pct(k.nrr))
    row("GRR", "grr", _pct(k.grr))
    # The benchmark is annual: coloured by the annualised value, labelled for other periods.
    verdict, colour = rate("logo_churn", k.logo_churn_annualised)
    note = churn_note(k.period_days, k.logo_churn_annualised)
    con.print(f"  {'Logo churn':<22} [{colour}]{_pct(k.logo_churn):>10}[/]  [dim]{verdict}[/]")
    if note:
        con.print(f"  {'':<22} [dim]{note}[/]")
    con.print(f"  {'Starting MRR':<22} {k.starting_mrr:>10,.0f}")
    con.print(
        f"  {'MRR movements':<22} new {k.new_mrr:,.0f} · expansion {k.expansion_mrr:,.0f}"
        f" · reactivation {k.reactivation_mrr:,.0f}"
    )
    con.print(f"  {'':<22} contraction {k.contraction_mrr:,.0f} · churned {k.churned_mrr:,.0f}")
    row("Expansion share", "expansion_share", _pct(k.expansion_share))
    row("NPS", "nps", _num(k.nps))
    con.print(f"  {'Account vs user NPS':<22} {_num(k.account_nps):>10} vs {_num(k.user_nps)}")
    row("Accounts green", "green", _pct(k.health.green))
    con.print(
        f"  {'Health':<22} green {_pct(k.health.green)} · yellow "
        f"{_pct(k.health.yellow)} · red {_pct(k.health.red)}"
    )
    row("QBR completion (ent.)", "qbr_completion", _pct(k.qbr_completion))
    row("On-time touchpoints", "on_time_rate", _pct(k.on_time_rate))
    row("Referral rate", "referral_rate", _pct(k.referral_rate))
    return EXIT_OK


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.1f}%"


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0f}"
