"""The obvious approach, for comparison: whole-document MinHash with datasketch.

Each text is lower-cased and split into words (runs of letters, digits and underscores); its
word 3-grams go into one ``datasketch.MinHash(num_perm=128)``. A pair is flagged when the estimated
Jaccard similarity reaches a threshold, and clusters are the connected components of
``datasketch.MinHashLSH`` at a threshold. The benchmark gives the baseline every advantage: it tries
every threshold and keeps the best one for each data set and measure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
from datasketch import MinHash, MinHashLSH

__all__ = ["WholeDocumentMinHash", "best_threshold"]

_WORD = re.compile(r"\w+")


def shingles(text: str, k: int = 3) -> set[bytes]:
    """The word k-grams of a text (lower-cased), as bytes for datasketch."""
    words = _WORD.findall(text.lower())
    if len(words) < k:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + k]).encode() for i in range(len(words) - k + 1)}


class WholeDocumentMinHash:
    """One MinHash per text; estimated Jaccard of every pair; LSH clusters."""

    def __init__(self, texts: Mapping[str, str], *, num_perm: int = 128, k: int = 3) -> None:
        self.ids = list(texts)
        self.num_perm = num_perm
        self.minhashes: list[MinHash] = []
        for doc_id in self.ids:
            m = MinHash(num_perm=num_perm)
            m.update_batch(sorted(shingles(texts[doc_id], k)))
            self.minhashes.append(m)
        self.signatures: npt.NDArray[np.uint64] = np.vstack(
            [np.asarray(m.hashvalues, dtype=np.uint64) for m in self.minhashes]
        )

    def pair_estimates(self) -> dict[tuple[str, str], float]:
        """Estimated Jaccard of every pair of texts with a non-zero estimate (keys sorted)."""
        out: dict[tuple[str, str], float] = {}
        sig = self.signatures
        for i in range(len(self.ids) - 1):
            same = (sig[i + 1 :] == sig[i]).sum(axis=1)
            for j in np.flatnonzero(same).tolist():
                a, b = self.ids[i], self.ids[i + 1 + j]
                out[(a, b) if a < b else (b, a)] = float(same[j]) / self.num_perm
        return out

    def lsh_clusters(self, threshold: float) -> list[list[str]]:
        """Connected components of the pairs that share a ``MinHashLSH(threshold)`` bucket."""
        lsh = MinHashLSH(threshold=threshold, num_perm=self.num_perm)
        for doc_id, m in zip(self.ids, self.minhashes, strict=True):
            lsh.insert(doc_id, m)
        parent = {d: d for d in self.ids}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for doc_id, m in zip(self.ids, self.minhashes, strict=True):
            for other in lsh.query(m):
                parent[find(str(other))] = find(doc_id)
        groups: dict[str, list[str]] = {}
        for d in self.ids:
            groups.setdefault(find(d), []).append(d)
        return [g for g in groups.values() if len(g) > 1]


def best_threshold(candidates: Iterable[float], objective: Callable[[float], float]) -> tuple[float, float]:
    """The candidate threshold with the highest objective (the lowest such threshold on ties)."""
    best: tuple[float, float] | None = None
    for t in sorted(set(candidates)):
        value = objective(t)
        if best is None or value > best[1]:
            best = (t, value)
    if best is None:
        raise ValueError("no candidate thresholds")
    return best


def flagged(estimates: Mapping[tuple[str, str], float], threshold: float) -> list[tuple[str, str]]:
    """Pairs whose estimate reaches ``threshold``."""
    return [pair for pair, j in estimates.items() if j >= threshold]


def thresholds(estimates: Mapping[tuple[str, str], float], extra: Sequence[float] = ()) -> list[float]:
    """Every distinct estimate (each is a threshold that changes the flagged set), plus ``extra``."""
    return sorted(set(estimates.values()) | set(extra))
