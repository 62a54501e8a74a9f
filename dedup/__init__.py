"""dedup: near-duplicate and overlap detection for news articles.

Finds reprints, containment and overlapping reports, and says exactly which passages two articles
share, with character offsets into both texts.
"""

from __future__ import annotations

from dedup._version import __version__
from dedup.detector import Detector
from dedup.engine.verify import classify
from dedup.errors import (
    DedupError,
    IncompatibleIndexError,
    IndexStoreError,
    InputError,
    SettingsError,
)
from dedup.index import Decision, Index, IndexStats, Match, Policy, StoredArticle
from dedup.model import RELATIONS, Article, BadRecord, Notice, Pair, Passage, Relation, Report
from dedup.settings import Settings

__all__ = [
    "RELATIONS",
    "Article",
    "BadRecord",
    "Decision",
    "DedupError",
    "Detector",
    "IncompatibleIndexError",
    "Index",
    "IndexStats",
    "IndexStoreError",
    "InputError",
    "Match",
    "Notice",
    "Pair",
    "Passage",
    "Policy",
    "Relation",
    "Report",
    "Settings",
    "SettingsError",
    "StoredArticle",
    "__version__",
    "classify",
]
