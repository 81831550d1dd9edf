"""Import a CSV file: pick it, check the proposed column mapping on a preview, import.

The preview and the import both run in thread workers; the import reports progress
into a progress bar and ends with a summary (created / updated / unchanged, and the
bad lines when the file was refused: nothing is written then).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    DirectoryTree,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
)

from bookkeeper_tui.io.fields import KINDS
from bookkeeper_tui.screens import commands
from bookkeeper_tui.store.book import BookError
from bookkeeper_tui.widgets.footer import Footer
from bookkeeper_tui.widgets.render import safe
from bookkeeper_tui.widgets.safe_input import SafeInput

NONE = "__none__"


class CsvTree(DirectoryTree):
    """A file tree that shows folders and CSV/TSV/TXT files only."""

    def filter_paths(self, paths):
        return [
            p
            for p in paths
            if not p.name.startswith(".")
            and (p.is_dir() or p.suffix.lower() in (".csv", ".tsv", ".txt"))
        ]


class ImportScreen(Screen[None]):
    """Pick a file and a kind, review the mapping, import with progress."""

    CSS_PATH = "import_screen.tcss"
    BINDINGS = commands.bindings(commands.IMPORT)

    def __init__(self, start: Path | None = None) -> None:
        super().__init__()
        self.start = start or Path.cwd()
        self.path: Path | None = None
        self.columns: list[str] = []
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="import-body"):
            with Vertical(id="import-left"):
                yield Label("File (type a path or pick one below)")
                yield SafeInput(placeholder="/path/to/companies.csv", id="import-path")
                yield CsvTree(self.start, id="import-tree")
            with VerticalScroll(id="import-right"):
                yield Label("What the file holds")
                yield Select(
                    [(k, k) for k in KINDS], value="accounts", allow_blank=False, id="import-kind"
                )
                yield Static("", id="import-file-info", classes="muted")
                yield Static("Column mapping", classes="section-title")
                yield Vertical(id="import-mapping")
                yield Static("Preview", classes="section-title")
                yield DataTable(id="import-preview", zebra_stripes=True)
                yield Checkbox(
                    "Import the valid rows, write the bad ones to a .rejects.csv", id="import-skip"
                )
                with Horizontal(classes="dialog-buttons"):
                    yield Button(
                        f"Dry run ({commands.key_name(self.app, 'import.dry_run')})",
                        id="import-dry",
                    )
                    yield Button(
                        f"Import ({commands.key_name(self.app, 'import.run')})",
                        id="import-go",
                        variant="primary",
                    )
                yield ProgressBar(id="import-progress", show_eta=False)
                yield Static("", id="import-summary")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Import a CSV file"
        self.query_one("#import-progress").display = False
        self.query_one("#import-path", Input).focus()

    # -- choosing the file and kind -----------------------------------------------------
    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#import-path", Input).value = str(event.path)
        self._choose(event.path)

    @on(Input.Submitted, "#import-path")
    def _typed(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if not path.is_file():
            self._summary(Text(f"✗ {safe(str(path))} is not a file", style="bold red"))
            return
        self._choose(path)

    @on(Select.Changed, "#import-kind")
    def _kind_changed(self, _event: Select.Changed) -> None:
        if self.path is not None:
            self._load_preview(None)

    def _choose(self, path: Path) -> None:
        self.path = path
        guess = guess_kind(path.name)
        select = self.query_one("#import-kind", Select)
        if guess and select.value != guess:
            select.value = guess  # its Changed event loads the preview
        else:
            self._load_preview(None)

    @property
    def kind(self) -> str:
        return str(self.query_one("#import-kind", Select).value)

    def _mapping(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for select in self.query("#import-mapping Select").results(Select):
            field = (select.id or "").removeprefix("map-")
            if select.value not in (NONE, Select.BLANK):
                out[field] = str(select.value)
        return out

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _load_preview(self, mapping: dict[str, str] | None) -> None:
        from bookkeeper_tui.io.importer import preview

        assert self.path is not None
        try:
            pv = preview(self.path, self.kind, mapping)
        except BookError as exc:
            self.app.call_from_thread(
                self._summary, Text(f"✗ {safe(exc.message)}", style="bold red")
            )
            return
        self.app.call_from_thread(self._show_preview, pv)

    def _show_preview(self, pv) -> None:
        self.columns = list(pv.columns)
        delim = {"\t": "tab", ",": "comma", ";": "semicolon"}.get(pv.delimiter, pv.delimiter)
        self.query_one("#import-file-info", Static).update(
            f"{safe(self.path.name if self.path else '')}: {len(pv.columns)} columns, "
            f"{delim}-separated. {safe(pv.encoding_note)}"
        )
        box = self.query_one("#import-mapping", Vertical)
        box.remove_children()
        options = [("(not in the file)", NONE)] + [(safe(c), c) for c in pv.columns]
        rows = []
        for field in KINDS[self.kind]:
            current = pv.mapping.get(field.name) or NONE
            star = "*" if field.required else " "
            rows.append(
                Horizontal(
                    Label(f"{star}{field.name}", classes="map-field"),
                    Select(
                        options,
                        value=current,
                        allow_blank=False,
                        id=f"map-{field.name}",
                        compact=True,
                    ),
                    classes="map-row",
                )
            )
        box.mount_all(rows)
        table = self.query_one("#import-preview", DataTable)
        table.clear(columns=True)
        for col in pv.columns:
            table.add_column(safe(col)[:24])
        for row in pv.rows:
            table.add_row(*[safe(v)[:40] for v in row])
        if pv.unmapped_required:
            self._summary(
                Text(
                    "Map the required fields: " + ", ".join(pv.unmapped_required),
                    style="bold yellow",
                )
            )
        else:
            self._summary(Text("Mapping looks complete: dry run or import.", style="green"))

    @on(Select.Changed, "#import-mapping Select")
    def _mapping_changed(self, _event: Select.Changed) -> None:
        mapped = self._mapping()
        missing = [f.name for f in KINDS[self.kind] if f.required and f.name not in mapped]
        if missing:
            self._summary(
                Text("Map the required fields: " + ", ".join(missing), style="bold yellow")
            )
        else:
            self._summary(Text("Mapping looks complete: dry run or import.", style="green"))

    # -- importing ----------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_run_import(event.button.id == "import-dry")

    def action_run_import(self, dry_run: bool) -> None:
        if self.busy:
            return
        if self.path is None:
            self._summary(Text("Pick a file first.", style="bold yellow"))
            return
        self.busy = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        skip = self.query_one("#import-skip", Checkbox).value
        self._summary(Text("Dry run…" if dry_run else "Importing…", style="dim"))
        self._import(self.path, self.kind, self._mapping(), dry_run, skip)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _import(
        self, path: Path, kind: str, mapping: dict[str, str], dry: bool, skip: bool
    ) -> None:
        from bookkeeper_tui.io.importer import import_file

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._progress, done, total)

        try:
            report = import_file(
                self.app.book,  # type: ignore[attr-defined]
                kind,
                path,
                mapping or None,
                None,
                dry_run=dry,
                skip_invalid=skip,
                today=self.app.today,  # type: ignore[attr-defined]
                progress=progress,
            )
        except BookError as exc:
            self.app.call_from_thread(self._finished, None, exc.message)
            return
        self.app.call_from_thread(self._finished, report, None)

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=total or None, progress=done)

    def _finished(self, report, error: str | None) -> None:
        self.busy = False
        self.query_one("#import-progress").display = False
        if error is not None:
            self._summary(Text(f"✗ {safe(error)}", style="bold red"))
            return
        self._summary(summary_text(report))
        if report.written:
            self.app.notify(
                f"Imported {report.rows} {report.kind}: {report.created} new, "
                f"{report.updated} updated."
            )
            self._replan()

    @work(thread=True, group="replan", exit_on_error=False)
    def _replan(self) -> None:
        """Plan touchpoints and health for what the import touched, then refresh screens."""
        self.app.book.sync(self.app.today)  # type: ignore[attr-defined]
        self.app.call_from_thread(self.app.notify_changed, "import")  # type: ignore[attr-defined]

    def _summary(self, text: Text) -> None:
        summary = self.query_one("#import-summary", Static)
        summary.update(text)
        self.call_after_refresh(summary.scroll_visible)


#: File-name words that suggest what a file holds (the user can still change it).
KIND_HINTS = (
    ("subscription", "subscriptions"),
    ("billing", "subscriptions"),
    ("ticket", "tickets"),
    ("support", "tickets"),
    ("usage", "usage"),
    ("contact", "contacts"),
    ("people", "contacts"),
    ("churn", "interactions"),
    ("interaction", "interactions"),
    ("activit", "interactions"),
    ("note", "interactions"),
    ("score", "scores"),
    ("nps", "scores"),
    ("survey", "scores"),
    ("account", "accounts"),
    ("compan", "accounts"),
    ("customer", "accounts"),
)


def guess_kind(filename: str) -> str | None:
    name = filename.casefold()
    return next((kind for hint, kind in KIND_HINTS if hint in name), None)


def summary_text(report) -> Text:
    """The import report as a person reads it."""
    out = Text()
    verb = "Would import" if report.dry_run else "Imported" if report.written else "Refused"
    style = "bold green" if report.written or report.dry_run else "bold red"
    out.append(f"{verb} {report.rows} rows of {report.kind}", style=style)
    out.append(
        f": {report.created} new, {report.updated} updated, {report.unchanged} unchanged"
        f" ({report.seconds:.1f} s)\n"
    )
    if report.rejected:
        if not report.written and not report.dry_run:
            out.append("Nothing was written: fix these lines and import again.\n", style="yellow")
        for err in report.rejected[:20]:
            col = f", column {err.column}" if err.column else ""
            out.append(f"  line {err.line}{col}: {safe(err.reason)}\n", style="red")
        if report.problems > 20:
            out.append(f"  …and {report.problems - 20} more\n", style="red")
    if report.rejects_path:
        out.append(f"Rejected rows with reasons: {safe(str(report.rejects_path))}\n")
    return out
