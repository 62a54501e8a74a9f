"""The straightforward path: the same detection with datasketch objects, one shingle at a time.

Every article gets a ``datasketch.MinHash`` fed its shingles one by one, every window another, and
both go into ``datasketch.MinHashLSH`` indexes with the thresholds of the settings; each article then
queries them. Verification, boilerplate learning and classification are the detector's own. The batch
path must produce the identical report (``tests/test_batch.py``); the reference is also the baseline
of ``benchmarks/throughput.py``. It is slow by design: use :meth:`dedup.Verifier.report`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from dedup.batch.assemble import assemble_report
from dedup.engine.boilerplate import learn_boilerplate
from dedup.engine.origin import provenance
from dedup.engine.signature import Fingerprint
from dedup.engine.verify import Document, Verifier, name_lines
from dedup.model import Article, Pair, Report
from dedup.settings import HASH_SCHEME

__all__ = ["reference_report"]


_PERMUTATIONS: dict[tuple[int, int], object] = {}


def _minhash(num_perm: int, seed: int, shingles: Iterable[int]) -> object:
    """A datasketch MinHash fed one shingle at a time (permutations drawn once per size and seed)."""
    from datasketch import MinHash

    perms = _PERMUTATIONS.get((num_perm, seed))
    if perms is None:
        perms = MinHash(num_perm=num_perm, seed=seed, scheme=HASH_SCHEME).permutations
        _PERMUTATIONS[(num_perm, seed)] = perms
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=int, scheme=HASH_SCHEME, permutations=perms)
    for shingle in shingles:
        m.update(shingle)
    return m


def _window_minhashes(detector: Verifier, fp: Fingerprint) -> list[object]:
    s = detector.settings
    n = len(fp.shingles)
    width = min(s.window_shingles, n)
    out = []
    for start in detector.signer.window_starts(n).tolist():
        run = [
            int(v)
            for v, ok in zip(fp.shingles[start : start + width], fp.valid[start : start + width], strict=True)
            if ok
        ]
        if run:
            out.append(_minhash(s.window_num_perm, s.seed, run))
    return out


def reference_report(detector: Verifier, articles: Iterable[Article]) -> Report:
    """The report of ``detector`` over ``articles``, computed the straightforward way."""
    from datasketch import MinHashLSH

    s = detector.settings
    docs: list[Document] = [detector.document(a) for a in articles]
    signatures = [
        np.asarray(_minhash(s.num_perm, s.seed, fp.shingles[fp.valid].tolist()).hashvalues, dtype=np.uint32)  # type: ignore[attr-defined]
        for fp in (d.fingerprint for d in docs)
    ]
    learned = learn_boilerplate(
        [[(line.key, line.edge, line.last - line.first) for line in d.lines] for d in docs],
        signatures,
        min_docs=s.boilerplate_min_docs,
    )
    if learned:
        docs = [detector.document(d.article, learned) for d in docs]

    doc_lsh = MinHashLSH(threshold=s.document_threshold, num_perm=s.num_perm)
    win_lsh = MinHashLSH(threshold=s.window_threshold, num_perm=s.window_num_perm)
    doc_mh: list[object] = []
    win_mh: list[list[object]] = []
    for i, d in enumerate(docs):
        fp = d.fingerprint
        m = _minhash(s.num_perm, s.seed, fp.shingles[fp.valid].tolist()) if not fp.empty else None
        doc_mh.append(m)
        if m is not None:
            doc_lsh.insert(i, m)
        windows = _window_minhashes(detector, fp) if not fp.empty else []
        win_mh.append(windows)
        for w, wm in enumerate(windows):
            win_lsh.insert((i, w), wm)
    candidates: set[tuple[int, int]] = set()
    for i in range(len(docs)):
        if doc_mh[i] is not None:
            for j in doc_lsh.query(doc_mh[i]):
                if j != i:
                    candidates.add((min(i, j), max(i, j)))
    # window candidates: pairs sharing at least min_window_hits distinct buckets of the window LSH
    hits: Counter[tuple[int, int]] = Counter()
    for table in win_lsh.hashtables:
        for key in table.keys():  # noqa: SIM118 (a datasketch storage, not a dict)
            members = sorted({i for i, _w in table.get(key)})
            if len(members) > s.max_window_bucket:
                continue
            for n, x in enumerate(members):
                for y in members[n + 1 :]:
                    hits[(x, y)] += 1
    candidates.update(pair for pair, n in hits.items() if n >= s.min_window_hits)
    pairs: list[Pair] = []
    for x, y in sorted(candidates):
        pair = detector.pair(docs[x], docs[y])
        if pair is not None:
            pairs.append(pair)
    named = name_lines((d.article.text for d in docs), learned)
    paired = {a for p in pairs for a in (p.a, p.b)}
    known = {
        d.article.id: provenance(
            d.article.text, source=d.article.source, published=d.article.published, url=d.article.url
        )
        for d in docs
        if d.article.id in paired
    }
    return assemble_report(
        detector.settings,
        [d.article.id for d in docs],
        [d.words for d in docs],
        pairs,
        named,
        0,
        provenance=known,
    )
