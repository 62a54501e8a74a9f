"""The deduplicated corpus: every input record written to the kept or the removed JSONL file, once.

Kept records are the articles as read (id and text under the field names the input used, and the
metadata that is set). Removed records are the same with a ``dedup_removed`` object: the id of the kept
article they duplicate, how (near-duplicate, contained, contains), the share of their words the two
share, the policy and a sentence saying why (:class:`dedup.engine.keep.Removal`). Records that could
not be read (``--skip-bad``) are removed too, with the error and where they were (``bad_record``) and
the start of the raw line when there is one, so that kept + removed accounts for every input record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from dedup.engine.keep import Removal
from dedup.errors import DedupError
from dedup.io.render import json_text
from dedup.model import Article, BadRecord

__all__ = ["CleanCounts", "article_record", "write_cleaned"]


@dataclass(frozen=True, slots=True)
class CleanCounts:
    """How many records went where."""

    kept: int
    removed: int
    unreadable: int


def article_record(article: Article, *, id_field: str = "id", text_field: str = "text") -> dict[str, Any]:
    """An article as a JSON record: id and text under the given names, then the metadata that is set."""
    record: dict[str, Any] = {id_field: article.id, text_field: article.text}
    for name, value in article.metadata().items():
        record.setdefault(name, value)
    return record


def write_cleaned(
    articles: Iterable[Article],
    removals: Mapping[str, Removal],
    bad_records: Sequence[BadRecord],
    *,
    kept: TextIO | None,
    removed: TextIO | None,
    expected: int | None = None,
    id_field: str = "id",
    text_field: str = "text",
) -> CleanCounts:
    """Write each article (in input order) to ``kept`` or ``removed``, then unreadable records to ``removed``.

    ``expected`` is the number of articles the report was made from: reading another number (the
    input changed between the two readings) is a :class:`~dedup.errors.DedupError`.
    """
    n_kept = n_removed = seen = 0
    for article in articles:
        seen += 1
        why = removals.get(article.id)
        record = article_record(article, id_field=id_field, text_field=text_field)
        if why is None:
            n_kept += 1
            if kept is not None:
                kept.write(json_text(record) + "\n")
        else:
            n_removed += 1
            if removed is not None:
                record["dedup_removed"] = why.to_dict()
                removed.write(json_text(record) + "\n")
    if expected is not None and seen != expected:
        raise DedupError(
            f"the input changed while it was read: the report was made from {expected:,} articles, "
            f"the second reading found {seen:,} (nothing was written)"
        )
    for bad in bad_records:
        if removed is not None:
            record = {
                "dedup_removed": {
                    "reason": f"unreadable record: {bad.error}",
                    "bad_record": bad.to_dict(),
                },
                "raw": bad.raw,
            }
            removed.write(json_text(record) + "\n")
    return CleanCounts(n_kept, n_removed, len(bad_records))
