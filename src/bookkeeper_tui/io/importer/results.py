"""What an import or a preview reports: the rows' problems, the preview, the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: Bad rows named in a human report before "and N more".
MAX_REPORTED = 20
#: How often (in rows) the progress callback is called while validating.
PROGRESS_EVERY = 2000

Progress = Callable[[int, int], None]


# -- the public results -----------------------------------------------------------------
@dataclass
class RowError:
    """One problem with one row: the physical line it starts on (header = line 1)."""

    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"

    def as_json(self) -> dict:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class Preview:
    """What a file looks like and how its columns would map (the import screen's first step)."""

    columns: list[str]
    #: field -> column (proposed, or as given); None when no column maps to the field.
    mapping: dict[str, str | None]
    #: The first data rows, as read.
    rows: list[list[str]]
    delimiter: str
    encoding_note: str
    #: Required fields with neither a column nor a constant (the import would refuse).
    unmapped_required: list[str]
    #: How many data rows the file holds.
    total_rows: int = 0


@dataclass
class ImportReport:
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    #: The problems found, several per row possible: every one, up to 10,000 (the
    #: counts below and the rejects file have them all).
    rejected: list[RowError]
    rejects_path: Path | None
    dry_run: bool
    written: bool
    seconds: float
    #: The part of ``seconds`` spent bringing touchpoints and health up to date afterwards.
    sync_seconds: float = 0.0
    path: Path | None = None
    #: Field -> column used (None: not in the file), and the constants given with --set.
    mapping: dict[str, str | None] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    #: The file's header, as read.
    columns: list[str] = field(default_factory=list)
    #: accounts: playbook touchpoints the created accounts get for the next ``horizon_days``
    #: days from the import day, per kind, and how many of them skip onboarding (existing
    #: customers: onboarding steps before the import day are not planned).
    planned: dict[str, int] = field(default_factory=dict)
    onboarding_skipped: int = 0
    horizon_days: int = 0
    #: How many problems and invalid rows there were in all (0: count ``rejected``).
    problem_count: int = 0
    bad_rows: int = 0

    @property
    def problems(self) -> int:
        """How many problems were found, ``rejected`` holding the first of them."""
        return max(self.problem_count, len(self.rejected))

    @property
    def unused_columns(self) -> list[str]:
        """Columns of the file that no field reads (ignored by the import)."""
        used = {c for c in self.mapping.values() if c is not None}
        return [c for c in self.columns if c not in used]

    @property
    def rejected_rows(self) -> int:
        return max(self.bad_rows, len({e.line for e in self.rejected}))

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "file": str(self.path) if self.path else None,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected_rows": self.rejected_rows,
            "rejected": [e.as_json() for e in self.rejected],
            "rejected_truncated": self.problems > len(self.rejected),
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
            "dry_run": self.dry_run,
            "written": self.written,
            "seconds": round(self.seconds, 3),
            "sync_seconds": round(self.sync_seconds, 3),
            "mapping": self.mapping,
            "constants": self.constants,
            "unused_columns": self.unused_columns,
            "planned": self.planned,
            "onboarding_skipped": self.onboarding_skipped,
        }
