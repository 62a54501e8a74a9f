"""The Redis index under faults: 4 ``dedup filter`` workers, 100 SIGKILLs and 5 restarts of Redis.

Four workers (subprocesses, as a pipeline runs them) share one Redis index; redis-server keeps an
append-only file written before it answers (``appendfsync always``). Over the run, 100 SIGKILLs of
workers at random (a quarter at any moment, the others 0-50 ms after the worker has decided
something since it started) and 5 restarts of redis-server (SIGKILL and SIGTERM in turn, down for up to 1.5
s). A killed worker is started again on the rest of its feed: from the first line without a
decision, its decision line cut short by the kill dropped (what a pipeline does). Afterwards:

* every line of every feed has exactly one decision, and no article was kept twice;
* every article without a concurrent twin is decided as an uninterrupted single worker decides it
  (one kept whose decision line the kill lost is reported ``already-stored`` by the next run: the
  only difference allowed, as on SQLite in tests/test_index_crash.py);
* of each planted pair of copies given to two workers at the same place, exactly one is stored
  and the other rejected as its near-duplicate;
* the index holds exactly those articles, and ``dedup index check`` finds it sound.

Workers' feeds are whole blocks of the generated corpus (whose related articles all lie in one
block), so only the planted pairs depend on how the workers interleave.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dedup import Article, Index
from tests.conftest import ROOT
from tests.newsgen import generate_corpus, stories
from tests.redis_server import RedisProcess
from tests.test_store_redis import reprint

FILTER = [sys.executable, "-m", "dedup", "filter"]
WORKERS = 4
KILLS = 100
REDIS_RESTARTS = 5
BLOCKS = 120  # of ten articles each
TWINS = 60


def line(article: Article) -> bytes:
    return json.dumps({"id": article.id, "text": article.text}).encode() + b"\n"


def decisions_of(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(x) for x in data.splitlines() if x.strip()]


@dataclass
class Slot:
    """One worker's feed, its decisions so far, and its current process."""

    number: int
    feed: list[bytes]
    folder: Path
    decided: dict[int, dict[str, Any]] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    #: The feed's line at which the current process started (1-based), and its log's size then.
    start_line: int = 1
    log_size: int = 0
    runs: int = 0
    #: Ids of the articles on which a run started (the line after the last one decided).
    first_of_run: set[str] = field(default_factory=set)

    @property
    def log(self) -> Path:
        return self.folder / f"decisions{self.number}.jsonl"

    @property
    def next_line(self) -> int:
        return len(self.decided) + 1

    def done(self) -> bool:
        return len(self.decided) == len(self.feed)

    def start(self, url: str) -> None:
        self.runs += 1
        rest = self.folder / f"rest{self.number}.jsonl"
        rest.write_bytes(b"".join(self.feed[self.next_line - 1 :]))
        self.start_line = self.next_line
        if self.start_line <= len(self.feed):
            self.first_of_run.add(json.loads(self.feed[self.start_line - 1])["id"])
        self.log_size = self.log.stat().st_size if self.log.exists() else 0
        with rest.open("rb") as stdin:
            self.proc = subprocess.Popen(
                [*FILTER, "--index", url, "--decisions", str(self.log), "--no-create", "-q",
                 "--redis-retry", "120"],
                stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
            )  # fmt: skip

    def progressed(self) -> bool:
        return self.log.exists() and self.log.stat().st_size > self.log_size

    def collect(self) -> tuple[int, str]:
        """Wait for the process; take in its decisions (dropping a line cut short): status, stderr."""
        assert self.proc is not None
        _, err = self.proc.communicate(timeout=600)
        status = self.proc.returncode
        self.proc = None
        data = self.log.read_bytes() if self.log.exists() else b""
        if data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
            self.log.write_bytes(data)
        for d in decisions_of(data[self.log_size :]):
            n = self.start_line - 1 + d["line"]
            assert n not in self.decided, (self.number, n)
            self.decided[n] = d
        return status, err.decode()


def plant(corpus: list[Article], twins: list[tuple[Article, Article]]) -> list[list[Article]]:
    """Whole blocks of ten to the workers in turn; the two copies of a pair to two workers, same place."""
    feeds: list[list[Article]] = [[] for _ in range(WORKERS)]
    for b in range(len(corpus) // 10):
        feeds[b % WORKERS].extend(corpus[b * 10 : b * 10 + 10])
    spots: list[list[tuple[int, Article]]] = [[] for _ in range(WORKERS)]
    per_feed = len(corpus) // WORKERS
    for n, (first, second) in enumerate(twins):
        at = 10 + (n * per_feed // len(twins)) // 10 * 10  # between blocks, along the whole feed
        spots[n % WORKERS].append((at, first))
        spots[(n + 1 + n // WORKERS % 3) % WORKERS].append((at, second))
    for feed, planted in zip(feeds, spots, strict=True):
        for at, article in sorted(planted, key=lambda x: x[0], reverse=True):
            feed.insert(at, article)
    return feeds


def test_four_workers_under_100_sigkills_and_5_redis_restarts(tmp_path: Path) -> None:
    rng = random.Random(17)
    corpus, _ = generate_corpus(BLOCKS * 10, seed=29)
    bases = stories(TWINS, seed=31, prefix="twin")
    twins = [(a, Article(a.id + "-copy", reprint(a.text, rng))) for a in bases]
    feeds = plant(corpus, twins)
    data = tmp_path / "redis"
    data.mkdir()
    server = RedisProcess(data)
    try:
        _campaign(rng, server, tmp_path, corpus, twins, feeds)
    finally:
        server.stop()


def _campaign(
    rng: random.Random,
    server: RedisProcess,
    tmp_path: Path,
    corpus: list[Article],
    twins: list[tuple[Article, Article]],
    feeds: list[list[Article]],
) -> None:
    # an uninterrupted single worker over the corpus: the decisions to compare with
    began = time.monotonic()
    reference_log = tmp_path / "reference.jsonl"
    out = subprocess.run(
        [*FILTER, "--index", server.url("reference"), "--decisions", str(reference_log), "-q"],
        input=b"".join(line(a) for a in corpus), capture_output=True, cwd=ROOT, timeout=900, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    reference = {d["id"]: d for d in decisions_of(reference_log.read_bytes())}
    block = {a.id: n // 10 for n, a in enumerate(corpus)}
    for d in reference.values():  # the corpus relates articles of one block only
        assert all(block[m["id"]] == block[d["id"]] for m in d["matches"]), d

    print(f"reference run: {time.monotonic() - began:.1f} s")
    began = time.monotonic()
    url = server.url("campaign", lock_timeout=2)
    assert subprocess.run([sys.executable, "-m", "dedup", "index", "create", url], cwd=ROOT).returncode == 0
    slots = [Slot(n, [line(a) for a in feed], tmp_path) for n, feed in enumerate(feeds)]
    for slot in slots:
        slot.start(url)
    restarts_at = {round(KILLS * (k + 1) / (REDIS_RESTARTS + 1)) for k in range(REDIS_RESTARTS)}
    # a quarter of the kills at any moment (opening the index, loading, deciding), the others a
    # random 0-50 ms after the worker has decided something since it started
    early = set(rng.sample(range(KILLS), KILLS // 4))
    kills = mid_stream = restarts = 0
    while True:
        for slot in slots:
            if slot.proc is not None and slot.proc.poll() is not None:
                status, err = slot.collect()
                assert status == 0, err
                assert slot.done(), (slot.number, len(slot.decided), err)
        running = [s for s in slots if s.proc is not None]
        if not running:
            break
        if kills == KILLS:
            time.sleep(0.05)
            continue
        if kills in early:
            time.sleep(rng.uniform(0.0, 0.05))
            candidates = running
        else:
            time.sleep(0.01)
            candidates = [s for s in running if s.progressed()]
            if not candidates:
                continue
            time.sleep(rng.uniform(0.0, 0.05))  # in the middle of deciding and committing
        slot = rng.choice(candidates)
        assert slot.proc is not None
        if slot.proc.poll() is not None:
            continue  # it finished first
        slot.proc.send_signal(signal.SIGKILL)
        progressed = slot.progressed()
        status, err = slot.collect()
        if status == 0 and slot.done():
            continue  # it finished just before the signal
        assert status == -signal.SIGKILL, err
        assert "Traceback" not in err, err
        kills += 1
        mid_stream += progressed
        if not slot.done():
            slot.start(url)
        if kills in restarts_at:
            server.stop(kill=restarts % 2 == 0)
            time.sleep(rng.uniform(0.2, 1.5))
            server.start()
            restarts += 1
    print(
        f"{kills} SIGKILLs ({mid_stream} after the worker had decided something), {restarts} Redis "
        f"restarts, {sum(s.runs for s in slots)} worker runs, {time.monotonic() - began:.1f} s"
    )
    assert (kills, restarts) == (KILLS, REDIS_RESTARTS)
    assert mid_stream >= KILLS // 2

    # every line of every feed decided exactly once
    for slot in slots:
        assert sorted(slot.decided) == list(range(1, len(slot.feed) + 1))
        assert [d["id"] for _, d in sorted(slot.decided.items())] == [json.loads(x)["id"] for x in slot.feed]
    decisions = {d["id"]: d for slot in slots for d in slot.decided.values()}
    assert len(decisions) == len(corpus) + 2 * len(twins)
    keeps = [d["id"] for d in decisions.values() if d["action"] == "keep" and d["stored"]]
    assert len(keeps) == len(set(keeps))

    with Index.open(url) as index:
        stored = set(index.ids())
    # the corpus as an uninterrupted worker decided it
    lost = 0
    first_of_run = {i for slot in slots for i in slot.first_of_run}
    for article in corpus:
        got, want = decisions[article.id], reference[article.id]
        if want["action"] == "keep" and got["relation"] == "already-stored":
            # kept, its decision line lost to a kill: then the next run started on it (a restart of
            # Redis must not do this: the worker finds out whether its commit was applied)
            assert article.id in first_of_run, got
            assert article.id in stored
            lost += 1
            continue
        assert _summary(got) == _summary(want), (got, want)
        assert (article.id in stored) == want["stored"]
    # exactly one of each pair of copies
    for first, second in twins:
        held = {first.id, second.id} & stored
        assert len(held) == 1, (first.id, second.id)
        other = ({first.id, second.id} - held).pop()
        d = decisions[other]
        assert (d["action"], d["relation"]) == ("reject", "near-duplicate"), d
        assert [m["id"] for m in d["matches"]][:1] == list(held)
    want_stored = {i for i, d in reference.items() if d["stored"]}
    assert stored - {a.id for pair in twins for a in pair} == want_stored
    print(f"{lost} kept articles whose decision line a kill lost (reported already-stored by the next run)")
    check = subprocess.run(
        [sys.executable, "-m", "dedup", "index", "check", url], capture_output=True, cwd=ROOT, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.decode().endswith(f"sound ({len(stored)} articles)\n")


def _summary(d: dict[str, Any]) -> tuple[Any, ...]:
    """What a decision says: the action, the relation and the matched articles with their relations."""
    return d["action"], d["relation"], [(m["id"], m["relation"]) for m in d["matches"]]
