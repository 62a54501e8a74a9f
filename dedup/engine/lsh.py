"""Candidate generation: articles whose LSH band keys collide.

The (band key, article) entries are grouped by sorting, not by one dict operation per key: a sorted
run of equal keys is a bucket, and articles sharing a bucket are candidates. This is datasketch
``MinHashLSH``'s rule (same bands and rows, see :func:`optimal_bands`). Buckets
larger than ``max_bucket`` are skipped: a key shared by that many articles is boilerplate that
slipped through, and would cost a quadratic number of pairs. The partitioned table that feeds this in
batch (keys split by their top bits as articles are fingerprinted, each partition reduced on its
own) is :class:`dedup.batch.keytable.KeyTable`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.settings import Settings

__all__ = [
    "DOC_BITS",
    "DOC_MASK",
    "KNOWN_BANDS",
    "MAX_DOCUMENTS",
    "Candidates",
    "bucket_pairs",
    "document_bands",
    "optimal_bands",
    "window_bands",
]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


#: ``optimal_bands`` of the default settings, known without importing scipy (half a second in every
#: worker process). tests/test_signature.py checks them against datasketch.
KNOWN_BANDS = {(0.5, 128): (25, 5), (0.3, 16): (8, 2)}


def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) that datasketch's ``MinHashLSH(threshold, num_perm)`` chooses.

    The same rule: the (b, r) with ``b * r <= num_perm`` that minimises the sum of the false positive
    probability (the S-curve's area below ``threshold``) and the false negative probability (the area
    above it under one minus the curve), integrated the same way.
    """
    known = KNOWN_BANDS.get((threshold, num_perm))
    if known is not None:
        return known
    from scipy.integrate import quad

    best, opt = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = quad(lambda s, b=b, r=r: 1 - (1 - s ** float(r)) ** float(b), 0.0, threshold)[0]
            fn = quad(lambda s, b=b, r=r: 1 - (1 - (1 - s ** float(r)) ** float(b)), threshold, 1.0)[0]
            if fp * 0.5 + fn * 0.5 < best:
                best, opt = fp * 0.5 + fn * 0.5, (b, r)
    return opt


def document_bands(settings: Settings) -> tuple[int, int]:
    """(bands, rows) of the whole-document LSH: ``MinHashLSH(document_threshold, num_perm)``'s."""
    return optimal_bands(settings.document_threshold, settings.num_perm)


def window_bands(settings: Settings) -> tuple[int, int]:
    """(bands, rows) of the window LSH: ``MinHashLSH(window_threshold, window_num_perm)``'s."""
    return optimal_bands(settings.window_threshold, settings.window_num_perm)


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate pairs (x < y, indices into the corpus) and how many oversized buckets were skipped."""

    pairs: frozenset[tuple[int, int]]
    skipped_buckets: int


#: Bits of a table entry that hold the document number (documents are numbered below 2**24).
DOC_BITS = 24
MAX_DOCUMENTS = 1 << DOC_BITS
DOC_MASK = np.uint64(MAX_DOCUMENTS - 1)


def bucket_pairs(packed: U64, max_bucket: int) -> tuple[U64, int]:
    """The pairs of documents that share a bucket, from (key, document) entries in any order.

    An entry is ``key_bits << DOC_BITS | document``. Returns the pairs sharing buckets with how many
    buckets each shares (``pair << 16 | count``, a pair being ``x << 24 | y``, sorted), and the number
    of buckets skipped for holding more than ``max_bucket`` documents. ``packed`` is sorted in place.
    """
    packed.sort()
    if len(packed) < 2:
        return np.zeros(0, np.uint64), 0
    # a document's two keys that agree on the bits kept are one entry
    packed = packed[np.concatenate(([True], packed[1:] != packed[:-1]))]
    keys = packed >> np.uint64(DOC_BITS)
    docs = (packed & DOC_MASK).astype(np.int64)
    del packed
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate(([0], change))
    sizes = np.diff(np.concatenate((starts, [len(keys)])))
    found: list[I64] = []
    two = starts[sizes == 2]
    if len(two):
        found.append((docs[two] << DOC_BITS) | docs[two + 1])  # sorted within a bucket: x < y
    skipped = int(np.count_nonzero(sizes > max_bucket))
    # the buckets of each size n at once: an (m, n) matrix of members, all its pairs by column
    for n in np.unique(sizes[(sizes > 2) & (sizes <= max_bucket)]).tolist():
        members = docs[starts[sizes == n][:, None] + np.arange(n)]
        i, j = np.triu_indices(n, k=1)
        found.append(((members[:, i] << DOC_BITS) | members[:, j]).ravel())
    if not found:
        return np.zeros(0, np.uint64), skipped
    codes = np.concatenate(found).astype(np.uint64)
    codes.sort()
    first = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    counts = np.minimum(np.diff(np.append(first, len(codes))), 0xFFFF).astype(np.uint64)
    return (codes[first] << np.uint64(16)) | counts, skipped
