"""KPIs: is the book growing, keeping its customers, and being looked after?

One card per KPI of docs/domain.md, each with its value, a verdict coloured against the
benchmarks (``core.benchmarks.rate``) and a one-line definition, so a number never stands
alone. ``9`` shows the last 90 days, ``y`` the last 12 months (the default) and ``c`` asks
for any period (``6m``, ``30d``, ``2y``). ``o`` cuts the book by owner (whole team, me,
each other owner, no owner) and ``T`` by tier: the cards are then those of a book holding
only those accounts (``Book.kpi``). The panel opens on the whole team: these are the
company's numbers. KPIs are computed in a worker thread because a big book takes a
moment; a loading indicator covers the cards meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Header, Input, Sparkline, Static

from bookkeeper_tui.config import DEFAULT_KPI_PERIOD
from bookkeeper_tui.core.benchmarks import churn_note, rate
from bookkeeper_tui.core.kpi import period_start
from bookkeeper_tui.core.owners import owner_cut_label, owner_key, owner_label
from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.screens import commands
from bookkeeper_tui.screens.base import DataScreen
from bookkeeper_tui.store.book import BookError
from bookkeeper_tui.widgets.render import money, pct
from bookkeeper_tui.widgets.safe_input import SafeInput

DEFAULT_PERIOD = DEFAULT_KPI_PERIOD
UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}
#: Card width the grid aims for; the number of columns follows the terminal width.
CARD_WIDTH = 38
BAR_COLOURS = (("green", "green"), ("yellow", "yellow"), ("red", "red"))
#: Definitions short enough for a card's bottom border.
SUBTITLES = {"nps": "% promoters - % detractors", "health": "accounts by health band"}


def period_label(period: str) -> str:
    """'12m' -> '12 months', '1w' -> '1 week'."""
    p = period.strip().lower()
    n, unit = int(p[:-1]), UNITS[p[-1]]
    return f"{n} {unit}{'' if n == 1 else 's'}"


def normalise_period(text: str, today: date) -> str:
    """A period the user typed, checked and tidied ('6 M' -> '6m'); ValueError says why."""
    p = "".join(text.split()).lower()
    if not p:
        raise ValueError("type a period: a number and a unit, e.g. 90d, 6m or 2y")
    well_formed = p[:-1].isdigit() and p[-1:] in UNITS
    try:
        start = period_start(today, p)
    except (ValueError, OverflowError):
        if not well_formed:
            raise ValueError(
                f"'{text.strip()}' is not a period; type a number and a unit, e.g. 90d, 6m or 2y"
            ) from None
        raise ValueError(f"'{p}' reaches back too far; use a shorter period") from None
    if start >= today:
        raise ValueError("the period must be at least one day long, e.g. 30d")
    return p


def fmt_nps(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.0f}" if value else "0"


def fmt_pct(value: float | None) -> str:
    return pct(value, 1)


@dataclass
class KpiData:
    period: str
    kpi: dict | None = None
    error: str | None = None
    #: The cut the numbers are for: an owner ("" = no owner) or None, a tier or None.
    owner: str | None = None
    tier: str | None = None
    #: The book's owners (``Book.owners``), for the owner key's cycle.
    owners: list[str] | None = None


def owner_cycle(me: str | None, owners: list[str]) -> list[str | None]:
    """What the owner key steps through: the whole team, me, each other owner, no owner."""
    cycle: list[str | None] = [None]
    if me:
        cycle.append(me)
    cycle += [o for o in owners if not me or owner_key(o) != owner_key(me)]
    cycle.append("")
    return cycle


def cut_label(owner: str | None, tier: str | None) -> str:
    """' · maya · smb' for titles; empty for the whole book."""
    parts = [] if owner is None else [owner_label(owner)]
    parts += [] if tier is None else [tier]
    return "".join(f" · {p}" for p in parts)


class PeriodScreen(ModalScreen[str | None]):
    """Ask for a custom period; escape changes nothing."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, today: date, current: str) -> None:
        super().__init__()
        self.today = today
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="period-dialog"):
            yield Static(
                "[b]Custom period[/b]  [dim]enter applies · escape cancels[/]",
                classes="dialog-title",
            )
            yield Static(
                "How far back from today? A number and a unit: 30d, 8w, 6m, 2y.",
                classes="muted",
            )
            yield SafeInput(value=self.current, placeholder="6m", id="period-input")
            yield Static("", id="period-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#period-input", Input).focus()

    @on(Input.Changed, "#period-input")
    def _clear_error(self) -> None:
        self.query_one("#period-error", Static).update("")

    @on(Input.Submitted, "#period-input")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            period = normalise_period(event.value, self.today)
        except ValueError as exc:
            self.query_one("#period-error", Static).update(Text(str(exc), style="bold red"))
            return
        self.dismiss(period)

    def action_cancel(self) -> None:
        self.dismiss(None)


#: Seconds a computation may take before the loading spinner shows (a quick one would
#: only flicker).
SPINNER_AFTER_S = 0.5


class KpiScreen(DataScreen):
    """The book's KPIs for a period, each against its benchmark."""

    CSS_PATH = "kpi.tcss"
    BINDINGS = commands.bindings(commands.KPI)

    CARDS = (
        ("nrr", "Net revenue retention"),
        ("grr", "Gross revenue retention"),
        ("logo_churn", "Logo churn"),
        ("movements", "MRR movements"),
        ("expansion_share", "Expansion share"),
        ("nps", "NPS"),
        ("health", "Health distribution"),
        ("qbr_completion", "QBR completion"),
        ("on_time_rate", "Touchpoints on time"),
        ("referral_rate", "Referral rate"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.period = DEFAULT_PERIOD
        #: The KPIs shown and the period they are for (``period`` may already be newer).
        self.kpi: dict | None = None
        self.shown_period: str | None = None
        #: The cut asked for (owner: a name, "" = no owner, None = whole team; tier or
        #: None) and the cut of the KPIs shown.
        self.owner: str | None = None
        self.tier: str | None = None
        self.shown_cut: tuple[str | None, str | None] = (None, None)
        #: The book's owners, as the last load found them.
        self.owners: list[str] = []
        self._spinner: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Computing KPIs…", id="kpi-status")
        with VerticalScroll(id="kpi-body"), Grid(id="kpi-grid"):
            for key, title in self.CARDS:
                card = Static("", id=f"kpi-{key.replace('_', '-')}", classes="kpi-card")
                card.border_title = title
                card.border_subtitle = SUBTITLES.get(key, "")
                yield card
            trends = Horizontal(id="kpi-trends", classes="kpi-card")
            trends.border_title = "Trends"
            with trends:
                with Vertical(classes="kpi-trend"):
                    yield Static("% green over time", classes="trend-title")
                    yield Sparkline([], id="kpi-green-spark")
                    yield Static("", id="kpi-green-caption", classes="trend-caption")
                with Vertical(classes="kpi-trend"):
                    yield Static("MRR by month", classes="trend-title")
                    yield Sparkline([], id="kpi-mrr-spark")
                    yield Static("", id="kpi-mrr-caption", classes="trend-caption")

    def on_mount(self) -> None:
        self.sub_title = f"KPIs · last {period_label(self.period)}"
        self._load_owners()
        # DataMixin.on_mount (subscribe, first load) runs after this one: Textual calls
        # every on_mount along the MRO, so calling super() here would run it twice.

    def on_resize(self) -> None:
        self._fit_grid()

    def _fit_grid(self) -> None:
        columns = max(1, min(4, self.size.width // CARD_WIDTH))
        self.query_one("#kpi-grid", Grid).styles.grid_size_columns = columns

    # -- period -------------------------------------------------------------------------
    def action_period(self, period: str) -> None:
        if period != self.period or self.kpi is None:
            self.period = period
            self.reload()

    def action_cycle_owner(self) -> None:
        cycle = owner_cycle(self.bk.me, self.owners)
        keys = [None if o is None else owner_key(o) for o in cycle]
        here = None if self.owner is None else owner_key(self.owner)
        i = keys.index(here) if here in keys else 0
        self.owner = cycle[(i + 1) % len(cycle)]
        self.reload()

    @work(thread=True, exclusive=True, group="owners", exit_on_error=False)
    def _load_owners(self) -> None:
        """The owners for the owner key's cycle (one small query beside the panel's)."""
        names = self.book.owners().names
        self.app.call_from_thread(setattr, self, "owners", names)

    def action_cycle_tier(self) -> None:
        cycle: list[str | None] = [None, *TIERS]
        i = cycle.index(self.tier) if self.tier in cycle else 0
        self.tier = cycle[(i + 1) % len(cycle)]
        self.reload()

    def action_custom(self) -> None:
        def chosen(period: str | None) -> None:
            if period:
                self.action_period(period)

        self.app.push_screen(PeriodScreen(self.today, self.period), chosen)

    # -- data ---------------------------------------------------------------------------
    def reload(self) -> None:
        cut = cut_label(self.owner, self.tier)
        self.sub_title = f"KPIs · last {period_label(self.period)}{cut}"
        self.query_one("#kpi-status", Static).update(
            Text(f"Computing KPIs for the last {period_label(self.period)}{cut}…", style="dim")
        )
        # The spinner only for a slow computation: a quick one would just flicker.
        if self._spinner is None:
            self._spinner = self.set_timer(SPINNER_AFTER_S, self._show_spinner)
        super().reload()

    def _failed(self, exc: Exception) -> None:
        self._hide_spinner()
        super()._failed(exc)

    def _show_spinner(self) -> None:
        self._spinner = None
        self.query_one("#kpi-body").loading = True

    def _hide_spinner(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None
        self.query_one("#kpi-body").loading = False

    def load(self) -> KpiData:
        period, owner, tier = self.period, self.owner, self.tier
        # The owners change with the book: refreshed with every cut panel (the uncut
        # panel, the one opened most, skips the query).
        cut = owner is not None or tier is not None
        owners = self.book.owners().names if cut else None
        try:
            k = self.book.kpi(self.today, period, owner=owner, tier=tier)
        except BookError as exc:
            return KpiData(period, error=exc.message, owner=owner, tier=tier, owners=owners)
        return KpiData(period, kpi=k, owner=owner, tier=tier, owners=owners)

    def show(self, data: KpiData) -> None:
        if (data.period, data.owner, data.tier) != (self.period, self.owner, self.tier):
            return  # an older request finished after a newer one started
        if data.owners is not None:
            self.owners = data.owners
        self._hide_spinner()
        if data.kpi is None:
            self.notify(
                f"Cannot compute KPIs for '{data.period}': {data.error}",
                severity="error",
            )
            if self.kpi is not None and self.shown_period is not None:
                self.period = self.shown_period
                self.owner, self.tier = self.shown_cut
                self._show_status(self.kpi)
            return
        k = data.kpi
        self.kpi = k
        self.shown_period = data.period
        self.shown_cut = (data.owner, data.tier)
        self._show_status(k)
        for key, _ in self.CARDS:
            card = self.query_one(f"#kpi-{key.replace('_', '-')}", Static)
            card.update(getattr(self, f"_card_{key}")(k))
        self._show_trends(k)

    def _show_status(self, k: dict) -> None:
        period = self.shown_period or self.period
        owner, tier = self.shown_cut
        self.sub_title = f"KPIs · last {period_label(period)}{cut_label(owner, tier)}"
        p = k["period"]
        status = Text.assemble(
            ("Last " + period_label(period), "bold"),
            f"  {p['start']} → {p['end']}",
            (f"  ·  {k['cohort_size']} paying accounts at the start", "dim"),
        )
        if owner is not None or tier is not None:  # a cut: say whose numbers these are
            cut = [] if owner is None else [owner_cut_label(owner)]
            cut += [] if tier is None else [f"tier {tier}"]
            status = Text.assemble(("Cut: " + " · ".join(cut), "bold"), "  ·  ", status)
        self.query_one("#kpi-status", Static).update(status)

    # -- cards: value, verdict, definition -----------------------------------------------
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

    def _card_nrr(self, k: dict) -> Text:
        if k["nrr"] is None:
            return self._no_data("No revenue at the start of the period: add MRR to accounts.")
        return self._card(
            fmt_pct(k["nrr"]),
            "nrr",
            k["nrr"],
            f"starting cohort's MRR now / then ({money(k['starting_mrr'])}); B2B median ≈ 106%",
        )

    def _card_grr(self, k: dict) -> Text:
        if k["grr"] is None:
            return self._no_data("No revenue at the start of the period: add MRR to accounts.")
        return self._card(
            fmt_pct(k["grr"]),
            "grr",
            k["grr"],
            "like NRR without expansion: what you keep; ≥ 90% healthy",
        )

    def _card_logo_churn(self, k: dict) -> Text:
        if k["logo_churn"] is None:
            return self._no_data("No paying accounts at the start of the period.")
        # The benchmark is annual: the colour comes from the annualised value, and any
        # period but a year says so (docs/rules.md "Benchmarks").
        note = churn_note(k["period_days"], k["logo_churn_annualised"])
        lines = [f"{k['churned_logos']} of {k['cohort_size']} starting accounts left"]
        if note:
            lines.append(note)
        return self._card(
            fmt_pct(k["logo_churn"]),
            "logo_churn",
            k["logo_churn_annualised"],
            *lines,
        )

    def _card_movements(self, k: dict) -> Text:
        net = (
            k["new_mrr"]
            + k["reactivation_mrr"]
            + k["expansion_mrr"]
            - k["contraction_mrr"]
            - k["churned_mrr"]
        )
        back = (
            [("  back ", "dim"), (f"+{money(k['reactivation_mrr'])}", "green")]
            if k["reactivation_mrr"]
            else []
        )
        out = Text.assemble(
            ("new ", "dim"),
            (f"+{money(k['new_mrr'])}", "green"),
            *back,
            ("  expansion ", "dim"),
            (f"+{money(k['expansion_mrr'])}", "green"),
            "\n",
            ("contraction ", "dim"),
            (f"-{money(k['contraction_mrr'])}", "red" if k["contraction_mrr"] else "dim"),
            ("  churn ", "dim"),
            (f"-{money(k['churned_mrr'])}", "red" if k["churned_mrr"] else "dim"),
            "\n",
            ("MRR ", "dim"),
            f"{money(k['starting_mrr'])} → ",
            (money(k["ending_mrr"]), "bold"),
            (f"  net {'+' if net >= 0 else '-'}{money(abs(net))}", "green" if net >= 0 else "red"),
        )
        return out

    def _card_expansion_share(self, k: dict) -> Text:
        if k["expansion_share"] is None:
            return self._no_data("No new or expansion MRR in this period.")
        return self._card(
            fmt_pct(k["expansion_share"]),
            "expansion_share",
            k["expansion_share"],
            "expansion / (new + expansion): growth from customers you have",
        )

    def _card_nps(self, k: dict) -> Text:
        if k["nps"] is None:
            return self._no_data("No NPS answers in this period: log one with 'acme call nps 9'.")
        account, user = k["account_nps"], k["user_nps"]
        detail = Text.assemble(
            ("account-level ", "dim"),
            (fmt_nps(account), "bold"),
            (" · user-level ", "dim"),
            (fmt_nps(user), "bold"),
        )
        n = k["nps_responses"]
        answers = Text(f"{n} answer{'' if n == 1 else 's'}", style="dim")
        if account is not None and user is not None and abs(account - user) >= 10:
            who = "buyers" if account > user else "end users"
            answers.append(f" · {who} happier", style="yellow")
        return self._card(fmt_nps(k["nps"]), "nps", k["nps"], detail, answers)

    def _card_health(self, k: dict) -> Text | Group:
        h = k["health"]
        scored = k["accounts_scored"]
        if not scored:
            return self._no_data("No account has a health score yet: log usage or a call.")
        return Group(
            self._card(fmt_pct(h["green"]) + " green", "green", h["green"]),
            HealthBar(h),
            Text(f"{pct(h['yellow'])} yellow, {pct(h['red'])} red, {scored} scored", style="dim"),
        )

    def _card_qbr_completion(self, k: dict) -> Text:
        if k["qbr_completion"] is None:
            return self._no_data("No active enterprise accounts, so no QBRs are due.")
        return self._card(
            fmt_pct(k["qbr_completion"]),
            "qbr_completion",
            k["qbr_completion"],
            "enterprise accounts with a QBR in the last quarter",
        )

    def _card_on_time_rate(self, k: dict) -> Text:
        if k["on_time_rate"] is None:
            return self._no_data("No touchpoints were due in this period.")
        return self._card(
            fmt_pct(k["on_time_rate"]),
            "on_time_rate",
            k["on_time_rate"],
            "touchpoints due in the period done by their due date",
        )

    def _card_referral_rate(self, k: dict) -> Text:
        if k["referral_rate"] is None:
            return self._no_data(
                "No new accounts with a known source in this period (import a 'source' column)."
            )
        return self._card(
            fmt_pct(k["referral_rate"]),
            "referral_rate",
            k["referral_rate"],
            "new accounts that came by referral (source known)",
        )

    @staticmethod
    def _no_data(hint: str) -> Text:
        return Text.assemble(("n/a", "bold dim"), "\n", (hint, "dim italic"))

    # -- trends -------------------------------------------------------------------------
    def _show_trends(self, k: dict) -> None:
        green = [(p["date"], p["green"]) for p in k["green_trend"] if p["green"] is not None]
        self.query_one("#kpi-green-spark", Sparkline).data = [g * 100 for _, g in green]
        caption = self.query_one("#kpi-green-caption", Static)
        if green:
            caption.update(
                Text(
                    f"{pct(green[0][1])} → {pct(green[-1][1])} "
                    f"(low {pct(min(g for _, g in green))}, high {pct(max(g for _, g in green))})"
                    f"\n{green[0][0]} → {green[-1][0]}",
                    style="dim",
                )
            )
        else:
            caption.update(
                Text(
                    "n/a: no health snapshots in this period (taken daily while the app runs).",
                    style="dim italic",
                )
            )
        months = k["mrr_by_month"]
        self.query_one("#kpi-mrr-spark", Sparkline).data = [float(m["mrr"]) for m in months]
        mrr_caption = self.query_one("#kpi-mrr-caption", Static)
        if months:
            mrr_caption.update(
                Text(
                    # From the starting MRR S, the same number as the cards show.
                    f"{money(k['starting_mrr'])} → {money(months[-1]['mrr'])} "
                    f"(low {money(min(m['mrr'] for m in months))})"
                    f"\n{months[0]['month']} → {months[-1]['month']}, {len(months)} months",
                    style="dim",
                )
            )
        else:
            mrr_caption.update(Text("n/a: no revenue history in this period.", style="dim italic"))


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
