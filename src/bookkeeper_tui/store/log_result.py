"""What a quick-log line recorded (``LogResult``) and the rule of which open touchpoint
it completes: shared by ``Book.record`` and the command line's fast path
(``store/fast_log.py``), which must not import SQLAlchemy to stay quick."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol, TypeVar

from bookkeeper_tui.core.loop import is_detractor_line, says_referral
from bookkeeper_tui.core.quicklog import QuickLog
from bookkeeper_tui.core.settings import LoopConfig
from bookkeeper_tui.core.signals import churn_spans
from bookkeeper_tui.core.vocab import COMPLETES

#: A logged interaction completes a matching open touchpoint due up to this far ahead.
COMPLETE_AHEAD_DAYS = 30
#: ...and a touchpoint of the very same kind (a renewal call, a QBR) up to this far ahead.
COMPLETE_SAME_KIND_AHEAD_DAYS = 60
#: The quick-log tag that records the account's first value (time-to-value).
FIRST_VALUE_TAG = "first-value"


class OpenTp(Protocol):
    id: int
    kind: str
    due: date


T = TypeVar("T", bound=OpenTp)


def line_match(
    q: QuickLog, open_tps: Sequence[T], loop: LoopConfig, churn_words: Sequence[str]
) -> T | None:
    """The open touchpoint a line of its kind completes: the same kind first (a
    renewal call completes the renewal, not the CES check), then the most overdue."""
    horizon = q.when + timedelta(days=COMPLETE_AHEAD_DAYS)
    same_horizon = q.when + timedelta(days=COMPLETE_SAME_KIND_AHEAD_DAYS)
    kinds = COMPLETES.get(q.kind, frozenset())
    if is_detractor_line(
        [(sc.kind, float(sc.value)) for sc in q.scores],
        [t for _, _, t in churn_spans(q.summary, churn_words)],
        loop,
    ):
        # A detractor call is not the planned expansion conversation.
        kinds = kinds - {"expansion"}
    candidates = sorted(
        (
            t
            for t in open_tps
            if t.kind in kinds and t.due <= (same_horizon if t.kind == q.kind else horizon)
        ),
        key=lambda t: (t.kind != q.kind, t.due, t.id),
    )
    return candidates[0] if candidates else None


def referral_match(q: QuickLog, open_tps: Sequence[T], done_ids: set[int]) -> T | None:
    """The referral ask a line completes: whatever its kind, a line that says it asked for
    a referral does so (the first open one within the completion horizon)."""
    if not says_referral(q.summary, q.tags):
        return None
    horizon = q.when + timedelta(days=COMPLETE_AHEAD_DAYS)
    return next(
        (
            t
            for t in open_tps
            if t.kind == "referral_ask" and t.due <= horizon and t.id not in done_ids
        ),
        None,
    )


@dataclass
class LogResult:
    account: str
    interaction_id: int
    kind: str
    day: date
    summary: str
    contact: str | None
    contact_created: bool
    scores: list[tuple[str, int]]
    mrr_before: float | None
    mrr_after: float | None
    completed: list[tuple[str, date]]
    created: list[tuple[str, date, str]]
    next: tuple[str, date] | None
    tags: list[str]
    churn_terms: list[str]
    health: float | None
    band: str | None
    previous_band: str | None
    extra: dict = field(default_factory=dict)
    #: A renewal outcome line's outcome (``renewal renewed ...``): what it closed and planned.
    outcome: dict | None = None
    #: The touchpoint checklist items ticked when it was logged (core/content.py).
    checklist: list[str] = field(default_factory=list)
    #: `with NAME (ROLE)`: the contact's role before and after (before None: new contact).
    role_change: tuple[str | None, str] | None = None
    #: `with NAME (left)`: the day the contact left.
    contact_left: date | None = None
    #: `#first-value`: the account's first-value date after this line (and whether it set it).
    first_value: date | None = None
    first_value_set: bool = False

    def relationship_lines(self) -> list[str]:
        """What the line changed about its contact or the account's first value, e.g.
        "Priya: end user -> champion" (the CLI and the app show these)."""
        out = []
        who = self.contact or ""
        if self.role_change is not None:
            before, after = (r.replace("_", " ") if r else r for r in self.role_change)
            if before is None:
                out.append(f"{who}: {after} (new contact)")
            elif before == after:
                out.append(f"{who}: {after} (unchanged)")
            else:
                out.append(f"{who}: {before} -> {after}")
        if self.contact_left is not None:
            out.append(f"{who} left on {self.contact_left}")
        if self.first_value is not None:
            if self.first_value_set:
                out.append(f"first value: {self.first_value}")
            else:
                out.append(f"first value already recorded on {self.first_value} (kept)")
        return out

    def as_json(self) -> dict:
        return {
            "account": self.account,
            "interaction_id": self.interaction_id,
            "kind": self.kind,
            "date": self.day.isoformat(),
            "summary": self.summary,
            "contact": self.contact,
            "contact_created": self.contact_created,
            "scores": [{"kind": k, "value": v} for k, v in self.scores],
            "mrr": None
            if self.mrr_after is None
            else {"from": self.mrr_before, "to": self.mrr_after},
            "completed": [{"kind": k, "due": d.isoformat()} for k, d in self.completed],
            "created": [{"kind": k, "due": d.isoformat(), "origin": o} for k, d, o in self.created],
            "next": None
            if self.next is None
            else {"kind": self.next[0], "due": self.next[1].isoformat()},
            "tags": self.tags,
            "churn_terms": self.churn_terms,
            "health": self.health,
            "band": self.band,
            "checklist": self.checklist,
            "contact_role": None
            if self.role_change is None
            else {"from": self.role_change[0], "to": self.role_change[1]},
            "contact_left": self.contact_left.isoformat() if self.contact_left else None,
            "first_value": None
            if self.first_value is None
            else {"date": self.first_value.isoformat(), "set": self.first_value_set},
            **({} if self.outcome is None else {"renewal_outcome": self.outcome}),
        }
