"""Reading CSV files the way spreadsheets and CRMs write them, and writing rejects files.

UTF-8 with or without a byte-order mark, CRLF / LF / CR line ends, ``,`` ``;`` or tab
delimiters (sniffed from the header and the first rows), quoted fields with embedded
delimiters, quotes and newlines. Every problem with the file as a whole (missing, not
UTF-8, empty, not CSV at all) is a :class:`BookError` with one sentence saying what to do.
Each data row keeps the physical line it starts on (the header is line 1), so a report
can point at it in a text editor or a spreadsheet.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bookkeeper_tui.store.book import BookError

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
#: How many records the delimiter sniffer looks at.
SNIFF_RECORDS = 50
#: Cells larger than this are refused (csv's own default is 128 KiB).
FIELD_LIMIT = 1_000_000


@dataclass
class CsvData:
    """A parsed CSV file: its header, its non-blank data rows with their line numbers."""

    path: Path
    header: list[str]
    #: (line the record starts on, its cells); fully blank records are left out.
    rows: list[tuple[int, list[str]]]
    delimiter: str
    bom: bool
    crlf: bool

    @property
    def encoding_note(self) -> str:
        """How the file is encoded, e.g. 'UTF-8 with BOM, CRLF line ends' (not the delimiter)."""
        enc = "UTF-8 with BOM" if self.bom else "UTF-8"
        return f"{enc}, {'CRLF' if self.crlf else 'LF'} line ends"


#: A physical line longer than this (bytes) is refused: no CSV export has one, and
#: ``/dev/zero`` or a binary file would otherwise be read whole.
LINE_LIMIT = 4 * 1024 * 1024
#: A quoted cell running on over more physical lines than this is a stray quote, not a note.
RECORD_LINE_LIMIT = 200
#: How much of the start of the file the delimiter sniffer sees.
SNIFF_BYTES = 65536


def _open_checked(path: Path) -> tuple[io.BufferedReader, bool]:
    """Open *path* for reading, refuse what is not UTF-8 CSV text; (file, has a BOM)."""
    name = path.name
    if not path.exists():
        raise BookError(f"{path} does not exist; check the path")
    if path.is_dir():
        raise BookError(f"{path} is a folder, not a CSV file; give the file's path")
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise BookError(f"cannot read {path} ({exc.strerror}); check its permissions") from None
    try:
        head = fh.peek(4)[:4]
    except OSError as exc:
        fh.close()
        raise BookError(f"cannot read {path} ({exc.strerror}); check its permissions") from None
    problem = None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        problem = (
            f"{name} is UTF-16 text; save it as 'CSV UTF-8' (or convert it to UTF-8) and "
            "import again"
        )
    elif head.startswith(b"PK\x03\x04"):
        problem = (
            f"{name} looks like a spreadsheet (.xlsx/.ods), not a CSV file; "
            "save it as 'CSV UTF-8' and import that"
        )
    if problem:
        fh.close()
        raise BookError(problem)
    bom = head.startswith(codecs.BOM_UTF8)
    if bom:
        fh.read(len(codecs.BOM_UTF8))
    return fh, bom


def _lines(fh: io.BufferedReader, name: str):
    """The file's lines, decoded one by one (never the whole file), with their checks."""
    number = 0
    while True:
        try:
            raw = fh.readline(LINE_LIMIT + 1)
        except OSError as exc:
            raise BookError(f"cannot read {name} ({exc.strerror}); check the file") from None
        if not raw:
            return
        number += 1
        if b"\x00" in raw:
            raise BookError(
                f"{name} contains NUL bytes (line {number}), so it is not a CSV text file; "
                "export it from your spreadsheet or CRM as 'CSV UTF-8'"
            )
        if len(raw) > LINE_LIMIT:
            raise BookError(
                f"{name} line {number} is too long (over {LINE_LIMIT // (1024 * 1024)} MB), so "
                "it is not a CSV export; check the file (old Mac files with CR-only line ends: "
                "save them again with LF or CRLF line ends)"
            )
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BookError(
                f"{name} is not UTF-8 text (byte 0x{raw[exc.start]:02X} on line {number}); "
                "save it as 'CSV UTF-8' and import again"
            ) from None


def decode(path: Path) -> tuple[str, bool]:
    """The file's text and whether it started with a UTF-8 byte-order mark.

    Reads the whole file: for small files only (``read_csv`` streams instead).
    """
    fh, bom = _open_checked(path)
    with fh:
        text = "".join(_lines(fh, path.name))
    if not text.strip():
        raise BookError(f"{path.name} is empty; it needs a header line and one line per row")
    return text, bom


def _first_line(text: str) -> str:
    for line in io.StringIO(text, newline=""):
        if line.strip():
            return line
    return ""


def _count_outside_quotes(line: str, ch: str) -> int:
    n = 0
    quoted = False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            n += 1
    return n


def sniff_delimiter(text: str) -> str:
    """``,`` ``;`` or tab: the one that splits the header and keeps the first rows in shape."""
    header = _first_line(text)
    candidates = [d for d in DELIMITERS if _count_outside_quotes(header, d) > 0]
    if len(candidates) <= 1:
        return candidates[0] if candidates else ","
    best, best_score = ",", (-1.0, -1)
    # The sample is cut at a line end close to 64 KiB, enough for SNIFF_RECORDS records.
    sample = text[:65536]
    for d in candidates:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=d)
        widths: list[int] = []
        try:
            for record in reader:
                if record:
                    widths.append(len(record))
                if len(widths) >= SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if not widths:
            continue
        head = widths[0]
        body = widths[1:-1] if len(widths) > 2 else widths[1:]
        consistent = sum(1 for w in body if w == head) / len(body) if body else 1.0
        score = (consistent, head)
        if score > best_score:
            best, best_score = d, score
    return best


class _Feed:
    """Lines for ``csv.reader``, watching each record's physical lines as it goes.

    ``csv.reader`` pulls lines only until its record is complete, so the lines taken since
    the last record are exactly the current record's. A record that runs on over more than
    :data:`RECORD_LINE_LIMIT` lines is a stray quote swallowing the file: refused with
    the line where the quote opened.
    """

    def __init__(self, lines, name: str):
        self.lines = lines
        self.name = name
        self.taken = 0  # physical lines handed out
        self.record_start = 1
        self.record_quotes = 0
        self.record_lines: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.taken += 1
        self.record_quotes += line.count('"')
        self.record_lines.append(line)
        if self.taken - self.record_start >= RECORD_LINE_LIMIT:
            raise self.runaway(f"runs on for more than {RECORD_LINE_LIMIT} lines")
        return line

    def next_record(self) -> None:
        self.record_start = self.taken + 1
        self.record_quotes = 0
        self.record_lines = []

    def record_unclosed(self, delimiter: str) -> bool:
        """Whether the record just read ended inside its quotes (only at the end of the file).

        An odd number of quotes alone is not enough: ``5" screen`` in an unquoted cell is a
        literal quote. Strict parsing tells the two apart.
        """
        if self.record_quotes % 2 == 0:
            return False
        try:
            for _ in csv.reader(self.record_lines, delimiter=delimiter, strict=True):
                pass
        except csv.Error as exc:
            return "end of data" in str(exc)
        return False

    def runaway(self, how: str) -> BookError:
        return BookError(
            f"{self.name} line {self.record_start} opens a quoted cell that {how}, so a "
            "stray quote would swallow the rest of the file; nothing was imported; fix "
            f"the quotes on line {self.record_start} (a quote inside a cell is written "
            'twice: "") and import again'
        )


def _duplicates(header: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    dups: list[str] = []
    for h in header:
        key = h.casefold()
        if not key:
            continue
        if key in seen and seen[key] not in dups:
            dups.append(seen[key])
        seen.setdefault(key, h)
    return dups


class CsvReader:
    """An open CSV file, read one record at a time: the header on opening, then the rows.

    File-level problems found on opening (missing, not UTF-8, empty, duplicate header
    names) raise :class:`BookError` at once; those further down (a runaway quote, a line
    too long, a bad byte) raise it while iterating, with their line. Only the current
    record and a small read-ahead are ever in memory. Use it as a context manager.
    """

    def __init__(self, path: str | Path):
        self.path = path = Path(path)
        fh, self.bom = _open_checked(path)
        self._fh = fh
        try:
            lines = _lines(fh, path.name)
            head: list[str] = []
            size = 0
            for line in lines:
                head.append(line)
                size += len(line)
                if size >= SNIFF_BYTES:
                    break
            sample = "".join(head)
            if not sample.strip() and size < SNIFF_BYTES:
                raise BookError(
                    f"{path.name} is empty; it needs a header line and one line per row"
                )
            self.delimiter = sniff_delimiter(sample)
            self.crlf = "\r\n" in sample
            csv.field_size_limit(FIELD_LIMIT)
            self._feed = _Feed(itertools.chain(head, lines), path.name)
            self._records = self._read()
            first = next(self._records, None)
            if first is None:
                raise BookError(
                    f"{path.name} is empty; it needs a header line and one line per row"
                )
            self.header = [h.strip().lstrip("\ufeff").strip() for h in first[1]]
            if dups := _duplicates(self.header):
                raise BookError(
                    f"{path.name} has "
                    + ", ".join(f"'{d}'" for d in dups)
                    + " more than once in its header line; give each column a "
                    "name of its own (or remove the extra one) and import again"
                )
        except BaseException:
            fh.close()
            raise

    encoding_note = CsvData.encoding_note

    def __enter__(self) -> CsvReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        """(line the record starts on, its cells) for each non-blank data row."""
        return self._records

    def _read(self) -> Iterator[tuple[int, list[str]]]:
        feed = self._feed
        delimiter = self.delimiter
        reader = csv.reader(feed, delimiter=delimiter)
        try:
            for record in reader:
                start = feed.record_start
                unclosed = feed.record_unclosed(delimiter)
                feed.next_record()
                if unclosed:
                    # Only the last record can end inside its quotes: at the end of the file.
                    feed.record_start = start
                    raise feed.runaway("is never closed (it runs to the end of the file)")
                if record and any(c.strip() for c in record):
                    yield start, record
        except csv.Error as exc:
            raise BookError(
                f"{self.path.name} line {feed.record_start} cannot be read as CSV ({exc}); "
                "check that line's quotes, or export the file again as 'CSV UTF-8'"
            ) from None

    def estimated_rows(self) -> int:
        """About how many data rows the file holds (its line count), 0 when unknown.

        Counted in blocks from a second handle (never the whole file in memory), for a
        progress bar: quoted cells with line breaks make it an overestimate.
        """
        if not self.path.is_file():
            return 0
        n = 0
        try:
            with self.path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    n += block.count(b"\n") or block.count(b"\r")
        except OSError:
            return 0
        return max(n - 1, 0)


def read_csv(path: str | Path) -> CsvData:
    """Read and split a whole CSV file; file-level problems raise :class:`BookError`.

    Holds every row in memory: for small files (the import streams with
    :class:`CsvReader`). Lines over :data:`LINE_LIMIT`, cells over :data:`FIELD_LIMIT`
    and runaway quoted cells are refused with their line.
    """
    with CsvReader(path) as r:
        rows = list(r)
        return CsvData(r.path, r.header, rows, r.delimiter, r.bom, r.crlf)


def rejects_path_for(path: str | Path) -> Path:
    """``accounts.csv`` -> ``accounts.rejects.csv``, beside the input."""
    path = Path(path)
    stem = path.stem if path.suffix.casefold() in (".csv", ".tsv", ".txt") else path.name
    return path.with_name(f"{stem}.rejects.csv")


class RejectsWriter:
    """The rejects file, written row by row as an import finds them.

    Opened (0600, like the book: the rows are customer data) on the first row; keeps
    the input's delimiter, line ends and byte-order mark, so once fixed it imports with
    the same command (the two extra columns map to no field and are ignored).
    """

    def __init__(self, source: CsvData | CsvReader, target: Path | None = None):
        self.source = source
        self.path = target or rejects_path_for(source.path)
        self._fh: io.TextIOWrapper | None = None
        self._writer = None

    def _open(self) -> None:
        src = self.source
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
            os.fchmod(fd, 0o600)  # an older rejects file may have been 0644
            self._fh = open(  # noqa: SIM115 - closed by close()
                fd, "w", encoding="utf-8-sig" if src.bom else "utf-8", newline=""
            )
            end = "\r\n" if src.crlf else "\n"
            self._writer = csv.writer(self._fh, delimiter=src.delimiter, lineterminator=end)
            self._writer.writerow([*src.header, "line", "reason"])
        except OSError as exc:
            raise self._error(exc) from None

    def _error(self, exc: OSError) -> BookError:
        return BookError(
            f"cannot write the rejects file {self.path} ({exc.strerror}); "
            "check the folder's permissions"
        )

    @property
    def opened(self) -> bool:
        return self._fh is not None

    def write(self, rejected: Iterable[tuple[int, list[str], str]]) -> None:
        if self._fh is None:
            self._open()
        width = len(self.source.header)
        try:
            for line, cells, reason in rejected:
                # Cells beyond the header's width go after the reason, so nothing is lost.
                padded = (cells + [""] * width)[:width]
                self._writer.writerow([*padded, line, reason, *cells[width:]])
        except OSError as exc:
            raise self._error(exc) from None

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError as exc:
                raise self._error(exc) from None

    def discard(self) -> None:
        """Close and remove the file (the import it belonged to failed)."""
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self.path.unlink(missing_ok=True)


def write_rejects(
    data: CsvData | CsvReader,
    rejected: list[tuple[int, list[str], str]],
    target: Path | None = None,
) -> Path:
    """Write the rejected rows (their original cells, then ``line`` and ``reason``)."""
    w = RejectsWriter(data, target)
    w.write(rejected)
    w.close()
    return w.path
