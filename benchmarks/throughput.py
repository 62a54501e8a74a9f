"""Throughput and memory of ``dedup report`` against whole-document MinHash pipelines, in one run.

Generates a corpus of N news-size articles (about 500 words) with planted reprints, containment and
shared paragraphs (``tests/newsgen.py``), writes it as JSONL, and times, on this machine:

* **dedup**: ``dedup report corpus.jsonl --format json`` run as a user runs it (a subprocess, all
  CPUs), wall time and peak resident memory of the whole process tree (sampled from /proc);
* **datasketch** as a speed-minded user runs it: the same JSONL file read in chunks of 256 lines by
  as many worker processes as dedup's, each parsing, shingling (word 3-grams) and sketching its
  chunk with ``MinHash.bulk`` (``update_batch``), the signatures inserted into and then queried
  against ``MinHashLSH`` (threshold 0.5, 128 permutations) in the parent, end to end;
* **rensa**: the same, with rensa's Rust ``RMinHash`` and ``RMinHashLSH`` (32 bands) (skipped when
  rensa is not installed: ``pip install -e '.[bench]'``);
* **datasketch, one shingle at a time**: the older row, a ``MinHash`` fed one 3-gram per
  ``update`` call in one process, timed on ``--baseline-sample`` articles (its cost per article does
  not depend on N).

The baselines only find whole-document near-duplicates; dedup also finds containment and shared
passages, with offsets. The ratios are dedup's articles/s over each baseline's, in the same run.
Every planted pair must be found by dedup.

    python -m benchmarks.throughput                 # 10,000 articles
    python -m benchmarks.throughput --n 100000
    python -m benchmarks.throughput --n 1000000 --skip-baselines
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.newsgen import generate_corpus  # noqa: E402


def _tree_rss(root: int) -> int:
    """Resident memory (bytes) of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as fh:
                ppid = 0
                mem = 0
                for line in fh:
                    if line.startswith("PPid:"):
                        ppid = int(line.split()[1])
                    elif line.startswith("VmRSS:"):
                        mem = int(line.split()[1]) * 1024
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = mem
    total = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measured(cmd: list[str], what: str) -> tuple[float, int]:
    """Run ``cmd`` from the repository; its wall time and the peak resident memory of its process tree."""
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"{what} failed with status {code}")
    return elapsed, peak


def run_dedup(corpus: Path, out: Path, workers: int | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "dedup", "report", str(corpus), "--format", "json", "-o", str(out), "-q"]
    if workers:
        cmd += ["--workers", str(workers)]
    seconds, peak = measured(cmd, "dedup report")
    return {"seconds": seconds, "peak_rss_bytes": peak}


def _shingles(text: str) -> list[str]:
    words = text.lower().split()
    return [" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))]


def run_datasketch(texts: list[str]) -> dict[str, Any]:
    """The old row: one process, one ``MinHash.update`` per shingle (timed on a sample of texts)."""
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    sketches = []
    for i, text in enumerate(texts):
        m = MinHash(num_perm=128)
        for s in _shingles(text):
            m.update(s.encode("utf-8"))
        lsh.insert(i, m)
        sketches.append(m)
    pairs = {(min(i, j), max(i, j)) for i, m in enumerate(sketches) for j in lsh.query(m) if j != i}
    return {"seconds": time.perf_counter() - start, "pairs": len(pairs)}


# -- whole-document baselines as a speed-minded user runs them: N processes, from the JSONL file --------

_LINES_PER_TASK = 256


def _line_chunks(corpus: Path) -> Iterator[list[bytes]]:
    """The JSONL file's lines, ``_LINES_PER_TASK`` at a time (read a megabyte at a time)."""
    chunk: list[bytes] = []
    with corpus.open("rb", buffering=1 << 20) as fh:
        for line in fh:
            if line.strip():
                chunk.append(line)
                if len(chunk) == _LINES_PER_TASK:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def _datasketch_task(lines: list[bytes]) -> tuple[list[str], Any]:
    """Parse, shingle and sketch a chunk with ``MinHash.bulk`` (``update_batch`` under the hood)."""
    from datasketch import LeanMinHash, MinHash

    records = [json.loads(x) for x in lines]
    sets = [[s.encode("utf-8") for s in _shingles(r["text"])] for r in records]
    sketches = MinHash.bulk(sets, num_perm=128)
    # lean copies (seed and values) travel back compactly
    return [str(r["id"]) for r in records], [LeanMinHash(m) for m in sketches]


def _rensa_task(lines: list[bytes]) -> tuple[list[str], list[Any]]:
    """Parse, shingle and sketch a chunk with rensa's ``RMinHash`` (sent back pickled)."""
    from rensa import RMinHash

    records = [json.loads(x) for x in lines]
    out = []
    for r in records:
        m = RMinHash(num_perm=128, seed=1)
        m.update(_shingles(r["text"]))
        out.append(m)
    return [str(r["id"]) for r in records], out


def run_datasketch_batch(corpus: Path, workers: int) -> dict[str, Any]:
    """Datasketch end to end: ``workers`` processes read and sketch (bulk), this one inserts and queries."""
    from datasketch import MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    sketches: list[Any] = []
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for _ids, lean in pool.imap(_datasketch_task, _line_chunks(corpus)):
            for m in lean:
                lsh.insert(len(sketches), m, check_duplication=False)
                sketches.append(m)
    pairs = {(min(i, j), max(i, j)) for i, m in enumerate(sketches) for j in lsh.query(m) if j != i}
    return {"seconds": time.perf_counter() - start, "pairs": len(pairs), "articles": len(sketches)}


def run_rensa(corpus: Path, workers: int) -> dict[str, Any] | None:
    """Rensa end to end: ``workers`` processes read and sketch, this one inserts and queries."""
    try:
        from rensa import RMinHashLSH
    except ImportError:
        return None
    start = time.perf_counter()
    lsh = RMinHashLSH(threshold=0.5, num_perm=128, num_bands=32)  # bands must divide num_perm
    sketches: list[Any] = []
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for _ids, minhashes in pool.imap(_rensa_task, _line_chunks(corpus)):
            for m in minhashes:
                lsh.insert(len(sketches), m)
                sketches.append(m)
    pairs = {(min(i, j), max(i, j)) for i, m in enumerate(sketches) for j in lsh.query(m) if j != i}
    return {"seconds": time.perf_counter() - start, "pairs": len(pairs), "articles": len(sketches)}


def machine() -> str:
    cpus = len(os.sched_getaffinity(0))
    with open("/proc/meminfo", encoding="ascii") as fh:
        mem = int(fh.readline().split()[1]) / 1024 / 1024
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpus} CPUs ({model or platform.machine()}), {mem:.0f} GiB, Python {platform.python_version()}"


def _generate(n: int, corpus: Path, sample: int) -> tuple[set[tuple[str, str, str]], list[str]]:
    """Write the corpus; return the planted pairs and the texts the baselines are timed on."""
    articles, gold = generate_corpus(n, seed=1)
    with corpus.open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps({"id": a.id, "title": a.title, "text": a.text}, ensure_ascii=False) + "\n")
    return gold, [a.text for a in articles[:sample]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="articles to generate (default 10,000)")
    parser.add_argument("--workers", type=int, default=None, help="dedup --workers (default: all CPUs)")
    parser.add_argument(
        "--baseline-sample", type=int, default=3_000, help="articles the baselines are timed on"
    )
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, default=None, help="keep the corpus and report in this folder")
    args = parser.parse_args(argv)

    tmp = tempfile.TemporaryDirectory()
    folder = args.keep or Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.jsonl"
    t0 = time.perf_counter()
    # generated in a child process, so that none of its memory stays with this one while dedup runs
    with multiprocessing.get_context("fork").Pool(1) as pool:
        gold, sample = pool.apply(_generate, (args.n, corpus, args.baseline_sample))
    generated = time.perf_counter() - t0
    megabytes = corpus.stat().st_size / 1e6
    print(f"generated {args.n:,} articles ({megabytes:,.1f} MB) in {generated:.1f} s", file=sys.stderr)

    result: dict[str, Any] = {"machine": machine(), "articles": args.n, "megabytes": megabytes}
    out = folder / "report.json"
    ours = run_dedup(corpus, out, args.workers)
    report = json.loads(out.read_text(encoding="utf-8"))
    found = {(p["a"], p["b"], p["relation"]) for p in report["pairs"]}
    missed = gold - found
    ours.update(
        {
            "articles_per_s": args.n / ours["seconds"],
            "mb_per_s": megabytes / ours["seconds"],
            "pairs": len(report["pairs"]),
            "planted": len(gold),
            "planted_found": len(gold) - len(missed),
            "other_pairs": len(found - gold),
        }
    )
    result["dedup"] = ours
    workers = args.workers or len(os.sched_getaffinity(0))
    result["workers"] = workers
    if not args.skip_baselines:
        ds = run_datasketch(sample)
        ds["articles_per_s"] = len(sample) / ds["seconds"]
        ds["sample"] = len(sample)
        result["datasketch_one_at_a_time"] = ds
        bulk = run_datasketch_batch(corpus, workers)
        bulk["articles_per_s"] = bulk["articles"] / bulk["seconds"]
        result["datasketch"] = bulk
        rs = run_rensa(corpus, workers)
        if rs is not None:
            rs["articles_per_s"] = rs["articles"] / rs["seconds"]
            result["rensa"] = rs
    tmp.cleanup()

    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"machine: {result['machine']}")
    print(f"corpus: {args.n:,} articles, {megabytes:,.1f} MB of JSONL")
    print(f"{'pipeline':<58}{'articles/s':>12}{'MB/s':>8}{'dedup x it':>12}{'peak RSS':>11}")
    mbs = megabytes / args.n
    mine = ours["articles_per_s"]

    def row(name: str, aps: float, rss: str = "") -> None:
        ratio = f"{mine / aps:.2f}x" if aps else "-"
        print(f"{name:<58}{aps:>12,.0f}{aps * mbs:>8.1f}{ratio:>12}{rss:>11}")

    row(
        f"dedup report (passages, {workers} workers)",
        mine,
        f"{ours['peak_rss_bytes'] / 2**30:.2f} GB",
    )
    if "datasketch" in result:
        row(
            f"datasketch MinHash.bulk + MinHashLSH ({workers} workers)",
            result["datasketch"]["articles_per_s"],
        )
    if "rensa" in result:
        row(f"rensa RMinHash + RMinHashLSH ({workers} workers)", result["rensa"]["articles_per_s"])
    if "datasketch_one_at_a_time" in result:
        one = result["datasketch_one_at_a_time"]
        row(f"datasketch, one shingle at a time, 1 process ({one['sample']:,})", one["articles_per_s"])
    print(
        f"dedup: {ours['seconds']:.1f} s end to end; {ours['pairs']:,} pairs; "
        f"planted pairs found {ours['planted_found']}/{ours['planted']}; other pairs {ours['other_pairs']}"
    )
    if missed:
        raise SystemExit(f"{len(missed)} planted pairs were not found, e.g. {sorted(missed)[:3]}")


if __name__ == "__main__":
    main()
