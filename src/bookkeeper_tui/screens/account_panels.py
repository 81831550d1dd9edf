"""The account screen's left column and header: the account's fields, the health score
and why (each component, its value and weight, what is missing, what moved since the last
snapshot), the flags, the contacts with the time-to-value, and the open touchpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from bookkeeper_tui.core.health import NOT_ENOUGH_DATA, band_of, stale_words, weight_words
from bookkeeper_tui.widgets.render import (
    BAND_STYLE,
    days_ago,
    due_text,
    label,
    money,
    safe,
    score_str,
)

if TYPE_CHECKING:
    from bookkeeper_tui.core.account_view import AccountView
    from bookkeeper_tui.core.nps import AccountNps
    from bookkeeper_tui.screens.base import DataScreen

    _Screen = DataScreen
else:
    _Screen = object

#: Health components as a person reads them (core.health.COMPONENTS).
COMPONENT_LABEL = {
    "usage": "product usage",
    "engagement": "engagement",
    "support": "support",
    "survey": "survey",
    "strength": "account strength",
}


def nps_gap_line(nps: AccountNps) -> Text | None:
    """'NPS buyers and champions 8.4 vs other contacts 5.1: ...' when the two sides differ.

    Both sides are each contact's latest answer (core.nps.account_nps_detail): with nobody
    on one side there is no gap and no line.
    """
    account, users = nps.buyer_side_mean, nps.user_side_mean
    if account is None or users is None:
        return None
    if not nps.flagged and abs(account - users) < 1:
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
        style="yellow" if nps.flagged else "",
    )


def value_line(d: AccountView) -> Text | None:
    """'first value 2026-11-16 (day 15)' and 'onboarding 2/3 done', one line each."""
    parts: list[tuple[str, str]] = []
    if d.first_value:
        parts.append((f"first value {d.first_value} (day {d.days_to_value})", "green"))
    elif d.status != "churned":
        parts.append(("no first value yet (#first-value)", "dim"))
    o = d.onboarding
    if o:
        style = "green" if o.done == o.total else "yellow"
        parts.append((f"onboarding {o.done}/{o.total} done", style))
    if not parts:
        return None
    out = Text()
    for i, (text, style) in enumerate(parts):
        if i:
            out.append("\n")
        out.append(text, style=style)
    return out


class AccountPanelsMixin(_Screen):
    """Mixed into ``AccountScreen``: the texts of its header and left column."""

    def _header(self, d: AccountView) -> Text:
        today = self.today
        out = Text(safe(d.name), style="bold")
        churned = d.status == "churned"
        if churned:
            out.append("  CHURNED", style="bold red")
            when = d.churned_on
            if when:
                out.append(f" on {when}", style="red")
        out.append(f"   {d.tier}", style="bold")
        out.append("  ·  MRR ")
        out.append(money(d.mrr), style="bold")
        out.append("/mo")
        if churned:
            pass  # a renewal date means nothing once the customer has left
        elif d.renewal:
            renewal = d.renewal
            soon = 0 <= (renewal - today).days <= self.bk.config.signals.renewal_risk_days
            out.append("  ·  renews ")
            out.append(renewal.isoformat(), style="bold yellow" if soon else "")
            out.append(f" ({days_ago(renewal, today)})", style="dim")
        else:
            out.append("  ·  no renewal date", style="dim")
        out.append("  ·  owner ")
        out.append(safe(d.owner) or "–", style="" if d.owner else "dim")
        out.append("\n")
        h = d.health
        out.append("health ")
        if h.score is None or h.band is None:
            out.append("no score" if churned else "not enough data", style="dim")
        else:
            out.append(f"● {score_str(h.score)} {h.band}", style=BAND_STYLE[h.band])
        if h.overridden:
            out.append(" (manual override)", style="yellow")
        out.append(f"   customer since {d.start}", style="dim")
        if d.industry:
            out.append(f" · {safe(d.industry)}", style="dim")
        if d.external_id:
            out.append(f" · id {safe(d.external_id)}", style="dim")
        if d.tags:
            out.append("  " + " ".join(f"#{safe(t)}" for t in d.tags), style="cyan")
        if churned:
            out.append(
                "\nThis account has churned (MRR 0): it has no health score and no new "
                "touchpoints. Log new MRR to bring it back.",
                style="red",
            )
        return out

    def _health(self, d: AccountView) -> Text:
        """The score and why it is that colour: each component, its value and its weight."""
        h = d.health
        cfg = self.bk.config.health
        out = Text()
        if h.score is None:
            if d.status == "churned":
                out.append("No score: the account has churned.", style="dim")
            else:
                out.append(NOT_ENOUGH_DATA, style="dim")
        else:
            band = h.band
            out.append(f"● {score_str(h.score)} {band}", style=BAND_STYLE[band])
            out.append(f"  (green ≥ {cfg.green:g}, red < {cfg.yellow:g})", style="dim")
            if h.overridden:
                out.append(
                    "\nset by a manual override; the components below are what it hides",
                    style="yellow",
                )
        if h.components:
            # Rows fit the Health pane (40 columns at 120): the weight words, the same as
            # `bookkeeper show` prints, lead each component's detail line.
            out.append(f"\n{'component':<17}value × share = points", style="dim")
        for c in h.components:
            value = c.value
            band = band_of(value, cfg) or "red"
            out.append("\n")
            out.append(f"{COMPONENT_LABEL.get(c.name, c.name):<17}")
            out.append(f"{score_str(value):>5}", style=BAND_STYLE[band])
            share = round(c.share, 4)  # as `bookkeeper show --json` writes it
            out.append(f" × {share * 100:>3.0f}%")
            if h.score is not None:
                out.append(f"  = {value * share:>4.1f}", style="bold")
            detail = weight_words(c.weight, share)
            if c.detail:
                detail += f" · {safe(c.detail)}"
            out.append(f"\n  {detail}", style="dim")
        stale_since = dict(h.stale)
        for name in h.missing:
            out.append("\n")
            out.append(f"{COMPONENT_LABEL.get(name, name):<17}")
            stale = stale_since.get(name)
            out.append(
                "unknown, feed too old" if stale else "unknown, no data yet", style="dim italic"
            )
            if stale:
                out.append(f"\n  {stale_words(name, stale)}", style="dim")
            weight = cfg.weights.get(name, 0.0)
            out.append(f"\n  left out: its weight {weight:g} is shared by the rest", style="dim")
        if d.changes:
            out.append("\nSince the last snapshot: ", style="bold")
            out.append(", ".join(safe(c) for c in d.changes))
        elif h.score is not None:
            out.append("\nNothing moved since the last snapshot.", style="dim")
        return out

    def _flags(self, d: AccountView) -> Text:
        if not d.flags:
            return Text("No risks or opportunities.", style="dim")
        out = Text()
        for i, f in enumerate(d.flags):
            risk = f.kind == "risk"
            if i:
                out.append("\n")
            out.append("▲ " if risk else "★ ", style="bold red" if risk else "bold green")
            out.append(safe(f.label), style="bold red" if risk else "bold green")
            out.append(f"\n  {safe(f.detail)}", style="dim")
        return out

    def _contacts(self, d: AccountView) -> Text:
        out = Text()
        if not d.contacts:
            out.append("No contacts yet: log a call 'with Name (role)' to add one.", style="dim")
        for i, c in enumerate(d.contacts):
            if i:
                out.append("\n")
            out.append(safe(c.name), style="dim strike" if c.left_on else "bold")
            out.append(f"  {label(c.role or 'other')}", style="")
            if c.left_on:
                out.append(f"  left {c.left_on}", style="red")
            if c.scores:
                out.append("  " + " · ".join(f"{k} {v:g}" for k, v in c.scores), style="dim")
        if d.contacts:
            out.append("\nc: edit a role, or mark someone as left", style="dim")
        value = value_line(d)
        if value is not None:
            out.append("\n")
            out.append_text(value)
        return out

    def _touchpoints(self, d: AccountView) -> Text:
        if not d.touchpoints:
            return Text("Nothing open.", style="dim")
        today = self.today
        out = Text()
        for i, tp in enumerate(d.touchpoints):
            if i:
                out.append("\n")
            out.append(f"{tp.due} ")
            out.append_text(due_text((today - tp.due).days))
            out.append(f"  {label(tp.kind)}", style="bold")
            if tp.status == "snoozed":
                out.append(" (snoozed)", style="dim")
            if tp.note:
                out.append(f"\n  {safe(tp.note)}", style="dim")
        return out
