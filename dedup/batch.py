"""The batch path of ``dedup report``: map/reduce shaped, parallel, streaming its input.

1. **map**: articles are read in chunks and fingerprinted by worker processes; the parent keeps, per
   article, only its text, whole-document signature, line keys and LSH band keys (the last go straight
   into the partitioned :class:`~dedup.lsh.KeyTable`).
2. **boilerplate**: lines recurring at the head or foot of unrelated articles are learned from the line
   keys; the few articles holding them are fingerprinted again with those lines masked.
3. **reduce**: each key partition is sorted and its buckets give the candidate pairs.
4. **verify**: candidate pairs are aligned by the workers, in chunks, and come back as
   :class:`~dedup.model.Pair` objects.

The result does not depend on the number of workers: chunks are processed in order and every
output is sorted.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from dedup.align import may_share_passage
from dedup.boilerplate import learn_boilerplate
from dedup.errors import InputError
from dedup.lsh import MAX_DOCUMENTS, KeyTable
from dedup.model import Article, Pair
from dedup.settings import Settings
from dedup.signature import unique_sorted

__all__ = ["Summary", "run_batch"]

T = TypeVar("T")
R = TypeVar("R")

#: Articles per map task and pairs per verify task.
CHUNK_ARTICLES = 256
CHUNK_PAIRS = 512
CHUNK_SCREEN = 8192
#: Below this many articles the work is done in-process (starting workers costs more than it saves).
PARALLEL_MIN_ARTICLES = 2000


@dataclass(frozen=True, slots=True)
class Summary:
    """What the map stage keeps of one article."""

    words: int
    signature: npt.NDArray[np.uint32]
    document_keys: npt.NDArray[np.uint64]
    window_keys: npt.NDArray[np.uint64]
    line_keys: tuple[tuple[int, bool, int], ...]
    #: What screening needs: the shingles, which are valid (bit-packed), and the number of words.
    shingles: npt.NDArray[np.uint32]
    valid: npt.NDArray[np.uint8]
    tokens: int


@dataclass(frozen=True, slots=True)
class ShingleView:
    """A text as screening sees it (implements :class:`dedup.align.Shingled`)."""

    shingles: npt.NDArray[np.uint32]
    valid: npt.NDArray[np.bool_]
    distinct: npt.NDArray[np.uint32]
    tokens: int


# -- worker side ----------------------------------------------------------------------------------------

_WORKER: Any = None


def _detector(settings: Settings) -> Any:
    global _WORKER
    if _WORKER is None or _WORKER.settings != settings:
        from dedup.detector import Detector

        _WORKER = Detector(settings)
    return _WORKER


def _summarize(
    settings: Settings, articles: Sequence[Article], boilerplate: Mapping[int, int] | None
) -> list[Summary]:
    detector = _detector(settings)
    prepared = [detector.prepare(article, boilerplate) for article in articles]
    prints = detector.signer.fingerprint_many([p[0] for p in prepared], [p[1] for p in prepared])
    return [
        Summary(
            words=int(len(mask) - np.count_nonzero(mask)),
            signature=fp.signature,
            document_keys=fp.document_keys,
            window_keys=fp.window_keys,
            line_keys=tuple((line.key, line.edge, line.last - line.first) for line in lines),
            shingles=fp.shingles,
            valid=np.packbits(fp.valid),
            tokens=len(tokens),
        )
        for (tokens, mask, lines), fp in zip(prepared, prints, strict=True)
    ]


class ShingleSpill:
    """The shingles and valid masks of every article, in a temporary file instead of the parent's memory.

    Written by the parent as fingerprints arrive (an article fingerprinted again is appended again);
    a screening task reads the records of its own articles only (by offset), so neither the parent
    nor a worker holds them all, and a task carries a few numbers per article instead of its arrays.
    """

    def __init__(self, folder: str) -> None:
        self.path = os.path.join(folder, "shingles.bin")
        self._file = open(self.path, "wb")  # noqa: SIM115 (closed by close())
        self._end = 0
        #: Per article: byte offset of its record, number of shingles, number of words.
        self.where: list[tuple[int, int, int]] = []

    def write(
        self, doc: int, shingles: npt.NDArray[np.uint32], packed: npt.NDArray[np.uint8], tokens: int
    ) -> None:
        """Store (or store again) an article's record."""
        data = shingles.astype("<u4", copy=False).tobytes() + packed.tobytes()
        self._file.write(data)
        entry = (self._end, len(shingles), tokens)
        if doc == len(self.where):
            self.where.append(entry)
        else:
            self.where[doc] = entry
        self._end += len(data)

    def finish(self) -> None:
        """Flush and close the file so that other processes can read it (again: no effect)."""
        self._file.close()

    def locations(self, docs: Iterable[int]) -> dict[int, tuple[int, int, int]]:
        """What a task needs to read these articles' records."""
        return {d: self.where[d] for d in docs}


def _read_views(path: str, where: Mapping[int, tuple[int, int, int]]) -> dict[int, ShingleView]:
    views = {}
    with open(path, "rb") as fh:
        for i, (offset, n, tokens) in sorted(where.items(), key=lambda item: item[1][0]):
            fh.seek(offset)
            data = fh.read(4 * n + (n + 7) // 8)
            shingles = np.frombuffer(data, dtype="<u4", count=n).astype(np.uint32)
            packed = np.frombuffer(data, dtype=np.uint8, offset=4 * n)
            valid = np.unpackbits(packed, count=n).astype(np.bool_)
            views[i] = ShingleView(shingles, valid, unique_sorted(shingles[valid]), tokens)
    return views


def _screen(
    settings: Settings,
    path: str,
    where: Mapping[int, tuple[int, int, int]],
    pairs: Sequence[tuple[int, int]],
) -> list[bool]:
    """Tell for each pair whether it may hold a passage (a chained region long enough on both sides)."""
    views = _read_views(path, where)
    s = settings
    return [
        may_share_passage(
            views[x],
            views[x].tokens,
            views[y],
            views[y].tokens,
            k=s.shingle_size,
            max_gap=s.max_gap,
            min_words=s.min_passage_words,
        )
        for x, y in pairs
    ]


def _verify(
    settings: Settings,
    articles: Mapping[int, Article],
    pairs: Sequence[tuple[int, int]],
    boilerplate: Mapping[int, int],
) -> list[Pair | None]:
    detector = _detector(settings)
    docs = {i: detector.document(a, boilerplate, keys=False) for i, a in articles.items()}
    return [detector.pair(docs[x], docs[y]) for x, y in pairs]


# -- parent side ----------------------------------------------------------------------------------------


def _ordered(
    executor: Executor | None, tasks: Iterator[tuple[Callable[..., R], tuple[Any, ...]]], window: int
) -> Iterator[R]:
    """Run tasks (in-process, or on ``executor`` with at most ``window`` in flight), results in order."""
    if executor is None:
        for func, args in tasks:
            yield func(*args)
        return
    pending: list[Future[R]] = []
    for func, args in tasks:
        pending.append(executor.submit(func, *args))
        if len(pending) >= window:
            yield pending.pop(0).result()
    while pending:
        yield pending.pop(0).result()


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def default_workers() -> int:
    """Worker processes used by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(slots=True)
class BatchResult:
    """Everything the report needs from the batch run."""

    articles: list[Article]
    words: list[int]
    pairs: list[Pair]
    boilerplate: dict[int, int]
    skipped_buckets: int


def run_batch(
    settings: Settings,
    articles: Iterable[Article],
    *,
    workers: int = 1,
    progress: Callable[[str, int, int], None] | None = None,
) -> BatchResult:
    """Run the map, boilerplate, reduce and verify stages over ``articles``."""
    n_workers = workers
    if n_workers < 1:
        raise ValueError("workers must be at least 1")
    stored: list[Article] = []
    summaries_sig: list[npt.NDArray[np.uint32]] = []
    line_keys: list[tuple[tuple[int, bool, int], ...]] = []
    words: list[int] = []
    spill_folder = tempfile.TemporaryDirectory(prefix="dedup-")
    spill = ShingleSpill(spill_folder.name)
    doc_table = KeyTable(partition_bits=0)
    win_table = KeyTable()
    seen: dict[str, str | None] = {}

    def tick(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    executor: ProcessPoolExecutor | None = None
    source = iter(articles)
    # Peek: small inputs run in-process.
    head: list[Article] = []
    for article in source:
        head.append(article)
        if len(head) >= PARALLEL_MIN_ARTICLES:
            break
    if n_workers > 1 and len(head) >= PARALLEL_MIN_ARTICLES:
        executor = ProcessPoolExecutor(max_workers=n_workers, mp_context=multiprocessing.get_context("spawn"))

    def all_articles() -> Iterator[Article]:
        yield from head
        yield from source

    def checked() -> Iterator[Article]:
        for article in all_articles():
            if article.id in seen:
                first = seen[article.id]
                raise InputError(
                    f"duplicate id {article.id!r}" + (f" (first seen at {first})" if first else ""),
                    source=article.origin,
                )
            seen[article.id] = article.origin
            if len(stored) >= MAX_DOCUMENTS:
                raise InputError(
                    f"more than {MAX_DOCUMENTS:,} articles in one report: split the corpus "
                    "(see docs/throughput.md for running beyond one machine)",
                    source=article.origin,
                )
            stored.append(article)
            yield article

    try:
        chunks = _chunks(checked(), CHUNK_ARTICLES)
        tasks = ((_summarize, (settings, chunk, None)) for chunk in chunks)
        base = 0
        for summaries in _ordered(executor, tasks, window=2 * n_workers):
            doc_table.add_many((base + i, s.document_keys) for i, s in enumerate(summaries))
            win_table.add_many((base + i, s.window_keys) for i, s in enumerate(summaries))
            for i, s in enumerate(summaries):
                spill.write(base + i, s.shingles, s.valid, s.tokens)
                summaries_sig.append(s.signature)
                line_keys.append(s.line_keys)
                words.append(s.words)
            base += len(summaries)
            tick("fingerprint", base, 0)

        learned = learn_boilerplate(
            line_keys,
            summaries_sig,
            min_docs=settings.boilerplate_min_docs,
        )
        if learned:
            affected = [d for d, lines in enumerate(line_keys) if any(k in learned for k, _, _ in lines)]
            redo: Iterator[tuple[Callable[..., list[Summary]], tuple[Any, ...]]] = (
                (_summarize, (settings, [stored[d] for d in chunk], learned))
                for chunk in _chunks(affected, CHUNK_ARTICLES)
            )
            done = 0
            results = _ordered(executor, redo, 2 * n_workers)
            for chunk, summaries in zip(_chunks(affected, CHUNK_ARTICLES), results, strict=True):
                redone = list(zip(chunk, summaries, strict=True))
                doc_table.add_many(((d, s.document_keys) for d, s in redone), replace=True)
                win_table.add_many(((d, s.window_keys) for d, s in redone), replace=True)
                for d, s in redone:
                    words[d] = s.words
                    spill.write(d, s.shingles, s.valid, s.tokens)
                done += len(chunk)
                tick("boilerplate", done, len(affected))
        summaries_sig.clear()
        line_keys.clear()

        by_document, skipped_doc = doc_table.pairs(max_bucket=settings.max_bucket)
        by_window, skipped = win_table.pairs(
            max_bucket=settings.max_window_bucket,
            min_hits=settings.min_window_hits,
            progress=lambda d, t: tick("candidates", d, t),
        )
        skipped = skipped_doc  # oversized window buckets are stock phrases, expected and not reported
        del doc_table, win_table
        candidates = sorted(
            {(int(x), int(y)) for x, y in by_document.tolist()}
            | {(int(x), int(y)) for x, y in by_window.tolist()}
        )
        spill.finish()
        # screening: cheap, from the shingles kept in memory; most stock-phrase pairs stop here
        screen_tasks: Iterator[tuple[Callable[..., list[bool]], tuple[Any, ...]]] = (
            (_screen, (settings, spill.path, spill.locations(i for pair in chunk for i in pair), chunk))
            for chunk in _chunks(candidates, CHUNK_SCREEN)
        )
        pair_list: list[tuple[int, int]] = []
        done = 0
        for some, keep in zip(
            _chunks(candidates, CHUNK_SCREEN), _ordered(executor, screen_tasks, 2 * n_workers), strict=True
        ):
            pair_list.extend(pair for pair, ok in zip(some, keep, strict=True) if ok)
            done += len(some)
            tick("screen", done, len(candidates))
        verify_tasks: Iterator[tuple[Callable[..., list[Pair | None]], tuple[Any, ...]]] = (
            (
                _verify,
                (settings, {i: stored[i] for pair in chunk for i in pair}, chunk, learned),
            )
            for chunk in _chunks(pair_list, CHUNK_PAIRS)
        )
        pairs: list[Pair] = []
        done = 0
        for verified in _ordered(executor, verify_tasks, window=2 * n_workers):
            pairs.extend(p for p in verified if p is not None)
            done += len(verified)
            tick("verify", done, len(pair_list))
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        spill.finish()
        spill_folder.cleanup()
    return BatchResult(
        articles=stored, words=words, pairs=pairs, boilerplate=learned, skipped_buckets=skipped
    )
