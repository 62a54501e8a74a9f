"""Benchmark of the pre-ingest filter: check-and-add latency and throughput as the index grows.

For each level (100,000 and 1,000,000 stored articles of news size by default) the index is filled
with the bulk path (``Index.add_many``, generated articles streamed into it), then a **fresh
process** opens it and times its first decision (opening included), and a stream of new articles
(a tenth of them reprints of stored ones, with a new headline, a dateline and a footer) goes through
``Index.check_and_add`` one by one: per-article latency (p50, p99), articles per second, the
process's peak resident memory (and, at the end, its own and its file-backed share: mapped run
files and database pages), and the index size on disk per article.

In the same run, up to ``--baseline-max`` stored articles, the same articles go through a baseline:
datasketch ``MinHashLSH`` (threshold 0.5, 128 permutations) over whole-document MinHash of word
3-grams, in memory, query then insert. It finds reprints only (no passages, no persistence).

    python benchmarks/filter.py                      # 100k, then 1M (an hour or more on 2 cores)
    python benchmarks/filter.py --levels 1000 --queries 200 --json out.json
    python benchmarks/filter.py --sampling           # what window-key sampling loses, on labelled data
    python benchmarks/filter.py --calls DIR/bench.db 1000 calls.jsonl   # calls against a kept index
    python benchmarks/filter.py --measure COPY/bench.db calls.jsonl     # latency, in this process
    python benchmarks/filter.py --stages COPY/bench.db calls.jsonl      # where a decision's time goes

``--sampling`` runs ``dedup report`` (the library) on the seed and the evaluation sets in
``../shared/eval/`` and counts, for each pair it finds, whether the index would still make it a
candidate when one window key in N is kept (a shared document key, or a shared kept window key).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from dedup import Article, Index, IndexStats, __version__
from dedup.engine.normalize import tokenize

WORDS_PER_ARTICLE = 500


# -- synthetic news ---------------------------------------------------------------------------------


class NewsGenerator:
    """News-like articles: Zipf-distributed vocabulary, stock phrases shared across stories, paragraphs.

    Stock phrases ("said in a statement on Tuesday") make unrelated articles share a few word 3-grams,
    as real news does, so the window keys see realistic chance collisions.
    """

    def __init__(self, seed: int = 1, vocabulary: int = 40_000, phrases: int = 3_000) -> None:
        """Vocabulary and stock phrases drawn from ``seed``."""
        rng = random.Random(seed)
        syllables = [a + b for a in "bcdfghklmnprstvz" for b in "aeiou"] + ["an", "er", "in", "on", "st"]
        words: set[str] = set()
        while len(words) < vocabulary:
            words.add("".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
        self.words = sorted(words)
        rng.shuffle(self.words)
        ranks = np.arange(1, vocabulary + 1, dtype=np.float64)
        weights = 1.0 / ranks**1.07
        self.cumulative = np.cumsum(weights / weights.sum())
        self.np_rng = np.random.default_rng(seed)
        self.rng = rng
        self.phrases = [" ".join(self._words(rng.randint(3, 6))) for _ in range(phrases)]

    def _words(self, n: int) -> list[str]:
        idx = np.searchsorted(self.cumulative, self.np_rng.random(n))
        return [self.words[min(int(i), len(self.words) - 1)] for i in idx]

    def article(self, article_id: str, words: int = WORDS_PER_ARTICLE) -> Article:
        """One story of about ``words`` words (its words drawn at once, then cut into sentences)."""
        rng = self.rng
        drawn = self._words(words + 120)
        pos = 0

        def take(n: int) -> list[str]:
            nonlocal drawn, pos
            if pos + n > len(drawn):
                drawn, pos = drawn + self._words(n + 60), pos
            out = drawn[pos : pos + n]
            pos += n
            return out

        paragraphs = []
        left = words
        while left > 0:
            sentences = []
            for _ in range(rng.randint(1, 3)):
                parts = take(rng.randint(8, 24))
                if rng.random() < 0.25:
                    parts[rng.randrange(len(parts)) :] = self.phrases[
                        rng.randrange(len(self.phrases))
                    ].split()
                sentences.append(" ".join(parts).capitalize() + ".")
                left -= len(parts)
            paragraphs.append(" ".join(sentences))
        title = " ".join(take(8)).title()
        return Article(article_id, title + "\n\n" + "\n\n".join(paragraphs))

    def reprint(self, original: Article, article_id: str) -> Article:
        """``original`` as another outlet runs it: new headline, dateline, footer, a word changed."""
        body = original.text.split("\n\n", 1)[1]
        words = body.split(" ")
        words[self.rng.randrange(len(words))] = self._words(1)[0]
        headline = " ".join(self._words(9)).title()
        return Article(
            article_id,
            f"{headline}\n\nLONDON (Wire) – "
            + " ".join(words)
            + "\n\n© 2024 Wire Service. All rights reserved.",
        )


# -- measurements -----------------------------------------------------------------------------------


@dataclass
class Timing:
    """Latencies (seconds) of one run of calls."""

    seconds: list[float] = field(default_factory=list)
    wall: float = 0.0

    def summary(self) -> dict[str, float]:
        """p50/p99 in ms, articles per second."""
        ms = sorted(s * 1000 for s in self.seconds)
        return {
            "p50_ms": round(statistics.median(ms), 3),
            "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3),
            "mean_ms": round(statistics.fmean(ms), 3),
            "per_second": round(len(ms) / self.wall, 1),
        }


def timed(calls: Sequence[Article], fn: Callable[[Article], Any]) -> tuple[Timing, list[Any]]:
    """Call ``fn`` on each article, timing each call."""
    timing = Timing()
    results = []
    start = time.perf_counter()
    for article in calls:
        t = time.perf_counter()
        results.append(fn(article))
        timing.seconds.append(time.perf_counter() - t)
    timing.wall = time.perf_counter() - start
    return timing, results


class Baseline:
    """datasketch MinHashLSH over whole-document MinHash of word 3-grams (in memory)."""

    def __init__(self) -> None:
        self.lsh = MinHashLSH(threshold=0.5, num_perm=128)
        self.template = MinHash(num_perm=128, seed=1)

    def minhash(self, article: Article) -> MinHash:
        """Whole-document MinHash of the article's word 3-grams (the same words as ours)."""
        words = tokenize(article.text).words
        shingles = {" ".join(words[i : i + 3]).encode("utf-8") for i in range(max(1, len(words) - 2))}
        m = self.template.copy()
        m.clear()
        m.update_batch(list(shingles))
        return m

    def add(self, article: Article) -> None:
        """Insert without checking (preloading)."""
        self.lsh.insert(article.id, self.minhash(article), check_duplication=False)

    def check_and_add(self, article: Article) -> bool:
        """Query; insert when nothing is found; True when kept."""
        m = self.minhash(article)
        if self.lsh.query(m):
            return False
        self.lsh.insert(article.id, m, check_duplication=False)
        return True


def _generate(seed: int, start: int, count: int) -> list[Article]:
    gen = NewsGenerator(seed)
    gen.np_rng = np.random.default_rng((seed, start))
    gen.rng = random.Random(seed * 1_000_003 + start)
    return [gen.article(f"stored-{start + i:07d}") for i in range(count)]


def stored_articles(seed: int, start: int, count: int, workers: int) -> Iterator[Article]:
    """Articles to preload, generated in chunks by ``workers`` processes (overlapping the caller's work)."""
    chunk = 2_000
    jobs = [(seed, s, min(chunk, start + count - s)) for s in range(start, start + count, chunk)]
    if workers <= 0:
        for job in jobs:
            yield from _generate(*job)
        return
    with get_context("spawn").Pool(workers) as pool:
        for batch in pool.imap(_star_generate, jobs):
            yield from batch


def _star_generate(job: tuple[int, int, int]) -> list[Article]:
    return _generate(*job)


def _stream(
    seed: int, start: int, count: int, sample: list[Article], pick: random.Random, baseline: Baseline | None
) -> Iterator[Article]:
    """Generated articles to store; keeps a uniform sample of 4,000 and fills the baseline as they pass."""
    for n, article in enumerate(stored_articles(seed, start, count, workers=1), start=start + 1):
        if len(sample) < 4000:
            sample.append(article)
        elif pick.random() < 4000 / n:
            sample[pick.randrange(len(sample))] = article
        if baseline is not None:
            baseline.add(article)
        yield article


class _Progress:
    """Prints the build's progress every 50,000 articles."""

    def __init__(self, before: int) -> None:
        self.before = before
        self.started = time.perf_counter()

    def __call__(self, done: int) -> None:
        if done % 50_000 == 0:
            rate = done / (time.perf_counter() - self.started)
            print(f"  built {self.before + done:,} ({rate:,.0f} articles/s)", file=sys.stderr, flush=True)


def _memory() -> dict[str, float]:
    """Peak resident memory of this process and, now, its own (anonymous) and file-backed share, in MB."""
    out: dict[str, float] = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[name] = round(int(value.split()[0]) / 1024, 1)
    return out


def measure(path: Path, calls_file: Path) -> dict[str, Any]:
    """In a fresh process: open the index, time the first decision, then check-and-add every call."""
    calls = [Article(r["id"], r["text"]) for r in map(json.loads, calls_file.read_text("utf-8").splitlines())]
    t = time.perf_counter()
    with Index.open(path) as index:
        first = index.check(calls[0])
        first_decision = time.perf_counter() - t
        memory_first = _memory()
        ours, decisions = timed(calls[1:], index.check_and_add)
        store = index.store
        runs = len(getattr(store, "_runs", {}))
        recent = len(getattr(store, "_keys", None) or ())
    return {
        "first_decision_seconds": round(first_decision, 3),
        "first_decision_action": first.action,
        "filter": ours.summary(),
        "decisions": [[d.action, d.relation] for d in decisions],
        "memory_after_first_mb": memory_first,
        "memory_mb": _memory(),
        "runs": runs,
        "keys_in_memory": recent,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


STAGES = (
    ("documents", "prepare", "fingerprint the new article (`Documents.prepare`)"),
    ("store", "find", "id look-up"),
    ("store", "line_stats", "line tallies"),
    ("decider", "_learned", "learned lines"),
    ("decider", "_read_keys", "band-key look-up (`SQLiteStore.lookup`)"),
    ("store", "fetch", "read the candidates' records"),
    ("decider", "_may_share", "screen the candidates from their stored shingles"),
    ("documents", "stored", "rebuild the candidates that pass the screen"),
    ("verifier", "pair", "verify them (alignment, evidence)"),
    ("store", "change_token", "change token (`PRAGMA data_version`)"),
    ("decider", "reread", "commit: read again what the decision read"),
    ("store", "insert", "commit: insert"),
    ("index", "commit", "commit (all of it)"),
    ("index", "decide", "decide (all of it)"),
)


def stages(path: Path, calls_file: Path) -> dict[str, Any]:
    """Where a decision's time goes: each stage of ``check_and_add`` timed by a timer around its method.

    The first call (opening included) is not counted. Stages nest (a look-up inside a commit is
    counted in both); a method this version lacks is left out. Mean ms per decision.
    """
    calls = [Article(r["id"], r["text"]) for r in map(json.loads, calls_file.read_text("utf-8").splitlines())]
    spent: dict[str, float] = {}
    with Index.open(path) as index:
        index.check(calls[0])
        owners = {
            "documents": index.documents,
            "store": index.store,
            "decider": index.decider,
            "verifier": index.documents.verifier,
            "index": index,
        }
        for owner, name, label in STAGES:
            obj = owners[owner]
            fn = getattr(obj, name, None)
            if fn is None:
                continue

            def timed_stage(*a: Any, _fn: Any = fn, _label: str = label, **k: Any) -> Any:
                t = time.perf_counter()
                try:
                    return _fn(*a, **k)
                finally:
                    spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - t

            setattr(obj, name, timed_stage)
        timing, _ = timed(calls[1:], index.check_and_add)
        checkpointer = getattr(index.store, "checkpointer", None)
    n = len(calls) - 1
    return {
        "decision": timing.summary(),
        "stages_ms": {label: round(1000 * spent[label] / n, 3) for _, _, label in STAGES if label in spent},
        "checkpoints": None
        if checkpointer is None
        else {"thread": checkpointer.in_thread, "committing connection": checkpointer.inline},
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def timed_calls(path: Path, count: int, gen: NewsGenerator, warm: str, tag: str) -> list[Article]:
    """Calls against the index at ``path``: ``warm`` first (it opens the index), then ``count`` more.

    New stories, every tenth a reprint of one of the index's generated (``stored-``) articles.
    """
    with Index.open(path) as index:
        real = [i for i in index.ids() if i.startswith("stored-")]
        picks = [real[gen.rng.randrange(len(real))] for _ in range(count // 10 + 1)]
        sample = [found.article for p in picks if (found := index.get(p)) is not None]
    calls = [gen.article(warm)]
    for i in range(count):
        if i % 10 == 9:
            calls.append(gen.reprint(sample[i // 10], f"reprint-{tag}-{i:07d}"))
        else:
            calls.append(gen.article(f"new-{tag}-{i:07d}"))
    return calls


def make_calls(path: Path, count: int, out: Path, seed: int) -> None:
    """Write ``count`` calls for ``--measure`` and ``--stages`` against the index at ``path``.

    New stories, a tenth reprints of its generated articles, and a first one (which opens the index).
    """
    calls = timed_calls(path, count, NewsGenerator(seed + 11), f"warm-c{seed}", f"c{seed}")
    out.write_text("".join(json.dumps({"id": a.id, "text": a.text}) + "\n" for a in calls), "utf-8")


def measure_in_child(
    path: Path, calls: Sequence[Article], calls_file: Path
) -> tuple[dict[str, Any], list[Any], IndexStats]:
    """Time ``calls`` against the index at ``path`` in a fresh process (:func:`measure`).

    The calls go through ``calls_file``; returns the child's figures, its decisions (action, relation)
    and the index's statistics once its write-ahead log is checkpointed.
    """
    calls_file.write_text("".join(json.dumps({"id": a.id, "text": a.text}) + "\n" for a in calls), "utf-8")
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", str(path), str(calls_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    got: dict[str, Any] = json.loads(proc.stdout)
    decisions: list[Any] = got.pop("decisions")
    with Index.open(path) as index:
        index.store.checkpoint()  # type: ignore[attr-defined]
        stats = index.stats()
    return got, decisions, stats


def run(
    levels: Sequence[int],
    queries: int,
    seed: int,
    workdir: Path,
    *,
    baseline_max: int = 100_000,
    workers: int = 2,
) -> dict[str, Any]:
    """Fill the index level by level; at each, a fresh process times check-and-add of ``queries`` articles.

    The build streams generated articles into ``Index.add_many`` (a generator process overlapping it,
    ``workers`` processes fingerprinting);
    a sample of them is kept for reprints. The baseline is filled from the same stream up to
    ``baseline_max`` stored articles (above, its in-memory tables would not fit beside the build).
    """
    path = workdir / "bench.db"
    gen = NewsGenerator(seed + 1)
    out: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "dedup_version": __version__,
        "words_per_article": WORDS_PER_ARTICLE,
        "queries_per_level": queries,
        "levels": [],
    }
    baseline: Baseline | None = Baseline()
    stored = 0
    generated = 0
    query_no = 0
    sample: list[Article] = []
    pick = random.Random(seed)
    for level in levels:
        grow = level - stored
        if baseline is not None and level > baseline_max:
            baseline = None  # frees its tables
        t = time.perf_counter()
        with Index.open(path, create=True) as index:
            if grow > 0:
                articles = _stream(seed, generated, grow, sample, pick, baseline)
                index.add_many(articles, batch=10_000, workers=workers, progress=_Progress(stored))
            build = time.perf_counter() - t
            t = time.perf_counter()
            index.store.wait()  # type: ignore[attr-defined]
            compaction_wait = time.perf_counter() - t
        generated += max(grow, 0)
        stored = max(stored, level)
        # the stream: new stories, and a tenth reprints of stored ones
        calls = [gen.article(f"warm-{level}")]
        for i in range(queries):
            query_no += 1
            if i % 10 == 9:
                calls.append(gen.reprint(sample[gen.rng.randrange(len(sample))], f"reprint-{query_no:07d}"))
            else:
                calls.append(gen.article(f"new-{query_no:07d}"))
        got, decisions, stats = measure_in_child(path, calls, workdir / "calls.jsonl")
        stored += sum(1 for a, _ in decisions if a == "keep")
        reprints = [c.id.startswith("reprint-") for c in calls[1:]]
        f_sum = got["filter"]
        row: dict[str, Any] = {
            "stored": level,
            "build_seconds": round(build, 1),
            "build_per_second": round(grow / build, 1) if grow > 0 else None,
            "compaction_wait_seconds": round(compaction_wait, 1),
            **{k: v for k, v in got.items() if k != "filter"},
            "filter": f_sum,
            "reprints": sum(reprints),
            "rejected": sum(1 for a, _ in decisions if a == "reject"),
            "rejected_reprints": sum(
                1 for r, (a, _) in zip(reprints, decisions, strict=True) if r and a == "reject"
            ),
            "bytes_per_article": round(stats.bytes_per_article),
            "keys_per_article": round(stats.keys / max(stats.articles, 1), 1),
        }
        if baseline is not None:
            theirs, answers = timed(calls[1:], baseline.check_and_add)
            b_sum = theirs.summary()
            row["baseline"] = b_sum
            row["baseline_rejected_reprints"] = sum(
                1 for r, a in zip(reprints, answers, strict=True) if r and not a
            )
            row["ratio"] = {
                "p50": round(f_sum["p50_ms"] / b_sum["p50_ms"], 2),
                "p99": round(f_sum["p99_ms"] / b_sum["p99_ms"], 2),
                "throughput": round(f_sum["per_second"] / b_sum["per_second"], 2),
            }
        out["levels"].append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return out


def replicate(path: Path, target: int, *, batch: int = 10_000) -> dict[str, Any]:
    """Grow the index at ``path`` to ``target`` articles with copies of its generated articles.

    Each copy is the stored row of a generated article (``stored-*``: text, signature, shingles)
    under a new id, with its band keys remapped by a bijection of its own per round of copies
    (``(key ^ salt) * odd``, modulo 2**64): the file and the key runs then have the size and the key
    counts of ``target`` articles, but a copy is never a candidate of a new article (its keys are not
    those of any text), so the verification work per decision stays that of the real ones. The line
    statistics are not updated for copies. Far faster than fingerprinting (a build on 2 shared cores
    runs at about 100-1,000 articles/s).
    """
    import sqlite3

    db = sqlite3.connect(path, isolation_level=None, timeout=60)
    db.execute("PRAGMA synchronous = NORMAL")
    originals = [
        int(r[0]) for r in db.execute("SELECT doc FROM articles WHERE id LIKE 'stored-%' ORDER BY doc")
    ]
    (count,) = db.execute("SELECT count(*) FROM articles").fetchone()
    t = time.perf_counter()
    rounds = 0
    rng = np.random.default_rng(12345)
    while count < target:
        rounds += 1
        salt = np.uint64(int(rng.integers(0, 2**63)) * 2 + 1)
        odd = np.uint64(int(rng.integers(0, 2**62)) * 2 + 1)
        for start in range(0, len(originals), batch):
            if count >= target:
                break
            docs = originals[start : start + min(batch, target - count)]
            db.execute("BEGIN IMMEDIATE")
            rows = db.execute(
                "SELECT doc, keys FROM band_keys WHERE doc IN (SELECT value FROM json_each(?)) ORDER BY doc",
                (json.dumps(docs),),
            ).fetchall()
            n_keys = 0
            for doc, blob in rows:
                cur = db.execute(
                    "INSERT INTO articles (id, text, metadata, published, added, signature, masked, "
                    "shingles, valid) "
                    "SELECT ? || id, text, metadata, published, added, signature, masked, shingles, valid "
                    "FROM articles WHERE doc = ?",
                    (f"copy{rounds}-{count}-", doc),
                )
                keys = np.frombuffer(bytes(blob), dtype="<i8").view(np.uint64)
                with np.errstate(over="ignore"):
                    mapped = np.unique(((keys ^ salt) * odd).view(np.int64))
                db.execute(
                    "INSERT INTO band_keys (doc, keys) VALUES (?, ?)",
                    (cur.lastrowid, mapped.astype("<i8").tobytes()),
                )
                n_keys += len(mapped)
            db.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'count_keys'", (n_keys,)
            )
            db.execute("COMMIT")
            count += len(rows)
            if count % 100_000 < batch:
                print(f"  copied up to {count:,} articles", file=sys.stderr, flush=True)
    copied = time.perf_counter() - t
    db.close()
    t = time.perf_counter()
    with Index.open(path) as index:
        index.store.compact()  # type: ignore[attr-defined]
    return {"copy_seconds": round(copied, 1), "compact_seconds": round(time.perf_counter() - t, 1)}


def grow_and_measure(path: Path, level: int, queries: int, seed: int) -> dict[str, Any]:
    """Replicate the index at ``path`` to ``level`` articles, then measure it as :func:`run` does."""
    grown = replicate(path, level)
    calls = timed_calls(path, queries, NewsGenerator(seed + 7), f"warm-{level}-s{seed}", f"g{level}-s{seed}")
    got, decisions, stats = measure_in_child(path, calls, path.with_name("calls.jsonl"))
    reprints = [c.id.startswith("reprint-") for c in calls[1:]]
    row: dict[str, Any] = {
        "stored": level,
        "replicated": True,
        **grown,
        **got,
        "build_per_second": None,
        "reprints": sum(reprints),
        "rejected": sum(1 for a, _ in decisions if a == "reject"),
        "rejected_reprints": sum(
            1 for r, (a, _) in zip(reprints, decisions, strict=True) if r and a == "reject"
        ),
        "bytes_per_article": round(stats.bytes_per_article),
        "keys_per_article": round(stats.keys / max(stats.articles, 1), 1),
    }
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


SAMPLING_SETS = (
    ("seed", "seed/articles.jsonl", None),
    ("clough", "eval/clough/corpus.jsonl", None),
    ("pan13 (first 250 documents)", "eval/pan13-no-obfuscation/corpus.jsonl", 250),
)


def sampling(shared: Path, samples: Sequence[int] = (1, 2, 4, 8, 16)) -> list[dict[str, Any]]:
    """Pairs found by a report that window-key sampling would no longer make candidates, per relation."""
    from dedup import Detector

    detector = Detector()
    rows = []
    for name, rel, limit in SAMPLING_SETS:
        path = shared / rel
        if not path.exists():
            print(f"skipping {name}: {path} not found", file=sys.stderr)
            continue
        articles = []
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh):
                if limit is not None and n >= limit:
                    break
                rec = json.loads(line)
                articles.append(Article(str(rec["id"]), rec["text"]))
        report = detector.report(articles)
        docs = {a.id: detector.verifier.document(a) for a in articles}
        for sample in samples:
            limit_key = np.uint64(((1 << 64) // sample) - 1)
            lost: dict[str, int] = {}
            for pair in report.pairs:
                fa, fb = docs[pair.a].fingerprint, docs[pair.b].fingerprint
                shared_doc = np.intersect1d(fa.document_keys, fb.document_keys)
                shared_win = np.intersect1d(fa.window_keys, fb.window_keys)
                if not len(shared_doc) and not (shared_win <= limit_key).any():
                    lost[pair.relation] = lost.get(pair.relation, 0) + 1
            total: dict[str, int] = {}
            for pair in report.pairs:
                total[pair.relation] = total.get(pair.relation, 0) + 1
            rows.append({"data": name, "window_sample": sample, "pairs": total, "lost": lost})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def sampling_table(rows: list[dict[str, Any]]) -> str:
    """The sampling losses as a Markdown table."""
    lines = [
        "| data | window_sample | pairs (nd / cont / overlap) | lost near-duplicate | lost containment "
        "| lost overlap |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        p, lost = r["pairs"], r["lost"]
        counts = " / ".join(str(p.get(k, 0)) for k in ("near-duplicate", "containment", "overlap"))
        lines.append(
            f"| {r['data']} | {r['window_sample']} | {counts} | {lost.get('near-duplicate', 0)} "
            f"| {lost.get('containment', 0)} | {lost.get('overlap', 0)} |"
        )
    return "\n".join(lines)


def table(result: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| stored | first decision s | p50 ms | p99 ms | articles/s | peak resident MB (own / files at end) "
        "| runs | baseline p50 / p99 ms | baseline articles/s | reprints rejected (baseline) | bytes/article "
        "| build articles/s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["levels"]:
        f, m = r["filter"], r["memory_mb"]
        b = r.get("baseline")
        base = f"{b['p50_ms']:.2f} / {b['p99_ms']:.2f}" if b else "not run"
        base_rate = f"{b['per_second']:.0f}" if b else "not run"
        base_rej = f" ({r['baseline_rejected_reprints']}/{r['reprints']})" if b else ""
        lines.append(
            f"| {r['stored']:,} | {r['first_decision_seconds']:.2f} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} "
            f"| {f['per_second']:.0f} | {m['VmHWM']:,.0f} "
            f"({m.get('RssAnon', 0):,.0f} / {m.get('RssFile', 0):,.0f}) "
            f"| {r['runs']} | {base} | {base_rate} | {r['rejected_reprints']}/{r['reprints']}{base_rej} "
            f"| {r['bytes_per_article']:,} | {r['build_per_second'] or 0:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--baseline-max", type=int, default=100_000, help="run the in-memory baseline up to this many stored"
    )
    parser.add_argument("--keep", type=Path, default=None, help="build the index in this folder and keep it")
    parser.add_argument("--workers", type=int, default=2, help="processes fingerprinting the build")
    parser.add_argument(
        "--grow",
        nargs=2,
        metavar=("INDEX", "LEVEL"),
        default=None,
        help="grow an index built by this benchmark to LEVEL articles with remapped copies, then measure it",
    )
    parser.add_argument("--measure", nargs=2, type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--calls",
        nargs=3,
        metavar=("INDEX", "N", "OUT"),
        default=None,
        help="write N calls (a tenth reprints of INDEX's articles) as JSONL for --measure and --stages",
    )
    parser.add_argument(
        "--stages",
        nargs=2,
        type=Path,
        metavar=("INDEX", "CALLS"),
        default=None,
        help="time each stage of check-and-add for the CALLS (JSONL) against INDEX (a copy: it is written)",
    )
    parser.add_argument("--queries", type=int, default=1_000, help="check-and-add calls timed per level")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="where the index is built (a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    parser.add_argument("--sampling", action="store_true", help="measure what window-key sampling loses")
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared"
    )
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    if args.calls:
        make_calls(Path(args.calls[0]), int(args.calls[1]), Path(args.calls[2]), args.seed)
        return
    if args.stages:
        print(json.dumps(stages(*args.stages)))
        return
    if args.grow:
        row = grow_and_measure(Path(args.grow[0]), int(args.grow[1]), args.queries, args.seed)
        print(table({"levels": [row]}))
        if args.json:
            args.json.write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
        return
    if args.sampling:
        rows = sampling(args.shared)
        print(sampling_table(rows))
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
        return
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run(
            sorted(args.levels),
            args.queries,
            args.seed,
            args.keep,
            baseline_max=args.baseline_max,
            workers=args.workers,
        )
        print(table(result))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        result = run(
            sorted(args.levels),
            args.queries,
            args.seed,
            Path(tmp),
            baseline_max=args.baseline_max,
            workers=args.workers,
        )
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
