"""Deciding about one article against what a store holds, without writing: the :class:`Attempt`.

A decision reads, in this order (one round trip each on a networked store, the first three in one
with :meth:`~dedup.stores.base.Store.prefetch`):

1. whether the id is stored (then the article is rejected as ``already-stored``);
2. the tallies of the article's lines, from which its learned boilerplate follows
   (:func:`~dedup.engine.boilerplate.learned_lines`; the signatures of a few holders when a line
   recurs often enough);
3. the stored articles sharing its band keys (the keys computed with the learned lines masked);
4. the records of the candidates sharing the most keys, each screened
   (:func:`~dedup.engine.align.screen`) and verified (:meth:`Verifier.pair
   <dedup.engine.verify.Verifier.pair>`); the :class:`~dedup.index.results.Policy` turns the matches
   into an action.

Stored records never change (doc numbers are not reused), so what steps 1-3 read (the
:class:`ReadSet`) determines the decision: a commit stores the article only if it finds the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from dedup.engine.align import ShingleView, screen
from dedup.engine.boilerplate import LineStat, learned_lines
from dedup.engine.verify import Document
from dedup.index.documents import Documents, Prepared
from dedup.index.results import Action, Decision, Match, Policy
from dedup.settings import Settings
from dedup.stores.base import Store, StoredRecord

__all__ = ["Attempt", "Decider", "ReadSet"]

#: Verifications already made for one article: (stored doc, learned lines masked) -> the match or None.
Verified = dict[tuple[int, frozenset[int]], Match | None]


@dataclass(frozen=True, slots=True)
class ReadSet:
    """What a decision read from the store: a commit stores on the decision only if it reads the same."""

    #: The id look-up: the article's id and its doc number when it is stored already.
    found: Mapping[str, int]
    #: The tallies of the article's lines (empty when the id was found).
    lines: Mapping[int, LineStat]
    #: Stored docs sharing band keys with the article, and how many each shares.
    hits: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One decision about one article, made without writing: what :meth:`dedup.index.Index.commit` stores.

    Made by :meth:`dedup.index.Index.decide`. It holds the prepared article, the band keys and
    learned boilerplate lines it would be stored with, the decision (with its matches) and what the
    decision read (:class:`ReadSet`), which a commit checks is unchanged.
    """

    #: The article, fingerprinted.
    article: Prepared
    #: The time window the decision used (None: none).
    window: dt.timedelta | None
    #: The band keys looked up, with which the article is stored.
    keys: tuple[int, ...]
    #: Keys of the article's lines learned as boilerplate (masked in it).
    learned: frozenset[int]
    #: What the index decided.
    decision: Decision
    #: What the decision read.
    read: ReadSet
    #: Verifications made for this article, reused if it is decided again (stored records never change).
    verified: Verified = field(default_factory=dict, compare=False, repr=False)
    #: Stored docs the article replaces, by the index's keep policy (see :class:`~dedup.index.Keep`).
    replaces: tuple[int, ...] = ()
    #: The store's change token when the decision read (None: unknown): a commit that finds the same
    #: one knows the reads unchanged without making them again.
    token: Hashable | None = field(default=None, compare=False, repr=False)

    @property
    def matches(self) -> tuple[Match, ...]:
        """The decision's matches, strongest first."""
        return self.decision.matches

    @property
    def keeps(self) -> bool:
        """Whether the decision is to keep (and so to store) the article."""
        return self.decision.action == "keep"


class Decider:
    """Decides about prepared articles against a store: the reads, the candidates, the verification."""

    def __init__(
        self, store: Store, documents: Documents, settings: Settings, policy: Policy, max_candidates: int
    ) -> None:
        self.store = store
        self.documents = documents
        self.settings = settings
        self.policy = policy
        self.max_candidates = max_candidates

    def decide(
        self, article: Prepared, window: dt.timedelta | None, verified: Verified | None = None
    ) -> Attempt:
        """Decide about a prepared article against the store's current state (nothing is written).

        ``verified``: the verifications of an earlier attempt for this article, reused (deciding
        again after another writer stored something verifies only the new candidates).
        Raises :class:`~dedup.errors.IndexStoreError` when the store cannot be read.
        """
        known: Verified = verified if verified is not None else {}
        plain = self.documents.keys(article.doc)
        self.store.prefetch([article.id], [h for h, _ in article.lines], plain)
        found, stats = self._read_article(article)
        if found:
            decision = Decision(
                id=article.id,
                action="reject",
                relation="already-stored",
                matches=(Match(id=article.id, relation="already-stored"),),
                reason=f"id {article.id!r} is already in the index",
            )
            return Attempt(article, window, (), frozenset(), decision, ReadSet(found, {}, {}), known)
        learned = frozenset(self._learned(article, stats))
        doc = self.documents.masked(article.doc, learned)
        keys = plain if doc is article.doc else self.documents.keys(doc)
        hits = self._read_keys(keys)
        matches = self._verify(article, doc, learned, hits, window, known)
        reasons = [m for m in matches if self.policy.rejects(m, article.id)]
        action: Action = "reject" if reasons else "keep"
        strongest = reasons[0] if reasons else (matches[0] if matches else None)
        decision = Decision(
            id=article.id,
            action=action,
            relation=strongest.relation if strongest else None,
            matches=matches,
            reason=_reason(strongest, article.id) if strongest else "",
        )
        return Attempt(article, window, keys, learned, decision, ReadSet(found, stats, hits), known)

    def reread(self, attempt: Attempt) -> ReadSet:
        """Read again what ``attempt``'s decision read (the same questions, in the same order).

        Raises :class:`~dedup.errors.IndexStoreError` when the store cannot be read.
        """
        found, stats = self._read_article(attempt.article)
        if found:
            return ReadSet(found, {}, {})
        return ReadSet(found, stats, self._read_keys(attempt.keys))

    def learned(self, article: Prepared, stats: Mapping[int, LineStat] | None = None) -> frozenset[int]:
        """Keys of the article's lines the stored articles make boilerplate (``stats``: their tallies)."""
        if stats is None:
            stats = self.store.line_stats([h for h, _ in article.lines])
        return frozenset(self._learned(article, stats))

    # -- the reads --------------------------------------------------------------------------------------

    def _read_article(self, article: Prepared) -> tuple[dict[str, int], dict[int, LineStat]]:
        """Steps 1 and 2: the id look-up and, unless the id is stored, the tallies of the lines."""
        found = self.store.find([article.id])
        if found:
            return found, {}
        return found, self.store.line_stats([h for h, _ in article.lines])

    def _read_keys(self, keys: tuple[int, ...]) -> dict[int, int]:
        """Step 3: stored docs sharing band keys, with how many each shares."""
        hits, _skipped = self.store.lookup(keys, max_bucket=self.settings.max_bucket)
        return hits

    def _learned(self, article: Prepared, stats: Mapping[int, LineStat]) -> set[int]:
        words = {line.key: line.last - line.first for line in article.doc.lines}

        def signatures(docs: list[int]) -> dict[int, npt.NDArray[np.uint32]]:
            found = self.store.signatures(docs)
            return {d: np.frombuffer(blob, dtype=np.uint32) for d, blob in found.items()}

        return learned_lines(
            [(h, edge, words[h]) for h, edge in article.lines],
            stats,
            article.doc.fingerprint.signature,
            signatures,
            min_docs=self.settings.boilerplate_min_docs,
        )

    # -- the candidates ---------------------------------------------------------------------------------

    def _verify(
        self,
        article: Prepared,
        doc: Document,
        learned: frozenset[int],
        hits: Mapping[int, int],
        window: dt.timedelta | None,
        known: Verified,
    ) -> tuple[Match, ...]:
        """Step 4: the matches among the candidates sharing the most keys, strongest first."""
        ranked = sorted(hits, key=lambda d: (-hits[d], d))[: self.max_candidates]
        for record in self.store.fetch([d for d in ranked if (d, learned) not in known]):
            match = None
            if _within(window, article.published, record.published) and self._may_share(doc, record):
                pair = self.documents.verifier.pair(doc, self.documents.stored(record, learned))
                match = Match.from_pair(pair, dict(record.metadata)) if pair is not None else None
            known[(record.doc, learned)] = match
        matches = [m for d in ranked if (m := known.get((d, learned))) is not None]
        return tuple(sorted(matches, key=Match.sort_key))

    def _may_share(self, doc: Document, record: StoredRecord) -> bool:
        """Whether the stored article may share a passage with ``doc``, judged from its stored shingles.

        The engine's screen (:func:`~dedup.engine.align.screen`, exact: see there why) without
        rebuilding the stored article's words: a candidate that shares only a stock phrase costs
        microseconds. Without stored shingles (or with one: a text too short to tell its length) the
        candidate is verified.
        """
        view = ShingleView.packed(record.shingles, record.valid, k=self.settings.shingle_size)
        if view is None:
            return True
        fp = doc.fingerprint
        return screen(fp, len(fp.tokens), view, view.words, self.settings, exact=True)


def _within(window: dt.timedelta | None, published: float | None, stored: float | None) -> bool:
    """Whether a stored article is inside the time window (always, when either date is unknown)."""
    return (
        window is None
        or published is None
        or stored is None
        or abs(stored - published) <= window.total_seconds()
    )


def _reason(match: Match, new_id: str) -> str:
    """One line for people: why ``match`` rejects or annotates the article ``new_id``."""
    share = max(match.coverage, match.stored_coverage)
    if match.relation == "near-duplicate":
        return f"near-duplicate of {match.id!r} ({match.coverage:.0%} of its words shared)"
    if match.relation == "containment":
        if match.contained == new_id:
            return f"contained in {match.id!r} ({match.coverage:.0%} of its words)"
        return f"contains {match.id!r} ({match.stored_coverage:.0%} of that article)"
    return f"shares {len(match.passages)} passage(s) with {match.id!r} ({share:.0%})"
