"""The import itself: parse, plan and write in one transaction (or a dry run), rejects file."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookkeeper_tui.core.playbook import playbook_touchpoints
from bookkeeper_tui.io.csvfile import CsvData, read_csv, write_rejects
from bookkeeper_tui.io.importer.mapping import _check_kind, _resolve_columns, _Spec
from bookkeeper_tui.io.importer.parsers import _parse_rows, _Row
from bookkeeper_tui.io.importer.planners import PLANNERS
from bookkeeper_tui.io.importer.planners.base import _Planner
from bookkeeper_tui.io.importer.results import ImportReport, Progress, RowError
from bookkeeper_tui.store.book import Book, BookError


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
    """
    t0 = time.perf_counter()
    _check_kind(kind)
    path = Path(path)
    data = read_csv(path)
    spec = _resolve_columns(kind, data.header, mapping, constants, strict=True)
    total = len(data.rows)
    if progress is not None:
        progress(0, total)
    rows = _parse_rows(data, spec, progress)
    written = False
    rejects_path: Path | None = None
    if dry_run:
        with book.read() as s:
            _plan(book, s, today, spec, rows)
    else:
        written, rejects_path = _write(book, today, spec, data, rows, skip_invalid, rejects_to)
    if progress is not None:
        progress(total, total)
    return _report(
        book,
        spec,
        data,
        rows,
        today,
        t0,
        path=path,
        rejects_path=rejects_path,
        dry_run=dry_run,
        written=written,
    )


def _plan(book: Book, session: Session, today: date, spec: _Spec, rows: list[_Row]) -> _Planner:
    planner = PLANNERS[spec.kind](book, session, today, spec)
    planner.plan(rows)
    return planner


def _write(
    book: Book,
    today: date,
    spec: _Spec,
    data: CsvData,
    rows: list[_Row],
    skip_invalid: bool,
    rejects_to: str | Path | None,
) -> tuple[bool, Path | None]:
    """Plan and write in one transaction: (written, the rejects file if one was written).

    Any invalid row writes nothing unless *skip_invalid*: then the rejects file is written
    first (one that cannot be written stops the import) and removed again if the
    transaction fails.
    """
    written = False
    rejects_path: Path | None = None
    try:
        with book.write() as s:
            planner = _plan(book, s, today, spec, rows)
            invalid = any(r.errors for r in rows)
            if invalid and skip_invalid:
                # Before writing: a rejects file that cannot be written stops the import.
                rejects_path = write_rejects(
                    data,
                    [
                        (r.line, r.cells, "; ".join(_reason(e) for e in r.errors))
                        for r in rows
                        if r.errors
                    ],
                    Path(rejects_to) if rejects_to is not None else None,
                )
            if not invalid or skip_invalid:
                planner.write([r for r in rows if r.action is not None and not r.errors])
                # Touchpoints and health of these accounts are re-planned by the next
                # Book.sync (the next view or command), once for a series of imports.
                book.mark_stale(s, planner.touched)
                written = True
    except IntegrityError as exc:
        raise BookError(
            f"the import clashes with records already in the book ({exc.orig}); nothing was written"
        ) from None
    except BaseException:
        if rejects_path is not None:
            rejects_path.unlink(missing_ok=True)
        raise
    return written, rejects_path


def _report(
    book: Book,
    spec: _Spec,
    data: CsvData,
    rows: list[_Row],
    today: date,
    t0: float,
    **run: Any,
) -> ImportReport:
    """The counts, the problems and the plan summary; *run*: path, rejects_path, dry_run,
    written (the run's facts); the seconds are counted from *t0*."""
    for r in rows:  # every row is planned or rejected, never silently dropped
        if r.action is None and not r.errors:  # pragma: no cover - defensive
            r.errors.append(RowError(r.line, None, "could not be matched or created"))
    errors = [e for r in rows for e in r.errors]
    counts = defaultdict(int)
    for r in rows:
        if r.action is not None and not r.errors:
            counts[r.action] += 1
    planned, onboarding_skipped = (
        _plan_summary(book, rows, today) if spec.kind == "accounts" else ({}, 0)
    )
    return ImportReport(
        kind=spec.kind,
        rows=len(data.rows),
        created=counts["create"],
        updated=counts["update"],
        unchanged=counts["unchanged"],
        rejected=errors,
        sync_seconds=0.0,  # planning is deferred to the next Book.sync (mark_stale)
        mapping=spec.mapping(),
        constants=spec.raw_constants,
        columns=list(data.header),
        planned=planned,
        onboarding_skipped=onboarding_skipped,
        horizon_days=book.config.playbook.horizon_days,
        seconds=time.perf_counter() - t0,
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
