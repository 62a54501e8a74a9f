"""Reading articles: folders of text files, single text files, JSONL, CSV and JSONL on stdin.

Bytes are decoded strictly as UTF-8 (or as the encoding a byte-order mark declares); bytes that are
not UTF-8 are decoded with a fallback encoding (cp1252 by default, then latin-1, which never fails)
and a :class:`~dedup.model.Notice` says so: no text is dropped. A record that cannot be used raises
:class:`~dedup.errors.InputError` naming the file, line and field, or, with ``skip_bad``, becomes a
:class:`~dedup.model.BadRecord` that the caller reports.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from dedup.errors import InputError
from dedup.model import Article, BadRecord, Notice

__all__ = [
    "Corpus",
    "InputFormat",
    "ReadOptions",
    "decode",
    "iter_articles",
    "parse_record",
    "read_corpus",
    "stream_articles",
]

InputFormat = Literal["auto", "jsonl", "csv", "tsv", "text"]

TEXT_SUFFIXES = frozenset({".txt", ".md", ".text"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
META_FIELDS = ("title", "source", "published", "url")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadOptions:
    """How to read inputs."""

    id_field: str = "id"
    text_field: str = "text"
    input_format: InputFormat = "auto"
    #: Encoding tried when bytes are not valid UTF-8 (latin-1 is the last resort).
    fallback_encoding: str = "cp1252"
    #: Collect unusable records as BadRecord instead of stopping at the first.
    skip_bad: bool = False

    def __post_init__(self) -> None:
        """Check the fallback encoding exists."""
        try:
            codecs.lookup(self.fallback_encoding)
        except LookupError:
            raise InputError(f"unknown encoding {self.fallback_encoding!r}") from None


@dataclass(slots=True)
class Corpus:
    """What was read: articles in input order, notices, and (with ``skip_bad``) the unusable records."""

    articles: list[Article] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    bad_records: list[BadRecord] = field(default_factory=list)


def decode(
    data: bytes, *, source: str, line: int | None = None, fallback: str = "cp1252"
) -> tuple[str, Notice | None]:
    """Decode bytes: a byte-order mark's encoding, else UTF-8, else ``fallback``, else latin-1."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), None
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"starts with a {encoding} byte-order mark but is not {encoding}: {exc.reason}",
                    source=source,
                    line=line,
                ) from None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    for encoding in (fallback, "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, Notice(
            f"not valid UTF-8 (first bad byte at offset {first_bad}); decoded as {encoding}",
            source=source,
            line=line,
        )
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _scalar(value: Any, *, name: str, source: str, line: int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            f"must be a string, got {type(value).__name__}", source=source, line=line, field=name
        )
    return str(value)


def parse_record(record: Any, options: ReadOptions, *, source: str, line: int | None) -> Article:
    """Turn one decoded record (a JSON object or CSV row) into an Article, or raise InputError."""
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got {type(record).__name__}", source=source, line=line)
    raw_id = record.get(options.id_field)
    if raw_id is None:
        raise InputError("missing", source=source, line=line, field=options.id_field)
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise InputError(
            f"must be a string or an integer, got {type(raw_id).__name__}",
            source=source,
            line=line,
            field=options.id_field,
        )
    article_id = str(raw_id)
    if not article_id.strip():
        raise InputError("is empty", source=source, line=line, field=options.id_field)
    text = record.get(options.text_field)
    if text is None:
        raise InputError("missing", source=source, line=line, field=options.text_field)
    if not isinstance(text, str):
        raise InputError(
            f"must be a string, got {type(text).__name__}", source=source, line=line, field=options.text_field
        )
    meta = {name: _scalar(record.get(name), name=name, source=source, line=line) for name in META_FIELDS}
    origin = f"{source}:{line}" if line is not None else source
    return Article(id=article_id, text=text, origin=origin, **meta)


Emit = Callable[[Notice], None]


def _jsonl_lines(data: bytes, *, source: str, options: ReadOptions, emit: Emit) -> Iterator[tuple[int, str]]:
    """Decoded lines of a JSONL byte stream (UTF-16/32 files are decoded whole)."""
    if any(data.startswith(bom) for bom, enc in _BOMS if enc != "utf-8-sig"):
        text, notice = decode(data, source=source, fallback=options.fallback_encoding)
        if notice:
            emit(notice)
        for n, line in enumerate(text.splitlines(), 1):
            yield n, line
        return
    for n, raw in enumerate(data.split(b"\n"), 1):
        if n == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        text, notice = decode(raw, source=source, line=n, fallback=options.fallback_encoding)
        if notice:
            emit(notice)
        yield n, text


def _read_jsonl(
    data: bytes, *, source: str, options: ReadOptions, emit: Emit
) -> Iterator[Article | BadRecord]:
    for n, line in _jsonl_lines(data, source=source, options=options, emit=emit):
        if not line.strip():
            continue
        try:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"malformed JSON: {exc.msg} (column {exc.colno})", source=source, line=n
                ) from None
            yield parse_record(record, options, source=source, line=n)
        except InputError as exc:
            if not options.skip_bad:
                raise
            yield BadRecord(source=source, line=n, error=exc.reason, field=exc.field, raw=line[:200])


def _read_csv(
    data: bytes, *, source: str, options: ReadOptions, emit: Emit, delimiter: str
) -> Iterator[Article | BadRecord]:
    text, notice = decode(data, source=source, fallback=options.fallback_encoding)
    if notice:
        emit(notice)
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", source=source, line=1) from None
    for name in (options.id_field, options.text_field):
        if name not in header:
            raise InputError(
                f"no {name!r} column (columns: {', '.join(header) or 'none'}); "
                "choose others with --id-field/--text-field",
                source=source,
                line=1,
            )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", source=source, line=reader.line_num) from None
        n = reader.line_num
        if not row:
            continue
        try:
            if len(row) != len(header):
                raise InputError(
                    f"has {len(row)} fields, the header has {len(header)}", source=source, line=n
                )
            yield parse_record(dict(zip(header, row, strict=True)), options, source=source, line=n)
        except InputError as exc:
            if not options.skip_bad:
                raise
            yield BadRecord(source=source, line=n, error=exc.reason, field=exc.field)


def _read_text(data: bytes, *, article_id: str, source: str, options: ReadOptions, emit: Emit) -> Article:
    text, notice = decode(data, source=source, fallback=options.fallback_encoding)
    if notice:
        emit(notice)
    return Article(id=article_id, text=text, origin=source)


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", source=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory", source=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None


def _format_of(path: Path, options: ReadOptions) -> InputFormat:
    if options.input_format != "auto":
        return options.input_format
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix == ".tsv":
        return "tsv"
    if suffix in TEXT_SUFFIXES:
        return "text"
    raise InputError(
        f"cannot tell the format from the suffix {suffix!r}; use --input-format jsonl|csv|tsv|text",
        source=str(path),
    )


def _walk(root: Path) -> Iterator[Path]:
    """Text files under ``root``, sorted, recursing without following directory symlinks."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            if Path(name).suffix.lower() in TEXT_SUFFIXES:
                yield Path(dirpath) / name


def iter_articles(
    inputs: Sequence[str | os.PathLike[str]],
    options: ReadOptions | None = None,
    *,
    emit: Emit | None = None,
    stdin: BinaryIO | None = None,
) -> Iterator[Article | BadRecord]:
    """Articles (and, with ``skip_bad``, bad records) from every input, in order.

    An input is a folder (every .txt/.md file below it is an article, id = path relative to the
    folder), a file (by suffix: .jsonl/.ndjson, .csv, .tsv, .txt/.md; a text file is one article with
    its file name as id), or ``-`` for JSONL on stdin.
    """
    opts = options or ReadOptions()
    notify: Emit = emit if emit is not None else (lambda notice: None)
    for item in inputs:
        name = os.fspath(item)
        if name == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read()
            if opts.input_format in ("auto", "jsonl"):
                yield from _read_jsonl(data, source="<stdin>", options=opts, emit=notify)
            elif opts.input_format in ("csv", "tsv"):
                yield from _read_csv(
                    data,
                    source="<stdin>",
                    options=opts,
                    emit=notify,
                    delimiter="," if opts.input_format == "csv" else "\t",
                )
            else:
                yield _read_text(data, article_id="-", source="<stdin>", options=opts, emit=notify)
            continue
        path = Path(name)
        if path.is_dir():
            found = False
            for file in _walk(path):
                found = True
                try:
                    data = _read_file(file)
                except InputError as exc:
                    if not opts.skip_bad:
                        raise
                    yield BadRecord(source=str(file), line=None, error=exc.reason)
                    continue
                yield _read_text(
                    data,
                    article_id=file.relative_to(path).as_posix(),
                    source=str(file),
                    options=opts,
                    emit=notify,
                )
            if not found:
                notify(Notice("folder holds no .txt or .md file", source=name))
            continue
        fmt = _format_of(path, opts)
        data = _read_file(path)
        if fmt == "jsonl":
            yield from _read_jsonl(data, source=name, options=opts, emit=notify)
        elif fmt in ("csv", "tsv"):
            yield from _read_csv(
                data, source=name, options=opts, emit=notify, delimiter="," if fmt == "csv" else "\t"
            )
        else:
            yield _read_text(data, article_id=path.name, source=name, options=opts, emit=notify)


def stream_articles(
    inputs: Sequence[str | os.PathLike[str]],
    options: ReadOptions | None = None,
    *,
    notices: list[Notice],
    bad_records: list[BadRecord],
    stdin: BinaryIO | None = None,
) -> Iterator[Article]:
    """Articles from every input, one at a time, with unique ids.

    Notices are appended to ``notices`` as they arise. A duplicate id is an error, or with
    ``skip_bad`` a bad record appended to ``bad_records`` (as are unusable records).
    """
    opts = options or ReadOptions()
    seen: dict[str, str | None] = {}
    for item in iter_articles(inputs, opts, emit=notices.append, stdin=stdin):
        if isinstance(item, BadRecord):
            bad_records.append(item)
            continue
        if item.id in seen:
            where, _, line = (item.origin or "").rpartition(":")
            message = f"duplicate id {item.id!r} (first seen at {seen[item.id]})"
            if not opts.skip_bad:
                raise InputError(message, source=item.origin)
            bad_records.append(
                BadRecord(
                    source=where or (item.origin or ""),
                    line=int(line) if line.isdigit() else None,
                    error=message,
                    field=opts.id_field,
                )
            )
            continue
        seen[item.id] = item.origin
        yield item


def read_corpus(
    inputs: Sequence[str | os.PathLike[str]],
    options: ReadOptions | None = None,
    *,
    stdin: BinaryIO | None = None,
) -> Corpus:
    """Read every input into a :class:`Corpus`; duplicate ids are an error (a bad record with skip_bad)."""
    corpus = Corpus()
    corpus.articles.extend(
        stream_articles(inputs, options, notices=corpus.notices, bad_records=corpus.bad_records, stdin=stdin)
    )
    return corpus
