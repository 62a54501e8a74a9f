"""``dedup serve`` under load: many concurrent clients for a bounded time, with hostile requests mixed in.

Starts ``dedup serve`` (one server process, a bearer token, ``--max-request-bytes 1 MiB``) on a free
loopback port, on a new SQLite index (or, with ``--redis``, on a private ``redis-server``), and
runs ``--clients`` concurrent clients for ``--warmup`` then ``--seconds`` seconds, each on its own
keep-alive connection, then stops by itself. Each request is drawn from a mix:

==================  ======  ====================================================================
kind                share   request, and the answer expected
==================  ======  ====================================================================
``article``         50%     ``POST /articles``, a new story: 200, keep or reject
``near-duplicate``  16%     ``POST /articles``, a reprint of a story sent earlier (a new headline
                            and footer): 200; rejected when its source was stored before it was sent
``check``            6%     ``POST /check`` of a reprint: 200
``get``              6%     ``GET /articles/{id}`` of an article the service said it stored: 200
``malformed``        8%     ``POST /articles``, truncated JSON: 400
``oversized``        4%     ``POST /articles``, 1.5 MiB body: 413
``wrong-token``     10%     ``POST /articles``, a wrong token: 401
==================  ======  ====================================================================

``--slow`` of the clients (8 by default) are slow: they send only new stories, their bodies in 20
pieces 50 ms apart (about a second per request). The server's resident memory (``VmRSS``, and the
part of it that is mapped files, ``RssFile``) is sampled every half second.

At the end it checks, and prints as problems (exit status 1):

* no 5xx, and every answer the status its kind expects, every error a JSON body;
* no accepted article lost or decided twice: the index holds exactly the ids the service said it
  stored (each once), none it said it rejected, and every article a rejection cited; the
  index's integrity check is clean;
* every reprint of a story stored before the reprint was sent was rejected;
* memory flat: during the measured seconds, the largest resident size is within 10% of the size
  at the end of the warm-up. The warm-up (90 s by default) lets the server's bounded caches fill
  as they would in a long run: SQLite's page cache (up to 128 MiB of the pages the server wrote)
  and the 256 stored articles the index keeps tokenised; on this machine the resident size of a
  SQLite-backed server levels off after about 80 s of this load, a Redis-backed one's after about
  40 s.

The correctness checks cover the warm-up too. It reports, for the measured seconds, the p50/p99
latency of the requests that should succeed (article, near-duplicate, check, get; the slow
clients apart), requests/s by kind, and the memory figures; ``--write-docs`` writes them into
docs/serve.md. Usage (from the repository root)::

    python -m benchmarks.serve_load [--clients 64] [--warmup 90] [--seconds 60] [--slow 8] [--redis]
                                    [--write-docs] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dedup import Index
from tests.newsgen import story
from tests.redis_server import free_port, start_redis

__all__ = ["LoadResult", "LoadSettings", "markdown", "run_load"]

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "serve.md"
MARKERS = "<!-- serve_load {}: begin -->", "<!-- serve_load {}: end -->"
TOKEN = "load-test-token-0123456789abcdef"
LIMIT = 1024 * 1024  # --max-request-bytes
WORDS = 300

MIX = [
    ("article", 50),
    ("near-duplicate", 16),
    ("check", 6),
    ("get", 6),
    ("malformed", 8),
    ("oversized", 4),
    ("wrong-token", 10),
]
EXPECTED = {
    "article": 200,
    "slow": 200,
    "near-duplicate": 200,
    "check": 200,
    "get": 200,
    "malformed": 400,
    "oversized": 413,
    "wrong-token": 401,
}
VALID = ("article", "near-duplicate", "check", "get")


@dataclass(frozen=True)
class LoadSettings:
    """One run's shape."""

    clients: int = 64
    seconds: float = 60.0
    slow: int = 8
    redis: bool = False
    seed: int = 1
    warmup: int = 4000  # articles the service stores before the measured seconds (its caches fill)
    max_warmup: float = 900.0  # seconds the warm-up may take at most
    check_memory: bool = True  # a problem if memory grows by more than 10% after the warm-up


@dataclass
class Told:
    """What one answered ``POST /articles`` said."""

    id: str
    kind: str
    action: str
    stored: bool
    matches: list[str]
    source: str | None = None  # a near-duplicate's source
    source_stored_before: bool = False


@dataclass
class LoadResult:
    """What a run measured and found wrong."""

    settings: LoadSettings
    elapsed: float = 0.0  # of the measured part
    warm_seconds: float = 0.0  # the warm-up's length (the measured part starts then)
    warm_requests: int = 0
    server_errors: int = 0  # 5xx answers, warm-up included
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    told: list[Told] = field(default_factory=list)
    rss: list[tuple[float, int, int]] = field(default_factory=list)  # (t, VmRSS, RssFile) in KiB
    problems: list[str] = field(default_factory=list)
    stored: int = 0
    duplicates_checked: int = 0
    server_exit: int | None = None

    def percentile(self, kinds: tuple[str, ...], q: float) -> float:
        """The ``q`` quantile of the latencies of these kinds of request (seconds)."""
        values = sorted(v for k in kinds for v in self.latencies.get(k, []))
        return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else float("nan")

    def memory(self) -> dict[str, float]:
        """Resident sizes (MiB) at the end of the warm-up, the largest after it, and at the end.

        ``rss`` is VmRSS, all the resident pages; ``own`` leaves out the pages of mapped files (RssFile:
        the program's code and libraries, and the part of a SQLite index file read through its memory
        map, which grows with the index and which the kernel can drop), i.e. the server's own memory.
        """
        cut = self.warm_seconds
        before = [s for s in self.rss if s[0] <= cut]
        after = [s for s in self.rss if s[0] > cut]
        if not before or not after:
            return {}
        out: dict[str, float] = {}
        for name, part in (("rss", 0), ("own", 1)):  # own: VmRSS - RssFile
            sizes = [(s[1] - part * s[2]) / 1024 for s in (before[-1], *after)]
            out[f"{name}_warm"], out[f"{name}_max"], out[f"{name}_end"] = sizes[0], max(sizes[1:]), sizes[-1]
        return out

    def to_json(self) -> dict[str, Any]:
        """The figures, for ``--json``."""
        return {
            "settings": self.settings.__dict__,
            "elapsed": self.elapsed,
            "requests": dict(self.requests),
            "statuses": {f"{k} {s}": n for (k, s), n in sorted(self.statuses.items())},
            "p50_valid_ms": 1000 * self.percentile(VALID, 0.50),
            "p99_valid_ms": 1000 * self.percentile(VALID, 0.99),
            "p50_slow_ms": 1000 * self.percentile(("slow",), 0.50),
            "p99_slow_ms": 1000 * self.percentile(("slow",), 0.99),
            "stored": self.stored,
            "duplicates_checked": self.duplicates_checked,
            "memory_mib": self.memory(),
            "rss_kib": [(round(t, 1), rss, mapped) for t, rss, mapped in self.rss[::4]],
            "problems": self.problems,
        }


# -- HTTP/1.1 by hand (slow clients send their bodies in pieces) ----------------------------------------


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes | None, *, token: str, slow: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n")
        if body is not None and slow:
            step = max(1, len(body) // 20)
            for start in range(0, len(body), step):
                await self.writer.drain()
                await asyncio.sleep(0.05)
                self.writer.write(body[start : start + step])
        elif body is not None:
            self.writer.write(body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        payload = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.writer = None


# -- the run ------------------------------------------------------------------------------------------------


class Run:
    def __init__(self, settings: LoadSettings, port: int, result: LoadResult) -> None:
        self.settings = settings
        self.port = port
        self.result = result
        self.rng = random.Random(settings.seed)
        self.sent: list[tuple[str, str]] = []  # (id, text) of new stories sent, for reprints
        self.kept: list[str] = []  # ids the service said it stored
        self.kept_set: set[str] = set()
        self.counter = 0
        self.deadline = 0.0
        self.start = 0.0
        self.measured_from = float("inf")
        self.stored = 0

    def new_id(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}-{self.counter:06d}"

    def fresh(self) -> tuple[str, str]:
        article_id = self.new_id("story")
        text = f"Headline {self.counter}\n" + story(self.rng, WORDS)
        self.sent.append((article_id, text))
        return article_id, text

    def reprint(self) -> tuple[str, str, str] | None:
        if not self.sent:
            return None
        source_id, text = self.rng.choice(self.sent[-400:])
        body = text.split("\n", 1)[1]
        return source_id, self.new_id("reprint"), f"Updated: reprinted story\n{body}\n\n(c) Wire"

    async def client(self, number: int, slow: bool) -> None:
        conn = Connection(self.port)
        kinds = [k for k, _ in MIX]
        weights = [w for _, w in MIX]
        try:
            while not self.done():
                kind = "slow" if slow else self.rng.choices(kinds, weights)[0]
                await self.one(conn, kind)
        finally:
            await conn.close()

    async def one(self, conn: Connection, kind: str) -> None:
        method, path, token, body = "POST", "/articles", TOKEN, None
        record: Told | None = None
        if kind in ("article", "slow"):
            article_id, text = self.fresh()
            body = json.dumps({"id": article_id, "text": text}).encode()
            record = Told(article_id, kind, "", False, [])
        elif kind in ("near-duplicate", "check"):
            planted = self.reprint()
            if planted is None:
                return
            source, article_id, text = planted
            body = json.dumps({"id": article_id, "text": text}).encode()
            if kind == "check":
                path = "/check"
            else:
                record = Told(article_id, kind, "", False, [], source, source in self.kept_set)
        elif kind == "get":
            if not self.kept:
                return
            method, path = "GET", f"/articles/{self.rng.choice(self.kept)}"
        elif kind == "malformed":
            article_id, text = self.fresh()
            self.sent.pop()  # never stored: no reprint of it
            whole = json.dumps({"id": article_id, "text": text}).encode()
            body = whole[: self.rng.randrange(1, len(whole) - 1)]
        elif kind == "oversized":
            body = json.dumps({"id": self.new_id("big"), "text": "word " * (LIMIT * 3 // 10)}).encode()
        elif kind == "wrong-token":
            article_id, text = self.fresh()
            self.sent.pop()
            body = json.dumps({"id": article_id, "text": text}).encode()
            token = "not-the-token-" + "x" * self.rng.randrange(0, 30)
        t0 = time.perf_counter()
        try:
            status, headers, payload = await conn.request(
                method, path, body, token=token, slow=kind == "slow"
            )
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            await conn.close()
            self.result.problems.append(f"{kind}: {method} {path}: no answer ({type(exc).__name__}: {exc})")
            return
        elapsed = time.perf_counter() - t0
        if time.monotonic() - elapsed >= self.measured_from:
            self.result.requests[kind] += 1
            self.result.statuses[(kind, status)] += 1
            self.result.latencies.setdefault(kind, []).append(elapsed)
        else:
            self.result.warm_requests += 1
        self.result.server_errors += status >= 500
        if status != EXPECTED[kind]:
            self.result.problems.append(f"{kind}: {method} {path}: {status} {payload[:200]!r}")
            return
        answer = (
            json.loads(payload) if headers.get("content-type", "").startswith("application/json") else None
        )
        if status >= 400:
            if not (isinstance(answer, dict) and answer.get("status") == status and answer.get("error")):
                self.result.problems.append(f"{kind}: {status} without a JSON error: {payload[:200]!r}")
            return
        if record is not None and isinstance(answer, dict):
            record.action, record.stored = answer["action"], answer["stored"]
            record.matches = [m["id"] for m in answer.get("matches", [])]
            self.result.told.append(record)
            if record.stored:
                self.stored += 1
                if self.stored == self.settings.warmup:
                    self.measure()
                self.kept.append(record.id)
                self.kept_set.add(record.id)
        elif kind == "get" and not (isinstance(answer, dict) and answer.get("id") == path.rsplit("/", 1)[1]):
            self.result.problems.append(f"get: {path}: not the article asked for: {payload[:200]!r}")

    async def sample(self, pid: int) -> None:
        status = Path(f"/proc/{pid}/status")
        while not self.done():
            fields = dict(
                line.split(":", 1)
                for line in status.read_text().splitlines()
                if line.startswith(("VmRSS", "RssFile"))
            )
            self.result.rss.append((
                time.monotonic() - self.start,
                int(fields["VmRSS"].split()[0]),
                int(fields["RssFile"].split()[0]),
            ))  # fmt: skip
            await asyncio.sleep(0.5)

    async def run(self, pid: int) -> None:
        self.start = time.monotonic()
        self.deadline = self.start + self.settings.max_warmup  # until the warm-up ends
        if self.settings.warmup <= 0:
            self.measure()
        tasks = [self.client(n, slow=n < self.settings.slow) for n in range(self.settings.clients)]
        await asyncio.gather(self.sample(pid), *tasks)
        if self.measured_from == float("inf"):
            self.result.problems.append(
                f"the warm-up stored only {self.stored:,} of {self.settings.warmup:,} articles "
                f"in {self.settings.max_warmup:g} s"
            )
        else:
            self.result.elapsed = time.monotonic() - self.measured_from

    def measure(self) -> None:
        """The warm-up is over: the measured seconds start now."""
        self.measured_from = time.monotonic()
        self.deadline = self.measured_from + self.settings.seconds
        self.result.warm_seconds = self.measured_from - self.start

    def done(self) -> bool:
        return time.monotonic() >= self.deadline


def _serve(index: str, folder: Path, port: int) -> subprocess.Popen[bytes]:
    token_file = folder / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "dedup", "serve", "--index", index, "--port", str(port), "--token-file",
               str(token_file), "--max-request-bytes", str(LIMIT), "--log-level", "warning"]  # fmt: skip
    with (folder / "serve.log").open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 120
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(
                "dedup serve did not start: " + (folder / "serve.log").read_text(errors="replace")
            )
        time.sleep(0.1)


def verify(result: LoadResult, index_location: str) -> None:
    """The index against what the clients were told."""
    problems = result.problems
    told_stored = [t.id for t in result.told if t.stored]
    told_rejected = {t.id for t in result.told if not t.stored}
    with Index.open(index_location) as index:
        ids = index.ids()
        problems.extend(f"integrity: {p}" for p in index.integrity_check())
    held = Counter(ids)
    result.stored = len(ids)
    problems.extend(f"{i!r} stored {n} times" for i, n in held.items() if n > 1)
    problems.extend(f"{i!r}: told stored, not in the index (lost)" for i in set(told_stored) - set(held))
    problems.extend(f"{i!r}: in the index, never told stored" for i in set(held) - set(told_stored))
    problems.extend(f"{i!r}: told rejected, but stored" for i in told_rejected & set(held))
    for t in result.told:
        if t.action == "reject":
            problems.extend(f"{t.id!r} rejected citing {m!r}, which is not stored" for m in t.matches
                            if m not in held)  # fmt: skip
    planted = [t for t in result.told if t.kind == "near-duplicate" and t.source_stored_before]
    result.duplicates_checked = len(planted)
    problems.extend(f"{t.id!r}: a reprint of {t.source!r}, stored before it was sent, was kept"
                    for t in planted if t.action != "reject")  # fmt: skip
    if result.server_errors:
        problems.append(f"{result.server_errors} answers were 5xx")
    memory = result.memory()
    if not result.settings.check_memory:
        pass
    elif not memory:
        problems.append("too few memory samples")
    elif memory["own_max"] > 1.10 * memory["own_warm"]:
        problems.append(
            f"memory grew after the warm-up: {memory['own_warm']:.1f} MiB -> {memory['own_max']:.1f} MiB "
            f"(more than 10%)"
        )


def run_load(settings: LoadSettings, folder: Path) -> LoadResult:
    """One bounded run in ``folder``: serve, load, stop, verify."""
    result = LoadResult(settings)
    redis_proc = None
    if settings.redis:
        redis_proc, redis_port = start_redis(folder)
        location = f"redis://127.0.0.1:{redis_port}/0?prefix=load"
        Index.create(location).close()
    else:
        location = str(folder / "load.db")
        Index.create(location).close()
    port = free_port()
    server = _serve(location, folder, port)
    try:
        asyncio.run(Run(settings, port, result).run(server.pid))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            result.server_exit = server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()
            result.problems.append("the server did not stop on SIGTERM")
    try:
        verify(result, location)
        log = (folder / "serve.log").read_text(errors="replace")
        if "Traceback" in log:
            result.problems.append("the server logged a traceback: " + log[log.index("Traceback") :][:2000])
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=60)
    return result


# -- reporting ----------------------------------------------------------------------------------------------


def markdown(result: LoadResult) -> str:
    s, mem = result.settings, result.memory()
    total = sum(result.requests.values())
    rows = []
    for kind, _ in [*MIX, ("slow", 0)]:
        n = result.requests.get(kind, 0)
        statuses = ", ".join(f"{st}: {c:,}" for (k, st), c in sorted(result.statuses.items()) if k == kind)
        rows.append(f"| {kind} | {n:,} | {n / result.elapsed:.1f} | {statuses} |")
    p50, p99 = (1000 * result.percentile(VALID, q) for q in (0.5, 0.99))
    slow50, slow99 = (1000 * result.percentile(("slow",), q) for q in (0.5, 0.99))
    lines = [
        f"`python -m benchmarks.serve_load --clients {s.clients} --warmup {s.warmup} "
        f"--seconds {s.seconds:g} --slow {s.slow}{' --redis' if s.redis else ''}` "
        f"({'a Redis' if s.redis else 'a SQLite'} index, one server process; {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end):",
        "",
        f"* {total:,} requests in the {result.elapsed:.1f} s measured, after {result.warm_requests:,} in the "
        f"{result.warm_seconds:.0f} s of warm-up ({total / result.elapsed:.1f}/s); {result.stored:,} "
        f"articles stored in all; "
        f"5xx answers: {result.server_errors}; problems found: {len(result.problems)}.",
        f"* Latency of the requests that should succeed (article, near-duplicate, check, get): "
        f"**p50 {p50:.0f} ms, p99 {p99:.0f} ms**; slow clients' requests (their own pace included): "
        f"p50 {slow50:.0f} ms, p99 {slow99:.0f} ms.",
    ]
    if mem:
        own = 100 * (mem["own_max"] / mem["own_warm"] - 1)
        lines.append(
            f"* Server memory: its own (resident, not mapped files) {mem['own_warm']:.1f} MiB at the end of "
            f"the warm-up, at most **{mem['own_max']:.1f} MiB after it ({own:+.1f}%)**, "
            f"{mem['own_end']:.1f} MiB at the end; all resident pages (VmRSS) {mem['rss_warm']:.1f}, "
            f"at most {mem['rss_max']:.1f}, {mem['rss_end']:.1f} MiB."
        )
    lines.append(
        f"* Reprints of a story stored before they were sent: {result.duplicates_checked:,}, all rejected: "
        f"{'yes' if not any('was kept' in p for p in result.problems) else 'NO'}."
    )
    lines += ["", "| kind | requests | per second | statuses |", "| --- | ---: | ---: | --- |", *rows]
    return "\n".join(lines)


def write_docs(text: str, kind: str) -> None:
    """Put ``text`` between the markers for this kind of index in docs/serve.md."""
    begin, end = (m.format(kind) for m in MARKERS)
    doc = DOCS.read_text(encoding="utf-8")
    if begin not in doc:
        raise SystemExit(f"{DOCS}: no {begin} marker")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    DOCS.write_text(f"{head}{begin}\n{text}\n{end}{tail}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=int, default=4000, help="articles stored before them")
    parser.add_argument("--slow", type=int, default=8, help="slow clients among them")
    parser.add_argument("--redis", action="store_true", help="a Redis index (a private redis-server)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--write-docs", action="store_true", help="write the figures into docs/serve.md")
    args = parser.parse_args()
    settings = LoadSettings(clients=args.clients, seconds=args.seconds, slow=args.slow, redis=args.redis,
                            seed=args.seed, warmup=args.warmup)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="serve-load-") as folder:
        result = run_load(settings, Path(folder))
    text = markdown(result)
    print(text)
    for problem in result.problems[:50]:
        print("problem:", problem, file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    if args.write_docs:
        write_docs(text, "redis" if args.redis else "sqlite")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
