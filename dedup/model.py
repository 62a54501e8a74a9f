"""Plain data records that flow through the pipeline: articles in, pairs and reports out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dedup.errors import InputError
from dedup.settings import Settings

__all__ = [
    "CONFIDENCES",
    "RELATIONS",
    "Article",
    "BadRecord",
    "Confidence",
    "Credit",
    "Evidence",
    "Member",
    "Notice",
    "Origin",
    "Pair",
    "Passage",
    "PassageCluster",
    "Provenance",
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
    #: The passage cluster (index into :attr:`Report.passage_clusters`) the passage belongs to, in a report.
    cluster: int | None = None
    #: What makes the passage evidence of copying ("exact run of 12 words", "quotation of 9 words",
    #: "edited copy of 31 words"), or None for a weak passage (a name, a stock phrase, a headline)
    #: reported alongside a strong one (:mod:`dedup.engine.evidence`).
    evidence: str | None = None

    def to_dict(self, sides: tuple[str, str] = ("a", "b")) -> dict[str, Any]:
        """The JSON form of the passage, its two sides named ``sides``.

        A report names them ``a`` and ``b`` (``a_start``, ``b_text``...); a filter decision ``new``
        and ``stored`` (:meth:`dedup.index.Match.to_dict`). Both forms are contracts: same fields,
        same order. In a report, ``cluster`` names the passage cluster it belongs to.
        """
        a, b = sides
        out: dict[str, Any] = {
            f"{a}_start": self.a_start,
            f"{a}_end": self.a_end,
            f"{b}_start": self.b_start,
            f"{b}_end": self.b_end,
            "similarity": round(self.similarity, 4),
            "matched_words": self.matched_words,
            "evidence": self.evidence,
            f"{a}_text": self.a_text,
            f"{b}_text": self.b_text,
        }
        if self.cluster is not None:
            out["cluster"] = self.cluster
        return out


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


Confidence = Literal["high", "medium", "low", "none"]

#: Confidence of an origin, from strongest to weakest ("none": no evidence either way).
CONFIDENCES: tuple[Confidence, ...] = ("high", "medium", "low", "none")


@dataclass(frozen=True, slots=True)
class Credit:
    """An explicit credit in an article's text (``/TASS/``, ``(AP) -``, "Source: Tass", "told the BBC")."""

    #: The name credited, normalised for matching ("tass", "associated press", "interior ministry").
    name: str
    #: The credit as written, and where it is in the article's text (str offsets, end exclusive).
    text: str
    start: int
    end: int
    #: How it credits: dateline, source, according-to, told, reported, published-by, copyright.
    kind: str
    #: The name as written ("Tass", "The Associated Press").
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the credit."""
        return {
            "name": self.name,
            "label": self.label,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
        }


@dataclass(frozen=True, slots=True)
class Provenance:
    """What origins and the keep policy know of an article besides its pairs: metadata, length, credits."""

    source: str | None = None
    published: str | None = None
    url: str | None = None
    #: Words outside boilerplate.
    words: int = 0
    credits: tuple[Credit, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason for (or against) an origin."""

    #: credit (a member credits another), outside (every member credits a source not in the corpus),
    #: published (the earliest date), whole (the longest version, all of its article), conflict.
    kind: str
    #: The article the evidence was found in or is about.
    article: str | None
    #: One sentence for people.
    detail: str
    #: A credit's wording and offsets in ``article``'s text.
    text: str | None = None
    start: int | None = None
    end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the evidence."""
        out: dict[str, Any] = {"kind": self.kind, "article": self.article, "detail": self.detail}
        if self.text is not None:
            out.update(text=self.text, start=self.start, end=self.end)
        return out


@dataclass(frozen=True, slots=True)
class Origin:
    """The likely original of a cluster: an article id, or None (not in the corpus, or unknown)."""

    article: str | None
    confidence: Confidence
    evidence: tuple[Evidence, ...] = ()
    #: When every member credits a source that is not in the corpus: that source, as first written.
    outside: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON fields ``origin``, ``origin_confidence``, ``origin_outside``, ``origin_evidence``."""
        return {
            "origin": self.article,
            "origin_confidence": self.confidence,
            "origin_outside": self.outside,
            "origin_evidence": [e.to_dict() for e in self.evidence],
        }


UNKNOWN_ORIGIN = Origin(None, "none")


@dataclass(frozen=True, slots=True)
class Member:
    """One article's copy of a shared passage: where it is and its own wording."""

    article: str
    start: int
    end: int
    text: str
    published: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the member."""
        return {
            "article": self.article,
            "start": self.start,
            "end": self.end,
            "published": self.published,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class PassageCluster:
    """A passage shared by several articles (a reuse cascade): its members, a representative text, its origin.

    Members are ordered by ``published`` where known (undated ones last), then by id.
    """

    id: int
    members: tuple[Member, ...]
    #: The representative wording: the origin's when it is in the corpus, else the best-connected member's.
    text: str
    origin: Origin
    #: Passages (of all pairs) that make up the cluster.
    passages: int = 0

    @property
    def reach(self) -> int:
        """Distinct articles holding the passage."""
        return len({m.article for m in self.members})

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the passage cluster."""
        return {
            "id": self.id,
            "reach": self.reach,
            "passages": self.passages,
            "text": self.text,
            **self.origin.to_dict(),
            "members": [m.to_dict() for m in self.members],
        }


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
    """The result of a batch run: pairs strongest first, clusters, shared passages, and what was read."""

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
    #: Shared passages grouped into clusters of the same text (reuse cascades), widest reach first.
    passage_clusters: tuple[PassageCluster, ...] = ()
    #: The likely origin of each of :attr:`clusters`, in the same order.
    cluster_origins: tuple[Origin, ...] = ()
    #: Indices of the pairs the bounded output leaves out (every passage of theirs is in a passage
    #: cluster wider than :data:`dedup.engine.cascades.LISTED_REACH`, and another pair shows each member).
    folded: frozenset[int] = frozenset()
    #: What origins and the keep policy used of each paired article.
    provenance: Mapping[str, Provenance] = field(default_factory=dict, compare=False, hash=False)

    def counts(self) -> dict[str, int]:
        """Number of pairs per relation."""
        out: dict[str, int] = dict.fromkeys(RELATIONS, 0)
        for pair in self.pairs:
            out[pair.relation] += 1
        return out

    def listed_pairs(self, *, all_pairs: bool = False) -> tuple[Pair, ...]:
        """The pairs the output lists: all with ``all_pairs``, else the bounded list (see ``folded``)."""
        if all_pairs or not self.folded:
            return self.pairs
        return tuple(p for n, p in enumerate(self.pairs) if n not in self.folded)

    def to_dict(self, *, all_pairs: bool = False) -> dict[str, Any]:
        """The JSON contract (see README): documents, settings, pairs, clusters, plus diagnostics.

        By default ``pairs`` leaves out the pairs folded into wide passage clusters (``pairs_omitted``
        counts them; ``summary`` counts every pair); ``all_pairs`` lists every pair.
        """
        from dedup._version import __version__

        listed = self.listed_pairs(all_pairs=all_pairs)
        return {
            "dedup_version": __version__,
            "documents": self.documents,
            "settings": self.settings.to_dict(),
            "summary": self.counts(),
            "pairs_omitted": len(self.pairs) - len(listed),
            "pairs": [p.to_dict() for p in listed],
            "clusters": [list(c) for c in self.clusters],
            "cluster_origins": [o.to_dict() for o in self.cluster_origins],
            "passage_clusters": [c.to_dict() for c in self.passage_clusters],
            "boilerplate": [{"text": text, "documents": n} for text, n in self.boilerplate],
            "notices": [n.to_dict() for n in self.notices],
            "bad_records": [b.to_dict() for b in self.bad_records],
        }
