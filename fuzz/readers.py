"""Fuzz target for the readers: any bytes, in every input format, give articles or a clear error.

Run it with atheris (``pip install atheris``) for as long as you like::

    python -m fuzz.readers -max_total_time=600 fuzz/corpus

The first byte of an input chooses the format and options; the rest is the file's bytes. For each
input the readers must return articles and bad records, or raise :class:`~dedup.errors.InputError`
naming the source; any other exception, or an article that could not be written out as UTF-8, is a
finding. tests/test_fuzz_readers.py runs this target for a bounded time in CI.
"""

from __future__ import annotations

import io
import json
import sys
from typing import get_args

from dedup.errors import InputError
from dedup.io.decode import decode
from dedup.io.readers import iter_articles
from dedup.io.records import InputFormat, ReadOptions
from dedup.model import Article, BadRecord, Notice

__all__ = ["SEEDS", "Finding", "check"]

FORMATS: tuple[InputFormat, ...] = tuple(f for f in get_args(InputFormat) if f != "auto")

#: Inputs to start from: one of each kind of trouble the readers know about.
SEEDS: tuple[bytes, ...] = (
    b'\x00{"id": "a", "text": "The council approved the bridge."}\n{"id": 2, "text": "x", "title": null}\n',
    b'\x00{"id": "a", "text": "x", "text": "y"}\n[1]\nnull\n{"id": "\\ud800", "text": "\\udc00"}\n',
    b"\x00" + b"[" * 3000 + b"\n" + b'{"id": 1' + b"9" * 5000 + b"}\n",
    b'\x01id,text\r\n1,"quoted, with ""quotes"""\r\n2\r\n3,"unterminated\r\n',
    b"\x02id\ttext\n1\tone\n2\ttwo\textra\n",
    b"\x03\xff\xfeU\x00T\x00F\x00-\x001\x006\x00",
    b"\x03Caf\xe9 cr\xe8me \x93quoted\x94",
    b"\x03h\x00e\x00l\x00l\x00o\x00 \x00w\x00o\x00r\x00l\x00d\x00",
    b"\x00\xef\xbb\xbf" + '{"id": "é", "text": "ü\u2028 line"}'.encode(),
    b"\x07" + bytes(range(256)),
)


class Finding(AssertionError):
    """The readers broke their contract on a fuzz input."""


def _require(condition: object, what: object) -> None:
    if not condition:
        raise Finding(repr(what)[:500])


def _check_article(item: Article) -> None:
    _require(isinstance(item.id, str) and item.id.strip(), item)
    _require(isinstance(item.text, str), item)
    # whatever was read can be written out as UTF-8 (no lone surrogate survives the readers)
    item.id.encode("utf-8")
    item.text.encode("utf-8")
    for value in item.metadata().values():
        value.encode("utf-8")
    json.dumps(item.text, ensure_ascii=False).encode("utf-8")


def check(data: bytes) -> None:
    """One fuzz input: the first byte picks format and options, the rest is the input's bytes."""
    if not data:
        return
    head, body = data[0], data[1:]
    fmt = FORMATS[head % len(FORMATS)]
    options = ReadOptions(
        input_format=fmt,
        skip_bad=bool(head & 0x10),
        fallback_encoding="latin-1" if head & 0x20 else "cp1252",
        id_field="id" if not head & 0x40 else "ident",
    )
    notices: list[Notice] = []
    try:
        text, _ = decode(body, source="<fuzz>")
        _require(isinstance(text, str), text)
    except InputError as exc:
        _require(exc.source == "<fuzz>" and exc.reason, exc)
    try:
        items = list(iter_articles(["-"], options, emit=notices.append, stdin=io.BytesIO(body)))
    except InputError as exc:
        _require(exc.source == "<stdin>" and exc.reason, exc)
        _require(exc.line is None or exc.line >= 1, exc)
        return
    for item in items:
        if isinstance(item, Article):
            _check_article(item)
        else:
            _require(isinstance(item, BadRecord) and options.skip_bad, item)
            _require(item.error and item.source == "<stdin>", item)
            _require(item.line is None or item.line >= 1, item)
    for notice in notices:
        _require(notice.message, notice)
        str(notice).encode("utf-8", "backslashreplace")


def main(argv: list[str]) -> None:
    """Run the target under atheris (libFuzzer flags in ``argv``)."""
    import atheris

    # dedup is imported already: instrument the loaded code for coverage feedback
    atheris.instrument_all()
    atheris.Setup(argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
