"""What the index answers: decisions and their matches, the policy behind them, stored articles, sizes.

Also the two small parsers the filter's options and the service use (:func:`parse_duration`,
:func:`parse_published`).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from dedup.engine.keep import KEEP_POLICIES, KeepPolicy, Removal
from dedup.errors import InputError, SettingsError
from dedup.model import Article, Pair, Passage, Relation, strength
from dedup.settings import Settings

__all__ = [
    "DEFAULT_REJECT",
    "DURATION_PATTERN",
    "KEEP_POLICIES",
    "Action",
    "AddResult",
    "Decision",
    "DecisionRelation",
    "IndexStats",
    "Keep",
    "Match",
    "Policy",
    "Replaced",
    "StoredArticle",
    "parse_duration",
    "parse_published",
]

Action = Literal["keep", "reject"]
DecisionRelation = Literal["near-duplicate", "containment", "overlap", "already-stored"]


# -- small parsers ------------------------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
#: What :func:`parse_duration` reads: a number, optionally with a unit (the service's schema shows it).
DURATION_PATTERN = r"^\s*[0-9]+(\.[0-9]+)?\s*[smhdwSMHDW]?\s*$"
_DURATION = re.compile(DURATION_PATTERN)
_FOREVER = dt.timedelta.max.total_seconds()


def parse_duration(text: str) -> dt.timedelta:
    """``"3d"``, ``"12h"``, ``"30m"``, ``"45s"``, ``"2w"`` (or a plain number of seconds) as a timedelta.

    Raises :class:`~dedup.errors.SettingsError` for anything else (a sign, an exponent, ``nan``). A
    duration longer than any two dates can be apart is no limit (``timedelta.max``).
    """
    if not _DURATION.match(text):
        raise SettingsError(f"cannot read duration {text!r}: use a number and a unit, e.g. 3d, 12h, 30m")
    raw = text.strip().lower()
    unit = raw[-1:] if raw[-1:] in _UNITS else "s"
    number = raw[:-1] if raw[-1:] in _UNITS else raw
    seconds = float(number) * _UNITS[unit]
    # longer than any date can be apart: no limit (timedelta itself stops at 999,999,999 days)
    return dt.timedelta.max if seconds >= _FOREVER else dt.timedelta(seconds=seconds)


def parse_published(value: str, *, source: str | None = None) -> float:
    """``published`` as seconds since the epoch.

    Accepted: ISO 8601 (a date alone is midnight UTC; a time without a zone is UTC), RFC 2822
    (``Wed, 20 Nov 2024 10:00:00 GMT``) or a number of seconds since the epoch. Raises
    :class:`~dedup.errors.InputError` (field ``published``, from ``source``) for anything else.
    """
    text = value.strip()
    try:
        return _in_range(float(text), value, source)
    except ValueError:
        pass
    when: dt.datetime | None = None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            when = None
    if when is None:
        raise InputError(
            f"cannot read the date {value!r} (use ISO 8601, e.g. 2024-11-20T10:00:00Z)",
            source=source,
            field="published",
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return _in_range(when.timestamp(), value, source)


#: The dates a ``published`` value may name (those Python's datetime can show: years 1 to 9999, UTC).
_FIRST = dt.datetime.min.replace(tzinfo=dt.UTC).timestamp()
_LAST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp()


def _in_range(seconds: float, value: str, source: str | None) -> float:
    if not _FIRST <= seconds <= _LAST:  # NaN and infinities too
        raise InputError(
            f"the date {value!r} is out of range (years 1 to 9999)", source=source, field="published"
        )
    return seconds


# -- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Which matches make the index reject a new article.

    A *digest page* (a new article that contains stored articles, e.g. a scraped page carrying two
    stories) is kept by default, annotated with a ``containment`` match for every stored article it
    holds: it also carries text the index has not seen, and an update that adds paragraphs to a stored
    story looks the same. Set ``reject_containing=True`` to reject such pages. An article that arrives
    *after* a stored page holding it is ``contained`` in that page and rejected by default.
    """

    #: Reject an article that is a near-duplicate of a stored one (a reprint).
    reject_near_duplicate: bool = True
    #: Reject an article mostly contained in a stored one (a trimmed reprint).
    reject_contained: bool = True
    #: Reject an article that contains a stored one (a digest page, an extended version).
    reject_containing: bool = False
    #: Reject an article that merely shares passages with a stored one.
    reject_overlap: bool = False

    def rejects(self, match: Match, new_id: str) -> bool:
        """Whether ``match`` is a reason to reject the article ``new_id``."""
        if match.relation == "near-duplicate":
            return self.reject_near_duplicate
        if match.relation == "containment":
            if match.contained == new_id:
                return self.reject_contained
            return self.reject_containing
        return self.reject_overlap

    @classmethod
    def from_names(cls, names: Iterable[str]) -> Policy:
        """A policy rejecting the named cases.

        Names: ``near-duplicate``, ``contained``, ``containing``, ``overlap`` (or ``none``). Raises
        :class:`~dedup.errors.SettingsError` naming any other.
        """
        chosen = {n.strip() for n in names if n.strip()}
        known = {"near-duplicate", "contained", "containing", "overlap"}
        unknown = chosen - known - {"none"}
        if unknown:
            raise SettingsError(
                f"unknown rejection case(s): {', '.join(sorted(unknown))} "
                f"(choose from {', '.join(sorted(known))})"
            )
        return cls(
            reject_near_duplicate="near-duplicate" in chosen,
            reject_contained="contained" in chosen,
            reject_containing="containing" in chosen,
            reject_overlap="overlap" in chosen,
        )

    def names(self) -> list[str]:
        """The rejected cases, by name."""
        out = []
        for name, on in (
            ("near-duplicate", self.reject_near_duplicate),
            ("contained", self.reject_contained),
            ("containing", self.reject_containing),
            ("overlap", self.reject_overlap),
        ):
            if on:
                out.append(name)
        return out


#: A match's passages in JSON: the ``a`` side is the new article, the ``b`` side the stored one.
_SIDES = ("new", "stored")

#: The rejected cases of the default policy, as ``dedup filter --reject`` and the service take them.
DEFAULT_REJECT = ",".join(Policy().names())


@dataclass(frozen=True, slots=True)
class Match:
    """A stored article that shares text with the new one.

    Passages are :class:`~dedup.model.Passage` objects whose ``a`` side is the new article and whose
    ``b`` side is the stored one (``new_*`` and ``stored_*`` in JSON).
    """

    id: str
    relation: Relation | Literal["already-stored"]
    #: For ``containment``: the id of the contained article (the new one or the stored one).
    contained: str | None = None
    jaccard: float = 0.0
    jaccard_estimate: float = 0.0
    #: Fraction of the new article's words inside shared passages.
    coverage: float = 0.0
    #: Fraction of the stored article's words inside shared passages.
    stored_coverage: float = 0.0
    passages: tuple[Passage, ...] = ()
    #: The stored article's metadata (title, source, published, url).
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_pair(cls, pair: Pair, metadata: dict[str, str]) -> Match:
        """A match from a verified pair whose ``a`` is the new article."""
        return cls(
            id=pair.b,
            relation=pair.relation,
            contained=pair.contained,
            jaccard=pair.jaccard,
            jaccard_estimate=pair.jaccard_estimate,
            coverage=pair.coverage_a,
            stored_coverage=pair.coverage_b,
            passages=pair.passages,
            metadata=metadata,
        )

    def sort_key(self) -> tuple[int, float, str]:
        """Strongest first (:func:`dedup.model.strength`), ties broken by the stored id."""
        return (*strength(self.relation, max(self.coverage, self.stored_coverage)), self.id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the match."""
        out: dict[str, Any] = {"id": self.id, "relation": self.relation}
        if self.contained is not None:
            out["contained"] = self.contained
        if self.relation != "already-stored":
            out.update(
                jaccard=round(self.jaccard, 4),
                jaccard_estimate=round(self.jaccard_estimate, 4),
                coverage=round(self.coverage, 4),
                stored_coverage=round(self.stored_coverage, 4),
            )
        if self.metadata:
            out["metadata"] = dict(self.metadata)
        out["passages"] = [p.to_dict(_SIDES) for p in self.passages]
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """What the index decided about one article, and the evidence."""

    id: str
    action: Action
    #: The strongest relation among the matches (``already-stored``: the id is in the index already).
    relation: DecisionRelation | None
    #: Stored articles sharing text with this one, strongest first.
    matches: tuple[Match, ...] = ()
    #: Whether this call stored the article.
    stored: bool = False
    #: One line for people: why the article was rejected or annotated.
    reason: str = ""
    #: Stored copies this article replaces (a keep policy ranked it first): removed when it is stored.
    replaced: tuple[Replaced, ...] = ()

    @property
    def rejected(self) -> bool:
        """True when the action is ``reject``."""
        return self.action == "reject"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``id``, ``action``, ``relation``, ``reason``, ``stored``, ``matches``."""
        return {
            "id": self.id,
            "action": self.action,
            "relation": self.relation,
            "reason": self.reason,
            "stored": self.stored,
            "matches": [m.to_dict() for m in self.matches],
            **({"replaced": [r.to_dict() for r in self.replaced]} if self.replaced else {}),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Keep:
    """Which of two copies the index keeps when it meets the second: the keep policy of the filter.

    ``first`` (the default) keeps the stored article: the later copy is rejected. The others rank
    the two as corpus cleaning does (:mod:`dedup.engine.keep`: ``earliest`` published, ``longest``,
    best ``source-rank``ed source, ties to the smaller id), and a later copy that ranks first
    *replaces* the stored one: it is stored, the stored copy removed, and the decision says which
    and why (:attr:`Decision.replaced`). Only copies count (a near-duplicate, one article inside
    the other) and only when every match that rejects the new article is one.
    """

    policy: KeepPolicy = "first"
    #: For ``source-rank``: sources from most to least preferred (unlisted sources rank last).
    source_rank: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.policy not in KEEP_POLICIES:
            raise SettingsError(
                f"unknown keep policy {self.policy!r}: choose one of {', '.join(KEEP_POLICIES)}"
            )
        if self.policy == "source-rank" and not self.source_rank:
            raise SettingsError("the keep policy source-rank needs the sources in order (source_rank)")

    @property
    def replaces(self) -> bool:
        """Whether a later copy may replace a stored one (every policy but ``first``)."""
        return self.policy != "first"


@dataclass(frozen=True, slots=True)
class Replaced:
    """A stored article replaced by a better-ranked copy of it: the article, and why (its removal)."""

    #: ``article``: its id; ``duplicate_of``: the article that replaces it; the relation, the share
    #: of its words shared, the policy and the reason, as corpus cleaning gives them.
    removal: Removal
    stored: StoredArticle

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "duplicate_of", "relation", "coverage", "policy", "reason"}``."""
        return {"id": self.removal.article, **self.removal.to_dict()}


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """A stored article as :meth:`Index.get` returns it."""

    article: Article
    #: When it was added (seconds since the epoch).
    added: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the article's fields plus ``added``)."""
        return {
            "id": self.article.id,
            "text": self.article.text,
            **self.article.metadata(),
            "added": self.added,
        }


@dataclass(frozen=True, slots=True)
class AddResult:
    """What a bulk :meth:`Index.add_many` did."""

    added: int
    already_stored: list[str]


@dataclass(frozen=True, slots=True)
class IndexStats:
    """Size and configuration of an index."""

    location: str
    articles: int
    keys: int
    lines: int
    boilerplate_lines: int
    bytes: int
    settings: Settings
    window_sample: int
    format: int
    dedup_version: str
    created: str
    oldest_published: float | None
    newest_published: float | None

    @property
    def bytes_per_article(self) -> float:
        """Size on disk divided by the number of stored articles."""
        return self.bytes / self.articles if self.articles else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""

        def iso(t: float | None) -> str | None:
            return None if t is None else dt.datetime.fromtimestamp(t, dt.UTC).isoformat()

        return {
            "location": self.location,
            "articles": self.articles,
            "keys": self.keys,
            "lines": self.lines,
            "boilerplate_lines": self.boilerplate_lines,
            "bytes": self.bytes,
            "bytes_per_article": round(self.bytes_per_article, 1),
            "window_sample": self.window_sample,
            "format": self.format,
            "dedup_version": self.dedup_version,
            "created": self.created,
            "oldest_published": iso(self.oldest_published),
            "newest_published": iso(self.newest_published),
            "settings": self.settings.to_dict(),
        }
