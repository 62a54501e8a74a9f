"""The pre-ingest filter: a persistent index that decides, article by article, whether one is new.

>>> from dedup import Article, Index
>>> with Index.open("news.db", create=True) as index:  # doctest: +SKIP
...     decision = index.check_and_add(Article("a1", text, published="2024-11-20"))
...     decision.action, decision.relation  # doctest: +SKIP
('keep', None)

How a decision is made (:meth:`Index.check`, :meth:`Index.check_and_add`; the steps and the reads
behind them in :mod:`dedup.index.decide`):

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

Check-and-add is two public steps, :meth:`Index.decide` (no write) and :meth:`Index.commit`:
``index.check_and_add(a) == index.commit(index.decide(a))`` and
``index.check(a) == index.decide(a).decision``. Between them another writer may store anything;
the commit stores the article only if what its decision read is unchanged, and otherwise decides
again. Tests (and callers that batch their writes) interleave writers at exactly that point.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from types import TracebackType
from typing import Any

from dedup.engine.verify import Verifier
from dedup.errors import IndexStoreError, SettingsError, StoreUnavailable, WriteConflict
from dedup.index.decide import Attempt, Decider
from dedup.index.documents import Documents, Prepared, article_of, unique_lines
from dedup.index.meta import DEFAULT_WINDOW_SAMPLE, check_compatible, index_meta, open_store
from dedup.index.replacing import plan
from dedup.index.results import AddResult, Decision, IndexStats, Keep, Policy, StoredArticle
from dedup.model import Article, UniqueIds
from dedup.settings import Settings
from dedup.stores.base import Store, is_url

__all__ = ["DEFAULT_MAX_CANDIDATES", "InFlight", "Index"]

#: Candidates verified per article, those sharing the most keys first.
DEFAULT_MAX_CANDIDATES = 16


@dataclass(frozen=True, slots=True)
class InFlight:
    """A commit that was sent when the store's server stopped answering: applied or not, unknown.

    Carried by the :class:`~dedup.errors.StoreUnavailable` that :meth:`Index.commit` raises then;
    :meth:`Index.settle` finds out, once the server answers again.
    """

    #: The decision the commit would return: the article kept and stored.
    decision: Decision
    #: The doc number the commit gave the article (doc numbers are never reused).
    doc: int


_WORKER_DOCUMENTS: list[Documents] = []


def _init_worker(settings: Settings, window_sample: int) -> None:
    """A process fingerprinting for :meth:`Index.add_many`."""
    _WORKER_DOCUMENTS[:] = [Documents(Verifier(settings), window_sample)]


def _prepare_in_worker(article: Article) -> Prepared:
    return _WORKER_DOCUMENTS[0].prepare(article)


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    """``items`` in lists of ``size`` (the last one shorter), read lazily."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class Index:
    """A persistent index of articles that answers "have we already got this?".

    Open one with :meth:`open` (or :meth:`create`); use it as a context manager or call
    :meth:`close`. The store is SQLite by default (one file, safe for several processes at once).

    Settings: the index records the detection settings it was built with. Opening it with settings
    whose *signature* part differs (shingle size, window, permutations, seed, LSH thresholds) raises
    :class:`~dedup.errors.IncompatibleIndexError` naming each difference; settings that only change
    verification (``min_passage_words``, coverage thresholds...) may differ and are used as given.

    Deciding is the :class:`~dedup.index.decide.Decider`'s; this class opens the store, holds the
    policy and the time window, and writes. Every method that reads or writes the store raises
    :class:`~dedup.errors.IndexStoreError` when it cannot (naming the store and what went wrong).
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
        keep: Keep | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.verifier = Verifier(settings)
        self.policy = policy if policy is not None else Policy()
        self.keep = keep if keep is not None else Keep()
        self.window = window
        self.window_sample = window_sample
        self.max_candidates = max_candidates
        self.meta = meta
        self.documents = Documents(self.verifier, window_sample)
        self.decider = Decider(store, self.documents, settings, self.policy, max_candidates)
        #: The commit being sent, while :meth:`commit` runs (see :class:`InFlight`).
        self._in_flight: InFlight | None = None

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
        """Create a new index at ``path`` (raises what :meth:`open` does; IndexStoreError if it exists)."""
        if is_url(path):
            store = open_store(path, create=True)
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
        keep: Keep | None = None,
    ) -> Index:
        """Open the index at ``location``: a path (SQLite), a Redis URL, or a store (``Store``).

        A Redis URL is ``redis://host:port/db?prefix=news`` (see :mod:`dedup.stores.redis`).

        With ``create``, a missing index is created with ``settings`` (default settings when None) and
        ``window_sample``. An existing index keeps the settings it was built with; ``settings`` given
        here must agree with them on every signature setting. Raises
        :class:`~dedup.errors.SettingsError` for a bad ``window_sample`` or ``max_candidates``,
        :class:`~dedup.errors.IndexStoreError` when there is no index (without ``create``) or it cannot
        be opened, :class:`~dedup.errors.IncompatibleIndexError` for another format or other settings.
        ``keep``: which of two copies is kept (:class:`~dedup.index.Keep`; by default the stored one).
        """
        if window_sample is not None and (isinstance(window_sample, bool) or not 1 <= window_sample <= 1024):
            raise SettingsError(f"window_sample must be between 1 and 1024, got {window_sample!r}")
        if max_candidates < 1:
            raise SettingsError(f"max_candidates must be at least 1, got {max_candidates}")
        if isinstance(location, str | os.PathLike):
            store: Store = open_store(location, create=create, busy_timeout=busy_timeout)
        else:
            store = location
        try:
            meta = index_meta(store, settings, window_sample=window_sample, create=create)
            used = check_compatible(store.location, meta, settings, window_sample)
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
            keep=keep,
        )

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- deciding -------------------------------------------------------------------------------------

    def decide(self, article: Article, *, window: dt.timedelta | None = None) -> Attempt:
        """Decide about ``article`` against what is stored now, writing nothing.

        ``window`` (default: the index's) limits matches to stored articles whose ``published`` lies
        within that distance of the article's (articles without ``published`` are always compared).
        The attempt holds the decision and what it rests on; :meth:`commit` stores the article if
        it is kept. Raises :class:`~dedup.errors.InputError` for an article no store can hold (a lone
        surrogate) or an unreadable ``published``.
        """
        prepared = self.documents.prepare(article)
        with self.store.read_transaction():
            token = self.store.change_token()
            attempt = self._plan(self.decider.decide(prepared, window if window is not None else self.window))
        return attempt if token is None else replace(attempt, token=token)

    def _plan(self, attempt: Attempt) -> Attempt:
        """``attempt`` with the keep policy applied (:func:`~dedup.index.replacing.plan`)."""
        return plan(attempt, self.store, self.documents, self.policy, self.keep)

    def commit(self, attempt: Attempt) -> Decision:
        """Store the article of ``attempt`` (from :meth:`decide`) if it is kept: atomically, across processes.

        A rejection is returned as it is: the article duplicated what was stored when it was decided.
        An article to keep is inserted in a write transaction only if what its decision read (the id
        look-up, the line tallies, the band-key buckets: ``attempt.read``) is unchanged (known
        without reading again when the store's change token is the one the decision saw); otherwise
        it is decided again inside the transaction (verifying only candidates not verified yet) and
        stored if that decision keeps it. The store first tries an optimistic transaction (Redis: no
        lock; the commit checks the reads atomically), then, if another writer got in between, one
        that excludes every other writer. The returned decision says whether the article was stored
        (``stored``); when the store fails, nothing was, except in one case: the server stopped
        answering (:class:`~dedup.errors.StoreUnavailable`) after the commit was sent. That error
        then carries the commit as its ``in_flight`` (an :class:`InFlight`), and :meth:`settle` tells
        whether it was applied once the server is back.
        """
        if not attempt.keeps:
            return attempt.decision
        self._in_flight = None
        try:
            try:
                if attempt.replaces:  # rare: removing the stored copies too, under the lock
                    raise WriteConflict("a replacement is stored under the write lock")
                with self.store.write_transaction(optimistic=True):
                    return self._store(attempt, locked=False)
            except WriteConflict:
                self._in_flight = None  # refused: nothing was written
                with self.store.write_transaction():
                    return self._store(attempt, locked=True)
        except StoreUnavailable as exc:
            exc.in_flight = self._in_flight
            raise
        finally:
            self._in_flight = None

    def settle(self, in_flight: InFlight) -> Decision | None:
        """Whether a commit cut off by the server's failure was applied: its decision if it was, else None.

        Exact: the article is stored under the doc number that commit gave it only if the commit
        was applied (doc numbers are never reused). Raises
        :class:`~dedup.errors.StoreUnavailable` while the server is still away.
        """
        found = self.store.find([in_flight.decision.id])
        return in_flight.decision if found.get(in_flight.decision.id) == in_flight.doc else None

    def _store(self, attempt: Attempt, *, locked: bool) -> Decision:
        """Inside a write transaction: decide again if the reads changed, then store a kept article.

        The stored copies it replaces are removed in the same transaction (only ``locked``).
        """
        unchanged = attempt.token is not None and self.store.change_token() == attempt.token
        if not unchanged and self.decider.reread(attempt) != attempt.read:
            attempt = self._plan(self.decider.decide(attempt.article, attempt.window, attempt.verified))
            if not attempt.keeps:
                return attempt.decision
        if attempt.replaces:
            if not locked:
                raise WriteConflict("a replacement is stored under the write lock")
            self._remove_docs(list(attempt.replaces))
        docs = self.store.insert([self.documents.record(attempt.article, attempt.keys, attempt.learned)])
        decision = replace(attempt.decision, stored=True)
        if docs:
            self._in_flight = InFlight(decision, docs[0])
        return decision

    def check(self, article: Article, *, window: dt.timedelta | None = None) -> Decision:
        """Decide about ``article`` without adding it: ``decide(article).decision`` (raises as it does)."""
        return self.decide(article, window=window).decision

    def check_and_add(self, article: Article, *, window: dt.timedelta | None = None) -> Decision:
        """Decide about ``article`` and, when it is kept, store it: ``commit(decide(article))``.

        Two processes given copies of the same article at the same moment keep exactly one. The
        decision is made without the write lock (verification is the costly part); see
        :meth:`commit` for how the article is then stored. Raises what :meth:`decide` and
        :meth:`commit` raise.
        """
        return self.commit(self.decide(article, window=window))

    # -- writing without deciding ---------------------------------------------------------------------

    def add(self, article: Article) -> bool:
        """Store ``article`` whatever it matches; False when its id is stored already (see add_many)."""
        return self.add_many([article]).added == 1

    def add_many(
        self,
        articles: Iterable[Article],
        *,
        batch: int | None = None,
        progress: Callable[[int], None] | None = None,
        workers: int = 1,
    ) -> AddResult:
        """Store articles without checking them (loading an archive), ``batch`` per transaction.

        With ``workers`` above 1, that many processes fingerprint the articles while this one stores
        them (the same records as with one: learned boilerplate is still applied here, per batch).

        Ids already stored are skipped and listed. Learned boilerplate is taken from what was stored
        before each batch. The default batch is the store's ``bulk_batch`` (2,000 for SQLite; a
        shared Redis index commits smaller batches, so that other writers are not held up).
        Raises :class:`~dedup.errors.InputError` for an article no store can hold (nothing of its
        batch is stored).
        """
        size = max(batch if batch is not None else self.store.bulk_batch, 1)
        added = done = 0
        existing: list[str] = []
        if workers <= 1:
            for chunk in _batches(articles, size):
                added += self._add_batch([self.documents.prepare(a) for a in chunk], existing)
                done += len(chunk)
                if progress is not None:
                    progress(done)
            return AddResult(added=added, already_stored=existing)
        init = (self.settings, self.documents.window_sample)
        with get_context("spawn").Pool(workers, initializer=_init_worker, initargs=init) as pool:
            prepared = pool.imap(_prepare_in_worker, articles, chunksize=32)
            while ready := list(islice(prepared, size)):
                added += self._add_batch(ready, existing)
                done += len(ready)
                if progress is not None:
                    progress(done)
        return AddResult(added=added, already_stored=existing)

    def _add_batch(self, prepared: list[Prepared], existing: list[str]) -> int:
        """Store prepared articles in one write transaction; ids already stored are listed in ``existing``."""
        with self.store.write_transaction():
            stored = self.store.find([p.id for p in prepared])
            seen = UniqueIds()
            records = []
            for p in prepared:
                if p.id in stored or seen.duplicate(p.id) is not None:
                    existing.append(p.id)
                    continue
                learned = self.decider.learned(p)
                doc = self.documents.masked(p.doc, learned)
                records.append(self.documents.record(p, self.documents.keys(doc), learned, doc=doc))
            return len(self.store.insert(records))

    # -- reading and maintenance ----------------------------------------------------------------------

    def get(self, article_id: str) -> StoredArticle | None:
        """The stored article with this id, or None."""
        with self.store.read_transaction():
            found = self.store.find([article_id])
            records = self.store.fetch(list(found.values()))
        if not records:
            return None
        return StoredArticle(article=article_of(records[0]), added=records[0].added)

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and bool(self.store.find([article_id]))

    def __len__(self) -> int:
        return self.store.counts()["articles"]

    def _remove_docs(self, docs: Sequence[int]) -> int:
        removed = 0
        with self.store.write_transaction():
            for record in self.store.fetch(list(docs)):
                doc = self.documents.rebuilt(record)
                removed += self.store.delete(record.doc, self.documents.keys(doc), unique_lines(doc.lines))
        self.documents.forget()
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
