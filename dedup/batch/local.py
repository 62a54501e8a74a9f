"""The batch path of ``dedup report``: map/reduce shaped, parallel, streaming its input.

1. **map**: articles are read in chunks and fingerprinted by worker processes; the parent keeps, per
   article, only its id and metadata, whole-document signature and line keys; its text, shingles and
   window band keys go to temporary files (the keys into the partitions of a
   :class:`~dedup.engine.lsh.KeyTable`), read back by the stages that need them.
2. **boilerplate**: lines recurring at the head or foot of unrelated articles are learned from the line
   keys; the few articles holding them are fingerprinted again with those lines masked.
3. **reduce**: each key partition is sorted and its buckets give the candidate pairs.
4. **verify**: candidate pairs are aligned by the workers, in chunks, and come back as
   :class:`~dedup.model.Pair` objects.

The result does not depend on the number of workers: chunks are processed in order and every
output is sorted.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from dedup.batch.keytable import KeyTable
from dedup.batch.parallel import ordered
from dedup.engine.align import ShingleView, screen
from dedup.engine.boilerplate import learn_boilerplate_arrays
from dedup.engine.lsh import DOC_BITS, MAX_DOCUMENTS
from dedup.engine.verify import Verifier, name_lines
from dedup.errors import InputError
from dedup.model import Article, Pair, UniqueIds
from dedup.settings import Settings

__all__ = ["Progress", "Summaries", "run_batch"]

#: Progress callback: (stage, done, total).
Progress = Callable[[str, int, int], None]

T = TypeVar("T")
T_ = TypeVar("T_", bound=np.generic)

#: Articles per map task and pairs per verify task.
CHUNK_ARTICLES = 256
CHUNK_PAIRS = 512
CHUNK_SCREEN = 8192
#: The window key table's partitions (2**6): the reduce holds one partition per worker at a time.
WINDOW_PARTITION_BITS = 6
#: Below this many articles the work is done in-process (starting workers costs more than it saves).
PARALLEL_MIN_ARTICLES = 2000


@dataclass(frozen=True, slots=True)
class Summaries:
    """What the map stage keeps of a chunk of articles, as a few arrays (cheap to send between processes).

    Per-article arrays of varying length are concatenated, with each article's count alongside.
    """

    words: npt.NDArray[np.int64]
    signatures: npt.NDArray[np.uint32]
    document_keys: npt.NDArray[np.uint64]
    document_counts: npt.NDArray[np.int64]
    window_keys: npt.NDArray[np.uint64]
    window_counts: npt.NDArray[np.int64]
    #: Every article's lines: key, at the head or foot, words (concatenated; ``line_counts`` per article).
    line_keys: npt.NDArray[np.uint64]
    line_edges: npt.NDArray[np.bool_]
    line_words: npt.NDArray[np.int32]
    line_counts: npt.NDArray[np.int64]
    #: What screening needs: the shingles, which are valid (bit-packed per article), the word counts.
    shingles: npt.NDArray[np.uint32]
    shingle_counts: npt.NDArray[np.int64]
    valid: npt.NDArray[np.uint8]
    tokens: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.words)


# -- worker side ----------------------------------------------------------------------------------------

_WORKER: Verifier | None = None


def _detector(settings: Settings) -> Verifier:
    global _WORKER
    if _WORKER is None or _WORKER.settings != settings:
        _WORKER = Verifier(settings)
    return _WORKER


def _summarize(settings: Settings, texts: Sequence[str], boilerplate: Mapping[int, int] | None) -> Summaries:
    detector = _detector(settings)
    prepared = [detector.prepare(text, boilerplate) for text in texts]
    prints = detector.signer.fingerprint_many([p[0] for p in prepared], [p[1] for p in prepared])

    def counts(arrays: list[npt.NDArray[Any]]) -> npt.NDArray[np.int64]:
        return np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))

    def joined(arrays: list[npt.NDArray[T_]], dtype: type[T_]) -> npt.NDArray[T_]:
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)

    lines_ = [ln for _, _, lines in prepared for ln in lines]
    document_keys = [fp.document_keys for fp in prints]
    window_keys = [fp.window_keys for fp in prints]
    shingles = [fp.shingles for fp in prints]
    return Summaries(
        words=np.array([len(mask) - np.count_nonzero(mask) for _, mask, _ in prepared], dtype=np.int64),
        signatures=np.stack([fp.signature for fp in prints])
        if prints
        else np.zeros((0, settings.num_perm), np.uint32),
        document_keys=joined(document_keys, np.uint64),
        document_counts=counts(document_keys),
        window_keys=joined(window_keys, np.uint64),
        window_counts=counts(window_keys),
        line_keys=np.fromiter((ln.key for ln in lines_), dtype=np.uint64, count=len(lines_)),
        line_edges=np.fromiter((ln.edge for ln in lines_), dtype=np.bool_, count=len(lines_)),
        line_words=np.fromiter((ln.last - ln.first for ln in lines_), dtype=np.int32, count=len(lines_)),
        line_counts=np.array([len(lines) for _, _, lines in prepared], dtype=np.int64),
        shingles=joined(shingles, np.uint32),
        shingle_counts=counts(shingles),
        valid=joined([np.packbits(fp.valid) for fp in prints], np.uint8),
        tokens=np.array([len(tokens) for tokens, _, _ in prepared], dtype=np.int64),
    )


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
            views[i] = ShingleView.of(shingles, valid, tokens)
    return views


def _screen(
    settings: Settings,
    path: str,
    where: Mapping[int, tuple[int, ...]],
    pairs: Sequence[tuple[int, int]],
) -> list[bool]:
    """Tell for each pair whether it may hold a passage (a chained region long enough on both sides)."""
    views = _read_views(path, where)
    return [screen(views[x], views[x].words, views[y], views[y].words, settings) for x, y in pairs]


def _read_signatures(
    path: str, where: Mapping[int, tuple[int, ...]], width: int
) -> dict[int, npt.NDArray[np.uint32]]:
    out = {}
    with open(path, "rb") as fh:
        for i, entry in sorted(where.items(), key=lambda item: item[1][4]):
            fh.seek(entry[4])
            out[i] = np.frombuffer(fh.read(4 * width), dtype="<u4").astype(np.uint32)
    return out


def _verify(
    settings: Settings,
    articles: Mapping[int, Article],
    pairs: Sequence[tuple[int, int]],
    boilerplate: Mapping[int, int],
    path: str,
    where: Mapping[int, tuple[int, ...]],
) -> list[Pair | None]:
    """Align candidate pairs (their whole-document signatures read back, not computed again)."""
    detector = _detector(settings)
    signatures = _read_signatures(path, where, settings.num_perm)
    docs = {
        i: detector.document(a, boilerplate, keys=False, signature=signatures[i]) for i, a in articles.items()
    }
    return [detector.pair(docs[x], docs[y]) for x, y in pairs]


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


def run_batch(
    settings: Settings,
    articles: Iterable[Article],
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> BatchResult:
    """Run the map, boilerplate, reduce and verify stages over ``articles``."""
    n_workers = workers
    if n_workers < 1:
        raise ValueError("workers must be at least 1")
    summaries_sig: list[npt.NDArray[np.uint32]] = []
    # every article's lines, a few arrays per chunk (key, at the head or foot, words, article)
    lines: list[tuple[npt.NDArray[Any], ...]] = []
    words: list[int] = []
    spill_folder = tempfile.TemporaryDirectory(prefix="dedup-")
    spill = ShingleSpill(spill_folder.name)
    stored = TextSpill(spill_folder.name)
    doc_table = KeyTable(partition_bits=0)
    # the largest structure of a run, kept in files; 64 partitions: a reducer holds 1/64 of it
    win_table = KeyTable(partition_bits=WINDOW_PARTITION_BITS, folder=spill_folder.name)
    seen = UniqueIds()

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
            duplicate = seen.duplicate(article.id, article.origin)
            if duplicate is not None:
                raise InputError(duplicate, source=article.origin)
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
        # the workers need the texts only (cheaper to send than the articles)
        tasks = ((_summarize, (settings, [a.text for a in chunk], None)) for chunk in chunks)
        base = 0
        for summaries in ordered(executor, tasks, window=2 * n_workers):
            docs = np.arange(base, base + len(summaries), dtype=np.int64)
            doc_table.add_concat(docs, summaries.document_keys, summaries.document_counts)
            win_table.add_concat(docs, summaries.window_keys, summaries.window_counts)
            spill.write(docs, summaries)
            summaries_sig.extend(summaries.signatures)
            lines.append(
                (
                    summaries.line_keys,
                    summaries.line_edges,
                    summaries.line_words,
                    np.repeat(docs, summaries.line_counts),
                )
            )
            words.extend(summaries.words.tolist())
            base += len(summaries)
            tick("fingerprint", base, 0)

        line_keys, line_edges, line_words, line_docs = (
            np.concatenate([chunk[n] for chunk in lines]) if lines else np.zeros(0, dtype=dtype)
            for n, dtype in enumerate((np.uint64, np.bool_, np.int32, np.int64))
        )
        lines.clear()
        learned = learn_boilerplate_arrays(
            line_keys,
            line_edges,
            line_words,
            line_docs,
            summaries_sig,
            min_docs=settings.boilerplate_min_docs,
        )
        if learned:
            held = np.isin(line_keys, np.fromiter(learned, dtype=np.uint64, count=len(learned)))
            affected = np.unique(line_docs[held]).tolist()
            redo: Iterator[tuple[Callable[..., Summaries], tuple[Any, ...]]] = (
                (_summarize, (settings, [stored.text(d) for d in chunk], learned))
                for chunk in _chunks(affected, CHUNK_ARTICLES)
            )
            done = 0
            results = ordered(executor, redo, 2 * n_workers)
            for chunk, summaries in zip(_chunks(affected, CHUNK_ARTICLES), results, strict=True):
                docs = np.asarray(chunk, dtype=np.int64)
                doc_table.add_concat(docs, summaries.document_keys, summaries.document_counts, replace=True)
                win_table.add_concat(docs, summaries.window_keys, summaries.window_counts, replace=True)
                spill.write(docs, summaries)
                for d, n in zip(chunk, summaries.words.tolist(), strict=True):
                    words[d] = n
                done += len(chunk)
                tick("boilerplate", done, len(affected))
        summaries_sig.clear()
        del line_keys, line_edges, line_words, line_docs

        by_document, skipped_doc = doc_table.pairs(max_bucket=settings.max_bucket)
        by_window, skipped = win_table.pairs(
            max_bucket=settings.max_window_bucket,
            min_hits=settings.min_window_hits,
            executor=executor,
            in_flight=n_workers,
            progress=lambda d, t: tick("candidates", d, t),
        )
        skipped = skipped_doc  # oversized window buckets are stock phrases, expected and not reported
        del doc_table
        # candidate pairs as one sorted array of x << 24 | y (x < y): no Python object per pair
        found = np.concatenate((by_document, by_window))
        candidates = np.unique((found[:, 0] << DOC_BITS) | found[:, 1])
        del found, by_document, by_window
        spill.finish()
        # screening: cheap, from the shingles kept in memory; most stock-phrase pairs stop here
        screen_tasks: Iterator[tuple[Callable[..., list[bool]], tuple[Any, ...]]] = (
            (_screen, (settings, spill.path, spill.locations(i for pair in chunk for i in pair), chunk))
            for chunk in _pair_chunks(candidates, CHUNK_SCREEN)
        )
        pair_list: list[tuple[int, int]] = []
        done = 0
        screened = ordered(executor, screen_tasks, 2 * n_workers)
        for some, keep in zip(_pair_chunks(candidates, CHUNK_SCREEN), screened, strict=True):
            pair_list.extend(pair for pair, ok in zip(some, keep, strict=True) if ok)
            done += len(some)
            tick("screen", done, len(candidates))
        verify_tasks: Iterator[tuple[Callable[..., list[Pair | None]], tuple[Any, ...]]] = (
            (
                _verify,
                (
                    settings,
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
        for verified in ordered(executor, verify_tasks, window=2 * n_workers):
            pairs.extend(p for p in verified if p is not None)
            done += len(verified)
            tick("verify", done, len(pair_list))
        named = name_lines(stored.texts(), learned)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        win_table.close()
        spill.finish()
        stored.close()
        spill_folder.cleanup()
    return BatchResult(ids=stored.ids, words=words, pairs=pairs, boilerplate=named, skipped_buckets=skipped)
