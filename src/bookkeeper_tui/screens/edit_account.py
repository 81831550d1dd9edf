"""Edit an account (tier, renewal, owner, industry, tags) without losing anyone's change.

The form loads the account's values and the version they were read at in a worker, and
saves in a worker with ``Book.update_account(..., expected_version)``. When someone saved
the account in the meantime (another terminal, a script, a quick-log MRR change), the
book refuses with ``ConflictError`` and the form shows, field by field, what they saved
next to what you typed, and asks: "Overwrite theirs" (save yours over it, knowingly),
"Take theirs" (reload the form with what is stored) or escape (keep editing). It never
overwrites silently: the form does not pick up a newer version on its own.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

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
from bookkeeper_tui.store.book import BookError, ConflictError, parse_iso
from bookkeeper_tui.widgets.render import safe

#: The Select value meaning "follow the ARR" (tier not set by hand).
#: The text inputs, in tab order (the tier Select comes first).
INPUTS = ("renewal", "owner", "industry", "tags")
FIELDS = ("tier", *INPUTS)
TITLES = {
    "tier": "Tier",
    "renewal": "Renewal",
    "owner": "Owner",
    "industry": "Industry",
    "tags": "Tags",
}


def shown(key: str, value: object) -> str:
    """A stored or typed value as the conflict table shows it."""
    if key == "tier":
        return "from MRR" if value is None else str(value)
    if key == "tags":
        return " ".join(f"#{safe(t)}" for t in value) if value else "–"  # type: ignore[union-attr]
    if isinstance(value, date):
        return value.isoformat()
    return safe(str(value)) if value else "–"


class EditAccountScreen(FormNotes, DataModal):
    """The edit form, opened with `e` on the account screen."""

    CSS_PATH = "edit_account.tcss"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = commands.bindings(commands.FORM)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.account_name = name
        #: What was loaded (or taken from the other person) and the version it was read at.
        self.base: dict | None = None
        self.version: int | None = None
        self.saving = False
        self.conflict: ConflictError | None = None
        #: What the user wanted to save when the conflict was found.
        self.pending: dict | None = None
        self.differences: list[tuple[str, str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="edit-account"):
            yield Static(
                Text.assemble(
                    ("Edit ", "bold"),
                    (safe(self.account_name), "bold"),
                    (
                        f"  {commands.key_name(self.app, 'form.save')} saves · "
                        f"{commands.key_name(self.app, 'dialog.cancel')} cancels",
                        "dim",
                    ),
                ),
                classes="dialog-title",
                id="edit-title",
            )
            yield from self._row("tier", tier_select())
            yield from self._row(
                "renewal", form_input(placeholder="YYYY-MM-DD (optional)", id="renewal")
            )
            yield from self._row("owner", form_input(placeholder="optional", id="owner"))
            yield from self._row("industry", form_input(placeholder="optional", id="industry"))
            yield from self._row(
                "tags", form_input(placeholder="words, e.g. beta priority", id="tags")
            )
            yield Static("", id="form-error", classes="error")
            with Vertical(id="conflict"):
                yield Static("", id="conflict-title")
                yield Static("", id="conflict-table")
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Overwrite theirs", variant="error", id="overwrite", compact=True)
                    yield Button("Take theirs", variant="primary", id="take", compact=True)
            with Horizontal(classes="dialog-buttons", id="form-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @staticmethod
    def _row(key: str, widget: Input | Select) -> ComposeResult:
        return form_row(key, TITLES[key], widget)

    def on_mount(self) -> None:
        for key in FIELDS:
            self._note(key, None)
        self.query_one("#form-error", Static).display = False
        self.query_one("#conflict").display = False
        self.query_one("#save", Button).disabled = True  # until the values are loaded
        # DataMixin.on_mount (subscribe, first load) runs on its own.

    # -- data ---------------------------------------------------------------------------
    def load(self) -> tuple[dict, int] | str:
        try:
            return self.book.account_for_edit(self.account_name)
        except BookError as exc:
            return exc.message

    def show(self, data: tuple[dict, int] | str) -> None:
        if isinstance(data, str):
            self._form_error(data)
            return
        values, version = data
        self._fill(values, version)
        self.query_one("#save", Button).disabled = False
        self.query_one("#tier", Select).focus()

    def _on_book_changed(self, _what: str) -> None:
        """Never reload while editing: picking up a newer version here would let the
        next save overwrite a change the user never saw. The save asks instead."""

    def _fill(self, values: dict, version: int) -> None:
        self.base = values
        self.version = version
        self.account_name = values["name"]
        self.query_one("#tier", Select).value = values["tier"] or FROM_MRR
        for key, value in self._as_text(values).items():
            # Shown made safe (an escape sequence in stored data never reaches the terminal);
            # a field left as shown keeps its stored value exactly (see _typed).
            self.query_one(f"#{key}", Input).value = safe(value)
        for key in FIELDS:
            self._note(key, None)
        note = self.query_one("#tier-note", Static)
        if values["tier"] is None:
            note.update(Text(f"→ now {values['current_tier']}, follows the ARR", style="dim"))
            note.display = True

    @staticmethod
    def _as_text(values: dict) -> dict[str, str]:
        return {
            "renewal": values["renewal"].isoformat() if values["renewal"] else "",
            "owner": values["owner"] or "",
            "industry": values["industry"] or "",
            "tags": " ".join(values["tags"]),
        }

    # -- validation ---------------------------------------------------------------------
    def _typed(self, key: str) -> str:
        """The field's text; the stored text when the user left it as it was shown."""
        value = self.query_one(f"#{key}", Input).value
        if self.base is not None:
            original = self._as_text(self.base)[key]
            if value == safe(original):
                return original
        return value

    def collect(self) -> dict | None:
        """The form's values as ``update_account`` changes, or None (shown under fields)."""
        out: dict = {}
        tier = self.query_one("#tier", Select).value
        out["tier"] = None if tier == FROM_MRR else tier
        raw = self._typed("renewal")
        ok = True
        if raw.strip():
            try:
                day = parse_iso(raw, "the renewal date")
            except BookError as exc:
                self._note("renewal", exc.message)
                ok = False
            else:
                start = self.base["start"] if self.base else None
                problem = renewal_before_start(day, start)
                if problem:
                    self._note("renewal", problem)
                    ok = False
                else:
                    self._note("renewal", None)
                    out["renewal"] = day
        else:
            self._note("renewal", None)
            out["renewal"] = None
        for key in ("owner", "industry"):
            value = " ".join(self._typed(key).split())
            if len(value) > 100:
                self._note(key, f"the {key} is longer than 100 characters; shorten it")
                ok = False
            else:
                self._note(key, None)
            out[key] = value or None
        words = self._typed("tags").split()
        out["tags"] = tuple(dict.fromkeys(w.lstrip("#").casefold() for w in words if w.strip("#")))
        return out if ok else None

    # -- events -------------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        """Pasted control characters are replaced: they would reach the terminal raw."""
        event.stop()
        if event.value != safe(event.value):
            event.input.value = safe(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == INPUTS[-1]:
            self.action_save()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id
        if button == "save":
            self.action_save()
        elif button == "cancel":
            self.action_cancel()
        elif button == "overwrite":
            self.action_overwrite()
        elif button == "take":
            self.action_take_theirs()

    # -- save, conflict -----------------------------------------------------------------
    def action_save(self) -> None:
        if self.saving or self.version is None or self.conflict is not None:
            return
        changes = self.collect()
        if changes is None:
            return
        self._save(changes, self.version)

    def _save(self, changes: dict, version: int) -> None:
        self.saving = True
        self._form_error(None)
        self.query_one("#save", Button).disabled = True
        book = self.book
        today = self.today
        name = self.account_name
        account_id = self.base["id"] if self.base else None

        def save() -> None:
            try:
                book.update_account(name, changes, version, as_of=today)
                if account_id is not None:
                    book.sync(today, account_ids=[account_id])
            except ConflictError as exc:
                self.app.call_from_thread(self._conflicted, exc, changes)
                return
            except BookError as exc:
                self.app.call_from_thread(self._failed_save, exc.message)
                return
            except Exception as exc:  # the store failed: say so, keep what was typed
                self.app.call_from_thread(
                    self._failed_save, f"the account was not saved ({exc}); try again"
                )
                return
            self.app.call_from_thread(self._saved)

        self.run_worker(save, thread=True, group="save", exit_on_error=False)

    def _failed_save(self, message: str) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        for key in ("renewal", "owner", "industry", "tier", "tags"):
            if key in message:
                self._note(key, message)
                return
        self._form_error(message)

    def _saved(self) -> None:
        self.saving = False
        self.app.notify(f"Saved {safe(self.account_name)}.", markup=False)
        self.dismiss(self.account_name)
        self.bk.notify_changed("edit")

    def _conflicted(self, exc: ConflictError, mine: dict) -> None:
        """Show what the other person saved next to what the user typed, and ask."""
        self.saving = False
        self.query_one("#save", Button).disabled = False
        self.conflict = exc
        self.pending = mine
        theirs = exc.stored
        #: (field, what they saved, what the user typed) for each field that differs.
        self.differences = [
            (TITLES[key], shown(key, theirs.get(key)), shown(key, mine.get(key)))
            for key in FIELDS
            if mine.get(key) != theirs.get(key)
        ]
        width = max([len(t) for _, t, _ in self.differences] + [len("they saved")]) + 2
        table = Text.assemble(
            (f"{'':<10}", ""),
            (f"{'they saved':<{width}}", "bold yellow"),
            ("you typed", "bold cyan"),
        )
        for title, their_value, my_value in self.differences:
            table.append(f"\n{title:<10}", style="bold")
            table.append(f"{their_value:<{width}}", style="yellow")
            table.append(my_value, style="cyan")
        if not self.differences:
            table.append("\n(they saved the same values you typed)", style="dim")
        self.query_one("#conflict-title", Static).update(
            Text(
                "Someone else saved this account since you opened it. "
                "Overwrite theirs with yours, or take theirs? (escape keeps editing)",
                style="bold yellow",
            )
        )
        self.query_one("#conflict-table", Static).update(table)
        self.query_one("#conflict").display = True
        self.query_one("#form-buttons").display = False
        self.query_one("#take", Button).focus()

    def _close_conflict(self) -> None:
        self.conflict = None
        self.pending = None
        self.query_one("#conflict").display = False
        self.query_one("#form-buttons").display = True

    def action_overwrite(self) -> None:
        exc, mine = self.conflict, self.pending
        if exc is None or mine is None or self.saving:
            return
        self._close_conflict()
        self._save(mine, exc.version)

    def action_take_theirs(self) -> None:
        exc = self.conflict
        if exc is None or self.saving:
            return
        self._close_conflict()
        self._fill(exc.stored, exc.version)
        self.query_one("#tier", Select).focus()

    def action_cancel(self) -> None:
        if self.saving:
            return
        if self.conflict is not None:  # escape on the question: back to editing
            self._close_conflict()
            self.query_one("#owner", Input).focus()
            return
        self.dismiss(None)
