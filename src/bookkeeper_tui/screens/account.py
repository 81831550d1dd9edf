"""One account: who they are, how healthy and why, who we talk to, and what happened.

The left column explains the health score (each component, its value and weight, what is
missing, what moved since the last snapshot), the flags, the contacts and the open
touchpoints. The right side shows health and NPS over time and the timeline, newest first,
with churn language highlighted. The timeline is a single ``VTable`` (rows, not widgets,
rendered only as they scroll into view),
so an account with thousands of entries opens as fast as one with ten; the highlighted row's
full text is shown under it. ``enter`` logs a call for this account, ``escape`` goes back.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date

from rich.text import Text
from sqlalchemy import select
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, Sparkline, Static

from bookkeeper_tui.core.health import NOT_ENOUGH_DATA, band_of, stale_words, weight_words
from bookkeeper_tui.core.signals import churn_spans
from bookkeeper_tui.screens import commands
from bookkeeper_tui.screens.base import DataScreen
from bookkeeper_tui.store.book import Book, BookError
from bookkeeper_tui.store.models import Account, HealthSnapshot
from bookkeeper_tui.widgets.render import (
    BAND_STYLE,
    days_ago,
    due_text,
    label,
    money,
    safe,
    score_str,
)
from bookkeeper_tui.widgets.vtable import Column, VTable

#: Health components as a person reads them (core.health.COMPONENTS).
COMPONENT_LABEL = {
    "usage": "product usage",
    "engagement": "engagement",
    "support": "support",
    "survey": "survey",
    "strength": "account strength",
}

#: How an MRR movement reads, and its colour.
MOVEMENT_STYLE = {
    "new": "green",
    "reactivation": "green",
    "expansion": "green",
    "contraction": "red",
    "churn": "bold red",
    "flat": "dim",
}

CHURN_STYLE = "bold red"

#: Below this terminal width the side column goes above the timeline instead of beside it.
NARROW_WIDTH = 110
#: Below this terminal height the trends and the full-entry box are left out.
SHORT_HEIGHT = 32
#: Keep in step with account.tcss (#account-side width).
SIDE_WIDTH = 46
DATE_WIDTH = 10
KIND_WIDTH = 13
WHO_WIDTH = 16
#: The timeline's text column gets at least this much before a contact column is added.
ROOMY_TEXT_WIDTH = 48
MIN_TEXT_WIDTH = 20


def load_account(book: Book, name: str, as_of: date) -> AccountData:
    """``Book.show`` plus the health history, or why there is no such account."""
    try:
        detail = book.show(name, as_of)
    except BookError as exc:
        return AccountData(error=exc.message)
    with book.read() as s:
        history = [
            (day, score)
            for day, score in s.execute(
                select(HealthSnapshot.day, HealthSnapshot.score)
                .join(Account, Account.id == HealthSnapshot.account_id)
                .where(Account.name == detail["name"])
                .where(HealthSnapshot.day <= as_of)
                .where(HealthSnapshot.score.is_not(None))
                .order_by(HealthSnapshot.day)
            )
        ]
    return AccountData(detail=detail, health_history=history)


def start_loading(book: Book, name: str, as_of: date) -> Future[AccountData]:
    """:func:`load_account` in a thread; its future."""
    future: Future[AccountData] = Future()
    threading.Thread(target=_fill, args=(future, book, name, as_of), daemon=True).start()
    return future


def _fill(future: Future, book: Book, name: str, as_of: date) -> None:
    try:
        future.set_result(load_account(book, name, as_of))
    except BaseException as exc:  # shown by the screen's load like any load error
        future.set_exception(exc)


@dataclass
class AccountData:
    """What the screen shows: ``Book.show`` plus the health history (or why there is none)."""

    detail: dict | None = None
    error: str | None = None
    health_history: list[tuple[date, float]] = field(default_factory=list)


def entry_text(entry: dict, words: tuple[str, ...] | list[str]) -> Text:
    """One timeline entry's text, on one line, churn terms in bold red."""
    kind = entry["type"]
    if kind == "interaction":
        body = safe(" ".join(entry.get("summary", "").split()))
        notes = safe(" ".join((entry.get("notes") or "").split()))
        if notes:
            body = f"{body} — {notes}" if body else notes
        text = Text(body)
        for start, end, _term in churn_spans(body, words):
            text.stylize(CHURN_STYLE, start, end)
        tags = entry.get("tags") or []
        if tags:
            text.append("  " + " ".join(f"#{safe(t)}" for t in tags), style="cyan")
        ticked = entry.get("checklist") or []
        if ticked:  # how many checklist items were ticked (the entry below lists them)
            text.append(f"  ✓{len(ticked)}", style="green")
        return text
    if kind == "score":
        return score_text(entry["kind"], float(entry["value"]))
    if kind == "mrr":
        movement = entry.get("movement", "flat")
        return Text.assemble(
            f"MRR {money(entry['from'])} → {money(entry['to'])}  ",
            (movement, MOVEMENT_STYLE.get(movement, "")),
        )
    # A completed or skipped touchpoint.
    if entry.get("status") == "skipped":
        reason = safe(entry.get("reason")) or "no reason given"
        return Text(f"skipped: {reason} (was due {entry['due']})", style="dim")
    late = (date.fromisoformat(entry["date"]) - date.fromisoformat(entry["due"])).days
    when = "on time" if late <= 0 else f"{late}d late"
    return Text.assemble(
        ("done ", "dim"),
        (when, "dim" if late <= 0 else "yellow"),
        (f" (due {entry['due']})", "dim"),
    )


def score_text(kind: str, value: float) -> Text:
    """A score as a person reads it: 'NPS 8 passive', 'usage 48%', '3 tickets'."""
    if kind == "nps":
        verdict, style = (
            ("promoter", "green")
            if value >= 9
            else ("detractor", "red")
            if value <= 6
            else ("passive", "yellow")
        )
        return Text.assemble((f"NPS {value:g} ", f"bold {style}"), (verdict, style))
    if kind == "csat":
        style = "green" if value >= 4 else "red" if value <= 3 else "yellow"
        return Text(f"CSAT {value:g} / 5", style=style)
    if kind == "ces":
        return Text(f"effort (CES) {value:g} / 7")
    if kind == "usage":
        return Text(f"usage {value:g}%")
    if kind == "tickets":
        return Text(f"{value:g} ticket{'' if value == 1 else 's'}")
    if kind == "health":
        return Text(f"manual health {value:g}", style="yellow")
    return Text(f"{kind} {value:g}")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def entry_kind(entry: dict) -> Text:
    """The short 'what' column of a timeline row."""
    kind = entry["type"]
    if kind == "interaction":
        style = CHURN_STYLE if entry.get("churn_terms") else "bold"
        return Text(label(entry["kind"]), style=style)
    if kind == "score":
        return Text(label(entry["kind"]))
    if kind == "mrr":
        return Text("revenue", style=MOVEMENT_STYLE.get(entry.get("movement", ""), ""))
    mark = "✓" if entry.get("status") == "done" else "✗"
    return Text(f"{mark} {label(entry['kind'])}", style="dim")


def nps_gap_line(nps: dict) -> Text | None:
    """'NPS buyers and champions 8.4 vs other contacts 5.1: ...' when the two sides differ.

    Both sides are each contact's latest answer (core.nps.account_nps_detail): with nobody
    on one side there is no gap and no line.
    """
    account, users = nps.get("buyer_side_mean"), nps.get("user_side_mean")
    if account is None or users is None:
        return None
    if not nps.get("flagged") and abs(account - users) < 1:
        return None
    if account > users:
        why = "end users are less happy than the buyers and champions"
    else:
        why = "buyers and champions are less happy than the end users"
    return Text.assemble(
        ("NPS buyers and champions ", "bold"),
        (f"{account:.1f}", "bold"),
        " vs users ",
        (f"{users:.1f}", "bold"),
        f": {why}",
        style="yellow" if nps.get("flagged") else "",
    )


def value_line(d: dict) -> Text | None:
    """'first value 2026-11-16 (day 15)' and 'onboarding 2/3 done', one line each."""
    parts: list[tuple[str, str]] = []
    if d.get("first_value"):
        parts.append((f"first value {d['first_value']} (day {d['days_to_value']})", "green"))
    elif d.get("status") != "churned":
        parts.append(("no first value yet (#first-value)", "dim"))
    o = d.get("onboarding")
    if o:
        style = "green" if o["done"] == o["total"] else "yellow"
        parts.append((f"onboarding {o['done']}/{o['total']} done", style))
    if not parts:
        return None
    out = Text()
    for i, (text, style) in enumerate(parts):
        if i:
            out.append("\n")
        out.append(text, style=style)
    return out


class AccountScreen(DataScreen):
    """Everything about one account on one screen."""

    CSS_PATH = "account.tcss"
    BINDINGS = commands.bindings(commands.ACCOUNT)

    def __init__(self, name: str, book: Book | None = None, as_of: date | None = None) -> None:
        """With *book* and *as_of*, the account starts loading at once, in a thread,
        while the screen is composed and mounted (opening feels instant)."""
        super().__init__()
        self.account_name = name
        self._early: Future[AccountData] | None = None
        if book is not None and as_of is not None:
            self._early = start_loading(book, name, as_of)
        self.data: AccountData | None = None
        self._timeline_shape: tuple[bool, int] | None = None

    @property
    def loading(self) -> Future[AccountData] | None:
        """The load started at creation, if it has not been taken yet."""
        return self._early

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the account…", id="account-header")
        yield Static("", id="account-error")
        with Horizontal(id="account-body"):
            with VerticalScroll(id="account-side"):
                yield Static("Health", classes="section-title")
                yield Static("", id="account-health")
                yield Static("Flags", classes="section-title")
                yield Static("", id="account-flags")
                yield Static("Contacts", classes="section-title")
                yield Static("", id="account-contacts")
                yield Static("Open touchpoints", classes="section-title")
                yield Static("", id="account-touchpoints")
            with Vertical(id="account-main"):
                with Horizontal(id="account-trends"):
                    with Vertical(classes="account-trend"):
                        yield Static("Health over time", classes="trend-title")
                        yield Sparkline([], id="account-health-spark")
                        yield Static("", id="account-health-caption", classes="trend-caption")
                    with Vertical(classes="account-trend"):
                        yield Static("NPS over time", classes="trend-title")
                        yield Sparkline([], id="account-nps-spark")
                        yield Static("", id="account-nps-caption", classes="trend-caption")
                yield Static("", id="account-nps-gap")
                yield VTable(
                    self._timeline_columns(False, MIN_TEXT_WIDTH),
                    self._timeline_row,
                    _entry_key,
                    id="account-timeline",
                )
                yield Static("", id="account-entry")

    def on_mount(self) -> None:
        self._fit(self.app.size.width, self.app.size.height)
        self.sub_title = safe(self.account_name)
        self.query_one("#account-error").display = False
        self.query_one("#account-body").display = False
        early = self._early
        if early is not None and early.done():  # loaded while the previous screen showed
            self._early = None
            self._preloaded = True
            self._show_safely(early.result())
        # DataMixin.on_mount (subscribe, first load) runs after this one: Textual calls
        # every on_mount along the MRO, so calling super() here would run it twice.

    # -- reuse: the app keeps one account screen and shows each account in it ----------
    def prepare(self, name: str, book: Book, as_of: date) -> None:
        """Show *name* next (this screen is off screen): start loading it now and clear
        what the previous account left, so it can never show under the new name."""
        self.account_name = name
        self.data = None
        self._stale = False
        self._early = start_loading(book, name, as_of)
        self.sub_title = safe(name)
        self.query_one("#account-header", Static).update("Loading the account…")
        self.query_one("#account-error").display = False
        self.query_one("#account-body").display = False
        table = self.query_one("#account-timeline", VTable)
        table.set_rows([])
        table.move_cursor(0)

    def on_screen_resume(self) -> None:
        # Runs before DataMixin.on_screen_resume (Textual calls each class's handler).
        early = self._early
        if early is None:
            return
        self._stale = False
        if early.done():
            self._early = None
            self._show_safely(early.result())
        else:
            self.reload()  # load() waits for the load already under way

    # -- data -------------------------------------------------------------------------
    def load(self) -> AccountData:
        early, self._early = self._early, None
        if early is not None:  # started when the screen was created, while it composed
            return early.result()
        return load_account(self.book, self.account_name, self.today)

    def show(self, data: AccountData) -> None:
        self.data = data
        body = self.query_one("#account-body")
        error = self.query_one("#account-error", Static)
        if data.detail is None:
            body.display = False
            error.display = True
            self.query_one("#account-header", Static).update(
                Text(f"No account '{safe(self.account_name)}'", style="bold red")
            )
            error.update(
                Text.assemble(
                    (safe(data.error or "that account does not exist"), "bold"),
                    "\n\nPress escape to go back, or ctrl+p and type a name to find an account.",
                )
            )
            return
        d = data.detail
        self.account_name = d["name"]
        self.sub_title = safe(d["name"])
        error.display = False
        body.display = True
        self.query_one("#account-header", Static).update(self._header(d))
        self.query_one("#account-health", Static).update(self._health(d))
        self.query_one("#account-flags", Static).update(self._flags(d))
        self.query_one("#account-contacts", Static).update(self._contacts(d))
        self.query_one("#account-touchpoints", Static).update(self._touchpoints(d))
        self._show_trends(d, data.health_history)
        gap = nps_gap_line(d["nps"])
        gap_widget = self.query_one("#account-nps-gap", Static)
        gap_widget.display = gap is not None
        gap_widget.update(gap or "")
        self._show_timeline(d["timeline"])

    # -- header and left column ----------------------------------------------------------
    def _header(self, d: dict) -> Text:
        today = self.today
        out = Text(safe(d["name"]), style="bold")
        churned = d["status"] == "churned"
        if churned:
            out.append("  CHURNED", style="bold red")
            when = next(
                (e["date"] for e in d["timeline"] if e["type"] == "mrr" and e["to"] == 0), None
            )
            if when:
                out.append(f" on {when}", style="red")
        out.append(f"   {d['tier']}", style="bold")
        out.append("  ·  MRR ")
        out.append(money(d["mrr"]), style="bold")
        out.append("/mo")
        if churned:
            pass  # a renewal date means nothing once the customer has left
        elif d["renewal"]:
            renewal = date.fromisoformat(d["renewal"])
            soon = 0 <= (renewal - today).days <= self.bk.config.signals.renewal_risk_days
            out.append("  ·  renews ")
            out.append(d["renewal"], style="bold yellow" if soon else "")
            out.append(f" ({days_ago(renewal, today)})", style="dim")
        else:
            out.append("  ·  no renewal date", style="dim")
        out.append("  ·  owner ")
        out.append(safe(d["owner"]) or "–", style="" if d["owner"] else "dim")
        out.append("\n")
        h = d["health"]
        out.append("health ")
        if h["score"] is None or h["band"] is None:
            out.append("no score" if churned else "not enough data", style="dim")
        else:
            out.append(f"● {score_str(h['score'])} {h['band']}", style=BAND_STYLE[h["band"]])
        if h["overridden"]:
            out.append(" (manual override)", style="yellow")
        out.append(f"   customer since {d['start']}", style="dim")
        if d.get("industry"):
            out.append(f" · {safe(d['industry'])}", style="dim")
        if d.get("external_id"):
            out.append(f" · id {safe(d['external_id'])}", style="dim")
        if d.get("tags"):
            out.append("  " + " ".join(f"#{safe(t)}" for t in d["tags"]), style="cyan")
        if churned:
            out.append(
                "\nThis account has churned (MRR 0): it has no health score and no new "
                "touchpoints. Log new MRR to bring it back.",
                style="red",
            )
        return out

    def _health(self, d: dict) -> Text:
        """The score and why it is that colour: each component, its value and its weight."""
        h = d["health"]
        cfg = self.bk.config.health
        out = Text()
        if h["score"] is None:
            if d["status"] == "churned":
                out.append("No score: the account has churned.", style="dim")
            else:
                out.append(NOT_ENOUGH_DATA, style="dim")
        else:
            band = h["band"]
            out.append(f"● {score_str(h['score'])} {band}", style=BAND_STYLE[band])
            out.append(f"  (green ≥ {cfg.green:g}, red < {cfg.yellow:g})", style="dim")
            if h["overridden"]:
                out.append(
                    "\nset by a manual override; the components below are what it hides",
                    style="yellow",
                )
        if h["components"]:
            # Rows fit the Health pane (40 columns at 120): the weight words, the same as
            # `bookkeeper show` prints, lead each component's detail line.
            out.append(f"\n{'component':<17}value × share = points", style="dim")
        for c in h["components"]:
            value = c["value"]
            band = band_of(value, cfg) or "red"
            out.append("\n")
            out.append(f"{COMPONENT_LABEL.get(c['name'], c['name']):<17}")
            out.append(f"{score_str(value):>5}", style=BAND_STYLE[band])
            out.append(f" × {c['share'] * 100:>3.0f}%")
            if h["score"] is not None:
                out.append(f"  = {value * c['share']:>4.1f}", style="bold")
            detail = weight_words(c["weight"], c["share"])
            if c.get("detail"):
                detail += f" · {safe(c['detail'])}"
            out.append(f"\n  {detail}", style="dim")
        for name in h["missing"]:
            out.append("\n")
            out.append(f"{COMPONENT_LABEL.get(name, name):<17}")
            stale = h.get("stale", {}).get(name)
            out.append(
                "unknown, feed too old" if stale else "unknown, no data yet", style="dim italic"
            )
            if stale:
                out.append(f"\n  {stale_words(name, stale)}", style="dim")
            weight = cfg.weights.get(name, 0.0)
            out.append(f"\n  left out: its weight {weight:g} is shared by the rest", style="dim")
        if h["changes"]:
            out.append("\nSince the last snapshot: ", style="bold")
            out.append(", ".join(safe(c) for c in h["changes"]))
        elif h["score"] is not None:
            out.append("\nNothing moved since the last snapshot.", style="dim")
        return out

    def _flags(self, d: dict) -> Text:
        if not d["flags"]:
            return Text("No risks or opportunities.", style="dim")
        out = Text()
        for i, f in enumerate(d["flags"]):
            risk = f["kind"] == "risk"
            if i:
                out.append("\n")
            out.append("▲ " if risk else "★ ", style="bold red" if risk else "bold green")
            out.append(safe(f["label"]), style="bold red" if risk else "bold green")
            out.append(f"\n  {safe(f['detail'])}", style="dim")
        return out

    def _contacts(self, d: dict) -> Text:
        out = Text()
        if not d["contacts"]:
            out.append("No contacts yet: log a call 'with Name (role)' to add one.", style="dim")
        for i, c in enumerate(d["contacts"]):
            if i:
                out.append("\n")
            out.append(safe(c["name"]), style="dim strike" if c["left_on"] else "bold")
            out.append(f"  {label(c['role'] or 'other')}", style="")
            if c["left_on"]:
                out.append(f"  left {c['left_on']}", style="red")
            scores = c.get("scores") or {}
            if scores:
                out.append("  " + " · ".join(f"{k} {v:g}" for k, v in scores.items()), style="dim")
        if d["contacts"]:
            out.append("\nc: edit a role, or mark someone as left", style="dim")
        value = value_line(d)
        if value is not None:
            out.append("\n")
            out.append_text(value)
        return out

    def _touchpoints(self, d: dict) -> Text:
        if not d["touchpoints"]:
            return Text("Nothing open.", style="dim")
        today = self.today
        out = Text()
        for i, tp in enumerate(d["touchpoints"]):
            if i:
                out.append("\n")
            due = date.fromisoformat(tp["due"])
            out.append(f"{tp['due']} ")
            out.append_text(due_text((today - due).days))
            out.append(f"  {label(tp['kind'])}", style="bold")
            if tp["status"] == "snoozed":
                out.append(" (snoozed)", style="dim")
            if tp.get("note"):
                out.append(f"\n  {safe(tp['note'])}", style="dim")
        return out

    # -- right side: trends and timeline -------------------------------------------------
    def _show_trends(self, d: dict, history: list[tuple[date, float]]) -> None:
        churned = d["status"] == "churned"
        health = [score for _, score in history]
        self.query_one("#account-health-spark", Sparkline).data = health
        caption = self.query_one("#account-health-caption", Static)
        if health:
            caption.update(
                Text(
                    f"{score_str(health[0])} → {score_str(health[-1])} "
                    f"(low {score_str(min(health))}, high {score_str(max(health))})\n"
                    f"{plural(len(health), 'snapshot')} since {history[0][0].isoformat()}",
                    style="dim",
                )
            )
        else:
            caption.update(
                Text(
                    "No health history: churned accounts\nare not scored."
                    if churned
                    else "No health history yet:\nit is snapshotted daily.",
                    style="dim",
                )
            )
        nps = [
            (e["date"], float(e["value"]))
            for e in reversed(d["timeline"])
            if e["type"] == "score" and e["kind"] == "nps"
        ]
        self.query_one("#account-nps-spark", Sparkline).data = [v for _, v in nps]
        nps_caption = self.query_one("#account-nps-caption", Static)
        if nps:
            nps_caption.update(
                Text(
                    f"{nps[0][1]:g} → {nps[-1][1]:g} "
                    f"(low {min(v for _, v in nps):g}, high {max(v for _, v in nps):g})\n"
                    f"{plural(len(nps), 'answer')} since {nps[0][0]}",
                    style="dim",
                )
            )
        else:
            nps_caption.update(
                Text("No NPS answers yet:\npress enter and add 'nps 9'.", style="dim")
            )

    def _timeline_layout(self) -> tuple[bool, int]:
        """(show the contact column?, width of the text column) for the current width.

        The text matters most: the contact gets its own column only when the text still
        has room beside it (the entry under the table always names the contact). Computed
        from the screen width and the side column's fixed width rather than the table's
        own size, which is still 0 the first time the table is shown.
        """
        width = self.size.width or self.app.size.width
        beside = 0 if width < NARROW_WIDTH else SIDE_WIDTH + 1  # the side column and padding
        # cell padding 2 per column, the table's vertical scrollbar 2.
        text = width - beside - DATE_WIDTH - KIND_WIDTH - 2 * 3 - 2
        if text - WHO_WIDTH - 2 >= ROOMY_TEXT_WIDTH:
            return True, text - WHO_WIDTH - 2
        return False, max(MIN_TEXT_WIDTH, text)

    @staticmethod
    def _timeline_columns(with_who: bool, text_width: int) -> list[Column]:
        cols = [
            Column("date", "date", DATE_WIDTH),
            Column("kind", "what", KIND_WIDTH),
            Column("text", "details", text_width, flex=True),
        ]
        if with_who:
            cols.append(Column("contact", "who", WHO_WIDTH))
        return cols

    def _timeline_row(self, e: dict) -> list[Text]:
        row = [
            Text(e["date"], style="dim"),
            entry_kind(e),
            entry_text(e, self.bk.config.churn_words),
        ]
        if self._timeline_shape is not None and self._timeline_shape[0]:
            row.append(Text(safe(e.get("contact")) or "", style="italic"))
        return row

    def _show_timeline(self, timeline: list[dict]) -> None:
        table = self.query_one("#account-timeline", VTable)
        shape = self._timeline_layout()
        if shape != self._timeline_shape:
            self._timeline_shape = shape
            table.set_columns(self._timeline_columns(*shape))
        table.set_rows(timeline)
        entry = self.query_one("#account-entry", Static)
        entry.set_class(not timeline, "-empty")
        if timeline:
            table.display = True
            self._show_entry(table.cursor_row)
            if not isinstance(self.focused, VTable):
                table.focus()
        else:
            table.display = False
            entry.update(
                Text(
                    "Nothing logged yet. Press enter to log the first call for this account.",
                    style="dim",
                )
            )

    def _fit(self, width: int, height: int) -> None:
        self.set_class(width < NARROW_WIDTH, "-narrow")
        self.set_class(height < SHORT_HEIGHT, "-short")

    def on_resize(self) -> None:
        self._fit(self.size.width, self.size.height)
        data = self.data
        if (
            data is not None
            and data.detail is not None
            and self._timeline_layout() != self._timeline_shape
        ):
            self._show_timeline(data.detail["timeline"])

    def _show_entry(self, row: int | None) -> None:
        """The highlighted timeline entry in full (the table shows one line of it)."""
        entry = self.query_one("#account-entry", Static)
        if self.data is None or self.data.detail is None or row is None:
            entry.update("", layout=False)
            return
        timeline = self.data.detail["timeline"]
        if not 0 <= row < len(timeline):
            entry.update("", layout=False)
            return
        e = timeline[row]
        out = Text.assemble((e["date"], "bold"), "  ", entry_kind(e))
        if e.get("contact"):
            out.append(f" with {safe(e['contact'])}", style="italic")
        out.append("\n")
        out.append_text(entry_text(e, self.bk.config.churn_words))
        if e.get("churn_terms"):
            out.append("\nchurn language: ", style="bold red")
            out.append(", ".join(safe(t) for t in e["churn_terms"]), style="red")
        ticked = e.get("checklist") or []
        if ticked:  # the touchpoint checklist items ticked, on one line (the box is small)
            out.append("\n" + " · ".join(f"✓ {safe(item)}" for item in ticked), style="green")
        entry.update(out, layout=False)

    def on_vtable_highlighted(self, event: VTable.Highlighted) -> None:
        event.stop()
        self._show_entry(event.index)

    def on_vtable_selected(self, event: VTable.Selected) -> None:
        event.stop()
        self.action_log()

    # -- actions ------------------------------------------------------------------------
    def action_log(self) -> None:
        """Quick log pre-filled with this account's name."""
        if self.data is not None and self.data.detail is None:
            self.notify("There is no such account to log for.", severity="warning")
            return
        self.bk.action_quick_log(prefill=f"{self.account_name} ")

    def action_edit(self) -> None:
        """The edit form for this account (tier, renewal, owner, industry, tags)."""
        from bookkeeper_tui.screens.edit_account import EditAccountScreen

        if self.data is None or self.data.detail is None:
            self.notify("There is no such account to edit.", severity="warning")
            return
        if not isinstance(self.app.screen, EditAccountScreen):
            self.app.push_screen(EditAccountScreen(self.data.detail["name"]))

    def action_contacts(self) -> None:
        """Edit a contact's role and departure in a small form (screens/contact_edit)."""
        from bookkeeper_tui.screens.contact_edit import ContactScreen

        if self.data is None or self.data.detail is None:
            self.notify("There is no such account.", severity="warning")
            return
        if isinstance(self.app.screen, ContactScreen):
            return
        d = self.data.detail
        if not d["contacts"]:
            self.notify(
                "No contacts yet: log a call 'with Name (champion)' to add one.",
                severity="warning",
            )
            return
        self.app.push_screen(ContactScreen(d["name"], d["contacts"], self.today))

    def action_delete(self) -> None:
        """Ask, then delete this account and all its rows; back to the previous screen."""
        from bookkeeper_tui.screens.delete_account import DeleteAccountScreen

        if self.data is None or self.data.detail is None:
            self.notify("There is no such account to delete.", severity="warning")
            return
        if isinstance(self.app.screen, DeleteAccountScreen):
            return
        try:
            counts = self.book.account_rows(self.data.detail["name"])
        except BookError as exc:
            self.notify(exc.message, severity="warning")
            return

        def closed(deleted: bool | None) -> None:
            if deleted and self.app.screen is self:
                self.app.pop_screen()

        self.app.push_screen(DeleteAccountScreen(counts), closed)


def _entry_key(e: dict) -> str:
    return f"{e['type']}:{e['date']}:{id(e)}"
