"""The pre-ingest filter: a persistent index that decides, article by article, whether one is new.

* :mod:`~dedup.index.index`: :class:`Index`, over a store (:mod:`~dedup.index.meta`: what an index
  records about itself, checked on opening);
* :mod:`~dedup.index.decide`: the :class:`~dedup.index.decide.Decider` and its :class:`Attempt` (one
  decision, not written yet, with what it read); :mod:`~dedup.index.documents`: articles
  fingerprinted, stored and read back;
* :mod:`~dedup.index.results`: what it answers (:class:`Decision`, :class:`Match`, :class:`Policy`...);
* :mod:`~dedup.index.stream`: the JSONL filter loop of ``dedup filter``; :mod:`~dedup.index.retry`:
  waiting out a store whose server is away.
"""

from dedup.index.decide import Attempt, ReadSet
from dedup.index.index import Index, InFlight
from dedup.index.meta import DEFAULT_WINDOW_SAMPLE, FORMAT_VERSION
from dedup.index.results import (
    DEFAULT_REJECT,
    DURATION_PATTERN,
    AddResult,
    Decision,
    IndexStats,
    Keep,
    Match,
    Policy,
    Replaced,
    StoredArticle,
    parse_duration,
    parse_published,
)

__all__ = [
    "DEFAULT_REJECT",
    "DEFAULT_WINDOW_SAMPLE",
    "DURATION_PATTERN",
    "FORMAT_VERSION",
    "AddResult",
    "Attempt",
    "Decision",
    "InFlight",
    "Index",
    "IndexStats",
    "Keep",
    "Match",
    "Policy",
    "ReadSet",
    "Replaced",
    "StoredArticle",
    "parse_duration",
    "parse_published",
]
