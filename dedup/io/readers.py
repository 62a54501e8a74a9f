"""Reading articles: folders of text files, single text files, JSONL, CSV and JSONL on stdin.

Bytes are decoded by :mod:`dedup.io.decode` (strictly as UTF-8 or as a byte-order mark declares,
else with a fallback encoding and a :class:`~dedup.model.Notice`: no text is dropped); records become
articles by :mod:`dedup.io.records`. A record that cannot be used raises
:class:`~dedup.errors.InputError` naming the file, line and field, or, with ``skip_bad``, becomes a
:class:`~dedup.model.BadRecord` that the caller reports. docs/errors.md lists every case and what
happens to the article.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import itertools
import os
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from dedup.errors import InputError
from dedup.io.decode import Emit, check_text, decode, utf16_without_bom, wide_bom
from dedup.io.records import InputFormat, ReadOptions, parse_json, parse_record
from dedup.model import Article, BadRecord, Notice, UniqueIds

__all__ = ["Corpus", "iter_articles", "read_corpus", "stream_articles"]

TEXT_SUFFIXES = frozenset({".txt", ".md", ".text"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})

#: Bytes of a JSONL file looked at before it is read line by line, and bytes read at a time.
_HEAD = 4096
_BLOCK = 1 << 20


@dataclass(slots=True)
class Corpus:
    """What was read: articles in input order, notices, and (with ``skip_bad``) the unusable records."""

    articles: list[Article] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    bad_records: list[BadRecord] = field(default_factory=list)


def _jsonl_lines(data: bytes, *, source: str, options: ReadOptions, emit: Emit) -> Iterator[tuple[int, str]]:
    """Decoded lines of a JSONL byte stream (UTF-16/32 files are decoded whole).

    Lines are split at line feeds only: JSON strings cannot hold a raw newline, but they may hold U+2028 or
    a form feed, which ``str.splitlines`` would also split at.
    """
    if utf16_without_bom(data) or wide_bom(data):
        text, notice = decode(data, source=source, fallback=options.fallback_encoding)
        if notice:
            emit(notice)
        yield from enumerate(text.split("\n"), 1)
        return
    yield from _decode_lines(data.split(b"\n"), source=source, options=options, emit=emit)


def _decode_lines(
    lines: Iterable[bytes], *, source: str, options: ReadOptions, emit: Emit
) -> Iterator[tuple[int, str]]:
    """Lines of a byte-oriented (UTF-8 or fallback) JSONL input, numbered and decoded one by one."""
    for n, raw in enumerate(lines, 1):
        if n == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        text, notice = decode(raw, source=source, line=n, fallback=options.fallback_encoding)
        if notice:
            emit(notice)
        yield n, text


def _split_blocks(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """The pieces between line feeds of the concatenated ``blocks``, as ``bytes.split`` at line feeds."""
    tail = b""
    for block in blocks:
        parts = (tail + block).split(b"\n")
        tail = parts.pop()
        yield from parts
    yield tail


def _jsonl_file_lines(
    fh: BinaryIO, *, source: str, options: ReadOptions, emit: Emit
) -> Iterator[tuple[int, str]]:
    """Decoded lines of a JSONL file, read a block at a time (so that a large file is never held whole).

    A file that may not be UTF-8 (a NUL byte or a UTF-16/32 byte-order mark at its start) is read
    whole and handled by :func:`_jsonl_lines`.
    """
    head = fh.read(_HEAD)
    if b"\x00" in head or wide_bom(head):
        yield from _jsonl_lines(head + fh.read(), source=source, options=options, emit=emit)
        return
    blocks = itertools.chain((head,), iter(lambda: fh.read(_BLOCK), b""))
    yield from _decode_lines(_split_blocks(blocks), source=source, options=options, emit=emit)


def _read_jsonl(
    data: bytes | BinaryIO, *, source: str, options: ReadOptions, emit: Emit
) -> Iterator[Article | BadRecord]:
    """Records of JSONL ``data`` (bytes, or a binary file read as it goes)."""
    records = 0
    lines = (
        _jsonl_lines(data, source=source, options=options, emit=emit)
        if isinstance(data, bytes)
        else _jsonl_file_lines(data, source=source, options=options, emit=emit)
    )
    for n, line in lines:
        if not line.strip():
            continue
        records += 1
        try:
            record = parse_json(line, source=source, line_number=n)
            yield parse_record(record, options, source=source, line=n, emit=emit)
        except InputError as exc:
            if not options.skip_bad:
                raise
            yield BadRecord(source=source, line=n, error=exc.reason, field=exc.field, raw=line[:200])
    if not records:
        emit(Notice("holds no records", source=source))


def _read_csv(
    data: bytes, *, source: str, options: ReadOptions, emit: Emit, delimiter: str
) -> Iterator[Article | BadRecord]:
    text, notice = decode(data, source=source, fallback=options.fallback_encoding)
    if notice:
        emit(notice)
    csv.field_size_limit(sys.maxsize)
    # strict: an unterminated quote is an error, not a field that swallows the records after it
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        emit(Notice("holds no header and no records", source=source))
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
        if header.count(name) > 1:
            raise InputError(f"column {name!r} appears more than once in the header", source=source, line=1)
    records = 0
    while True:
        first_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # the record cannot be delimited, so neither can the ones after it: always an error
            raise InputError(
                f"malformed CSV in the record starting here: {exc}", source=source, line=first_line
            ) from None
        n = first_line
        if not row:
            continue
        records += 1
        try:
            if len(row) != len(header):
                raise InputError(
                    f"has {len(row)} fields, the header has {len(header)}", source=source, line=n
                )
            yield parse_record(dict(zip(header, row, strict=True)), options, source=source, line=n, emit=emit)
        except InputError as exc:
            if not options.skip_bad:
                raise
            yield BadRecord(source=source, line=n, error=exc.reason, field=exc.field)
    if not records:
        emit(Notice("holds a header but no records", source=source))


def _read_text(data: bytes, *, article_id: str, source: str, options: ReadOptions, emit: Emit) -> Article:
    text, notice = decode(data, source=source, fallback=options.fallback_encoding)
    if notice:
        emit(notice)
    return Article(id=article_id, text=check_text(text, source=source, emit=emit), origin=source)


@contextmanager
def _opened(path: Path, *, listed: bool = False) -> Iterator[BinaryIO]:
    """``path`` open for reading; failing to open or read it inside the block is an :class:`InputError`.

    Files found in a folder (``listed``) must be regular files: a FIFO or a device there is an error,
    never a read that could block for ever.
    """
    try:
        if listed:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            fh: BinaryIO = open(fd, "rb", closefd=True)  # noqa: SIM115 (closed below)
        else:
            fh = path.open("rb")
        with fh:
            if listed:
                mode = os.fstat(fh.fileno()).st_mode
                if not stat.S_ISREG(mode):
                    raise InputError(f"not a regular file ({_kind(mode)}); not read", source=str(path))
            yield fh
    except FileNotFoundError:
        message = "vanished after the folder was listed" if listed else "no such file"
        raise InputError(message, source=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory", source=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None


def _read_file(path: Path, *, listed: bool = False) -> bytes:
    """The bytes of ``path`` (see :func:`_opened`)."""
    with _opened(path, listed=listed) as fh:
        return fh.read()


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "not a regular file"


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


def _walk(root: Path, emit: Emit) -> Iterator[Path | InputError]:
    """Text files under ``root`` in sorted order, or an :class:`InputError` for each that cannot be read.

    Symbolic links to folders are followed, except one that leads back to a folder being walked (a loop:
    a notice says so; its files are read once, under the path that reached them first). Files that are
    not .txt/.md/.text are counted in a notice.
    """
    ignored: list[str] = []

    def visit(folder: Path, ancestors: frozenset[tuple[int, int]]) -> Iterator[Path | InputError]:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            yield InputError(f"cannot list the folder: {exc.strerror or exc}", source=str(folder))
            return
        for entry in entries:
            path = Path(entry.path)
            is_text = path.suffix.lower() in TEXT_SUFFIXES
            try:
                st = os.stat(path)  # follows symbolic links
            except OSError as exc:
                if not entry.is_symlink() and isinstance(exc, FileNotFoundError):
                    if is_text:
                        yield InputError("vanished after the folder was listed", source=str(path))
                    continue
                if is_text or not isinstance(exc, FileNotFoundError):
                    reason = {
                        errno.ELOOP: "a symbolic link loop",
                        errno.ENOENT: "a broken symbolic link",
                    }.get(exc.errno or 0, f"cannot read: {exc.strerror or exc}")
                    yield InputError(f"{reason}; not read", source=str(path))
                continue
            if stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in ancestors:
                    emit(
                        Notice(
                            "symbolic link loop (leads back to a folder above it); not followed",
                            source=str(path),
                        )
                    )
                    continue
                yield from visit(path, ancestors | {key})
            elif is_text:
                yield path
            else:
                ignored.append(str(path.relative_to(root)))

    try:
        st = os.stat(root)
    except OSError as exc:
        yield InputError(f"cannot read: {exc.strerror or exc}", source=str(root))
        return
    yield from visit(root, frozenset({(st.st_dev, st.st_ino)}))
    if ignored:
        shown = ", ".join(ignored[:5]) + (", ..." if len(ignored) > 5 else "")
        emit(Notice(f"{len(ignored)} files ignored (not .txt, .md or .text): {shown}", source=str(root)))


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
            for file in _walk(path, notify):
                try:
                    if isinstance(file, InputError):
                        raise file
                    found = True
                    data = _read_file(file, listed=True)
                    yield _read_text(
                        data,
                        article_id=file.relative_to(path).as_posix(),
                        source=str(file),
                        options=opts,
                        emit=notify,
                    )
                except InputError as exc:
                    if not opts.skip_bad:
                        raise
                    yield BadRecord(source=exc.source or str(file), line=None, error=exc.reason)
            if not found:
                notify(Notice("folder holds no .txt or .md file", source=name))
            continue
        fmt = _format_of(path, opts)
        if fmt == "jsonl":
            with _opened(path) as fh:
                yield from _read_jsonl(fh, source=name, options=opts, emit=notify)
            continue
        data = _read_file(path)
        if fmt in ("csv", "tsv"):
            yield from _read_csv(
                data, source=name, options=opts, emit=notify, delimiter="," if fmt == "csv" else "\t"
            )
        else:
            try:
                yield _read_text(data, article_id=path.name, source=name, options=opts, emit=notify)
            except InputError as exc:
                if not opts.skip_bad:
                    raise
                yield BadRecord(source=name, line=None, error=exc.reason)


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
    seen = UniqueIds()
    for item in iter_articles(inputs, opts, emit=notices.append, stdin=stdin):
        if isinstance(item, BadRecord):
            bad_records.append(item)
            continue
        message = seen.duplicate(item.id, item.origin)
        if message is not None:
            where, _, line = (item.origin or "").rpartition(":")
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
