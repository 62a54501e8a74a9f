"""The filter loop: a JSONL stream of articles in, one outcome per line, each line checked and added in order.

Every non-blank line ends as exactly one :class:`Outcome`: *kept* (stored; it may carry matches as
annotations), *rejected*, or an *error* (a line that cannot be used: not UTF-8 and not decodable,
malformed JSON, a missing or wrongly typed field, an unreadable ``published``), which becomes an error
record naming the line and the field. ``dedup filter`` routes the lines and writes the records; the
HTTP service reads its articles with the same checks (:func:`read_article`) and decides them the
same way (:func:`decide`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from dedup.errors import IndexStoreError, InputError, StoreUnavailable
from dedup.index.index import Index
from dedup.index.results import Decision, parse_published
from dedup.index.retry import Retry
from dedup.io.decode import Emit, decode
from dedup.io.records import ReadOptions, parse_json, parse_record
from dedup.model import Article

__all__ = ["Outcome", "decide", "error_record", "filter_lines", "read_article"]

#: Where the filter's lines come from, in messages and error records.
STDIN = "<stdin>"

Kind = Literal["kept", "rejected", "error"]


def error_record(
    message: str,
    *,
    line: int | None = None,
    article_id: str | None = None,
    source: str | None = None,
    field: str | None = None,
) -> dict[str, Any]:
    """The record of an input that could not be used (``dedup filter --decisions``, ``dedup check``).

    ``{"id", "action": "error", "error", "source", "line"}``, and ``"field"`` when one is to blame.
    """
    out: dict[str, Any] = {
        "id": article_id,
        "action": "error",
        "error": message,
        "source": source,
        "line": line,
    }
    if field is not None:
        out["field"] = field
    return out


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one input line."""

    #: The line's number (1-based; blank lines are counted, and skipped).
    line: int
    #: The line as read, without its end-of-line bytes.
    text: bytes
    #: The index's decision (None when the line could not be used).
    decision: Decision | None = None
    #: Why the line could not be used: its error record (see :func:`error_record`).
    error: dict[str, Any] | None = None

    @property
    def kind(self) -> Kind:
        """``kept``, ``rejected`` or ``error``."""
        if self.decision is None:
            return "error"
        return "kept" if self.decision.action == "keep" else "rejected"

    def record(self) -> dict[str, Any]:
        """The line's record: the decision's JSON with ``"line"`` added, or the error record."""
        if self.decision is not None:
            return {**self.decision.to_dict(), "line": self.line}
        assert self.error is not None
        return self.error


def read_article(
    record: Any, options: ReadOptions, *, source: str, line: int | None, emit: Emit | None = None
) -> Article:
    """A decoded JSON record as an article, with the checks every input passes before the index sees it.

    The fields as :func:`~dedup.io.readers.parse_record` reads them (``emit`` receives its notices), and
    a ``published`` the index can read. Raises :class:`~dedup.errors.InputError` naming the field.
    """
    article = parse_record(record, options, source=source, line=line, emit=emit)
    if article.published is not None and article.published.strip():
        parse_published(article.published, source=source)
    return article


def decide(index: Index, article: Article, *, add: bool, window: dt.timedelta | None = None) -> Decision:
    """The index's decision about ``article``: check-and-add it (``add``), or only check it.

    Raises what :meth:`Index.check_and_add <dedup.index.Index.check_and_add>` raises.
    """
    return index.check_and_add(article, window=window) if add else index.check(article, window=window)


def filter_lines(
    index: Index,
    lines: Iterable[bytes],
    options: ReadOptions,
    *,
    emit: Emit,
    source: str = STDIN,
    retry: Retry | None = None,
) -> Iterator[Outcome]:
    """Check-and-add the article of each line, in order: one :class:`Outcome` per non-blank line.

    Each outcome is yielded once the index has committed it, so that a caller writing it at once
    never shows a line whose decision could be lost. ``emit`` receives the notices of reading (a
    fallback decoding, control characters kept...). Raises
    :class:`~dedup.errors.IndexStoreError` when the index cannot be read or written, saying at which
    line the loop stopped (every line before it is decided). With ``retry``, a store that cannot be
    reached is waited for (:class:`~dedup.index.retry.Retry`) before the loop stops.
    """
    for n, raw in enumerate(lines, 1):
        text = raw.rstrip(b"\r\n")
        if not text.strip():
            continue
        try:
            yield _outcome(index, text, n, options, emit, source, retry)
        except IndexStoreError as exc:
            maybe = ""
            if isinstance(exc, StoreUnavailable) and exc.in_flight is not None:
                maybe = (
                    f"; the article of line {n} was being stored as the store went away and may "
                    "have been: a run from that line then reports it as already-stored"
                )
            raise IndexStoreError(
                f"{exc} (stopped at input line {n}: every line before it is decided and its output "
                f"written{maybe}; once the cause is fixed, run again from line {n}, or on the whole input: "
                "lines already stored are rejected as such)"
            ) from exc


def _outcome(
    index: Index, text: bytes, n: int, options: ReadOptions, emit: Emit, source: str, retry: Retry | None
) -> Outcome:
    """Check-and-add one line's article; an error outcome when the line is unusable."""
    article_id = None
    try:
        decoded, notice = decode(text, source=source, line=n, fallback=options.fallback_encoding)
        if notice is not None:
            emit(notice)
        # every way a line can fail to be JSON (too deep, a number too long...) is an error record
        record = parse_json(decoded, source=source, line_number=n)
        if isinstance(record, dict) and isinstance(record.get(options.id_field), str | int):
            article_id = str(record[options.id_field])
        article = read_article(record, options, source=source, line=n, emit=emit)
        if retry is not None:
            decision = retry.check_and_add(index, article, doing=f"at input line {n}")
        else:
            decision = decide(index, article, add=True)
        return Outcome(n, text, decision=decision)
    except InputError as exc:
        error = error_record(exc.reason, line=n, article_id=article_id, source=source, field=exc.field)
        return Outcome(n, text, error=error)
