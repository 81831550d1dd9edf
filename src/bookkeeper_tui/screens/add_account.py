"""Add an account: a small form that says what is wrong while you type.

Every field is checked in memory (dates, numbers, a name already taken) as the user types
or leaves it, with the message under the field. Saving runs ``Book.add_account`` in a
thread worker; whatever the book still refuses (a name added elsewhere a moment ago) is
shown in the form, which stays open with nothing saved. ``ctrl+s`` saves, ``escape``
cancels; ``enter`` moves to the next field and saves from the last one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

from bookkeeper_tui.core.bounds import mrr_problem
from bookkeeper_tui.core.names import name_key
from bookkeeper_tui.core.tiers import suggest_tier
from bookkeeper_tui.screens import commands
from bookkeeper_tui.screens.base import DataModal
from bookkeeper_tui.screens.form import (
    FROM_MRR,
    FormNotes,
    form_input,
    form_row,
    renewal_before_start,
    tier_select,
)
from bookkeeper_tui.store.book import BookError, parse_iso
from bookkeeper_tui.widgets.render import money, safe

#: The Select value meaning "suggest the tier from the MRR".
#: Input ids in tab order (the Select sits between name and start).
FIELDS = ("name", "tier", "start", "renewal", "mrr", "owner")
MAX_NAME = 200
MAX_OWNER = 100


class FieldError(ValueError):
    """One field's problem, as the sentence shown under it."""


@dataclass
class NewAccount:
    name: str
    tier: str | None
    start: date
    renewal: date | None
    mrr: float | None
    owner: str | None


def parse_mrr(value: str) -> float | None:
    """'1,500' or '1500.50' -> a number; empty -> None (the account has no MRR yet)."""
    text = value.strip().replace(",", "").replace("_", "").replace(" ", "")
    if not text:
        return None
    try:
        mrr = float(text)
    except ValueError:
        raise FieldError(
            f"MRR '{value.strip()}' is not a number; type the monthly revenue, e.g. 1500"
        ) from None
    if not math.isfinite(mrr):
        raise FieldError("MRR must be an ordinary number, e.g. 1500")
    if mrr < 0:
        raise FieldError("MRR cannot be negative; type the monthly revenue, or 0 if none")
    problem = mrr_problem(mrr)
    if problem:
        raise FieldError(problem)
    return mrr


class AddAccountScreen(FormNotes, DataModal):
    """The add-account form (from the Book's `n` and the command palette)."""

    CSS_PATH = "add_account.tcss"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = commands.bindings(commands.FORM)

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, str] = {}
        self.names_loaded = False
        self.touched: set[str] = set()
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="add-account"):
            yield Static(
                "[b]Add an account[/b]  "
                f"[dim]{commands.key_name(self.app, 'form.save')} saves · "
                f"{commands.key_name(self.app, 'dialog.cancel')} cancels[/]",
                classes="dialog-title",
            )
            yield from self._row("name", "Name", form_input(placeholder="Acme Corp", id="name"))
            yield from self._row("tier", "Tier", tier_select())
            yield from self._row(
                "start", "Start", form_input(value=self.today.isoformat(), id="start")
            )
            yield from self._row(
                "renewal", "Renewal", form_input(placeholder="YYYY-MM-DD (optional)", id="renewal")
            )
            yield from self._row(
                "mrr",
                "MRR",
                form_input(placeholder="monthly revenue, e.g. 1500 (optional)", id="mrr"),
            )
            yield from self._row("owner", "Owner", form_input(placeholder="optional", id="owner"))
            yield Static("", id="form-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    _row = staticmethod(form_row)

    def on_mount(self) -> None:
        for key in FIELDS:
            self._note(key, None)
        self._tier_hint()
        self.query_one("#form-error", Static).display = False
        self.query_one("#name", Input).focus()
        # DataMixin.on_mount runs on its own (Textual calls every class's handler).

    # -- data: the names already taken, for the live duplicate check ---------------------
    def load(self) -> list[str]:
        return self.book.account_names()

    def show(self, names: list[str]) -> None:
        self.names = {name_key(n): n for n in names}
        self.names_loaded = True
        if self._value("name").strip():
            self._check("name")

    # -- validation ---------------------------------------------------------------------
    def _value(self, key: str) -> str:
        return self.query_one(f"#{key}", Input).value

    def _parse(self, key: str) -> object:
        """The field's value, or FieldError saying what is wrong and how to fix it."""
        raw = self._value(key) if key != "tier" else ""
        if key == "name":
            name = " ".join(raw.split())
            if not name:
                raise FieldError("a name is required, e.g. Acme Corp")
            if len(name) > MAX_NAME:
                raise FieldError(f"the name is longer than {MAX_NAME} characters; shorten it")
            clash = self.names.get(name_key(name))
            if clash is not None:
                raise FieldError(f"'{clash}' already exists; names are unique, choose another")
            return name
        if key == "tier":
            value = self.query_one("#tier", Select).value
            return None if value == FROM_MRR else value
        if key in ("start", "renewal"):
            what = "start date" if key == "start" else "renewal date"
            if not raw.strip():
                if key == "start":
                    raise FieldError(f"a start date is required, e.g. {self.today.isoformat()}")
                return None
            try:
                day = parse_iso(raw, what)
            except BookError as exc:
                raise FieldError(exc.message) from None
            if key == "renewal":
                start = self._peek("start")
                problem = renewal_before_start(day, start if isinstance(start, date) else None)
                if problem:
                    raise FieldError(problem)
            return day
        if key == "mrr":
            return parse_mrr(raw)
        if key == "owner":
            owner = raw.strip()
            if len(owner) > MAX_OWNER:
                raise FieldError(f"the owner is longer than {MAX_OWNER} characters; shorten it")
            return owner or None
        raise KeyError(key)

    def _peek(self, key: str) -> object:
        try:
            return self._parse(key)
        except FieldError:
            return None

    def _check(self, key: str) -> bool:
        """Validate one field and show (or clear) its message; True when it is fine."""
        try:
            self._parse(key)
        except FieldError as exc:
            self._note(key, str(exc))
            return False
        self._note(key, None)
        return True

    def _note(self, key: str, message: str | None) -> None:
        super()._note(key, message)
        if key == "mrr":
            self._tier_hint()

    def _tier_hint(self) -> None:
        """Under the tier: what "from MRR" will choose, so the user sees it before saving."""
        note = self.query_one("#tier-note", Static)
        if self.query_one("#tier", Select).value != FROM_MRR:
            note.display = False
            return
        mrr = self._peek("mrr")
        mrr = mrr if isinstance(mrr, float) else 0.0
        tier = suggest_tier(mrr * 12, self.bk.config.tiers)
        note.update(Text(f"→ {tier} (ARR {money(mrr * 12)})", style="dim"))
        note.display = True

    def on_input_changed(self, event: Input.Changed) -> None:
        key = event.input.id or ""
        if key not in FIELDS:
            return
        event.stop()
        self.query_one("#form-error", Static).display = False
        # A half-typed date is not an error yet: dates are judged once touched or complete.
        partial_date = key in ("start", "renewal") and len(event.value.strip()) < 10
        if key in self.touched or not partial_date:
            if event.value.strip() or key in self.touched:
                self._check(key)
            else:
                self._note(key, None)
        if key == "start" and "renewal" in self.touched:
            self._check("renewal")
        if key == "mrr":
            self._tier_hint()

    def on_input_blurred(self, event: Input.Blurred) -> None:
        key = event.input.id or ""
        if key in FIELDS and not self.saving and self.is_current:
            self.touched.add(key)
            self._check(key)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._tier_hint()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last one it saves."""
        event.stop()
        if event.input.id == FIELDS[-1]:
            self.action_save()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    # -- save / cancel ------------------------------------------------------------------
    def collect(self) -> NewAccount | None:
        """Every field checked and shown; the values when all are fine."""
        inputs = [k for k in FIELDS if k != "tier"]
        self.touched.update(inputs)
        bad = [k for k in inputs if not self._check(k)]
        if bad:
            self.query_one(f"#{bad[0]}", Input).focus()
            return None
        values = {k: self._parse(k) for k in FIELDS}
        return NewAccount(**values)  # type: ignore[arg-type]

    def action_save(self) -> None:
        if self.saving:
            return
        new = self.collect()
        if new is None:
            return
        self.saving = True
        self._form_error(None)
        self.query_one("#save", Button).disabled = True
        book = self.book
        today = self.today

        def save() -> None:
            try:
                acc = book.add_account(
                    new.name,
                    new.tier,
                    new.start,
                    renewal=new.renewal,
                    mrr=new.mrr,
                    owner=new.owner,
                    plan_on=today,  # one transaction: a failure saves nothing
                )
            except BookError as exc:
                self.app.call_from_thread(self._failed, exc.message)
                return
            except Exception as exc:  # the store failed: say so, keep what was typed
                self.app.call_from_thread(
                    self._failed, f"the account was not saved ({exc}); try again"
                )
                return
            self.app.call_from_thread(self._saved, acc.name, acc.tier)

        self.run_worker(save, thread=True, group="save", exit_on_error=False)

    def _failed(self, message: str) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        if "named" in message or "account name" in message:
            self._note("name", message)
            self.query_one("#name", Input).focus()
        elif "renewal" in message:
            self._note("renewal", message)
        elif "mrr" in message.casefold():
            self._note("mrr", message)
        else:
            self._form_error(message)

    def _saved(self, name: str, tier: str) -> None:
        self.bk.notify_changed("account")
        self.app.notify(f"Added {safe(name)} ({tier}).", markup=False)
        self.dismiss(name)

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)
