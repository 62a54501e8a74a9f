"""The pre-ingest filter: a persistent index that decides, article by article, whether one is new.

>>> from dedup import Article, Index
>>> with Index.open("news.db", create=True) as index:  # doctest: +SKIP
...     decision = index.check_and_add(Article("a1", text, published="2024-11-20"))
...     decision.action, decision.relation  # doctest: +SKIP
('keep', None)

How a decision is made (:meth:`Index.check`, :meth:`Index.check_and_add`):

1. The article is tokenised and fingerprinted as by :class:`~dedup.engine.verify.Verifier`: known
   boilerplate (datelines, credits, copyright lines) is masked; so are lines that the index has
   learned are boilerplate, because they recur at the head or foot of several stored articles that
   are otherwise unrelated (a site's footer).
2. Its whole-document band keys and its window band keys are looked up in the store in one
   batch. Stored articles sharing keys are candidates, ranked by how many they share.
3. Each candidate (up to ``max_candidates``, within the time ``window`` when one is set) is verified
   with :meth:`Verifier.pair <dedup.engine.verify.Verifier.pair>` against its stored text: shared passages
   with exact offsets, coverage of each side, relation.
4. The :class:`Policy` turns the matches into an action: by default ``reject`` a near-duplicate of a
   stored article and an article mostly contained in a stored one, ``keep`` anything else, with its
   matches (an overlap, or a digest page that contains stored articles) as annotations.

Window keys are sampled by value: an index created with ``window_sample=N`` (4 by default) stores
and looks up one window key in ``N`` (a key is kept when it falls in the first ``1/N`` of the key
space), identically on both sides, so a key shared by two articles is kept by both or by neither.
Every stored key costs a random B-tree page write when the article is added, so this divides the
write cost and the size of the key table by ``N``. Reprints and trimmed copies share many window
keys (and their document keys) and are still found; an overlap resting on one or two shared
windows can be missed (``docs/filter.md`` gives the measured cost). ``window_sample=1`` stores
every key: the index then finds exactly the candidates that a report would.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.engine.align import ShingleView, screen
from dedup.engine.boilerplate import Line, learned_lines, mask_lines
from dedup.engine.verify import Document, Verifier
from dedup.errors import (
    IncompatibleIndexError,
    IndexStoreError,
    InputError,
    SettingsError,
    WriteConflict,
    require,
)
from dedup.index.results import (
    Action,
    AddResult,
    Decision,
    IndexStats,
    Match,
    Policy,
    StoredArticle,
    parse_published,
)
from dedup.model import Article
from dedup.settings import HASH_SCHEME, Settings
from dedup.stores.base import LineStat, NewRecord, Store, StoredRecord, is_url
from dedup.stores.sqlite import SQLiteStore

__all__ = [
    "DEFAULT_WINDOW_SAMPLE",
    "FORMAT_VERSION",
    "Index",
]

_SURROGATE = re.compile("[\ud800-\udfff]")

#: Version of the stored data (tables, keys, tokenisation). An index of another format is refused.
#: 2: band keys stored per article and the shingles kept with it (format 1 had a table of keys).
#: 3: line keys computed from the words' hashes; band keys in a table of their own.
FORMAT_VERSION = 3
#: One window key in this many is stored and looked up (see the module documentation).
DEFAULT_WINDOW_SAMPLE = 4
#: Candidates verified per article, those sharing the most keys first.
DEFAULT_MAX_CANDIDATES = 16

_DOCUMENT_CACHE = 256
#: What a decision rests on: stored ids found, line statistics, band-key hits.
_Evidence = tuple[dict[str, int], dict[int, LineStat], dict[int, int]]


# -- the index ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Prepared:
    """A new article fingerprinted outside any transaction (only learned boilerplate is missing)."""

    doc: Document
    published: float | None
    #: The article's line keys, each once, and whether the line lies at its head or foot.
    lines: list[tuple[int, bool]]


def _unique_lines(lines: Sequence[Line]) -> list[tuple[int, bool]]:
    edges: dict[int, bool] = {}
    for line in lines:
        edges[line.key] = edges.get(line.key, False) or line.edge
    return list(edges.items())


def _meta_settings(meta: dict[str, str], location: str) -> Settings:
    try:
        data = json.loads(meta["settings"])
        data.pop("fingerprint", None)
        scheme = data.pop("hash_scheme", HASH_SCHEME)
        if scheme != HASH_SCHEME:
            raise IncompatibleIndexError(
                f"{location}: built with hash scheme {scheme!r}; this version uses {HASH_SCHEME!r}"
            )
        return Settings.from_dict(data)
    except (KeyError, ValueError, TypeError, SettingsError) as exc:
        raise IncompatibleIndexError(f"{location}: unreadable settings in the index: {exc}") from None


def _open_store(location: str | os.PathLike[str], *, create: bool, busy_timeout: float = 60.0) -> Store:
    if is_url(location):
        require("redis", extra="redis", feature="a Redis index")
        from dedup.stores.redis import RedisStore  # imports redis only when it is used

        return RedisStore(os.fspath(location), create=create)
    return SQLiteStore(location, create=create, busy_timeout=busy_timeout)


class Index:
    """A persistent index of articles that answers "have we already got this?".

    Open one with :meth:`open` (or :meth:`create`); use it as a context manager or call
    :meth:`close`. The store is SQLite by default (one file, safe for several processes at once).

    Settings: the index records the detection settings it was built with. Opening it with settings
    whose *signature* part differs (shingle size, window, permutations, seed, LSH thresholds) raises
    :class:`~dedup.errors.IncompatibleIndexError` naming each difference; settings that only change
    verification (``min_passage_words``, coverage thresholds...) may differ and are used as given.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        window_sample: int,
        meta: dict[str, str],
        policy: Policy | None = None,
        window: dt.timedelta | None = None,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
    ) -> None:
        self.store = store
        self.settings = settings
        self.verifier = Verifier(settings)
        self.policy = policy if policy is not None else Policy()
        self.window = window
        self.window_sample = window_sample
        self.max_candidates = max_candidates
        self.meta = meta
        self._sample_limit = np.uint64(((1 << 64) // window_sample) - 1)  # keys at or below are kept
        self._documents: OrderedDict[int, Document] = OrderedDict()

    # -- opening --------------------------------------------------------------------------------------

    @staticmethod
    def exists(location: str | os.PathLike[str]) -> bool:
        """Whether ``location`` may hold an index, unopened: a file that exists, or any Redis URL."""
        return is_url(location) or Path(location).exists()

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        settings: Settings | None = None,
        *,
        window_sample: int = DEFAULT_WINDOW_SAMPLE,
        exist_ok: bool = False,
        **options: Any,
    ) -> Index:
        """Create a new index at ``path`` (an error if one exists there, unless ``exist_ok``)."""
        if is_url(path):
            store = _open_store(path, create=True)
            if store.read_meta() and not exist_ok:
                store.close()
                raise IndexStoreError(f"{store.location}: already exists")
            return cls.open(store, settings, create=True, window_sample=window_sample, **options)
        if Path(path).exists() and not exist_ok:
            raise IndexStoreError(f"{os.fspath(path)}: already exists")
        return cls.open(path, settings, create=True, window_sample=window_sample, **options)

    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str] | Store,
        settings: Settings | None = None,
        *,
        create: bool = False,
        window_sample: int | None = None,
        policy: Policy | None = None,
        window: dt.timedelta | None = None,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
        busy_timeout: float = 60.0,
    ) -> Index:
        """Open the index at ``location``: a path (SQLite), a Redis URL, or a store (``Store``).

        A Redis URL is ``redis://host:port/db?prefix=news`` (see :mod:`dedup.stores.redis`).

        With ``create``, a missing index is created with ``settings`` (default settings when None) and
        ``window_sample``. An existing index keeps the settings it was built with; ``settings`` given
        here must agree with them on every signature setting.
        """
        if window_sample is not None and (isinstance(window_sample, bool) or not 1 <= window_sample <= 1024):
            raise SettingsError(f"window_sample must be between 1 and 1024, got {window_sample!r}")
        if max_candidates < 1:
            raise SettingsError(f"max_candidates must be at least 1, got {max_candidates}")
        if isinstance(location, str | os.PathLike):
            store: Store = _open_store(location, create=create, busy_timeout=busy_timeout)
        else:
            store = location
        try:
            meta = store.read_meta()
            if not meta:
                if not create:
                    raise IndexStoreError(f"{store.location}: not a dedup index (no metadata)")
                from dedup._version import __version__

                chosen = settings if settings is not None else Settings()
                meta = {
                    "format": str(FORMAT_VERSION),
                    "dedup_version": __version__,
                    "settings": json.dumps(chosen.to_dict(), sort_keys=True),
                    "fingerprint": chosen.fingerprint(),
                    "window_sample": str(window_sample or DEFAULT_WINDOW_SAMPLE),
                    "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                }
                store.write_meta(meta)
                meta = store.read_meta()
            used = cls._check_compatible(store.location, meta, settings, window_sample)
        except BaseException:
            store.close()
            raise
        return cls(
            store,
            used,
            window_sample=int(meta["window_sample"]),
            meta=meta,
            policy=policy,
            window=window,
            max_candidates=max_candidates,
        )

    @staticmethod
    def _check_compatible(
        location: str, meta: dict[str, str], settings: Settings | None, window_sample: int | None
    ) -> Settings:
        fmt = meta.get("format")
        if fmt != str(FORMAT_VERSION):
            raise IncompatibleIndexError(
                f"{location}: index format {fmt} (written by dedup {meta.get('dedup_version', '?')}); "
                f"this version reads format {FORMAT_VERSION}: rebuild the index"
            )
        stored = _meta_settings(meta, location)
        problems = []
        if window_sample is not None and str(window_sample) != meta.get("window_sample"):
            problems.append(f"window_sample: index {meta.get('window_sample')}, requested {window_sample}")
        if settings is None:
            used = stored
        else:
            wanted = settings.signature_dict()
            have = stored.signature_dict()
            for name in sorted(set(wanted) | set(have)):
                if wanted.get(name) != have.get(name):
                    problems.append(f"{name}: index {have.get(name)!r}, requested {wanted.get(name)!r}")
            used = settings
        if problems:
            raise IncompatibleIndexError(
                f"{location}: built with other settings than requested ({'; '.join(problems)})"
            )
        return used

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- fingerprints ---------------------------------------------------------------------------------

    def _keys(self, doc: Document) -> list[int]:
        fp = doc.fingerprint
        windows = fp.window_keys  # distinct, and salted apart from document keys
        if self.window_sample > 1:
            windows = windows[windows <= self._sample_limit]
        keys: npt.NDArray[np.uint64] = np.unique(
            np.concatenate([fp.document_keys.astype(np.uint64), windows])
        )
        out: list[int] = keys.tolist()
        return out

    def _prepare(self, article: Article) -> _Prepared:
        for name, value in (("id", article.id), ("text", article.text), *article.metadata().items()):
            bad = _SURROGATE.search(value)
            if bad is not None:
                # not a character: no store can hold it (the readers put U+FFFD in its place)
                raise InputError(
                    f"holds a lone surrogate (\\u{ord(bad.group()):04x} at offset {bad.start()}), which "
                    f"cannot be stored (article {article.id!r})",
                    source=article.origin,
                    field=name,
                )
        published = None
        if article.published is not None and article.published.strip():
            published = parse_published(article.published, source=article.origin)
        doc = self.verifier.document(article)
        return _Prepared(doc=doc, published=published, lines=_unique_lines(doc.lines))

    def _learned(self, prepared: _Prepared, stats: dict[int, LineStat] | None = None) -> set[int]:
        """Lines of the new article that the index has learned are boilerplate (see ``learned_lines``)."""
        if stats is None:
            stats = self.store.line_stats([h for h, _ in prepared.lines])
        words = {line.key: line.last - line.first for line in prepared.doc.lines}

        def signatures(docs: list[int]) -> dict[int, npt.NDArray[np.uint32]]:
            found = self.store.signatures(docs)
            return {d: np.frombuffer(blob, dtype=np.uint32) for d, blob in found.items()}

        return learned_lines(
            [(h, edge, words[h]) for h, edge in prepared.lines],
            stats,
            prepared.doc.fingerprint.signature,
            signatures,
            min_docs=self.settings.boilerplate_min_docs,
        )

    def _apply_masked(self, doc: Document, masked: Iterable[int]) -> bool:
        chosen = dict.fromkeys(masked, 1)
        if chosen and mask_lines(doc.lines, chosen, doc.mask):
            doc.fingerprint = self.verifier.signer.fingerprint(doc.fingerprint.tokens, doc.mask)
            return True
        return False

    def _may_share(self, doc: Document, record: StoredRecord) -> bool:
        """Whether the stored article may share a passage with ``doc``, judged from its stored shingles.

        The screen of the batch path (:func:`~dedup.engine.align.may_share_passage`), without
        rebuilding the stored article's words: a candidate that shares only a stock phrase costs
        microseconds. The stored shingles are masked as when the article was stored, a superset of
        what verification uses, so the screen never drops a pair that verification would keep.
        Without stored shingles (or with one: a text too short to tell its length) the candidate is
        verified.
        """
        view = ShingleView.packed(record.shingles, record.valid, k=self.settings.shingle_size)
        if view is None:
            return True
        return screen(doc.fingerprint, len(doc.fingerprint.tokens), view, view.words, self.settings)

    def _stored_document(self, record: StoredRecord, extra: set[int]) -> Document:
        """The stored article as a Document: masked as when it was stored, plus ``extra`` lines."""
        cached = self._documents.get(record.doc)
        if cached is None:
            cached = self.verifier.document(self._article(record))
            self._apply_masked(cached, record.masked)
            self._documents[record.doc] = cached
            if len(self._documents) > _DOCUMENT_CACHE:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(record.doc)
        if extra and any(line.key in extra for line in cached.lines):
            doc = Document(
                article=cached.article,
                fingerprint=cached.fingerprint,
                mask=cached.mask.copy(),
                lines=cached.lines,
            )
            chosen = dict.fromkeys(extra, 1)
            if mask_lines(doc.lines, chosen, doc.mask):
                doc.fingerprint = self.verifier.signer.fingerprint(doc.fingerprint.tokens, doc.mask)
            return doc
        return cached

    @staticmethod
    def _article(record: StoredRecord) -> Article:
        meta = record.metadata
        return Article(
            id=record.id,
            text=record.text,
            title=meta.get("title"),
            source=meta.get("source"),
            published=meta.get("published"),
            url=meta.get("url"),
        )

    # -- deciding -------------------------------------------------------------------------------------

    def _decide(
        self,
        prepared: _Prepared,
        window: dt.timedelta | None,
        verified: dict[tuple[int, frozenset[int]], Match | None] | None = None,
    ) -> tuple[Decision, list[int], set[int], _Evidence]:
        """Decide about a prepared article against the current state.

        Also returns what the decision rests on (see :meth:`_evidence`). ``verified`` keeps the
        verification of each candidate (stored records never change), so deciding again after
        another writer stored something verifies only the new candidates.
        """
        article = prepared.doc.article
        plain_keys = self._keys(prepared.doc)
        self.store.prefetch([article.id], [h for h, _ in prepared.lines], plain_keys)
        found = self.store.find([article.id])
        if found:
            decision = Decision(
                id=article.id,
                action="reject",
                relation="already-stored",
                matches=(Match(id=article.id, relation="already-stored"),),
                reason=f"id {article.id!r} is already in the index",
            )
            return decision, [], set(), (found, {}, {})
        stats = self.store.line_stats([h for h, _ in prepared.lines])
        learned = self._learned(prepared, stats)
        doc = prepared.doc
        if learned:
            doc = Document(
                article=doc.article, fingerprint=doc.fingerprint, mask=doc.mask.copy(), lines=doc.lines
            )
            self._apply_masked(doc, learned)
        keys = self._keys(doc) if learned else plain_keys
        hits, _skipped = self.store.lookup(keys, max_bucket=self.settings.max_bucket)
        ranked = sorted(hits, key=lambda d: (-hits[d], d))[: self.max_candidates]
        masked = frozenset(learned)
        known = verified if verified is not None else {}
        records = self.store.fetch([d for d in ranked if (d, masked) not in known])
        extra = learned
        for record in records:
            match = None
            if (
                window is None
                or prepared.published is None
                or record.published is None
                or abs(record.published - prepared.published) <= window.total_seconds()
            ) and self._may_share(doc, record):
                pair = self.verifier.pair(doc, self._stored_document(record, extra))
                match = Match.from_pair(pair, dict(record.metadata)) if pair is not None else None
            known[(record.doc, masked)] = match
        matches = [m for d in ranked if (m := known.get((d, masked))) is not None]
        matches.sort(key=Match.sort_key)
        reasons = [m for m in matches if self.policy.rejects(m, article.id)]
        action: Action = "reject" if reasons else "keep"
        strongest = reasons[0] if reasons else (matches[0] if matches else None)
        decision = Decision(
            id=article.id,
            action=action,
            relation=strongest.relation if strongest else None,
            matches=tuple(matches),
            reason=self._reason(strongest, article.id) if strongest else "",
        )
        return decision, keys, learned, (found, stats, hits)

    def _evidence(self, prepared: _Prepared, keys: list[int]) -> _Evidence:
        """What a decision rests on: the id look-up, the line statistics and the band-key hits.

        Stored records never change (doc numbers are not reused), so the same evidence gives the
        same decision.
        """
        found = self.store.find([prepared.doc.article.id])
        if found:
            return found, {}, {}
        stats = self.store.line_stats([h for h, _ in prepared.lines])
        hits, _ = self.store.lookup(keys, max_bucket=self.settings.max_bucket)
        return found, stats, hits

    @staticmethod
    def _reason(match: Match, new_id: str) -> str:
        share = max(match.coverage, match.stored_coverage)
        if match.relation == "near-duplicate":
            return f"near-duplicate of {match.id!r} ({match.coverage:.0%} of its words shared)"
        if match.relation == "containment":
            if match.contained == new_id:
                return f"contained in {match.id!r} ({match.coverage:.0%} of its words)"
            return f"contains {match.id!r} ({match.stored_coverage:.0%} of that article)"
        return f"shares {len(match.passages)} passage(s) with {match.id!r} ({share:.0%})"

    def _record(self, prepared: _Prepared, keys: list[int], learned: set[int]) -> NewRecord:
        doc = prepared.doc
        return NewRecord(
            id=doc.article.id,
            text=doc.article.text,
            metadata=doc.article.metadata(),
            published=prepared.published,
            added=time.time(),
            signature=doc.fingerprint.signature.astype("<u4").tobytes(),
            keys=keys,
            lines=prepared.lines,
            masked=sorted(learned),
            shingles=doc.fingerprint.shingles.astype("<u4").tobytes(),
            valid=np.packbits(doc.fingerprint.valid).tobytes(),
        )

    def check(self, article: Article, *, window: dt.timedelta | None = None) -> Decision:
        """Decide about ``article`` without adding it.

        ``window`` (default: the index's) limits matches to stored articles whose ``published`` lies
        within that distance of the article's (articles without ``published`` are always compared).
        """
        prepared = self._prepare(article)
        with self.store.read_transaction():
            decision, _, _, _ = self._decide(prepared, window if window is not None else self.window)
        return decision

    def check_and_add(self, article: Article, *, window: dt.timedelta | None = None) -> Decision:
        """Decide about ``article`` and, when it is kept, store it: atomically, across processes.

        Two processes given copies of the same article at the same moment keep exactly one. The
        decision is made without the write lock (verification is the costly part); an article to
        keep is then inserted in a write transaction only if the evidence it rests on (the id
        look-up, the line statistics, the band-key buckets) is unchanged, and decided again
        otherwise. The store first tries an optimistic transaction (Redis: no lock; the commit
        checks the evidence atomically), then, if another writer got in between, one that excludes
        every other writer. A rejection needs no lock: the article duplicated what was stored when
        it was decided.
        """
        prepared = self._prepare(article)
        span = window if window is not None else self.window
        verified: dict[tuple[int, frozenset[int]], Match | None] = {}
        with self.store.read_transaction():
            decision, keys, learned, seen = self._decide(prepared, span, verified)
        if decision.action != "keep":
            return decision
        try:
            with self.store.write_transaction(optimistic=True):
                return self._store_kept(prepared, span, verified, decision, keys, learned, seen)
        except WriteConflict:
            with self.store.write_transaction():
                return self._store_kept(prepared, span, verified, decision, keys, learned, seen)

    def _store_kept(
        self,
        prepared: _Prepared,
        span: dt.timedelta | None,
        verified: dict[tuple[int, frozenset[int]], Match | None],
        decision: Decision,
        keys: list[int],
        learned: set[int],
        seen: _Evidence,
    ) -> Decision:
        """Store an article decided ``keep`` (inside a write transaction).

        Decides again if the evidence changed since, verifying only candidates not verified yet.
        """
        if self._evidence(prepared, keys) != seen:
            decision, keys, learned, _ = self._decide(prepared, span, verified)
        if decision.action != "keep":
            return decision
        self.store.insert([self._record(prepared, keys, learned)])
        return Decision(
            id=decision.id,
            action=decision.action,
            relation=decision.relation,
            matches=decision.matches,
            stored=True,
            reason=decision.reason,
        )

    def add(self, article: Article) -> bool:
        """Store ``article`` whatever it matches; False when its id is already stored."""
        return self.add_many([article]).added == 1

    def add_many(
        self,
        articles: Iterable[Article],
        *,
        batch: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> AddResult:
        """Store articles without checking them (loading an archive), ``batch`` per transaction.

        Ids already stored are skipped and listed. Learned boilerplate is taken from what was stored
        before each batch. The default batch is the store's ``bulk_batch`` (2,000 for SQLite; a
        shared Redis index commits smaller batches, so that other writers are not held up).
        """
        if batch is None:
            batch = self.store.bulk_batch
        added = 0
        existing: list[str] = []
        chunk: list[Article] = []
        done = 0

        def flush() -> None:
            nonlocal added, done
            prepared = [self._prepare(a) for a in chunk]
            with self.store.write_transaction():
                stored = self.store.find([p.doc.article.id for p in prepared])
                records = []
                seen: set[str] = set()
                for p in prepared:
                    aid = p.doc.article.id
                    if aid in stored or aid in seen:
                        existing.append(aid)
                        continue
                    seen.add(aid)
                    learned = self._learned(p)
                    doc = p.doc
                    if learned:
                        self._apply_masked(doc, learned)
                    records.append(self._record(p, self._keys(doc), learned))
                added += len(self.store.insert(records))
            done += len(chunk)
            chunk.clear()
            if progress is not None:
                progress(done)

        for article in articles:
            chunk.append(article)
            if len(chunk) >= batch:
                flush()
        if chunk:
            flush()
        return AddResult(added=added, already_stored=existing)

    # -- reading and maintenance ----------------------------------------------------------------------

    def get(self, article_id: str) -> StoredArticle | None:
        """The stored article with this id, or None."""
        with self.store.read_transaction():
            found = self.store.find([article_id])
            records = self.store.fetch(list(found.values()))
        if not records:
            return None
        return StoredArticle(article=self._article(records[0]), added=records[0].added)

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and bool(self.store.find([article_id]))

    def __len__(self) -> int:
        return self.store.counts()["articles"]

    def _remove_docs(self, docs: Sequence[int]) -> int:
        removed = 0
        with self.store.write_transaction():
            for record in self.store.fetch(list(docs)):
                doc = self.verifier.document(self._article(record))
                lines = _unique_lines(doc.lines)
                self._apply_masked(doc, record.masked)
                removed += self.store.delete(record.doc, self._keys(doc), lines)
        self._documents.clear()
        return removed

    def remove(self, article_id: str) -> bool:
        """Remove the article with this id (its keys and line statistics too); False if absent."""
        with self.store.write_transaction():
            found = self.store.find([article_id])
            return bool(found) and self._remove_docs(list(found.values())) == 1

    def prune(self, *, older_than: dt.timedelta, now: float | None = None, batch: int = 500) -> int:
        """Remove articles published (or, without ``published``, added) more than ``older_than`` ago."""
        cutoff = (time.time() if now is None else now) - older_than.total_seconds()
        docs = self.store.older_than(cutoff)
        removed = 0
        for start in range(0, len(docs), batch):
            removed += self._remove_docs(docs[start : start + batch])
        return removed

    def ids(self) -> list[str]:
        """Every stored id, in insertion order."""
        return list(self.store.iter_ids())

    def stats(self) -> IndexStats:
        """Sizes, settings and versions of the index."""
        counts = self.store.counts()
        oldest, newest = self.store.time_range()
        boilerplate = self.store.count_lines(min_docs=self.settings.boilerplate_min_docs)
        return IndexStats(
            location=self.store.location,
            articles=counts["articles"],
            keys=counts["keys"],
            lines=counts["lines"],
            boilerplate_lines=boilerplate,
            bytes=counts["bytes"],
            settings=self.settings,
            window_sample=self.window_sample,
            format=int(self.meta.get("format", "0")),
            dedup_version=self.meta.get("dedup_version", "?"),
            created=self.meta.get("created", ""),
            oldest_published=oldest,
            newest_published=newest,
        )

    def integrity_check(self) -> list[str]:
        """Problems found by the store's own consistency check (empty when sound)."""
        return self.store.integrity_check()
