"""The local runner of ``dedup report``: the stages of :mod:`dedup.batch.stages` on a process pool.

1. **map**: articles are read in chunks and fingerprinted by worker processes; the parent keeps, per
   article, only its id and metadata, whole-document signature and line keys; its text, shingles and
   window band keys go to temporary files (the keys into the partitions of a
   :class:`~dedup.batch.keytable.KeyTable`), read back by the stages that need them.
2. **boilerplate**: lines recurring at the head or foot of unrelated articles are learned from the line
   keys; the few articles holding them are fingerprinted again with those lines masked.
3. **reduce**: each key partition is sorted and its buckets give the candidate pairs.
4. **screen** and **verify**: candidate pairs are screened, then aligned, by the workers, in chunks,
   each task reading its articles' records back from the spill file.

The result does not depend on the number of workers: chunks are processed in order and every
output is sorted.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import os
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from dedup.batch.keytable import KeyTable
from dedup.batch.parallel import ordered, release_memory
from dedup.batch.stages import (
    DOCUMENT_PARTITION_BITS,
    WINDOW_PARTITION_BITS,
    ShingleView,
    Summaries,
    candidates,
    fingerprint,
    holding_lines,
    learn_boilerplate,
    screen,
    shingle_view,
    verify,
)
from dedup.engine.lsh import DOC_BITS, MAX_DOCUMENTS
from dedup.engine.origin import provenance as article_provenance
from dedup.engine.verify import name_lines
from dedup.errors import InputError
from dedup.model import Article, Pair, Provenance, UniqueIds
from dedup.settings import Settings

__all__ = ["BatchResult", "Progress", "default_workers", "run_batch"]

#: Progress callback: (stage, done, total).
Progress = Callable[[str, int, int], None]

T = TypeVar("T")

#: Articles per map task, pairs per verify task and per screen task (a few tasks per worker).
CHUNK_ARTICLES = 256
CHUNK_PAIRS = 512
CHUNK_SCREEN = 2048
#: Below this many articles the work is done in-process (starting workers costs more than it saves).
PARALLEL_MIN_ARTICLES = 2000


# -- spill files ----------------------------------------------------------------------------------------


class ShingleSpill:
    """Every article's shingles, valid mask and signature, in a temporary file, not the parent's memory.

    Written by the parent a chunk at a time as fingerprints arrive (an article fingerprinted again is
    appended again); a screening or verification task reads the records of its own articles only (by
    offset), so neither the parent nor a worker holds them all, and a task carries a few numbers per
    article instead of its arrays.
    """

    def __init__(self, folder: str) -> None:
        self.path = os.path.join(folder, "shingles.bin")
        self._file = open(self.path, "wb")  # noqa: SIM115 (closed by finish())
        self._end = 0
        #: Per article: byte offset of its shingles, of its packed valid mask, shingles, words, and
        #: byte offset of its whole-document signature.
        self.where = np.zeros((1024, 5), dtype=np.int64)

    def write(self, docs: npt.NDArray[np.int64], batch: Summaries) -> None:
        """Store (or store again) the records of ``docs``, the articles of ``batch`` in order."""
        counts = batch.shingle_counts
        packed = (counts + 7) // 8
        if len(docs) and int(docs.max()) >= len(self.where):
            grown = np.zeros((max(2 * len(self.where), int(docs.max()) + 1), 5), dtype=np.int64)
            grown[: len(self.where)] = self.where
            self.where = grown
        entries = np.empty((len(docs), 5), dtype=np.int64)
        entries[:, 0] = self._end + 4 * (np.cumsum(counts) - counts)
        valid_at = self._end + 4 * int(counts.sum())
        entries[:, 1] = valid_at + np.cumsum(packed) - packed
        entries[:, 2] = counts
        entries[:, 3] = batch.tokens
        signatures_at = valid_at + int(packed.sum())
        width = batch.signatures.shape[1] * 4
        entries[:, 4] = signatures_at + width * np.arange(len(docs))
        self.where[docs] = entries
        self._file.write(batch.shingles.astype("<u4", copy=False).tobytes())
        self._file.write(batch.valid.tobytes())
        self._file.write(batch.signatures.astype("<u4", copy=False).tobytes())
        self._end = signatures_at + width * len(docs)

    def finish(self) -> None:
        """Flush and close the file so that other processes can read it (again: no effect)."""
        self._file.close()

    def locations(self, docs: Iterable[int]) -> dict[int, tuple[int, ...]]:
        """What a task needs to read these articles' records."""
        where = self.where
        return {d: tuple(where[d].tolist()) for d in set(docs)}


class TextSpill:
    """The articles' texts in a temporary file, read back by offset; the rest of each article in memory.

    The parent needs a text again only for the few articles fingerprinted again (learned boilerplate)
    and for the pairs it sends to verification, so it does not keep them: at a million news articles
    they would be gigabytes.
    """

    def __init__(self, folder: str) -> None:
        self.path = os.path.join(folder, "texts.bin")
        self._file = open(self.path, "w+b")  # noqa: SIM115 (closed by close())
        self._written = True
        self._end = 0
        #: Byte offset of each text, and of the end of the last.
        self._at = array("q", [0])
        #: Each article without its text (``""``).
        self.stubs: list[Article] = []

    def __len__(self) -> int:
        return len(self.stubs)

    def append(self, article: Article) -> None:
        data = article.text.encode("utf-8", "surrogatepass")  # (any str round-trips)
        self._file.write(data)
        self._written = True
        self._end += len(data)
        self._at.append(self._end)
        self.stubs.append(dataclasses.replace(article, text=""))

    @property
    def ids(self) -> list[str]:
        """The articles' ids, in order."""
        return [a.id for a in self.stubs]

    def text(self, i: int) -> str:
        if self._written:
            self._file.flush()
            self._written = False
        start, end = self._at[i], self._at[i + 1]
        return os.pread(self._file.fileno(), end - start, start).decode("utf-8", "surrogatepass")

    def article(self, i: int) -> Article:
        return dataclasses.replace(self.stubs[i], text=self.text(i))

    def texts(self) -> Iterator[str]:
        """Every text, in order."""
        for i in range(len(self.stubs)):
            yield self.text(i)

    def close(self) -> None:
        self._file.close()


def _read_views(path: str, where: Mapping[int, tuple[int, ...]]) -> dict[int, ShingleView]:
    views = {}
    with open(path, "rb") as fh:
        for i, (at, valid_at, n, tokens, _) in sorted(where.items(), key=lambda item: item[1][0]):
            fh.seek(at)
            shingles = np.frombuffer(fh.read(4 * n), dtype="<u4").astype(np.uint32)
            fh.seek(valid_at)
            valid = np.unpackbits(np.frombuffer(fh.read((n + 7) // 8), dtype=np.uint8), count=n).astype(
                np.bool_
            )
            views[i] = shingle_view(shingles, valid, tokens)
    return views


def _read_signatures(
    path: str, where: Mapping[int, tuple[int, ...]], width: int
) -> dict[int, npt.NDArray[np.uint32]]:
    out = {}
    with open(path, "rb") as fh:
        for i, entry in sorted(where.items(), key=lambda item: item[1][4]):
            fh.seek(entry[4])
            out[i] = np.frombuffer(fh.read(4 * width), dtype="<u4").astype(np.uint32)
    return out


# -- worker side: a stage over records read back from the spill file -------------------------------------


def _screen_task(
    settings: Settings, path: str, where: Mapping[int, tuple[int, ...]], pairs: Sequence[tuple[int, int]]
) -> list[bool]:
    return screen(settings, _read_views(path, where), pairs)


def _verify_task(
    settings: Settings,
    articles: Mapping[int, Article],
    pairs: Sequence[tuple[int, int]],
    boilerplate: Mapping[int, int],
    path: str,
    where: Mapping[int, tuple[int, ...]],
) -> list[Pair | None]:
    signatures = _read_signatures(path, where, settings.num_perm)
    return verify(settings, articles, signatures, pairs, boilerplate)


# -- parent side ----------------------------------------------------------------------------------------


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _pair_chunks(codes: npt.NDArray[np.int64], size: int) -> Iterator[list[tuple[int, int]]]:
    """Pairs ``x << DOC_BITS | y`` as lists of (x, y), ``size`` at a time."""
    for start in range(0, len(codes), size):
        part = codes[start : start + size]
        yield list(zip((part >> DOC_BITS).tolist(), (part & ((1 << DOC_BITS) - 1)).tolist(), strict=True))


def default_workers() -> int:
    """Worker processes used by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(slots=True)
class BatchResult:
    """Everything the report needs from the batch run."""

    #: The articles' ids, in input order.
    ids: list[str]
    words: list[int]
    pairs: list[Pair]
    #: The learned boilerplate lines, named (see :func:`dedup.engine.verify.name_lines`).
    boilerplate: tuple[tuple[str, int], ...]
    skipped_buckets: int
    #: Dates, sources and credits of the paired articles (for origins and the keep policy).
    provenance: dict[str, Provenance] = dataclasses.field(default_factory=dict)


def run_batch(
    settings: Settings,
    articles: Iterable[Article],
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> BatchResult:
    """Run the map, boilerplate, reduce, screen and verify stages over ``articles``."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    source = iter(articles)
    # Peek: small inputs run in-process.
    head: list[Article] = []
    for article in source:
        head.append(article)
        if len(head) >= PARALLEL_MIN_ARTICLES:
            break
    executor = None
    if workers > 1 and len(head) >= PARALLEL_MIN_ARTICLES:
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    run = _LocalRun(settings, executor, workers, progress)
    try:
        run.map(itertools.chain(head, source))
        learned = run.boilerplate()
        codes, skipped = run.reduce()
        pair_list = run.screen(codes)
        pairs = run.verify(pair_list, learned)
        named = name_lines(run.stored.texts(), learned)
        return BatchResult(
            ids=run.stored.ids,
            words=run.words,
            pairs=pairs,
            boilerplate=named,
            skipped_buckets=skipped,
            provenance=run.provenance(pairs),
        )
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        run.close()


class _LocalRun:
    """One local run: the stage functions driven on a process pool, with what they share in files.

    The parent keeps per article its id, metadata and word count (and, until boilerplate is learned,
    its signature and line keys); texts, shingles and window keys are in temporary files.
    """

    def __init__(
        self, settings: Settings, executor: Executor | None, workers: int, progress: Progress | None
    ) -> None:
        self.settings = settings
        self.executor = executor
        self.window = 2 * workers
        self.in_flight = workers
        self.progress = progress
        self.folder = tempfile.TemporaryDirectory(prefix="dedup-")
        self.spill = ShingleSpill(self.folder.name)
        self.stored = TextSpill(self.folder.name)
        self.doc_table = KeyTable(partition_bits=DOCUMENT_PARTITION_BITS)
        # the largest structure of a run, kept in files; 64 partitions: a reducer holds 1/64 of it
        self.win_table = KeyTable(partition_bits=WINDOW_PARTITION_BITS, folder=self.folder.name)
        self.words: list[int] = []
        self.signatures: list[npt.NDArray[np.uint32]] = []
        # every article's lines, a few arrays per chunk (key, at the head or foot, words, article)
        self.lines: list[tuple[npt.NDArray[Any], ...]] = []

    def tick(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def close(self) -> None:
        self.win_table.close()
        self.spill.finish()
        self.stored.close()
        self.folder.cleanup()

    def _checked(self, articles: Iterable[Article]) -> Iterator[Article]:
        """The articles, each stored; a duplicate id or one article too many stops the run."""
        seen = UniqueIds()
        for article in articles:
            duplicate = seen.duplicate(article.id, article.origin)
            if duplicate is not None:
                raise InputError(duplicate, source=article.origin)
            if len(self.stored) >= MAX_DOCUMENTS:
                raise InputError(
                    f"more than {MAX_DOCUMENTS:,} articles in one report: split the corpus, or run it on "
                    "Spark (--engine spark, see docs/spark.md)",
                    source=article.origin,
                )
            self.stored.append(article)
            yield article

    def _keep(self, docs: npt.NDArray[np.int64], summaries: Summaries, *, again: bool) -> None:
        """Put a chunk's fingerprints where the later stages read them."""
        self.doc_table.add_concat(docs, summaries.document_keys, summaries.document_counts, replace=again)
        self.win_table.add_concat(docs, summaries.window_keys, summaries.window_counts, replace=again)
        self.spill.write(docs, summaries)

    def map(self, articles: Iterable[Article]) -> None:
        """Fingerprint every article (stage :func:`~dedup.batch.stages.fingerprint`)."""
        chunks = _chunks(self._checked(articles), CHUNK_ARTICLES)
        # the workers need the texts only (cheaper to send than the articles)
        tasks = ((fingerprint, (self.settings, [a.text for a in chunk], None)) for chunk in chunks)
        base = 0
        for summaries in ordered(self.executor, tasks, window=self.window):
            docs = np.arange(base, base + len(summaries), dtype=np.int64)
            self._keep(docs, summaries, again=False)
            self.signatures.extend(summaries.signatures)
            line_docs = np.repeat(docs, summaries.line_counts)
            self.lines.append((summaries.line_keys, summaries.line_edges, summaries.line_words, line_docs))
            self.words.extend(summaries.words.tolist())
            base += len(summaries)
            self.tick("fingerprint", base, 0)

    def boilerplate(self) -> dict[int, int]:
        """Learn the corpus' boilerplate lines; fingerprint the articles holding them again."""
        line_keys, line_edges, line_words, line_docs = (
            np.concatenate([chunk[n] for chunk in self.lines]) if self.lines else np.zeros(0, dtype=dtype)
            for n, dtype in enumerate((np.uint64, np.bool_, np.int32, np.int64))
        )
        self.lines.clear()
        learned = learn_boilerplate(
            self.settings, line_keys, line_edges, line_words, line_docs, self.signatures
        )
        self.signatures.clear()
        affected = holding_lines(line_keys, line_docs, learned).tolist()
        del line_keys, line_edges, line_words, line_docs
        release_memory()
        redo: Iterator[tuple[Callable[..., Summaries], tuple[Any, ...]]] = (
            (fingerprint, (self.settings, [self.stored.text(d) for d in chunk], learned))
            for chunk in _chunks(affected, CHUNK_ARTICLES)
        )
        done = 0
        results = ordered(self.executor, redo, self.window)
        for chunk, summaries in zip(_chunks(affected, CHUNK_ARTICLES), results, strict=True):
            self._keep(np.asarray(chunk, dtype=np.int64), summaries, again=True)
            for d, n in zip(chunk, summaries.words.tolist(), strict=True):
                self.words[d] = n
            done += len(chunk)
            self.tick("boilerplate", done, len(affected))
        return learned

    def reduce(self) -> tuple[npt.NDArray[np.int64], int]:
        """The candidate pairs (sorted pair codes) and the document buckets skipped as too large.

        Oversized window buckets are stock phrases, expected and not reported: only the document
        buckets over ``max_bucket`` count as skipped.
        """
        s = self.settings
        by_document, skipped = self.doc_table.pairs(max_bucket=s.max_bucket)
        by_window, _stock_phrases = self.win_table.pairs(
            max_bucket=s.max_window_bucket,
            min_hits=s.min_window_hits,
            executor=self.executor,
            in_flight=self.in_flight,
            progress=lambda d, t: self.tick("candidates", d, t),
        )
        return candidates(by_document, by_window), skipped

    def screen(self, codes: npt.NDArray[np.int64]) -> list[tuple[int, int]]:
        """The candidates that may hold a passage (most stock-phrase pairs stop here)."""
        self.spill.finish()
        spill = self.spill
        tasks: Iterator[tuple[Callable[..., list[bool]], tuple[Any, ...]]] = (
            (_screen_task, (self.settings, spill.path, spill.locations(i for p in chunk for i in p), chunk))
            for chunk in _pair_chunks(codes, CHUNK_SCREEN)
        )
        kept: list[tuple[int, int]] = []
        done = 0
        screened = ordered(self.executor, tasks, self.window)
        for some, keep in zip(_pair_chunks(codes, CHUNK_SCREEN), screened, strict=True):
            kept.extend(pair for pair, ok in zip(some, keep, strict=True) if ok)
            done += len(some)
            self.tick("screen", done, len(codes))
        return kept

    def provenance(self, pairs: Iterable[Pair]) -> dict[str, Provenance]:
        """The dates, sources and credits of the paired articles (texts read back for their credits).

        Their words are those counted outside boilerplate by the map stage, which the report's
        provenance holds (:func:`~dedup.batch.assemble.assemble_report`): not counted again.
        """
        at = {a: n for n, a in enumerate(self.stored.ids)}
        out = {}
        for a in sorted({a for p in pairs for a in (p.a, p.b)}):
            n = at[a]
            stub = self.stored.stubs[n]
            out[a] = article_provenance(
                self.stored.text(n),
                source=stub.source,
                published=stub.published,
                url=stub.url,
                words=self.words[n],
            )
        return out

    def verify(self, pair_list: list[tuple[int, int]], learned: Mapping[int, int]) -> list[Pair]:
        """Align and classify the screened pairs."""
        spill, stored = self.spill, self.stored
        tasks: Iterator[tuple[Callable[..., list[Pair | None]], tuple[Any, ...]]] = (
            (
                _verify_task,
                (
                    self.settings,
                    {i: stored.article(i) for pair in chunk for i in pair},
                    chunk,
                    learned,
                    spill.path,
                    spill.locations(i for pair in chunk for i in pair),
                ),
            )
            for chunk in _chunks(pair_list, CHUNK_PAIRS)
        )
        pairs: list[Pair] = []
        done = 0
        for verified in ordered(self.executor, tasks, window=self.window):
            pairs.extend(p for p in verified if p is not None)
            done += len(verified)
            self.tick("verify", done, len(pair_list))
        return pairs
