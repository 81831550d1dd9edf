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
import csv
import io
import os
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


def decode(path: Path) -> tuple[str, bool]:
    """The file's text and whether it started with a UTF-8 byte-order mark."""
    name = path.name
    if not path.exists():
        raise BookError(f"{path} does not exist; check the path")
    if path.is_dir():
        raise BookError(f"{path} is a folder, not a CSV file; give the file's path")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BookError(f"cannot read {path} ({exc.strerror}); check its permissions") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BookError(
            f"{name} is UTF-16 text; save it as 'CSV UTF-8' (or convert it to UTF-8) and "
            "import again"
        )
    if data.startswith(b"PK\x03\x04"):
        raise BookError(
            f"{name} looks like a spreadsheet (.xlsx/.ods), not a CSV file; "
            "save it as 'CSV UTF-8' and import that"
        )
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BookError(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02X} on line {line}); "
            "save it as 'CSV UTF-8' and import again"
        ) from None
    if "\x00" in text:
        raise BookError(
            f"{name} contains NUL bytes, so it is not a CSV text file; "
            "export it from your spreadsheet or CRM as 'CSV UTF-8'"
        )
    if not text.strip():
        raise BookError(f"{name} is empty; it needs a header line and one line per row")
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


def read_csv(path: str | Path) -> CsvData:
    """Read and split a CSV file; file-level problems raise :class:`BookError`."""
    path = Path(path)
    text, bom = decode(path)
    delimiter = sniff_delimiter(text)
    crlf = "\r\n" in text[:65536]
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not record or not any(c.strip() for c in record):
                continue
            if header is None:
                header = [h.strip().lstrip("\ufeff").strip() for h in record]
                continue
            rows.append((start, record))
    except csv.Error as exc:
        raise BookError(
            f"{path.name} line {previous_end + 1} cannot be read as CSV ({exc}); "
            "check that line's quotes, or export the file again as 'CSV UTF-8'"
        ) from None
    if header is None:
        raise BookError(f"{path.name} is empty; it needs a header line and one line per row")
    return CsvData(path, header, rows, delimiter, bom, crlf)


def rejects_path_for(path: str | Path) -> Path:
    """``accounts.csv`` -> ``accounts.rejects.csv``, beside the input."""
    path = Path(path)
    stem = path.stem if path.suffix.casefold() in (".csv", ".tsv", ".txt") else path.name
    return path.with_name(f"{stem}.rejects.csv")


def write_rejects(
    data: CsvData, rejected: list[tuple[int, list[str], str]], target: Path | None = None
) -> Path:
    """Write the rejected rows (their original cells, then ``line`` and ``reason``).

    The file keeps the input's delimiter and byte-order mark, so once fixed it imports
    with the same command (the two extra columns map to no field and are ignored).
    """
    target = target or rejects_path_for(data.path)
    width = len(data.header)
    try:
        # 0600 like the book: the rejected rows are customer data.
        fd = os.open(target, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        os.fchmod(fd, 0o600)  # an older rejects file may have been 0644
        with open(fd, "w", encoding="utf-8-sig" if data.bom else "utf-8", newline="") as fh:
            end = "\r\n" if data.crlf else "\n"
            w = csv.writer(fh, delimiter=data.delimiter, lineterminator=end)
            w.writerow([*data.header, "line", "reason"])
            for line, cells, reason in rejected:
                # Cells beyond the header's width go after the reason, so nothing is lost.
                padded = (cells + [""] * width)[:width]
                w.writerow([*padded, line, reason, *cells[width:]])
    except OSError as exc:
        raise BookError(
            f"cannot write the rejects file {target} ({exc.strerror}); "
            "check the folder's permissions"
        ) from None
    return target
