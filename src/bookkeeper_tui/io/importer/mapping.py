"""Columns to fields: the automatic header mapping, ``--map`` and ``--set``, the preview."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bookkeeper_tui.io.csvfile import CsvReader
from bookkeeper_tui.io.fields import KINDS, field_names, normalise_header
from bookkeeper_tui.io.importer.parsers import PARSERS, Bad
from bookkeeper_tui.io.importer.results import Preview
from bookkeeper_tui.store.book import BookError


@dataclass
class _Spec:
    kind: str
    header: list[str]
    #: field -> column index
    columns: dict[str, int]
    #: field -> parsed constant (from --set)
    constants: dict[str, Any]
    raw_constants: dict[str, str]
    unmapped_required: list[str]

    def mapping(self) -> dict[str, str | None]:
        return {
            f: (self.header[self.columns[f]] if f in self.columns else None)
            for f in field_names(self.kind)
        }


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise BookError(f"unknown import kind '{kind}'; use one of {', '.join(KINDS)}")


def _resolve_columns(
    kind: str,
    header: list[str],
    mapping: dict[str, str] | None,
    constants: dict[str, str] | None,
    strict: bool,
) -> _Spec:
    _check_kind(kind)
    normalised = [normalise_header(h) for h in header]
    shown = ", ".join(h for h in header if h) or "(none)"
    columns = _mapped_columns(kind, header, normalised, mapping, shown)
    parsed_constants, raw_constants = _set_constants(kind, constants, columns)
    _auto_map(kind, normalised, columns, parsed_constants)
    missing = _unmapped_required(kind, columns, parsed_constants)
    if missing and strict:
        f = missing[0]
        looked = ", ".join((f, *_fields(kind)[f].synonyms))
        extra = " (or subscription)" if kind == "usage" and f == "account" else ""
        raise BookError(
            f"no column for the required field '{f}'{extra} (looked for {looked}); "
            f"add --map {f}=COLUMN or --set {f}=VALUE; the file's columns are: {shown}"
        )
    return _Spec(kind, header, columns, parsed_constants, raw_constants, missing)


def _fields(kind: str) -> dict:
    return {f.name: f for f in KINDS[kind]}


def _known_field(kind: str, fname: str, option: str) -> str:
    """The field *fname* names (normalised), or a BookError naming the option."""
    f = normalise_header(fname)
    if f not in _fields(kind):
        raise BookError(
            f"{option} names an unknown field '{fname}' for {kind}; "
            f"the fields are: {', '.join(field_names(kind))}"
        )
    return f


def _mapped_columns(
    kind: str,
    header: list[str],
    normalised: list[str],
    mapping: dict[str, str] | None,
    shown: str,
) -> dict[str, int]:
    """field -> column index, as --map gives them (the exact header, else normalised)."""
    columns: dict[str, int] = {}
    for fname, column in (mapping or {}).items():
        f = _known_field(kind, fname, "--map")
        idx = next((i for i, h in enumerate(header) if h == column.strip()), None)
        if idx is None:
            target = normalise_header(column)
            idx = next((i for i, h in enumerate(normalised) if h == target and h), None)
        if idx is None:
            raise BookError(
                f"--map {fname}={column}: the file has no column '{column}'; "
                f"its columns are: {shown}"
            )
        columns[f] = idx
    return columns


def _set_constants(
    kind: str, constants: dict[str, str] | None, columns: dict[str, int]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The --set constants, parsed (None for a blank one) and as given."""
    fields = _fields(kind)
    parsed_constants: dict[str, Any] = {}
    raw_constants: dict[str, str] = {}
    for fname, value in (constants or {}).items():
        f = _known_field(kind, fname, "--set")
        if f in columns:
            raise BookError(f"'{f}' is given both by --map and by --set; keep one of them")
        text = value.strip()
        if not text and fields[f].required:
            raise BookError(f"--set {f}= is blank, but {f} is required; give a value")
        if text:
            try:
                parsed_constants[f] = PARSERS[kind][f](text)
            except Bad as exc:
                raise BookError(f"--set {f}={value}: {exc}") from None
        else:
            parsed_constants[f] = None
        raw_constants[f] = value
    return parsed_constants, raw_constants


def _auto_map(
    kind: str, normalised: list[str], columns: dict[str, int], constants: dict[str, Any]
) -> None:
    """Map the free fields: a column named like the field first, then the synonyms in order."""
    fields = _fields(kind)
    used = set(columns.values())
    free = [f for f in field_names(kind) if f not in columns and f not in constants]
    for f in free:
        idx = next((i for i, h in enumerate(normalised) if h == f and i not in used), None)
        if idx is not None:
            columns[f] = idx
            used.add(idx)
    for f in free:
        if f in columns:
            continue
        for synonym in fields[f].synonyms:
            idx = next(
                (i for i, h in enumerate(normalised) if h == synonym and i not in used), None
            )
            if idx is not None:
                columns[f] = idx
                used.add(idx)
                break


def _unmapped_required(kind: str, columns: dict[str, int], constants: dict[str, Any]) -> list[str]:
    """Required fields with neither a column nor a constant (usage: account or subscription)."""
    missing = [
        f.name
        for f in KINDS[kind]
        if f.required and f.name not in columns and f.name not in constants
    ]
    if kind == "usage" and not ({"account", "subscription"} & (set(columns) | set(constants))):
        missing.insert(0, "account")
    return missing


def preview(
    path: str | Path,
    kind: str,
    mapping: dict[str, str] | None = None,
    constants: dict[str, str] | None = None,
    rows: int = 10,
) -> Preview:
    """Read *path* and propose how its columns map to *kind*'s fields (nothing is written).

    File-level problems (missing, not UTF-8, empty, a --map naming an unknown field or
    column) raise :class:`BookError`; required fields without a column are listed in
    ``unmapped_required`` instead.
    """
    _check_kind(kind)
    with CsvReader(path) as data:
        spec = _resolve_columns(kind, data.header, mapping, constants, strict=False)
        first: list[list[str]] = []
        total = 0
        for _, cells in data:  # counted, not kept: the file may be large
            if total < rows:
                first.append(cells)
            total += 1
        return Preview(
            columns=list(data.header),
            mapping=spec.mapping(),
            rows=first,
            delimiter=data.delimiter,
            encoding_note=data.encoding_note,
            unmapped_required=spec.unmapped_required,
            total_rows=total,
        )


def _column(spec: _Spec, f: str) -> str | None:
    idx = spec.columns.get(f)
    if idx is None:
        return f"--set {f}" if f in spec.constants else None
    return spec.header[idx] or f"column {idx + 1}"


def parse_pairs(items: list[str] | None, option: str, shape: str) -> dict[str, str]:
    """``["a=b", ...]`` -> ``{"a": "b"}`` (the --map / --set arguments)."""
    out: dict[str, str] = {}
    for item in items or []:
        left, sep, right = item.partition("=")
        left = left.strip()
        if not sep or not left:
            raise BookError(f"{option} '{item}' is not {shape}, e.g. {option} {shape}")
        if left in out:
            raise BookError(f"{option} gives '{left}' twice; give each field once")
        out[left] = right
    return out
