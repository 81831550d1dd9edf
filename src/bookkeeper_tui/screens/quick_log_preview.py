"""The quick log's live preview (screens/quick_log.py): what the parsed line will record,
one labelled row per part, with what it sets off (a detractor's follow-up, an MRR move,
churn language), drawn on every change of the line."""

from __future__ import annotations

from rich.text import Text

from bookkeeper_tui.core.names import name_key
from bookkeeper_tui.core.quicklog import QuickLog
from bookkeeper_tui.core.settings import LoopConfig
from bookkeeper_tui.core.signals import churn_terms
from bookkeeper_tui.widgets.render import label, money, safe

Row = tuple[str, Text | str]


def preview_text(
    q: QuickLog,
    brief: dict,
    loop: LoopConfig,
    churn_words,
    touchpoint_id: int | None = None,
    checklist: tuple[int, int] | None = None,
) -> Text:
    """The preview of *q*; *brief* is what the book said of its account (tier, status,
    MRR, contacts; empty while it loads). *checklist*: (ticked, items) when there is one."""
    rows: list[Row] = [("account", _account(q, brief)), ("kind", _kind(q))]
    if q.outcome is not None:
        rows.append(("outcome", _outcome(q)))
    if q.contact:
        rows.append(("contact", _contact(q, brief.get("contacts", {}))))
    rows += _scores(q, loop)
    if q.mrr is not None:
        rows.append(("MRR", _mrr(q.mrr, brief.get("mrr"))))
    if q.summary:
        terms = churn_terms(q.summary, churn_words)
        text = Text(f'"{safe(q.summary)}"')
        if terms:
            text.append("  churn language: " + ", ".join(terms), style="bold red")
        rows.append(("note", text))
    if q.next:
        rows.append(("next", f"{label(q.next.kind)} on {q.next.due:%a %d %b %Y}"))
    if q.tags:
        rows.append(("tags", " ".join("#" + safe(t) for t in q.tags)))
    if touchpoint_id:
        rows.append(("completes", "the selected touchpoint"))
    if checklist is not None:
        n, items = checklist
        rows.append(
            (
                "checklist",
                Text(
                    f"{n} of {items} ticked" + ("" if n else " (tab, then space to tick)"),
                    style="" if n else "dim",
                ),
            )
        )
    out = Text()
    for i, (key, value) in enumerate(rows):
        if i:
            out.append("\n")
        out.append(f"{key:>10}  ", style="dim")
        out.append(value if isinstance(value, Text) else Text(value))
    return out


def _account(q: QuickLog, brief: dict) -> Text:
    tier = f" ({brief['tier']})" if brief.get("tier") else ""
    churned = " — churned" if brief.get("status") == "churned" else ""
    account = Text(safe(q.account) + tier + churned, style="bold")
    if q.account_match == "fuzzy":
        account.append("  did you mean this account? ctrl+y logs it here", style="yellow")
    return account


def _kind(q: QuickLog) -> str:
    when = "" if not q.dated else f" on {q.when:%a %d %b}"
    return label(q.kind) + when


def _outcome(q: QuickLog) -> Text:
    assert q.outcome is not None
    outcome = {"renewed": "green", "downgraded": "yellow", "churned": "bold red"}
    text = Text(q.outcome, style=outcome.get(q.outcome, ""))
    if q.term_months:
        text.append(f" · next term {q.term_months} months", style="dim")
    elif q.outcome != "churned":
        text.append(" · next renewal planned one term on", style="dim")
    return text


def _contact(q: QuickLog, contacts: dict) -> str:
    assert q.contact
    key = name_key(q.contact)
    known = contacts.get(key) or next(
        (v for k, v in contacts.items() if k.startswith(key + " ")), None
    )
    if known:
        said = f"{safe(known[0])} ({label(known[1])})"
        if q.contact_role is not None and q.contact_role != known[1]:
            said = f"{safe(known[0])} ({label(known[1])} → {label(q.contact_role)})"
    else:
        said = f"{safe(q.contact)} (new contact"
        said += f", {label(q.contact_role)})" if q.contact_role else ")"
    if q.contact_left:
        said += f", left {q.when:%d %b}"
        if (q.contact_role or (known[1] if known else None)) == "champion":
            said += " → find a new champion"
    return said


def _scores(q: QuickLog, loop: LoopConfig) -> list[Row]:
    rows: list[Row] = []
    for sc in q.scores:
        note = ""
        if (sc.kind == "nps" and sc.value <= loop.detractor_nps_max) or (
            sc.kind == "csat" and sc.value <= loop.detractor_csat_max
        ):
            note = "  detractor → follow-up tomorrow, resolution check in 7 days"
        elif sc.kind == "nps" and sc.value >= loop.promoter_nps_min:
            note = "  promoter → referral ask"
        rows.append((sc.kind.upper(), Text(str(sc.value)).append(note, style="dim")))
    return rows


def _mrr(mrr: float, before: float | None) -> Text | str:
    if before is None:
        return money(mrr)
    move = (
        "churn"
        if mrr == 0 and before > 0
        else "expansion"
        if mrr > before
        else "contraction"
        if mrr < before
        else "no change"
    )
    style = {"expansion": "green", "churn": "bold red", "contraction": "yellow"}
    return Text(f"{money(before)} → {money(mrr)} ").append(
        f"({move})", style=style.get(move, "dim")
    )
