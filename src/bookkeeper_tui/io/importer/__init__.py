"""The CSV importer: map columns to fields, validate every row, write in one transaction.

The API the command line (``bookkeeper import``) and the TUI's import screen share:

* :func:`preview` reads a file and proposes a column mapping (no database needed).
* :func:`import_file` validates every row, then writes all of them or none of them
  (``skip_invalid`` writes the valid rows and a rejects file), and reports how many
  records were created, updated and left unchanged.

How it stays fast (RavenStack's 25,000 usage rows in well under a second): the file is
read and split once, every cell is parsed in plain Python (dates through a cache), the
book's records are preloaded into dictionaries once (external ids, natural keys), and
the writes are a few bulk ``INSERT`` / ``UPDATE`` executemany statements inside one
``book.write()`` transaction. No ORM object is built per row.

Matching (what makes re-importing a file a no-op): a row with an external id matches the
record with that id, else a record without an external id by its natural key; a row
without one matches by natural key. Natural keys, per kind:

======================  ==========================================================
accounts                the name (case- and space-insensitive ``name_key``)
contacts                (account, name)
subscriptions           (account, start, mrr)
interactions            (account, date, kind, summary)
scores                  (account, date, kind, contact)
tickets                 (account, opened, priority)
usage                   (account, subscription, date)
======================  ==========================================================

Several rows may share a natural key (two identical subscriptions are normal): they are
paired with the existing records one to one, identical records first, so importing the
file again still changes nothing.

The package, by step: ``results`` (the report and the row errors), ``parsers`` (cells to
values, rows), ``mapping`` (columns to fields, ``--map`` / ``--set``, the preview),
``planners`` (what to create or update per kind, and the writes), ``run`` (the
transaction, the dry run, the rejects file). Every public name is importable from here.
"""

from __future__ import annotations

from bookkeeper_tui.io.importer.mapping import parse_pairs, preview
from bookkeeper_tui.io.importer.parsers import (
    PARSERS,
    Bad,
    parse_amount,
    parse_bool,
    parse_count,
    parse_date,
    parse_interaction_kind,
    parse_number,
    parse_priority,
    parse_role,
    parse_score_kind,
    parse_source,
    parse_tags,
    parse_tier,
)
from bookkeeper_tui.io.importer.planners import PLANNERS
from bookkeeper_tui.io.importer.results import (
    MAX_REPORTED,
    PROGRESS_EVERY,
    ImportReport,
    Preview,
    Progress,
    RowError,
)
from bookkeeper_tui.io.importer.run import import_file

__all__ = [
    "MAX_REPORTED",
    "PARSERS",
    "PLANNERS",
    "PROGRESS_EVERY",
    "Bad",
    "ImportReport",
    "Preview",
    "Progress",
    "RowError",
    "import_file",
    "parse_amount",
    "parse_bool",
    "parse_count",
    "parse_date",
    "parse_interaction_kind",
    "parse_number",
    "parse_pairs",
    "parse_priority",
    "parse_role",
    "parse_score_kind",
    "parse_source",
    "parse_tags",
    "parse_tier",
    "preview",
]
