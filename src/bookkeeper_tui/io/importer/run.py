"""The import itself: stream, parse, plan and write in one transaction (or a dry run)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookkeeper_tui.core.playbook import playbook_touchpoints
from bookkeeper_tui.io.csvfile import CsvReader, RejectsWriter
from bookkeeper_tui.io.importer.mapping import _check_kind, _resolve_columns, _Spec
from bookkeeper_tui.io.importer.parsers import _Row, _row_parser
from bookkeeper_tui.io.importer.planners import PLANNERS
from bookkeeper_tui.io.importer.results import PROGRESS_EVERY, ImportReport, Progress, RowError
from bookkeeper_tui.store.book import Book, BookError

#: Rows parsed, planned and written at a time: memory stays bounded by this, not the file.
CHUNK_ROWS = PROGRESS_EVERY
#: Problems kept for the report (the rejects file and the counts have them all).
MAX_KEPT_PROBLEMS = 10_000


class _Rollback(Exception):
    """Undo the rows already written: a later row was invalid (and not --skip-invalid)."""


# -- the import itself ------------------------------------------------------------------
def import_file(
    book: Book,
    kind: str,
    path: str | Path,
    mapping: dict[str, str] | None = None,
    constants: dict[str, str] | None = None,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    today: date,
    progress: Progress | None = None,
    rejects_to: str | Path | None = None,
) -> ImportReport:
    """Import *path* as *kind* into *book* in one transaction.

    Raises :class:`BookError` for a problem with the file as a whole (nothing is written).
    Invalid rows make the whole import write nothing (``written=False``, every problem in
    ``rejected``) unless *skip_invalid*, which writes the valid rows and the rejected ones,
    with their reasons, to ``<file>.rejects.csv`` beside the input (or *rejects_to*).
    *dry_run* plans and reports without writing anything. A successful import marks the
    touched accounts stale: the next ``Book.sync`` (the next view or command) brings their
    touchpoints and health up to date, once for a series of imports.

    The file is streamed: read, parsed, planned and written :data:`CHUNK_ROWS` rows at a
    time inside the one transaction, so memory does not grow with the file; a problem
    found further down (an invalid row, a runaway quote) rolls back what was written.
    """
    t0 = time.perf_counter()
    _check_kind(kind)
    path = Path(path)
    with CsvReader(path) as data:
        spec = _resolve_columns(kind, data.header, mapping, constants, strict=True)
        run = _Run(book, today, spec, data, progress)
        if dry_run:
            with book.read() as s:
                run.go(s, None)
        else:
            run.write(skip_invalid, rejects_to)
    return run.report(t0, path=path, dry_run=dry_run)


class _Run:
    """One import's pass over its file: planner, tallies, and the rejects file."""

    def __init__(
        self, book: Book, today: date, spec: _Spec, data: CsvReader, progress: Progress | None
    ):
        self.book = book
        self.today = today
        self.spec = spec
        self.data = data
        self.progress = progress
        self.rows = 0
        self.counts: dict[str, int] = defaultdict(int)
        self.problems: list[RowError] = []
        self.problem_count = 0
        self.bad_rows = 0
        self.planned: dict[str, int] = defaultdict(int)
        self.onboarding_skipped = 0
        self.written = False
        self.rejects_path: Path | None = None

    def _chunks(self) -> Iterator[list[_Row]]:
        parse = _row_parser(self.data.header, self.spec)
        total = self.data.estimated_rows() if self.progress is not None else 0
        if self.progress is not None:
            self.progress(0, total)
        chunk: list[_Row] = []
        for line, cells in self.data:
            chunk.append(parse(line, cells))
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                self.rows += len(chunk)
                chunk = []
                if self.progress is not None:
                    self.progress(self.rows, max(total, self.rows))
        if chunk:
            yield chunk
            self.rows += len(chunk)
        if self.progress is not None:
            self.progress(self.rows, self.rows)

    def go(self, session: Session, rejects: RejectsWriter | None, *, write: bool = False) -> None:
        """Plan every chunk; with *write*, write the valid rows (all of them, or with
        *rejects* given, the valid ones while the rest go to the rejects file)."""
        planner = PLANNERS[self.spec.kind](self.book, session, self.today, self.spec)
        for rows in self._chunks():
            planner.plan(rows)
            bad = self._tally(rows)
            if not write:
                continue
            if bad and rejects is not None:
                rejects.write(
                    (r.line, r.cells, "; ".join(_reason(e) for e in r.errors)) for r in bad
                )
            if rejects is not None or not self.bad_rows:
                planner.write([r for r in rows if r.action is not None and not r.errors])
        if write and (rejects is not None or not self.bad_rows):
            planner.finish()
            # Touchpoints and health of these accounts are re-planned by the next
            # Book.sync (the next view or command), once for a series of imports.
            self.book.mark_stale(session, planner.touched)
            self.written = True

    def write(self, skip_invalid: bool, rejects_to: str | Path | None) -> None:
        """Plan and write in one transaction; an invalid row without *skip_invalid* rolls
        back what earlier chunks wrote. A rejects file that cannot be written stops the
        import; it is removed again when the transaction fails."""
        rejects = (
            RejectsWriter(self.data, Path(rejects_to) if rejects_to is not None else None)
            if skip_invalid
            else None
        )
        try:
            with self.book.write() as s:
                self.go(s, rejects, write=True)
                if not self.written:
                    raise _Rollback
            if rejects is not None:
                rejects.close()
                if rejects.opened:
                    self.rejects_path = rejects.path
        except _Rollback:
            pass
        except IntegrityError as exc:
            if rejects is not None:
                rejects.discard()
            raise BookError(
                f"the import clashes with records already in the book ({exc.orig}); "
                "nothing was written"
            ) from None
        except BaseException:
            if rejects is not None:
                rejects.discard()
            raise

    def _tally(self, rows: list[_Row]) -> list[_Row]:
        """Count the planned rows and keep the problems; the invalid rows."""
        bad = []
        for r in rows:  # every row is planned or rejected, never silently dropped
            if r.action is None and not r.errors:  # pragma: no cover - defensive
                r.errors.append(RowError(r.line, None, "could not be matched or created"))
            if r.errors:
                bad.append(r)
                self.problem_count += len(r.errors)
                room = MAX_KEPT_PROBLEMS - len(self.problems)
                if room > 0:
                    self.problems.extend(r.errors[:room])
            else:
                self.counts[r.action] += 1
        self.bad_rows += len(bad)
        if self.spec.kind == "accounts":
            planned, skipped = _plan_summary(self.book, rows, self.today)
            for k, n in planned.items():
                self.planned[k] += n
            self.onboarding_skipped += skipped
        return bad

    def report(self, t0: float, **run: Any) -> ImportReport:
        """The counts, the problems and the plan summary; the seconds are counted from *t0*."""
        spec = self.spec
        return ImportReport(
            kind=spec.kind,
            rows=self.rows,
            created=self.counts["create"],
            updated=self.counts["update"],
            unchanged=self.counts["unchanged"],
            rejected=self.problems,
            problem_count=self.problem_count,
            bad_rows=self.bad_rows,
            sync_seconds=0.0,  # planning is deferred to the next Book.sync (mark_stale)
            mapping=spec.mapping(),
            constants=spec.raw_constants,
            columns=list(self.data.header),
            planned=dict(sorted(self.planned.items())),
            onboarding_skipped=self.onboarding_skipped,
            horizon_days=self.book.config.playbook.horizon_days,
            seconds=time.perf_counter() - t0,
            written=self.written,
            rejects_path=self.rejects_path,
            **run,
        )


def _plan_summary(book: Book, rows: list[_Row], today: date) -> tuple[dict[str, int], int]:
    """What the next sync plans for the accounts this import creates (see ``Book.plan_from``).

    Touchpoints due from *today* to ``horizon_days`` ahead, per kind, and how many accounts
    are existing customers: their onboarding (up to the mini-QBR) is over by the import
    day, so none of it is planned.
    """
    pc = book.config.playbook
    window = (today, today + timedelta(days=pc.horizon_days))
    planned: dict[str, int] = defaultdict(int)
    skipped = 0
    for r in rows:
        if r.action != "create" or r.errors or r.want.get("status") != "active":
            continue
        start = r.want["start"]
        for p in playbook_touchpoints(r.want["tier"], start, r.want["renewal"], window, pc):
            planned[p.kind] += 1
        if start + timedelta(days=pc.onboarding.get("mini_qbr", 30)) < today:
            skipped += 1
    return dict(sorted(planned.items())), skipped


def _reason(e: RowError) -> str:
    return f"{e.column}: {e.reason}" if e.column else e.reason
