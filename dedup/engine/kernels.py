"""Compiled kernels for the permutation minima of signatures (numba, optional).

The MinHash signature of a set of shingles is, for each permutation ``(a, b)``, the minimum of
``(a * x + b) mod 2**32`` over its (mixed) shingle hashes ``x``; a window's signature is the same
over a range of shingles. numpy computes it as a matrix of every permuted value, then its minima
(:mod:`dedup.engine.signature`, the reference); the kernels here loop over the shingles once per
permutation without building the matrix. Both give the same values (``tests/test_kernels.py``).

Which one runs: ``DEDUP_KERNELS=numpy`` (the default: the reference), ``numba`` (refused with an
error when numba is not installed: ``pip install 'dedup[fast]'``), or ``auto`` (numba when it is
installed). numpy is the default because importing numba costs a process about 0.7 s, more than the
kernels save a process that fingerprints a few thousand articles (a filter's first decision would
wait for it). Compiled code is cached beside this module (``__pycache__``) after the first use.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.errors import SettingsError

__all__ = ["enabled", "segment_minima"]

U32 = npt.NDArray[np.uint32]

_EMPTY = 0xFFFFFFFF
_compiled: Any = None


def _compile() -> Any:
    import numba

    @numba.njit(cache=True, nogil=True)
    def minima(
        mixed: Any, valid: Any, lo: Any, hi: Any, a: Any, b: Any
    ) -> Any:  # pragma: no cover - compiled
        n_seg = lo.shape[0]
        n_perm = a.shape[0]
        out = np.empty((n_seg, n_perm), dtype=np.uint32)
        mask = np.uint64(_EMPTY)
        a64 = a.astype(np.uint64)
        b64 = b.astype(np.uint64)
        best = np.empty(n_perm, dtype=np.uint64)
        for s in range(n_seg):
            best[:] = mask
            for i in range(lo[s], hi[s]):
                if valid[i]:
                    x = np.uint64(mixed[i])
                    for j in range(n_perm):  # along the permutations: vectorised
                        v = (x * a64[j] + b64[j]) & mask
                        if v < best[j]:
                            best[j] = v
            for j in range(n_perm):
                out[s, j] = np.uint32(best[j])
        return out

    return minima


def enabled() -> bool:
    """True when the compiled kernels are to be used (see the module documentation)."""
    global _compiled
    mode = os.environ.get("DEDUP_KERNELS", "numpy").strip().lower() or "numpy"
    if mode == "numpy":
        return False
    if mode not in ("auto", "numba"):
        raise SettingsError(f"DEDUP_KERNELS={mode!r}: expected numpy, numba or auto")
    if _compiled is None:
        try:
            _compiled = _compile()
        except ImportError:
            if mode == "numba":
                raise SettingsError("DEDUP_KERNELS=numba, but numba is not installed") from None
            _compiled = False
    return bool(_compiled)


def segment_minima(
    mixed: U32,
    valid: npt.NDArray[np.bool_],
    lo: npt.NDArray[np.int64],
    hi: npt.NDArray[np.int64],
    a: U32,
    b: U32,
) -> U32:
    """For each segment ``lo[s]:hi[s]``, the signature of its valid shingles, shape (segments, len(a)).

    ``mixed`` holds the mixed shingle hashes; a segment without a valid shingle is all EMPTY.
    Call only when :func:`enabled`.
    """
    out: U32 = _compiled(
        np.ascontiguousarray(mixed, dtype=np.uint32),
        np.ascontiguousarray(valid, dtype=np.bool_),
        np.ascontiguousarray(lo, dtype=np.int64),
        np.ascontiguousarray(hi, dtype=np.int64),
        np.ascontiguousarray(a, dtype=np.uint32),
        np.ascontiguousarray(b, dtype=np.uint32),
    )
    return out
