"""The pre-ingest filter: a persistent index that decides, article by article, whether one is new.

* :mod:`~dedup.index.index`: :class:`Index`, opening a store and answering for it;
* :mod:`~dedup.index.results`: what it answers (:class:`Decision`, :class:`Match`, :class:`Policy`...).
"""

from dedup.index.index import DEFAULT_WINDOW_SAMPLE, FORMAT_VERSION, Index
from dedup.index.results import (
    DEFAULT_REJECT,
    AddResult,
    Decision,
    IndexStats,
    Match,
    Policy,
    StoredArticle,
    parse_duration,
    parse_published,
)

__all__ = [
    "DEFAULT_REJECT",
    "DEFAULT_WINDOW_SAMPLE",
    "FORMAT_VERSION",
    "AddResult",
    "Decision",
    "Index",
    "IndexStats",
    "Match",
    "Policy",
    "StoredArticle",
    "parse_duration",
    "parse_published",
]
