"""The KPI panel's cards and trends: each KPI's value, its verdict against the benchmark
(``core.benchmarks.rate``) and a one-line definition, and the health bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.text import Text

from bookkeeper_tui.core.benchmarks import churn_note, rate
from bookkeeper_tui.screens.kpi_cards import GREEN_TREND, MRR_TREND, Trend
from bookkeeper_tui.widgets.render import money, pct

if TYPE_CHECKING:
    from bookkeeper_tui.core.kpi_panel import KpiPanel
    from bookkeeper_tui.screens.base import DataScreen

    _Screen = DataScreen
else:
    _Screen = object

BAR_COLOURS = (("green", "green"), ("yellow", "yellow"), ("red", "red"))


def fmt_nps(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.0f}" if value else "0"


def fmt_pct(value: float | None) -> str:
    return pct(value, 1)


class KpiCardsMixin(_Screen):
    """Mixed into ``KpiScreen``: the text of each card (``_card_<key>``) and the trends."""

    @staticmethod
    def _card(value: str, key: str, raw: float | None, *lines: Text | str) -> Text:
        verdict, colour = rate(key, raw)
        out = Text(value, style=f"bold {colour}" if raw is not None else "bold dim")
        if verdict:
            out.append(f"  {verdict}", style=colour)
        for line in lines:
            out.append("\n")
            out.append_text(line if isinstance(line, Text) else Text(line, style="dim"))
        return out

    def _card_nrr(self, k: KpiPanel) -> Text:
        if k.nrr is None:
            return self._no_data("No revenue at the start of the period: add MRR to accounts.")
        return self._card(
            fmt_pct(k.nrr),
            "nrr",
            k.nrr,
            f"starting cohort's MRR now / then ({money(k.starting_mrr)}); B2B median ≈ 106%",
        )

    def _card_grr(self, k: KpiPanel) -> Text:
        if k.grr is None:
            return self._no_data("No revenue at the start of the period: add MRR to accounts.")
        return self._card(
            fmt_pct(k.grr),
            "grr",
            k.grr,
            "like NRR without expansion: what you keep; ≥ 90% healthy",
        )

    def _card_logo_churn(self, k: KpiPanel) -> Text:
        if k.logo_churn is None:
            return self._no_data("No paying accounts at the start of the period.")
        # The benchmark is annual: the colour comes from the annualised value, and any
        # period but a year says so (docs/rules.md "Benchmarks").
        note = churn_note(k.period_days, k.logo_churn_annualised)
        lines = [f"{k.churned_logos} of {k.cohort_size} starting accounts left"]
        if note:
            lines.append(note)
        return self._card(
            fmt_pct(k.logo_churn),
            "logo_churn",
            k.logo_churn_annualised,
            *lines,
        )

    def _card_movements(self, k: KpiPanel) -> Text:
        net = k.new_mrr + k.reactivation_mrr + k.expansion_mrr - k.contraction_mrr - k.churned_mrr
        back = (
            [("  back ", "dim"), (f"+{money(k.reactivation_mrr)}", "green")]
            if k.reactivation_mrr
            else []
        )
        out = Text.assemble(
            ("new ", "dim"),
            (f"+{money(k.new_mrr)}", "green"),
            *back,
            ("  expansion ", "dim"),
            (f"+{money(k.expansion_mrr)}", "green"),
            "\n",
            ("contraction ", "dim"),
            (f"-{money(k.contraction_mrr)}", "red" if k.contraction_mrr else "dim"),
            ("  churn ", "dim"),
            (f"-{money(k.churned_mrr)}", "red" if k.churned_mrr else "dim"),
            "\n",
            ("MRR ", "dim"),
            f"{money(k.starting_mrr)} → ",
            (money(k.ending_mrr), "bold"),
            (f"  net {'+' if net >= 0 else '-'}{money(abs(net))}", "green" if net >= 0 else "red"),
        )
        return out

    def _card_expansion_share(self, k: KpiPanel) -> Text:
        if k.expansion_share is None:
            return self._no_data("No new or expansion MRR in this period.")
        return self._card(
            fmt_pct(k.expansion_share),
            "expansion_share",
            k.expansion_share,
            "expansion / (new + expansion): growth from customers you have",
        )

    def _card_nps(self, k: KpiPanel) -> Text:
        if k.nps is None:
            return self._no_data("No NPS answers in this period: log one with 'acme call nps 9'.")
        account, user = k.account_nps, k.user_nps
        detail = Text.assemble(
            ("account-level ", "dim"),
            (fmt_nps(account), "bold"),
            (" · user-level ", "dim"),
            (fmt_nps(user), "bold"),
        )
        n = k.nps_responses
        answers = Text(f"{n} answer{'' if n == 1 else 's'}", style="dim")
        if account is not None and user is not None and abs(account - user) >= 10:
            who = "buyers" if account > user else "end users"
            answers.append(f" · {who} happier", style="yellow")
        return self._card(fmt_nps(k.nps), "nps", k.nps, detail, answers)

    def _card_health(self, k: KpiPanel) -> Text | Group:
        h = k.health
        scored = k.accounts_scored
        if not scored:
            return self._no_data("No account has a health score yet: log usage or a call.")
        return Group(
            self._card(fmt_pct(h.green) + " green", "green", h.green),
            HealthBar({"green": h.green, "yellow": h.yellow, "red": h.red}),
            Text(f"{pct(h.yellow)} yellow, {pct(h.red)} red, {scored} scored", style="dim"),
        )

    def _card_qbr_completion(self, k: KpiPanel) -> Text:
        if k.qbr_completion is None:
            return self._no_data("No active enterprise accounts, so no QBRs are due.")
        return self._card(
            fmt_pct(k.qbr_completion),
            "qbr_completion",
            k.qbr_completion,
            "enterprise accounts with a QBR in the last quarter",
        )

    def _card_on_time_rate(self, k: KpiPanel) -> Text:
        if k.on_time_rate is None:
            return self._no_data("No touchpoints were due in this period.")
        return self._card(
            fmt_pct(k.on_time_rate),
            "on_time_rate",
            k.on_time_rate,
            "touchpoints due in the period done by their due date",
        )

    def _card_referral_rate(self, k: KpiPanel) -> Text:
        if k.referral_rate is None:
            return self._no_data(
                "No new accounts with a known source in this period (import a 'source' column)."
            )
        return self._card(
            fmt_pct(k.referral_rate),
            "referral_rate",
            k.referral_rate,
            "new accounts that came by referral (source known)",
        )

    @staticmethod
    def _no_data(hint: str) -> Text:
        return Text.assemble(("n/a", "bold dim"), "\n", (hint, "dim italic"))

    # -- trends -------------------------------------------------------------------------
    def _trends(self, k: KpiPanel) -> tuple[Trend, Trend]:
        """The Trends card's two columns: % green over time and MRR by month."""
        green = [(p.day, p.green) for p in k.green_trend if p.green is not None]
        if green:
            caption = Text(
                f"{pct(green[0][1])} → {pct(green[-1][1])} "
                f"(low {pct(min(g for _, g in green))}, high {pct(max(g for _, g in green))})"
                f"\n{green[0][0]} → {green[-1][0]}",
                style="dim",
            )
        else:
            caption = Text(
                "n/a: no health snapshots in this period (taken daily while the app runs).",
                style="dim italic",
            )
        months = k.mrr_by_month
        if months:
            mrr_caption = Text(
                # From the starting MRR S, the same number as the cards show.
                f"{money(k.starting_mrr)} → {money(months[-1].mrr)} "
                f"(low {money(min(m.mrr for m in months))})"
                f"\n{months[0].month} → {months[-1].month}, {len(months)} months",
                style="dim",
            )
        else:
            mrr_caption = Text("n/a: no revenue history in this period.", style="dim italic")
        return (
            Trend(GREEN_TREND, [g * 100 for _, g in green], caption),
            Trend(MRR_TREND, [float(m.mrr) for m in months], mrr_caption),
        )


class HealthBar:
    """A one-line bar split green / yellow / red by share, as wide as where it is drawn.

    A Rich renderable rather than a fixed string, so the bar fits its card at any width
    (and when a scrollbar appears) without the screen measuring anything.
    """

    def __init__(self, shares: dict[str, float]) -> None:
        self.shares = shares

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield health_bar(self.shares, options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)


def health_bar(shares: dict[str, float], width: int) -> Text:
    """The bar's text: segment widths follow the shares and add up to exactly *width*."""
    total = sum(shares.get(band, 0.0) for band, _ in BAR_COLOURS)
    if total <= 0 or width <= 0:
        return Text("░" * max(width, 0), style="dim")
    # Largest remainder: the three segments always fill the bar exactly.
    raw = [(shares.get(band, 0.0) / total * width, colour) for band, colour in BAR_COLOURS]
    cells = [(int(r), c) for r, c in raw]
    used = sum(n for n, _ in cells)
    order = sorted(range(len(raw)), key=lambda i: raw[i][0] - int(raw[i][0]), reverse=True)
    for i in order[: width - used]:
        cells[i] = (cells[i][0] + 1, cells[i][1])
    out = Text()
    for n, colour in cells:
        out.append("█" * n, style=colour)
    return out
