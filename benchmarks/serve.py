"""Many ingest workers on one Redis index, and the HTTP service, against a datasketch baseline.

Starts a private ``redis-server`` on a free loopback port, loads ``--preload`` news-size articles
into a dedup index (``Index.add_many``) and into a datasketch ``MinHashLSH`` with Redis storage
(whole-document MinHash, 128 permutations, threshold 0.5), then, for 1, 2 and 4 worker processes,
feeds each ``--articles`` new articles (one in four a reprint of a stored or earlier article, so
both approaches have duplicates to reject), all workers starting together:

* *dedup*: ``Index.check_and_add`` per article (atomic; passages verified);
* *baseline*: datasketch ``query`` then ``insert`` when nothing matched (not atomic: two workers
  can both insert copies; the cheapest thing that could work).

Per configuration it prints articles/s (all workers together, first start to last finish) and the
per-article latency p50/p99, and dedup's throughput as a ratio to the baseline's. As a control
for the machine itself (shared, and busy), it also times a counting loop in as many processes:
how much more CPU the machine gives that many processes than one, at that moment. Then it starts
``dedup serve`` (1 and 2 server processes) on the same index and times ``POST /articles`` from
``--clients`` client processes: requests/s and p50/p99. Memory: Redis ``used_memory`` per stored
article, for both. Each configuration starts from its own copy of the preloaded indexes (both
approaches'), so that all are measured on the same stored articles, and the copy of dedup's index
gets an integrity check at its end. Usage (from the repository root)::

    python -m benchmarks.serve [--preload 2000] [--articles 300] [--clients 4] [--json FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import redis
from datasketch import MinHash, MinHashLSH

from benchmarks.baseline import shingles
from dedup import Article, Index
from tests.newsgen import stories
from tests.redis_server import free_port, start_redis

WORDS = 450  # a news story's length
WARMUP = 100  # articles each dedup worker checks before the timing
RECONNECT_EVERY = 25  # requests an HTTP client sends on one connection


def corpus(n: int, *, seed: int, prefix: str, pool: list[Article]) -> list[Article]:
    """``n`` articles: three in four new stories, one in four a reprint of a pool or earlier article."""
    rng = random.Random(seed)
    fresh = stories(n, seed=seed, prefix=prefix, words=WORDS)
    out: list[Article] = []
    for n_, article in enumerate(fresh):
        if n_ % 4 == 3:
            source = rng.choice(pool + out[-50:] or fresh[:1])
            body = source.text.split("\n", 1)[1]
            out.append(
                Article(f"{prefix}-reprint-{n_:04d}", "Updated: reprinted story\n" + body + "\n\n(c) Wire")
            )
        else:
            out.append(article)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- workers ------------------------------------------------------------------------------------------


def dedup_worker(url: str, articles: list[Article], barrier: Barrier, out: Any) -> None:
    with Index.open(url) as index:
        # a long-running worker has the stored articles it often compares with already tokenised
        # (Index keeps the last 2,048): warm up on articles like those to come, adding nothing
        for article in corpus(WARMUP, seed=999, prefix="warmup", pool=[]):
            index.check(article)
        barrier.wait()
        start, cpu = time.perf_counter(), time.process_time()
        latencies, kept = [], 0
        for article in articles:
            t0 = time.perf_counter()
            kept += index.check_and_add(article).action == "keep"
            latencies.append(time.perf_counter() - t0)
        lock = getattr(index.store, "lock_stats", {})
        out.put((start, time.perf_counter(), latencies, kept, lock.get("held", 0.0), lock.get("waited", 0.0),
                 time.process_time() - cpu, lock.get("conflicts", 0.0)))  # fmt: skip


def minhash(text: str) -> MinHash:
    m = MinHash(num_perm=128)
    m.update_batch(sorted(shingles(text)))
    return m


def baseline_lsh(port: int, basename: bytes) -> MinHashLSH:
    return MinHashLSH(
        threshold=0.5,
        num_perm=128,
        storage_config={
            "type": "redis",
            "basename": basename,
            "redis": {"host": "127.0.0.1", "port": port},
        },
    )


def baseline_worker(where: tuple[int, bytes], articles: list[Article], barrier: Barrier, out: Any) -> None:
    lsh = baseline_lsh(*where)
    lsh.query(minhash(articles[0].text))
    barrier.wait()
    start, cpu = time.perf_counter(), time.process_time()
    latencies, kept = [], 0
    for article in articles:
        t0 = time.perf_counter()
        m = minhash(article.text)
        if not lsh.query(m):
            lsh.insert(article.id, m, check_duplication=False)
            kept += 1
        latencies.append(time.perf_counter() - t0)
    out.put((start, time.perf_counter(), latencies, kept, 0.0, 0.0, time.process_time() - cpu))


def spin(seconds: float, barrier: Barrier, out: Any) -> None:
    """Pure CPU work (a counting loop) for ``seconds``: how much the machine gives each process."""
    barrier.wait()
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        for _ in range(10_000):
            count += 1
    out.put(count)


def cpu_scaling(workers: int, seconds: float = 3.0) -> float:
    """Counting-loop work done by ``workers`` processes together, for the machine's ceiling."""
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=spin, args=(seconds, barrier, queue)) for _ in range(workers)]
    for p in procs:
        p.start()
    total = sum(queue.get(timeout=600) for _ in procs)
    for p in procs:
        p.join()
    return float(total)


def _pattern(prefix: bytes) -> bytes:
    """A SCAN pattern matching the keys that start with ``prefix``."""
    return b"".join(b"\\" + bytes([c]) if c in b"*?[]\\" else bytes([c]) for c in prefix) + b"*"


def copy_keys(client: redis.Redis, source: bytes, target: bytes) -> int:
    """Copy every key starting with ``source`` to the same name starting with ``target``.

    Every configuration starts from its own copy of the preloaded index, so that they are compared
    on the same stored articles (Redis's hash tables also double as they fill, and a hash being
    rehashed costs more per write for a while: an index that kept growing from one configuration
    to the next would make the later ones pay for that).
    """
    n = 0
    pipe = client.pipeline(transaction=False)
    for key in client.scan_iter(match=_pattern(source), count=1000):
        pipe.copy(key, target + key[len(source) :], replace=True)
        n += 1
        if n % 1000 == 0:
            pipe.execute()
    pipe.execute()
    return n


def drop_keys(client: redis.Redis, prefix: bytes) -> None:
    """Delete every key starting with ``prefix``."""
    keys = list(client.scan_iter(match=_pattern(prefix), count=1000))
    for start in range(0, len(keys), 1000):
        client.unlink(*keys[start : start + 1000])


def check_copy(client: redis.Redis, port: int, prefix: str) -> list[str]:
    """The integrity check of a configuration's index, which is then deleted."""
    with Index.open(f"redis://127.0.0.1:{port}/0?prefix={prefix}") as index:
        problems = index.integrity_check()
    drop_keys(client, f"{{{prefix}}}:".encode())
    return problems


def redis_cpu(port: int) -> float:
    info = redis.Redis(port=port).info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def run_workers(
    target: Any, first: Any, articles: list[Article], workers: int, redis_port: int | list[int]
) -> dict[str, float]:
    """Run ``workers`` processes of ``target(first, share, ...)`` (``first`` may be a list: one each)."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(workers)
    queue = ctx.Queue()
    shares = [articles[i::workers] for i in range(workers)]
    firsts = first if isinstance(first, list) else [first] * workers
    procs = [
        ctx.Process(target=target, args=(f, share, barrier, queue))
        for f, share in zip(firsts, shares, strict=True)
    ]
    for p in procs:
        p.start()
    ports = redis_port if isinstance(redis_port, list) else [redis_port]
    before = sum(redis_cpu(p) for p in ports)
    results = [queue.get(timeout=3600) for _ in procs]
    redis_seconds = sum(redis_cpu(p) for p in ports) - before
    for p in procs:
        p.join()
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    latencies = [x for r in results for x in r[2]]
    return {
        "load_average": os.getloadavg()[0],
        # the share of the run during which some worker held the write lock (1.0 = always)
        "lock_held": sum(r[4] for r in results) / (end - start),
        "lock_waited_per_article_ms": sum(r[5] for r in results) / len(articles) * 1000,
        # kept articles whose lock-free commit found the evidence changed (decided again, locked)
        "conflicts": sum(r[7] for r in results if len(r) > 7),
        # CPU per article: the worker processes' (or HTTP clients') and redis-server's
        "cpu_ms_per_article": sum(r[6] for r in results) / len(articles) * 1000,
        "redis_cpu_ms_per_article": redis_seconds / len(articles) * 1000,
        "workers": workers,
        "articles": len(articles),
        "kept": sum(r[3] for r in results),
        "seconds": end - start,
        "per_second": len(articles) / (end - start),
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


# -- the service --------------------------------------------------------------------------------------


def http_client(port: int, articles: list[Article], barrier: Barrier, out: Any) -> None:
    barrier.wait()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start, cpu = time.perf_counter(), time.process_time()
    latencies, kept = [], 0
    for n, article in enumerate(articles):
        if n and n % RECONNECT_EVERY == 0:
            # a new connection now and then, as a load balancer's pool does: which server process
            # accepts a connection is up to the kernel, so a few long-lived ones can fall unevenly
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        body = json.dumps({"id": article.id, "text": article.text})
        t0 = time.perf_counter()
        conn.request("POST", "/articles", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        decision = json.loads(response.read())
        latencies.append(time.perf_counter() - t0)
        assert response.status == 200, decision
        kept += decision["action"] == "keep"
    conn.close()
    out.put((start, time.perf_counter(), latencies, kept, 0.0, 0.0, time.process_time() - cpu))


def run_service(
    url: str, articles: list[Article], servers: int, clients: int, redis_port: int
) -> dict[str, float]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", "serve", "--index", url, "--port", str(port),
         "--workers", str(servers), "--log-level", "warning"],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                time.sleep(0.2)
            if time.monotonic() > deadline:
                raise RuntimeError("dedup serve did not start")
        warmup = corpus(WARMUP, seed=999, prefix="warmup", pool=[])
        for start in range(0, len(warmup), 10):  # on new connections, so that every server process gets some
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            body = json.dumps([{"id": a.id, "text": a.text} for a in warmup[start : start + 10]])
            conn.request("POST", "/check/batch", body=body, headers={"Content-Type": "application/json"})
            conn.getresponse().read()
            conn.close()
        result = run_workers(http_client, port, articles, clients, redis_port)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    result["servers"] = servers
    result["clients"] = result.pop("workers")
    return result


# -- the run ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preload", type=int, default=2000, help="articles stored before timing")
    parser.add_argument("--articles", type=int, default=300, help="articles fed per configuration")
    parser.add_argument("--workers", default="1,2,4", help="worker processes to try")
    parser.add_argument("--servers", default="1,2", help="dedup serve processes to try")
    parser.add_argument("--clients", type=int, default=4, help="HTTP client processes")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="dedup-bench-"))
    server, port = start_redis(folder)
    results: dict[str, Any] = {"preload": args.preload, "articles": args.articles, "words": WORDS}
    try:
        client = redis.Redis(port=port)
        # the preloaded indexes, copied for each configuration (see copy_keys)
        url = f"redis://127.0.0.1:{port}/0?prefix=stored"
        pool = stories(args.preload, seed=1, prefix="stored", words=WORDS)
        used = int(client.info("memory")["used_memory"])
        with Index.open(url, create=True) as index:
            t0 = time.perf_counter()
            index.add_many(pool)
            load = time.perf_counter() - t0
        dedup_bytes = int(client.info("memory")["used_memory"]) - used
        used = int(client.info("memory")["used_memory"])
        lsh = baseline_lsh(port, b"stored-lsh")
        with lsh.insertion_session() as session:
            for article in pool:
                session.insert(article.id, minhash(article.text), check_duplication=False)
        baseline_bytes = int(client.info("memory")["used_memory"]) - used
        results["memory_per_article"] = {
            "dedup": dedup_bytes / len(pool),
            "baseline": baseline_bytes / len(pool),
        }
        results["preload_per_second"] = len(pool) / load
        print(f"preloaded {len(pool):,} articles of {WORDS} words ({len(pool) / load:,.0f}/s add_many); "
              f"Redis memory per article: dedup {dedup_bytes / len(pool) / 1024:,.1f} KiB, "
              f"baseline {baseline_bytes / len(pool) / 1024:,.1f} KiB")  # fmt: skip

        print(f"\ncheck-and-add, {args.articles} articles per run (one in four a reprint)")
        print(f"{'workers':>7} {'dedup/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'lock':>5} {'cpu ms':>7} "
              f"{'base/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>7} {'ratio':>6} {'scale':>6} "
              f"{'b.scale':>7} {'loop':>6} {'load':>5} {'retry':>5}")  # fmt: skip
        runs = []
        problems: list[str] = []  # the integrity check of every configuration's index
        for n, workers in enumerate(int(w) for w in args.workers.split(",")):
            batch = corpus(args.articles, seed=100 + n, prefix=f"run{n}", pool=pool)
            copy_keys(client, b"{stored}:", f"{{run{n}}}:".encode())
            copy_keys(client, b"stored-lsh", f"run{n}-lsh".encode())
            copy = f"redis://127.0.0.1:{port}/0?prefix=run{n}"
            ours = run_workers(dedup_worker, copy, batch, workers, port)
            theirs = run_workers(baseline_worker, (port, f"run{n}-lsh".encode()), batch, workers, port)
            problems += check_copy(client, port, f"run{n}")
            drop_keys(client, f"run{n}-lsh".encode())
            # the machine's own ceiling right now: a counting loop in as many processes
            ours["cpu_loop"] = cpu_scaling(workers)
            runs.append({"dedup": ours, "baseline": theirs})
            scale = ours["per_second"] / runs[0]["dedup"]["per_second"]
            their_scale = theirs["per_second"] / runs[0]["baseline"]["per_second"]
            loop_scale = ours["cpu_loop"] / runs[0]["dedup"]["cpu_loop"]
            cpu = ours["cpu_ms_per_article"] + ours["redis_cpu_ms_per_article"]
            their_cpu = theirs["cpu_ms_per_article"] + theirs["redis_cpu_ms_per_article"]
            ratio = ours["per_second"] / theirs["per_second"]
            cells = [
                f"{workers:>7}", f"{ours['per_second']:>8.1f}", f"{ours['p50_ms']:>7.1f}",
                f"{ours['p99_ms']:>7.1f}", f"{ours['lock_held']:>5.2f}", f"{cpu:>7.1f}",
                f"{theirs['per_second']:>8.1f}", f"{theirs['p50_ms']:>7.1f}", f"{theirs['p99_ms']:>7.1f}",
                f"{their_cpu:>7.1f}", f"{ratio:>6.2f}", f"{scale:>6.2f}", f"{their_scale:>7.2f}",
                f"{loop_scale:>6.2f}", f"{ours['load_average']:>5.1f}",
                f"{ours['conflicts'] / max(ours['kept'], 1):>5.2f}",
            ]  # fmt: skip
            print(" ".join(cells))
        results["workers"] = runs

        # control: two workers that share nothing, each with a redis-server of its own, against one
        # worker alone; three fresh indexes holding the same stored articles, and batches of the same
        # kind, each reprinting only the stored articles and its own (so that each does the same work)
        extra: list[tuple[subprocess.Popen[bytes], int]] = []
        try:
            for name in ("second", "third"):
                (folder / name).mkdir()
                extra.append(start_redis(folder / name))
            (_, p2), (_, p3) = extra
            urls = [
                f"redis://127.0.0.1:{p}/0?prefix={name}" for p, name in ((p2, "alone"), (p2, "a"), (p3, "b"))
            ]
            for fresh in urls:
                with Index.open(fresh, create=True) as index:
                    index.add_many(pool)
            first = corpus(args.articles // 2, seed=300, prefix="control-a", pool=pool)
            other = corpus(args.articles // 2, seed=301, prefix="control-b", pool=pool)
            both = [a for pair in zip(first, other, strict=True) for a in pair]  # worker n gets batch n
            alone = run_workers(dedup_worker, [urls[0]], first, 1, p2)
            apart = run_workers(dedup_worker, urls[1:], both, 2, [p2, p3])
        finally:
            for proc, _ in extra:
                proc.terminate()
                proc.wait()
        results["control"] = {"one": alone, "two_servers": apart}
        print(f"control: two dedup workers, each with its own redis-server: {apart['per_second']:.1f}/s, "
              f"{apart['per_second'] / alone['per_second']:.2f}x one worker alone "
              f"({alone['per_second']:.1f}/s) in the same run")  # fmt: skip

        print(f"\nPOST /articles through dedup serve, {args.clients} client processes")
        print(f"{'servers':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
        service = []
        for n, servers in enumerate(int(s) for s in args.servers.split(",")):
            batch = corpus(args.articles, seed=200 + n, prefix=f"http{n}", pool=pool)
            copy_keys(client, b"{stored}:", f"{{http{n}}}:".encode())
            copy = f"redis://127.0.0.1:{port}/0?prefix=http{n}"
            got = run_service(copy, batch, servers, args.clients, port)
            problems += check_copy(client, port, f"http{n}")
            service.append(got)
            print(f"{servers:>7} {got['per_second']:>8.1f} {got['p50_ms']:>7.1f} {got['p99_ms']:>7.1f}")
        results["service"] = service
        results["integrity_problems"] = problems
        print(f"\nintegrity check of every configuration's index at its end: {problems or 'ok'}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
