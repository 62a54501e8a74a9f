"""Shingles, MinHash signatures and LSH band keys, computed in batches with numpy.

The permutations and the hash scheme are datasketch's (``MinHash(num_perm, seed, scheme="affine32")``
for documents, ``MinHash(window_num_perm, seed, scheme="affine32")`` for windows): a signature computed
here equals, value for value, the ``hashvalues`` of a datasketch ``MinHash`` fed the same shingle hashes
(``tests/test_signature.py`` checks it). Computing the permuted value of every shingle once, as a
matrix, gives the whole-document signature (the minimum over all rows) and every window signature (the
minimum over a contiguous run of rows) from the same work.

This module is the only one that touches datasketch, whose API is untyped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from dedup.engine import kernels
from dedup.engine.arrays import unique
from dedup.engine.lsh import document_bands, window_bands
from dedup.engine.normalize import Tokens, word_hash
from dedup.settings import Settings

__all__ = [
    "EMPTY",
    "Fingerprint",
    "Prints",
    "Signer",
    "band_keys",
    "unique_sorted",
    "word_hash",
]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]

#: The value of an empty signature slot (datasketch's ``affine32`` maximum).
EMPTY = np.uint32(0xFFFFFFFF)

_M64 = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime, used to fold words into a shingle
_BAND_SEED = np.uint64(0x9E3779B97F4A7C15)
#: Salts that keep document and window band keys apart when they share one table.
DOCUMENT_SALT = 0
WINDOW_SALT = 0x5BD1E995


def datasketch_permutations(num_perm: int, seed: int) -> tuple[U32, U32]:
    """The (a, b) permutation parameters of ``datasketch.MinHash(num_perm, seed, scheme="affine32")``.

    Drawn as datasketch draws them for that scheme (the pinned ``HASH_SCHEME``; odd multipliers:
    ``a = 2x + 1``), without importing it; tests/test_signature.py compares them with datasketch's.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix64(h: U64) -> U64:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def _fmix32(h: U32) -> U32:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def shingle_hashes(word_hashes: U64, k: int) -> U32:
    """32-bit hash of every run of ``k`` consecutive words (one shingle for texts shorter than ``k``)."""
    n = len(word_hashes)
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    k = min(k, n)
    count = n - k + 1
    h = word_hashes[:count].copy()
    for i in range(1, k):
        h = h * _M64 + word_hashes[i : i + count]
    return (_fmix64(h) >> np.uint64(32)).astype(np.uint32)


def band_keys(signatures: U32, bands: int, rows: int, *, salt: int = DOCUMENT_SALT) -> U64:
    """LSH band keys, shape (n, bands): a 64-bit hash of each band's rows, its number and ``salt``.

    Two signatures share a key in band ``i`` exactly when their rows ``i*rows .. (i+1)*rows`` are equal
    (up to 64-bit hash collisions), which is datasketch ``MinHashLSH``'s bucket rule.
    """
    sig = np.asarray(signatures, dtype=np.uint32)
    if sig.ndim == 1:
        sig = sig[None, :]
    n = sig.shape[0]
    block = sig[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    seeds = (np.arange(bands, dtype=np.uint64) + np.uint64(1)) * _BAND_SEED ^ np.uint64(salt)
    h = np.broadcast_to(seeds, (n, bands)).copy()
    for r in range(rows):
        h = _fmix64(h ^ block[:, :, r])
    return h


#: Shingles whose permuted values are held at once: memory stays bounded (a few MB) for any text.
BLOCK_SHINGLES = 1 << 14


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Everything the detector derives from one text before comparing it with others."""

    tokens: Tokens
    #: 32-bit hash of the shingle starting at each word.
    shingles: U32
    #: False where a shingle touches a word masked as boilerplate.
    valid: npt.NDArray[np.bool_]
    #: The distinct valid shingles, sorted (for fast intersection of two texts).
    distinct: U32
    #: Whole-document MinHash signature (``num_perm`` values; all EMPTY when there is no shingle).
    signature: U32
    #: Band keys of the whole-document LSH, shape (bands,).
    document_keys: U64
    #: Distinct band keys of the window LSH (all windows, all bands), sorted.
    window_keys: U64

    @property
    def empty(self) -> bool:
        """True when the text has no usable shingle (nothing to compare)."""
        return not bool(self.valid.any())


def _run_minima(matrix: U32, starts: npt.NDArray[np.int64], width: int, stride: int) -> U32:
    """Row-wise minimum of ``matrix[s : s + width]`` for every start ``s``.

    Starts are multiples of ``stride``, except perhaps the last: minima of blocks of ``stride`` rows are
    taken once, then each window is the minimum of its ``width // stride`` blocks and its few leftover
    rows, a handful of array operations whatever the window width.
    """
    n, cols = matrix.shape
    regular = starts[starts % stride == 0]
    blocks_per = width // stride
    rest = width - blocks_per * stride
    nblocks = -(-n // stride)
    padded = np.full((nblocks * stride, cols), EMPTY, dtype=np.uint32)
    padded[:n] = matrix
    blocks = padded.reshape(nblocks, stride, cols).min(axis=1)
    first = regular // stride
    out: U32 = blocks[first].copy()
    for b in range(1, blocks_per):
        np.minimum(out, blocks[first + b], out=out)
    base = regular + blocks_per * stride
    for t in range(rest):
        np.minimum(out, padded[base + t], out=out)
    irregular = starts[starts % stride != 0]
    if len(irregular):
        extra = np.stack([matrix[s : s + width].min(axis=0) for s in irregular.tolist()])
        out = np.concatenate((out, extra))
    result: U32 = out
    return result


class Signer:
    """Computes fingerprints for one :class:`Settings` (permutations drawn once, from the seed)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.a, self.b = datasketch_permutations(settings.num_perm, settings.seed)
        self.wa, self.wb = datasketch_permutations(settings.window_num_perm, settings.seed)
        self.document_bands = document_bands(settings)
        self.window_bands = window_bands(settings)

    def permuted(self, shingles: U32, *, window: bool = False) -> U32:
        """Matrix of permuted shingle hashes, shape (shingles, num_perm or window_num_perm)."""
        mixed = _fmix32(shingles.astype(np.uint32))
        a, b = (self.wa, self.wb) if window else (self.a, self.b)
        out: U32 = mixed[:, None] * a[None, :] + b[None, :]
        return out

    def _masked(self, shingles: U32, valid: npt.NDArray[np.bool_], lo: int, hi: int, *, window: bool) -> U32:
        """Permuted values of shingles ``lo:hi``, EMPTY where a shingle is not valid."""
        matrix = self.permuted(shingles[lo:hi], window=window)
        matrix[~valid[lo:hi]] = EMPTY
        return matrix

    def document_signature(self, shingles: U32, valid: npt.NDArray[np.bool_]) -> U32:
        """Whole-document signature: the minimum over all valid shingles, computed block by block.

        The block is laid out permutation by permutation (``num_perm`` rows), so that each minimum runs
        along contiguous memory.
        """
        kept = shingles[valid] if not valid.all() else shingles
        if kernels.enabled():
            ends = np.array([0, len(kept)], dtype=np.int64)
            mixed = _fmix32(kept.astype(np.uint32))
            every = np.ones(len(kept), dtype=np.bool_)
            found: U32 = kernels.segment_minima(mixed, every, ends[:1], ends[1:], self.a, self.b)[0]
            return found
        signature = np.full(self.settings.num_perm, EMPTY, dtype=np.uint32)
        a, b = self.a[:, None], self.b[:, None]
        for lo in range(0, len(kept), BLOCK_SHINGLES):
            block = np.multiply(a, _fmix32(kept[lo : lo + BLOCK_SHINGLES].astype(np.uint32))[None, :])
            block += b
            np.minimum(signature, block.min(axis=1), out=signature)
        return signature

    def window_signatures(self, shingles: U32, valid: npt.NDArray[np.bool_]) -> U32:
        """Signature of every window that holds a valid shingle, shape (windows, window_num_perm).

        Windows are taken a block at a time, so memory stays bounded for a text of any length.
        """
        n = len(shingles)
        starts = self.window_starts(n)
        width = min(self.settings.window_shingles, n)
        if kernels.enabled():
            if not len(starts):
                return np.zeros((0, self.settings.window_num_perm), dtype=np.uint32)
            mixed = _fmix32(shingles.astype(np.uint32))
            every = kernels.segment_minima(mixed, valid, starts, starts + width, self.wa, self.wb)
            kept: U32 = every[(every != EMPTY).any(axis=1)]
            return kept
        per_block = max(1, BLOCK_SHINGLES // self.settings.window_stride)
        parts: list[U32] = []
        for w in range(0, len(starts), per_block):
            first = starts[w : w + per_block]
            lo, hi = int(first[0]), int(first[-1]) + width
            matrix = self._masked(shingles, valid, lo, hi, window=True)
            if width < hi - lo:
                part = _run_minima(matrix, first - lo, width, self.settings.window_stride)
            else:
                part = matrix.min(axis=0, keepdims=True)
            parts.append(part[(part != EMPTY).any(axis=1)])
        if not parts:
            return np.zeros((0, self.settings.window_num_perm), dtype=np.uint32)
        return np.concatenate(parts)

    def window_starts(self, n_shingles: int) -> npt.NDArray[np.int64]:
        """First shingle of every window; the last window is aligned to the end of the text."""
        width = self.settings.window_shingles
        if n_shingles <= width:
            return np.zeros(1 if n_shingles else 0, dtype=np.int64)
        starts = np.arange(0, n_shingles - width + 1, self.settings.window_stride, dtype=np.int64)
        if starts[-1] != n_shingles - width:
            starts = np.append(starts, n_shingles - width)
        return starts

    def fingerprint(
        self,
        tokens: Tokens,
        mask: npt.NDArray[np.bool_] | None = None,
        *,
        keys: bool = True,
        signature: U32 | None = None,
    ) -> Fingerprint:
        """Fingerprint a tokenised text; words where ``mask`` is True are boilerplate (not evidence).

        With ``keys=False`` the LSH band keys are left empty (verification does not need them).
        ``signature``: the whole-document signature of these tokens and mask, if already known.
        """
        s = self.settings
        shingles = shingle_hashes(tokens.hashes, s.shingle_size)
        n = len(shingles)
        k = min(s.shingle_size, len(tokens)) if len(tokens) else 0
        if mask is not None and n and mask.any():
            # a shingle is invalid when any of its words is masked
            cm = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
            valid = (cm[k : k + n] - cm[:n]) == 0
        else:
            valid = np.ones(n, dtype=np.bool_)
        db, dr = self.document_bands
        wb, wr = self.window_bands
        if not valid.any():
            empty = np.full(s.num_perm, EMPTY, dtype=np.uint32)
            return Fingerprint(
                tokens=tokens,
                shingles=shingles,
                valid=valid,
                distinct=np.zeros(0, dtype=np.uint32),
                signature=empty,
                document_keys=np.zeros(0, dtype=np.uint64),
                window_keys=np.zeros(0, dtype=np.uint64),
            )
        if signature is None:
            signature = self.document_signature(shingles, valid)
        if keys:
            windows = band_keys(self.window_signatures(shingles, valid), wb, wr, salt=WINDOW_SALT).ravel()
            document_keys = band_keys(signature, db, dr)[0]
        else:
            windows = document_keys = np.zeros(0, dtype=np.uint64)
        return Fingerprint(
            tokens=tokens,
            shingles=shingles,
            valid=valid,
            distinct=unique_sorted(shingles[valid]),
            signature=signature,
            document_keys=document_keys,
            window_keys=unique_sorted(windows),
        )

    def fingerprint_many(
        self, tokens: Sequence[Tokens], masks: Sequence[npt.NDArray[np.bool_]]
    ) -> list[Prints]:
        """What :meth:`fingerprint` computes for finding candidates, for many texts at once.

        The texts' shingles are concatenated (a few thousand at a time) and permuted as one matrix;
        signatures and window signatures are its minima over each text's columns and over each window
        (``np.minimum.reduceat``), and band keys are hashed for all texts at once. The values equal
        :meth:`fingerprint`'s, text by text (``tests/test_signature.py``).
        """
        s = self.settings
        k = s.shingle_size
        out: list[Prints | None] = [None] * len(tokens)
        regular = [i for i, t in enumerate(tokens) if k <= len(t) <= BATCH_SHINGLES]
        for i in set(range(len(tokens))) - set(regular):
            fp = self.fingerprint(tokens[i], masks[i])
            out[i] = Prints(fp.shingles, fp.valid, fp.signature, fp.document_keys, fp.window_keys)
        for group in _group([len(tokens[i]) for i in regular], BATCH_SHINGLES):
            chosen = [regular[g] for g in group]
            for i, prints in zip(
                chosen, self._prints([tokens[i] for i in chosen], [masks[i] for i in chosen]), strict=True
            ):
                out[i] = prints
        return [p for p in out if p is not None]

    def _prints(self, tokens: Sequence[Tokens], masks: Sequence[npt.NDArray[np.bool_]]) -> list[Prints]:
        """:meth:`fingerprint_many` for texts of at least ``shingle_size`` words."""
        s = self.settings
        k = s.shingle_size
        words = np.array([len(t) for t in tokens], dtype=np.int64)
        counts = words - k + 1  # shingles per text
        word_starts, starts = _segment_starts(words), _segment_starts(counts)
        # shingle p of the concatenation starts at word pos[p]; no shingle crosses two texts
        pos = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(word_starts - starts, counts)
        every = shingle_hashes(np.concatenate([t.hashes for t in tokens]), k)
        shingles = every[pos]
        cm = np.zeros(int(words.sum()) + 1, dtype=np.int64)  # masked words before each word
        np.cumsum(np.concatenate(masks), out=cm[1:])
        valid = (cm[pos + k] - cm[pos]) == 0
        n_valid = np.add.reduceat(valid, starts, dtype=np.int64) if len(starts) else np.zeros(0, np.int64)
        has = n_valid > 0
        signatures = np.full((len(tokens), s.num_perm), EMPTY, dtype=np.uint32)
        mixed = _fmix32(shingles)
        fast = kernels.enabled()
        if fast and has.any():
            text_ends = starts + counts
            signatures[has] = kernels.segment_minima(
                mixed, valid, starts[has], text_ends[has], self.a, self.b
            )
        elif has.any():
            signatures[has] = _permuted_minima(mixed[valid], _segment_starts(n_valid)[has], self.a, self.b).T
        # windows: every start of every text, as [start, end) column ranges of one permuted matrix
        width = s.window_shingles
        window_starts = [self.window_starts(int(c)) + int(o) for c, o in zip(counts, starts, strict=True)]
        n_windows = np.array([len(w) for w in window_starts], dtype=np.int64)
        first = np.concatenate(window_starts)
        last = first + np.repeat(np.minimum(width, counts), n_windows)
        if fast:
            windows = kernels.segment_minima(mixed, valid, first, last, self.wa, self.wb)
        else:
            bounds = np.empty(2 * len(first), dtype=np.int64)
            bounds[0::2] = first
            bounds[1::2] = last
            # a last value EMPTY, for the windows that end with the last shingle; invalid ones EMPTY too
            padded = np.append(mixed, np.uint32(0))
            invalid = np.append(~valid, True)
            windows = np.ascontiguousarray(
                _permuted_minima(padded, bounds, self.wa, self.wb, invalid=invalid)[:, 0::2].T
            )
        kept = (windows != EMPTY).any(axis=1)
        wb, wr = self.window_bands
        window_keys = band_keys(windows[kept], wb, wr, salt=WINDOW_SALT)
        kept_per_text = np.add.reduceat(kept, _segment_starts(n_windows), dtype=np.int64)
        key_starts = _segment_starts(kept_per_text)
        db, dr = self.document_bands
        document_keys = band_keys(signatures, db, dr)
        out = []
        for i in range(len(tokens)):
            lo, hi = int(starts[i]), int(starts[i] + counts[i])
            if not has[i]:
                out.append(Prints(shingles[lo:hi], valid[lo:hi], signatures[i],
                                  np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64)))  # fmt: skip
                continue
            klo = int(key_starts[i])
            keys = window_keys[klo : klo + int(kept_per_text[i])]
            out.append(
                Prints(shingles[lo:hi], valid[lo:hi], signatures[i], document_keys[i], unique_sorted(keys))
            )
        return out


def _permuted_minima(
    mixed: U32,
    indices: npt.NDArray[np.int64],
    a: U32,
    b: U32,
    *,
    invalid: npt.NDArray[np.bool_] | None = None,
) -> U32:
    """``np.minimum.reduceat`` of every permutation's values ``a[j] * mixed + b[j]`` over ``indices``.

    Shape (permutations, indices); values where ``invalid`` is True count as EMPTY. One permutation at
    a time: its row of values stays in the processor's cache, where the matrix of all the
    permutations' values (tens of megabytes for a chunk) did not, and costs a few times more to
    write and read back. The same values as the matrix's reduction.
    """
    out = np.empty((len(a), len(indices)), dtype=np.uint32)
    row = np.empty(len(mixed), dtype=np.uint32)
    emptied = np.flatnonzero(invalid) if invalid is not None else np.zeros(0, dtype=np.intp)
    for j in range(len(a)):
        np.multiply(mixed, a[j], out=row)
        row += b[j]
        row[emptied] = EMPTY
        np.minimum.reduceat(row, indices, out=out[j])
    return out


@dataclass(frozen=True, slots=True)
class Prints:
    """What finding candidates needs of a :class:`Fingerprint` (:meth:`Signer.fingerprint_many`)."""

    shingles: U32
    valid: npt.NDArray[np.bool_]
    signature: U32
    document_keys: U64
    window_keys: U64


#: Shingles fingerprinted together by :meth:`Signer.fingerprint_many` (the matrices stay a few MB).
BATCH_SHINGLES = 1 << 15


def _segment_starts(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Offset of each segment in the concatenation of segments of these lengths."""
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _group(sizes: list[int], limit: int) -> list[list[int]]:
    """Consecutive indices grouped so that each group's sizes add up to at most ``limit`` (or one item)."""
    groups: list[list[int]] = []
    current: list[int] = []
    total = 0
    for i, size in enumerate(sizes):
        if current and total + size > limit:
            groups.append(current)
            current, total = [], 0
        current.append(i)
        total += size
    if current:
        groups.append(current)
    return groups


A = TypeVar("A", bound=np.generic)


def unique_sorted(values: npt.NDArray[A]) -> npt.NDArray[A]:
    """Sorted distinct values (sort-based; faster than ``np.unique`` on small arrays)."""
    return unique(values)


def estimate_jaccard(a: U32, b: U32) -> float:
    """MinHash estimate of the Jaccard similarity of two signatures."""
    if len(a) == 0:
        return 0.0
    return float(np.count_nonzero(a == b)) / len(a)
