"""Plain data records that flow through the pipeline: articles in, pairs and reports out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dedup.errors import InputError
from dedup.settings import Settings

__all__ = [
    "RELATIONS",
    "Article",
    "BadRecord",
    "Notice",
    "Pair",
    "Passage",
    "Relation",
    "Report",
    "UniqueIds",
    "strength",
]

Relation = Literal["near-duplicate", "containment", "overlap"]

#: Relations from strongest to weakest.
RELATIONS: tuple[Relation, ...] = ("near-duplicate", "containment", "overlap")


@dataclass(frozen=True, slots=True)
class Article:
    """One article: an id unique in its corpus, the text compared, and optional metadata."""

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    published: str | None = None
    url: str | None = None
    #: Where the article was read from (file, and line for JSONL/CSV), for messages.
    origin: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        """Refuse what is not text, with an error naming the field (a caller's record may hold None)."""
        for name in ("id", "text", "title", "source", "published", "url"):
            value = getattr(self, name)
            if not isinstance(value, str) and (value is not None or name in ("id", "text")):
                raise InputError(
                    f"must be a string, got {type(value).__name__}"
                    + (f" (article {self.id!r})" if name != "id" and isinstance(self.id, str) else ""),
                    source=self.origin,
                    field=name,
                )

    def metadata(self) -> dict[str, str]:
        """The optional metadata fields that are set."""
        out = {}
        for name in ("title", "source", "published", "url"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


class UniqueIds:
    """The duplicate-id check of one run: ids met so far, with where each was first met.

    A report refuses a second article with an id (``dedup report``, :class:`dedup.Detector`); a bulk
    load skips it (:meth:`dedup.index.Index.add_many`).
    """

    def __init__(self) -> None:
        self._first: dict[str, str | None] = {}

    def duplicate(self, article_id: str, origin: str | None = None) -> str | None:
        """None the first time ``article_id`` is met (it is recorded, from ``origin``); else what is wrong."""
        if article_id in self._first:
            return self.message(article_id, self._first[article_id])
        self._first[article_id] = origin
        return None

    @staticmethod
    def message(article_id: str, first: str | None) -> str:
        """What is wrong with a second article ``article_id`` (the first met at ``first``, if known)."""
        return f"duplicate id {article_id!r}" + (f" (first seen at {first})" if first else "")


def strength(relation: str, coverage: float) -> tuple[int, float]:
    """The ranking rule of pairs and of a decision's matches: the strongest first.

    By relation (in :data:`RELATIONS` order; any other, such as a decision's ``already-stored``,
    first), then by the larger coverage (rounded to 6 decimals, so that float noise does not order).
    Ties are broken by each ranking's own key, and those differ on purpose, as published contracts:
    a report's pairs by Jaccard, then ids (:meth:`Pair.sort_key`); a decision's matches by the
    stored id alone (:meth:`dedup.index.Match.sort_key`). Ties on coverage are common among matches
    (stored copies of one story share the same passages with the new article: 115 of the 2,587
    decisions on a real-news stream have such a tie whose Jaccard order differs from the id
    order), so one tie-break for both would reorder published decisions.
    """
    rank = RELATIONS.index(relation) if relation in RELATIONS else -1
    return (rank, -round(coverage, 6))


@dataclass(frozen=True, slots=True)
class Passage:
    """A passage shared by two articles, as end-exclusive str offsets into each text."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    #: Word-level similarity of the two sides (1.0 = the same words in the same order).
    similarity: float
    a_text: str
    b_text: str
    #: Words the two sides have in common (aligned).
    matched_words: int = 0

    def to_dict(self, sides: tuple[str, str] = ("a", "b")) -> dict[str, Any]:
        """The JSON form of the passage, its two sides named ``sides``.

        A report names them ``a`` and ``b`` (``a_start``, ``b_text``...); a filter decision ``new``
        and ``stored`` (:meth:`dedup.index.Match.to_dict`). Both forms are contracts: same fields,
        same order.
        """
        a, b = sides
        return {
            f"{a}_start": self.a_start,
            f"{a}_end": self.a_end,
            f"{b}_start": self.b_start,
            f"{b}_end": self.b_end,
            "similarity": round(self.similarity, 4),
            "matched_words": self.matched_words,
            f"{a}_text": self.a_text,
            f"{b}_text": self.b_text,
        }


@dataclass(frozen=True, slots=True)
class Pair:
    """Two articles that share text: how they relate, how much, and where."""

    a: str
    b: str
    relation: Relation
    #: Exact Jaccard similarity of the two shingle sets.
    jaccard: float
    #: Fraction of each article's words inside shared passages.
    coverage_a: float
    coverage_b: float
    passages: tuple[Passage, ...]
    #: MinHash estimate of ``jaccard`` (from the whole-document signatures).
    jaccard_estimate: float = 0.0
    #: For ``containment``: the id of the article that is contained in the other.
    contained: str | None = None

    @property
    def score(self) -> float:
        """Strength used to rank pairs: the larger coverage, then Jaccard."""
        return max(self.coverage_a, self.coverage_b)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the pair."""
        out: dict[str, Any] = {
            "a": self.a,
            "b": self.b,
            "relation": self.relation,
            "jaccard": round(self.jaccard, 4),
            "jaccard_estimate": round(self.jaccard_estimate, 4),
            "coverage_a": round(self.coverage_a, 4),
            "coverage_b": round(self.coverage_b, 4),
        }
        if self.contained is not None:
            out["contained"] = self.contained
        out["passages"] = [p.to_dict() for p in self.passages]
        return out

    def sort_key(self) -> tuple[int, float, float, str, str]:
        """Strongest first (:func:`strength`), ties broken by Jaccard, then by the ids."""
        return (*strength(self.relation, self.score), -round(self.jaccard, 6), self.a, self.b)


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should know that did not stop the run (e.g. a fallback decoding)."""

    message: str
    source: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.source or ""
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the notice."""
        return {"source": self.source, "line": self.line, "message": self.message}


@dataclass(frozen=True, slots=True)
class BadRecord:
    """An input record that could not be read (kept with ``skip_bad``, so nothing is lost silently)."""

    source: str
    line: int | None
    error: str
    field: str | None = None
    raw: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the bad record."""
        return {"source": self.source, "line": self.line, "field": self.field, "error": self.error}


@dataclass(frozen=True, slots=True)
class Report:
    """The result of a batch run: pairs strongest first, clusters, and what was read."""

    documents: int
    settings: Settings
    pairs: tuple[Pair, ...]
    clusters: tuple[tuple[str, ...], ...]
    notices: tuple[Notice, ...] = ()
    bad_records: tuple[BadRecord, ...] = ()
    #: Lines recognised as boilerplate and ignored as evidence (normalised text -> articles holding it).
    boilerplate: tuple[tuple[str, int], ...] = ()
    #: Ids in input order (used by renderers that show articles).
    ids: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """Number of pairs per relation."""
        out: dict[str, int] = dict.fromkeys(RELATIONS, 0)
        for pair in self.pairs:
            out[pair.relation] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (see README): documents, settings, pairs, clusters, plus diagnostics."""
        from dedup._version import __version__

        return {
            "dedup_version": __version__,
            "documents": self.documents,
            "settings": self.settings.to_dict(),
            "summary": self.counts(),
            "pairs": [p.to_dict() for p in self.pairs],
            "clusters": [list(c) for c in self.clusters],
            "boilerplate": [{"text": text, "documents": n} for text, n in self.boilerplate],
            "notices": [n.to_dict() for n in self.notices],
            "bad_records": [b.to_dict() for b in self.bad_records],
        }
