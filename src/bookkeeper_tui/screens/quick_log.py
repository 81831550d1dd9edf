"""Quick log: one line, typed seconds after a call (docs/interfaces.md "Quick-log line").

The line is parsed on every keystroke by the pure parser (no database round trip), so
the preview and the inline error follow the typing. The account name completes as you
type (right arrow accepts). ``enter`` saves in a worker thread; ``escape`` cancels.

A typo never writes silently to another account: when the account is only a close
spelling of a name (not the name or the start of one), the screen asks "did you mean
…?" and ``enter`` does not save; ``ctrl+y`` confirms and saves to that account.

Opened from a touchpoint on Today, it also shows what to cover (core/content.py): the
touchpoint's talk track and its checklist with the account's band play added. ``tab``
moves to the checklist, ``space`` ticks an item, ``enter`` saves from either place; the
ticked items are saved with the interaction in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.suggester import Suggester
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from bookkeeper_tui.core.content import Guide, guide
from bookkeeper_tui.core.quicklog import (
    QuickLog,
    QuickLogError,
    account_candidates,
    complete_account,
    parse_quicklog,
)
from bookkeeper_tui.core.vocab import BANDS
from bookkeeper_tui.screens import commands
from bookkeeper_tui.screens.base import DataModal
from bookkeeper_tui.screens.quick_log_preview import preview_text
from bookkeeper_tui.store.book import BookError, LogResult
from bookkeeper_tui.widgets.footer import Footer
from bookkeeper_tui.widgets.render import label, safe
from bookkeeper_tui.widgets.safe_input import SafeInput

EXAMPLE = 'acme qbr with Dana nps 9 "wants SSO" next call +2w #expansion'


class AccountSuggester(Suggester):
    """Completes the account name while the user is still typing it."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.names: list[str] = []

    async def get_suggestion(self, value: str) -> str | None:
        if not value.strip() or value.startswith('"'):
            return None
        # The first of the five best candidates that starts with the value: prefix
        # matches only, not a fuzzy pass over every name on each keystroke of the line.
        return complete_account(value, self.names, limit=5)


def _colour(band: str) -> str:
    return band if band in BANDS else ""


class Checklist(SelectionList[str]):
    """The touchpoint's checklist: ``space`` ticks the highlighted item, ``enter`` saves."""

    BINDINGS = commands.bindings(commands.CHECKLIST)

    def action_save(self) -> None:
        screen = self.screen
        if isinstance(screen, QuickLogScreen):
            screen.action_save()


@dataclass
class Preview:
    parsed: QuickLog | None
    error: QuickLogError | None


class QuickLogScreen(DataModal):
    """A one-line logger with live preview and inline errors."""

    #: Letters typed here are text: the app's one-letter keys (l, t, b, k, q…) step aside.
    TYPING = True

    CSS_PATH = "quick_log.tcss"
    BINDINGS = commands.bindings(commands.QUICK_LOG)

    def __init__(
        self,
        prefill: str = "",
        touchpoint_id: int | None = None,
        kind: str | None = None,
        band: str | None = None,
    ) -> None:
        super().__init__()
        self.prefill = prefill
        self.touchpoint_id = touchpoint_id
        #: The touchpoint's kind and the account's health band (logging from Today).
        self.touchpoint_kind = kind
        self.band = band
        #: What to cover (talk track, checklist, band play); None without a touchpoint.
        self.guide: Guide | None = None
        self.names: list[str] = []
        self.loaded = False
        self.briefs: dict[str, dict] = {}
        self.saving = False
        #: A line submitted before the account names had loaded (right after start-up,
        #: while the book is still opening): saved as soon as they arrive, not dropped.
        self.pending: str | None = None
        self.suggester = AccountSuggester()
        #: The last line parsed: (line, names, today, preview).
        self._parsed: tuple[str, list[str], date, Preview] | None = None

    def compose(self) -> ComposeResult:
        if self.touchpoint_kind is not None:
            cfg = self.app.config  # type: ignore[attr-defined]
            g = guide(self.touchpoint_kind, self.band, cfg.content, cfg.plays)
            self.guide = None if g.empty else g
        g = self.guide
        # With a checklist the dialog may be taller than a small terminal: it scrolls.
        box = VerticalScroll if g is not None else Vertical
        with box(classes="dialog" + (" -checklist" if g else ""), id="quick-log"):
            title = "Log it" if self.touchpoint_id else "Quick log"
            cancel = commands.key_name(self.app, "dialog.cancel")
            keys = (
                f"enter saves · {commands.key_name(self.app, 'quicklog.checklist')}: checklist"
                f" · {cancel} cancels"
                if g is not None
                else f"enter saves · {cancel} cancels · → completes the name"
            )
            yield Static(f"[b]{title}[/b]  [dim]{keys}[/]", classes="dialog-title")
            yield SafeInput(
                value=self.prefill,
                placeholder=EXAMPLE,
                suggester=self.suggester,
                id="quick-log-input",
                select_on_focus=False,
            )
            yield Static("", id="quick-log-error", classes="error")
            yield Static("", id="quick-log-candidates")
            if g is not None:
                yield Static(self._talk_text(g), id="quick-log-talk")
                if g.items:
                    yield Checklist(
                        *(self._selection(g, item) for item in g.items),
                        id="quick-log-checklist",
                    )
            yield Static("", id="quick-log-preview")
        if g is not None:
            yield Footer()

    @staticmethod
    def _talk_text(g: Guide) -> Text:
        out = Text()
        if g.content.talk:
            out.append(safe(g.content.name or label(g.kind)), style="bold")
            out.append(": " + safe(g.content.talk))
        if g.play is not None and g.band:
            if out:
                out.append("\n")
            out.append(f"{g.band} play", style=f"bold {_colour(g.band)}")
            if g.play.name:
                out.append(f" ({safe(g.play.name)})", style="bold")
            if g.play.talk:
                out.append(": " + safe(g.play.talk))
        return out

    @staticmethod
    def _selection(g: Guide, item: str) -> Selection[str]:
        prompt = Text(safe(item))
        if g.band and g.play is not None and item not in g.content.checklist:
            prompt.append(f"  {g.band} play", style=f"dim {_colour(g.band)}")
        return Selection(prompt, item)

    def ticked(self) -> list[str]:
        """The checklist items ticked, in the checklist's order."""
        if self.guide is None or not self.guide.items:
            return []
        chosen = set(self.query_one("#quick-log-checklist", Checklist).selected)
        return [item for item in self.guide.items if item in chosen]

    def action_save(self) -> None:
        """``enter`` on the checklist: save the line as ``enter`` on the line does."""
        self._submit(self.query_one(Input).value)

    def on_mount(self) -> None:
        inp = self.query_one(Input)
        inp.cursor_position = len(inp.value)
        # Focus now, not after a refresh: the keys typed right after `l` belong to the line.
        self.set_focus(inp)

    def on_key(self, event: events.Key) -> None:
        """A key that reached the screen while nothing had the focus yet (typed in the
        same instant as `l`) still goes into the line, in order."""
        if self.focused is not None:
            return
        inp = self.query_one(Input)
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._submit(inp.value)
        elif event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            inp.insert_text_at_cursor(event.character)

    # -- data ---------------------------------------------------------------------------
    def load(self) -> list[str]:
        return self.book.account_names()

    def show(self, names: list[str]) -> None:
        self.loaded = True
        self.names = names
        self.suggester.names = names
        self._update(self.query_one(Input).value)
        if self.pending is not None:
            line, self.pending = self.pending, None
            self._submit(line)

    @work(thread=True, group="brief", exclusive=True, exit_on_error=False)
    def _fetch_brief(self, name: str) -> None:
        brief = self.book.account_brief(name, self.today)
        self.app.call_from_thread(self._got_brief, name, brief)

    def _got_brief(self, name: str, brief: dict) -> None:
        self.briefs[name] = brief
        self._update(self.query_one(Input).value)

    # -- live preview -------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        self._update(event.value)

    def parse(self, line: str) -> Preview:
        """The line parsed against the account names; the last answer is kept, so the
        save (``enter``) does not parse again what the preview just parsed."""
        last = self._parsed
        if last is not None and (line, self.today) == (last[0], last[2]) and last[1] is self.names:
            return last[3]
        try:
            result = Preview(parse_quicklog(line, self.names, self.today), None)
        except QuickLogError as exc:
            result = Preview(None, exc)
        self._parsed = (line, self.names, self.today, result)
        return result

    def _update(self, line: str) -> None:
        self._update_preview(line)
        if self.guide is not None:
            # With a checklist every line counts: an empty error or candidates line hides.
            for sel in ("#quick-log-error", "#quick-log-candidates"):
                widget = self.query_one(sel, Static)
                widget.display = bool(widget.content)

    def _update_preview(self, line: str) -> None:
        error = self.query_one("#quick-log-error", Static)
        preview = self.query_one("#quick-log-preview", Static)
        cands = self.query_one("#quick-log-candidates", Static)
        if not self.names:
            preview.update(
                Text(
                    "Your book has no accounts yet: press escape, then add one "
                    "(ctrl+p → Add account) or import a CSV (ctrl+p → Import CSV).",
                    style="yellow",
                )
                if self.loaded
                else Text(
                    "Saving as soon as the book has opened…"
                    if self.pending is not None
                    else "Loading accounts…",
                    style="dim",
                )
            )
            return
        if not line.strip():
            error.update("")
            cands.update("")
            preview.update(
                Text.assemble(
                    ("Type the account, then what happened, e.g.\n", "dim"),
                    (EXAMPLE, "italic"),
                )
            )
            return
        result = self.parse(line)
        first = line.split()[0] if line.split() else ""
        if result.error is not None:
            error.update(self._error_text(line, result.error))
            matches = account_candidates(first, self.names, limit=6) if first else []
            cands.update(
                Text("Accounts: " + " · ".join(safe(n) for n in matches), style="dim")
                if matches and "account" in result.error.message
                else ""
            )
            preview.update("")
            return
        cands.update("")
        assert result.parsed is not None
        q = result.parsed
        error.update(self._did_you_mean(q) if q.account_match == "fuzzy" else "")
        if q.account not in self.briefs:
            self.briefs[q.account] = {}
            self._fetch_brief(q.account)
        preview.update(self._preview_text(q, self.briefs.get(q.account) or {}))

    def _error_text(self, line: str, err: QuickLogError) -> Text:
        out = Text()
        if err.start is not None and err.end is not None and err.end > err.start:
            out.append(safe(line[: err.start]))
            out.append(safe(line[err.start : err.end]), style="bold white on red")
            out.append(safe(line[err.end :]))
            out.append("\n")
        out.append("✗ " + safe(err.message), style="bold red")
        return out

    def _preview_text(self, q: QuickLog, brief: dict) -> Text:
        config = self.app.config  # type: ignore[attr-defined]
        checklist = None
        if self.guide is not None and self.guide.items and self.is_mounted:
            checklist = (len(self.ticked()), len(self.guide.items))
        return preview_text(
            q, brief, config.loop, config.churn_words, self.touchpoint_id, checklist
        )

    # -- save ---------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit(event.value)

    def _submit(self, line: str) -> None:
        if self.saving:
            return
        if not self.loaded:
            # The book is still opening: keep the line and save it once the names load.
            self.pending = line
            self._update(line)
            return
        if not self.names:
            return
        result = self.parse(line)
        if result.error is not None or result.parsed is None:
            self._update(line)
            return
        if result.parsed.account_match == "fuzzy":
            # Only a close spelling: ask, never save to another account on enter.
            self.query_one("#quick-log-error", Static).update(
                self._did_you_mean(result.parsed, asked=True)
            )
            self.app.bell()
            return
        self.saving = True
        self._save(result.parsed, self.ticked())

    def action_confirm_account(self) -> None:
        """ctrl+y: save a line whose account was only a close spelling, as suggested."""
        if self.saving or not self.loaded or not self.names:
            return
        result = self.parse(self.query_one(Input).value)
        if result.parsed is None or result.parsed.account_match != "fuzzy":
            return
        self.saving = True
        self._save(result.parsed, self.ticked())

    def _did_you_mean(self, q: QuickLog, asked: bool = False) -> Text:
        name = safe(q.account)
        out = Text(f"? did you mean {name}? ", style="bold yellow")
        out.append(
            f"Nothing was saved: press ctrl+y to log it to {name}, or fix the account name."
            if asked
            else f"Press ctrl+y to log it to {name}, or fix the account name.",
            style="yellow",
        )
        return out

    @work(thread=True, group="save", exit_on_error=False)
    def _save(self, parsed: QuickLog, ticked: list[str]) -> None:
        try:
            res = self.book.record(
                parsed, self.today, touchpoint_id=self.touchpoint_id, checklist=ticked
            )
        except BookError as exc:
            self.app.call_from_thread(self._save_failed, exc.message)
            return
        except Exception as exc:  # the save was rolled back as a whole
            self.app.call_from_thread(
                self._save_failed, f"nothing was saved: {type(exc).__name__}: {exc}"
            )
            return
        self.app.call_from_thread(self._saved, res)

    def _save_failed(self, message: str) -> None:
        self.saving = False
        self.query_one("#quick-log-error", Static).update(
            Text("✗ " + safe(message), style="bold red")
        )

    def _saved(self, res: LogResult) -> None:
        parts = [f"Saved {label(res.kind)} with {safe(res.account)}"]
        if res.completed:
            parts.append("completed " + ", ".join(label(k) for k, _ in res.completed))
        if res.created:
            parts.append("new: " + ", ".join(label(k) for k, _, _ in res.created))
        if res.next:
            parts.append(f"next {label(res.next[0])} {res.next[1]:%d %b}")
        parts += [safe(line) for line in res.relationship_lines()]
        if res.outcome is not None:
            nxt = res.outcome["next_renewal"]
            parts.append(
                f"renewal {res.outcome['outcome']}"
                + (f", next renewal {nxt:%d %b %Y}" if nxt is not None else "")
            )
        self.app.notify(" · ".join(parts), title="Logged")
        closed = {self.touchpoint_id} if self.touchpoint_id is not None else set()
        closed |= set(res.extra.get("completed_ids", ()))
        bk = self.bk
        self.dismiss(res)
        if closed:
            bk.touchpoints_closed.publish(closed)
        # The reloads start after the frame that shows the save (they would compete
        # with drawing it).
        bk.call_after_refresh(bk.notify_changed, "log")

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        self._update(self.query_one(Input).value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _on_book_changed(self, _what: str) -> None:
        # Account names may have changed (another screen added one): reload them.
        self.reload()
