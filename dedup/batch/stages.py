"""The stages of ``dedup report`` as plain functions over arrays and records.

Every runner drives these same functions: the local runner (:mod:`dedup.batch.local`) on a pool of
processes with spill files, the Spark runner (:mod:`dedup.batch.spark`) on Arrow batches in Spark's
executors. A function here reads no file, starts no process and keeps no state between calls (but a
cached :class:`~dedup.engine.verify.Verifier` per process): what it needs comes in as arguments.

1. :func:`fingerprint`: texts to :class:`Summaries` (band keys, signature, lines, shingles), with
   learned boilerplate lines masked when given;
2. :func:`learn_boilerplate` (from the lines and signatures of every article) and
   :func:`holding_lines` (the articles to fingerprint again);
3. :func:`bucket_keys` (the bits of a band key that the buckets compare) and
   :func:`~dedup.engine.lsh.bucket_pairs` (buckets to pairs); :func:`candidates` joins the two LSHs';
4. :func:`screen`: whether each candidate pair may hold a passage, from shingles alone;
5. :func:`verify`: each pair aligned and classified, or ``None``;
6. :func:`~dedup.batch.assemble.assemble_report`: pairs sorted and clustered into the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from dedup.engine.align import ShingleView
from dedup.engine.align import screen as align_screen
from dedup.engine.boilerplate import learn_boilerplate_arrays
from dedup.engine.lsh import DOC_BITS
from dedup.engine.verify import Verifier
from dedup.model import Article, Pair
from dedup.settings import Settings

__all__ = [
    "DOCUMENT_PARTITION_BITS",
    "WINDOW_PARTITION_BITS",
    "ShingleView",
    "Summaries",
    "bucket_keys",
    "candidates",
    "fingerprint",
    "holding_lines",
    "learn_boilerplate",
    "screen",
    "shingle_view",
    "verifier",
    "verify",
]

T_ = TypeVar("T_", bound=np.generic)
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

#: Top bits of a band key that pick its partition in the local runner's key tables: none for the
#: document keys, 2**6 partitions for the window keys. A bucket compares ``64 - DOC_BITS`` bits below
#: them, so ``64 - DOC_BITS + partition bits`` in all (:func:`bucket_keys`): every runner compares the
#: same bits, so that its buckets, and so its candidates, are the same.
DOCUMENT_PARTITION_BITS = 0
WINDOW_PARTITION_BITS = 6


@dataclass(frozen=True, slots=True)
class Summaries:
    """What the map stage keeps of a chunk of articles, as a few arrays (cheap to send between processes).

    Per-article arrays of varying length are concatenated, with each article's count alongside.
    """

    words: npt.NDArray[np.int64]
    signatures: U32
    document_keys: U64
    document_counts: I64
    window_keys: U64
    window_counts: I64
    #: Every article's lines: key, at the head or foot, words (concatenated; ``line_counts`` per article).
    line_keys: U64
    line_edges: npt.NDArray[np.bool_]
    line_words: npt.NDArray[np.int32]
    line_counts: I64
    #: What screening needs: the shingles, which are valid (bit-packed per article), the word counts.
    shingles: U32
    shingle_counts: I64
    valid: npt.NDArray[np.uint8]
    tokens: I64

    def __len__(self) -> int:
        return len(self.words)


_VERIFIER: Verifier | None = None


def verifier(settings: Settings) -> Verifier:
    """The :class:`Verifier` of this process for ``settings`` (made once: it holds the permutations)."""
    global _VERIFIER
    if _VERIFIER is None or _VERIFIER.settings != settings:
        _VERIFIER = Verifier(settings)
    return _VERIFIER


def fingerprint(settings: Settings, texts: Sequence[str], boilerplate: Mapping[int, int] | None) -> Summaries:
    """Tokenise, mask boilerplate (known, and the learned ``boilerplate`` lines) and fingerprint texts."""
    v = verifier(settings)
    prepared = v.prepare_many(texts, boilerplate)
    prints = v.signer.fingerprint_many([p[0] for p in prepared], [p[1] for p in prepared])

    def counts(arrays: list[npt.NDArray[Any]]) -> I64:
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


def learn_boilerplate(
    settings: Settings,
    line_keys: U64,
    line_edges: npt.NDArray[np.bool_],
    line_words: npt.NDArray[np.int32],
    line_docs: I64,
    signatures: Sequence[U32] | Mapping[int, U32],
) -> dict[int, int]:
    """The corpus' boilerplate lines (key -> articles holding it), from every article's lines.

    Lines are in corpus order (``line_docs`` non-decreasing); ``signatures[d]`` is article ``d``'s
    whole-document signature (all of them, or those of the articles the rule samples).
    """
    return learn_boilerplate_arrays(
        line_keys, line_edges, line_words, line_docs, signatures, min_docs=settings.boilerplate_min_docs
    )


def holding_lines(line_keys: U64, line_docs: I64, boilerplate: Mapping[int, int]) -> I64:
    """The articles (sorted, once each) holding one of the ``boilerplate`` lines."""
    if not boilerplate:
        return np.zeros(0, dtype=np.int64)
    learned = np.fromiter(boilerplate, dtype=np.uint64, count=len(boilerplate))
    return np.unique(line_docs[np.isin(line_keys, learned)])


def bucket_keys(keys: U64, partition_bits: int) -> U64:
    """The bits of band keys that a bucket compares: the top ``64 - DOC_BITS + partition_bits``.

    Two keys equal on these bits share a bucket (:class:`~dedup.batch.keytable.KeyTable` keeps the
    partition's bits in its partition number and the next ``64 - DOC_BITS`` in its entries).
    """
    return keys >> np.uint64(DOC_BITS - partition_bits)


def candidates(by_document: I64, by_window: I64) -> I64:
    """Candidate pairs as one sorted array of pair codes ``x << DOC_BITS | y`` (x < y), each once.

    ``by_document`` and ``by_window`` are (n, 2) arrays of (x, y): the pairs sharing a document
    bucket, and those sharing enough window buckets.
    """
    found = np.concatenate((by_document, by_window))
    return np.unique((found[:, 0] << DOC_BITS) | found[:, 1])


def shingle_view(shingles: U32, valid: npt.NDArray[np.bool_], tokens: int) -> ShingleView:
    """What screening needs of one article."""
    return ShingleView.of(shingles, valid, tokens)


def screen(
    settings: Settings, views: Mapping[int, ShingleView], pairs: Sequence[tuple[int, int]]
) -> list[bool]:
    """Tell for each pair whether it may hold a passage (the screen of :func:`dedup.engine.align.screen`)."""
    return [align_screen(views[x], views[x].words, views[y], views[y].words, settings) for x, y in pairs]


def verify(
    settings: Settings,
    articles: Mapping[int, Article],
    signatures: Mapping[int, U32],
    pairs: Sequence[tuple[int, int]],
    boilerplate: Mapping[int, int],
) -> list[Pair | None]:
    """Align and classify candidate pairs (whole-document signatures given, not computed again)."""
    v = verifier(settings)
    order = list(articles)
    prepared = v.documents(
        [articles[i] for i in order], boilerplate, signatures=[signatures[i] for i in order]
    )
    docs = dict(zip(order, prepared, strict=True))
    return [v.pair(docs[x], docs[y]) for x, y in pairs]
