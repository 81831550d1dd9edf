"""KPIs: is the book growing, keeping its customers, and being looked after?

One card per KPI of docs/domain.md, each with its value, a verdict coloured against the
benchmarks (``core.benchmarks.rate``) and a one-line definition, so a number never stands
alone. ``9`` shows the last 90 days, ``y`` the last 12 months (the default) and ``c`` asks
for any period (``6m``, ``30d``, ``2y``). ``o`` cuts the book by owner (whole team, me,
each other owner, no owner) and ``T`` by tier: the cards are then those of a book holding
only those accounts (``Book.kpi``). The panel opens on the whole team: these are the
company's numbers. KPIs are computed in a worker thread because a big book takes a
moment; a loading indicator covers the cards meanwhile. A panel the book remembers (the
app computes the 12-month one ahead) shows at once, in the screen's first frame.

This module holds the screens, their keys and actions; ``kpi_period`` the periods and
cuts, ``kpi_render`` the cards and trends.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.events import ScreenResume
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Header, Input, Static

from bookkeeper_tui.config import DEFAULT_KPI_PERIOD
from bookkeeper_tui.core.kpi_panel import KpiPanel
from bookkeeper_tui.core.owners import owner_cut_label, owner_key
from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.screens import commands
from bookkeeper_tui.screens.base import DataScreen
from bookkeeper_tui.screens.kpi_cards import Card, KpiCards
from bookkeeper_tui.screens.kpi_period import (
    UNITS,
    KpiData,
    cut_label,
    normalise_period,
    owner_cycle,
    period_label,
)
from bookkeeper_tui.screens.kpi_render import (
    BAR_COLOURS,
    HealthBar,
    KpiCardsMixin,
    fmt_nps,
    fmt_pct,
    health_bar,
)
from bookkeeper_tui.store.book import BookError
from bookkeeper_tui.widgets.safe_input import SafeInput

#: The names this module held before it was split (issue 15 #2), still importable here.
__all__ = [
    "BAR_COLOURS",
    "UNITS",
    "HealthBar",
    "KpiData",
    "KpiScreen",
    "PeriodScreen",
    "cut_label",
    "fmt_nps",
    "fmt_pct",
    "health_bar",
    "normalise_period",
    "owner_cycle",
    "period_label",
]

DEFAULT_PERIOD = DEFAULT_KPI_PERIOD
#: Definitions short enough for a card's bottom border.
SUBTITLES = {"nps": "% promoters - % detractors", "health": "accounts by health band"}


class PeriodScreen(ModalScreen[str | None]):
    """Ask for a custom period; escape changes nothing."""

    BINDINGS = commands.bindings(commands.PERIOD)

    def __init__(self, today: date, current: str) -> None:
        super().__init__()
        self.today = today
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="period-dialog"):
            yield Static(
                "[b]Custom period[/b]  [dim]enter applies · "
                f"{commands.key_name(self.app, 'dialog.cancel')} cancels[/]",
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


class KpiScreen(KpiCardsMixin, DataScreen):
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
        self.kpi: KpiPanel | None = None
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
        cards = [Card(key, title, SUBTITLES.get(key, "")) for key, title in self.CARDS]
        cards.append(Card("trends", "Trends", span=2))
        panel = KpiCards(cards, id="kpi-cards")
        # The columns for the terminal's width from the start: the first layout is the
        # only one (on_resize then finds them right and changes nothing).
        panel.fit(self.app.size.width)
        with VerticalScroll(id="kpi-body"):
            yield panel

    def on_mount(self) -> None:
        self.sub_title = f"KPIs · last {period_label(self.period)}"
        self._show_remembered()
        # The owners are for the owner key: read after the first frame, not during it.
        self.call_after_refresh(self._load_owners)
        # DataMixin.on_mount (subscribe, first load) runs after this one: Textual calls
        # every on_mount along the MRO, so calling super() here would run it twice.

    def _show_remembered(self) -> None:
        """A panel the book remembers (the app computes the 12-month one ahead) is shown
        as the screen mounts, in its first frame: no worker, no 'Computing…' first."""
        try:
            k = self.book.kpi_remembered(self.today, self.period, self.owner, self.tier)
        except Exception:  # the first load, in its worker, reports what is wrong
            return
        if k is not None:
            self._preloaded = True
            self._show_safely(KpiData(self.period, kpi=k, owner=self.owner, tier=self.tier))

    #: Set once the screen has been shown.
    _resumed = False

    def on_screen_resume(self, event: ScreenResume) -> None:
        """When the screen is first shown its widgets are as freshly styled as they can
        be (mounted a moment ago, for this mode): Textual's restyle of every one of them
        on resume (twice: a new mode's screen gets two ScreenResume events, queued
        together) would redo the same work before the first frame. Those resumes skip
        it; later visits restyle as usual (a theme may have changed meanwhile).
        DataMixin's own resume handler (a stale panel reloads) still runs after this."""
        if not self._resumed:
            event.refresh_styles = False
            # After the resumes already queued with this one.
            self.call_later(setattr, self, "_resumed", True)

    def on_resize(self) -> None:
        self.query_one(KpiCards).fit(self.size.width)

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
        contents = {key: getattr(self, f"_card_{key}")(k) for key, _ in self.CARDS}
        self.query_one(KpiCards).show(contents, self._trends(k))

    def _show_status(self, k: KpiPanel) -> None:
        period = self.shown_period or self.period
        owner, tier = self.shown_cut
        self.sub_title = f"KPIs · last {period_label(period)}{cut_label(owner, tier)}"
        status = Text.assemble(
            ("Last " + period_label(period), "bold"),
            f"  {k.start} → {k.end}",
            (f"  ·  {k.cohort_size} paying accounts at the start", "dim"),
        )
        if owner is not None or tier is not None:  # a cut: say whose numbers these are
            cut = [] if owner is None else [owner_cut_label(owner)]
            cut += [] if tier is None else [f"tier {tier}"]
            status = Text.assemble(("Cut: " + " · ".join(cut), "bold"), "  ·  ", status)
        self.query_one("#kpi-status", Static).update(status)
