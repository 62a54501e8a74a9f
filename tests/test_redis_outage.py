"""A Redis index whose server goes away: a commit cut off where its outcome is unknown, and
``dedup filter`` waiting for ``redis-server`` to come back (or giving up, exit 2), against a real
redis-server with its append-only file on (``appendfsync always``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from dedup import Index
from dedup.errors import StoreUnavailable
from dedup.index import InFlight
from dedup.index.retry import Retry
from tests.conftest import ROOT
from tests.faultproxy import Cut, FaultProxy
from tests.newsgen import generate_corpus, stories
from tests.redis_server import RedisProcess

FILTER = [sys.executable, "-m", "dedup", "filter"]


@pytest.fixture(scope="module")
def feed() -> list[bytes]:
    """News-size articles with planted reprints, trimmed copies and shared paragraphs."""
    articles, _ = generate_corpus(300, seed=5)
    return [json.dumps({"id": a.id, "text": a.text}).encode() + b"\n" for a in articles]


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_bytes().splitlines() if x.strip()] if path.exists() else []


def reference(server: RedisProcess, feed: list[bytes], folder: Path) -> list[dict[str, Any]]:
    """The decisions of an uninterrupted run, on an index of its own."""
    log = folder / "reference.jsonl"
    out = subprocess.run(
        [*FILTER, "--index", server.url("reference"), "--decisions", str(log), "-q"],
        input=b"".join(feed), capture_output=True, cwd=ROOT, timeout=600, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return records(log)


def wait_for(predicate: Any, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.01)


class Worker:
    """A ``dedup filter`` process fed through a pipe, its stderr read line by line."""

    def __init__(self, url: str, log: Path, *extra: str) -> None:
        self.log = log
        self.kept = log.with_suffix(".kept")
        with self.kept.open("wb") as stdout:  # a file: a pipe nobody reads would fill and stall it
            self.proc = subprocess.Popen(
                [*FILTER, "--index", url, "--decisions", str(log), "--progress-every", "3600", *extra],
                stdin=subprocess.PIPE, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT,
            )  # fmt: skip
        self.stderr: list[str] = []
        assert self.proc.stdin is not None
        assert self.proc.stderr is not None
        self.stdin: IO[bytes] = self.proc.stdin
        self._lines: Iterator[bytes] = iter(self.proc.stderr.readline, b"")

    def send(self, lines: list[bytes]) -> None:
        try:
            self.stdin.write(b"".join(lines))
            self.stdin.flush()
        except BrokenPipeError:
            pass  # it stopped reading: its exit status and stderr say why

    def decided(self) -> int:
        return len(records(self.log))

    def next_stderr_line(self) -> str:
        line = next(self._lines).decode()
        self.stderr.append(line)
        return line

    def finish(self) -> tuple[int, bytes, str]:
        try:
            _, err = self.proc.communicate(timeout=600)  # closes its stdin
        except BrokenPipeError:
            _, err = self.proc.communicate(timeout=600)
        return self.proc.returncode, self.kept.read_bytes(), "".join(self.stderr) + err.decode()


def line_of(feed: list[bytes], decision: dict[str, Any]) -> bytes:
    """The input line of a decision, as the filter writes it when kept."""
    return feed[int(decision["line"]) - 1].rstrip(b"\n")


def same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == w, (g["line"], g, w)


# -- a commit cut off: applied or not, found out ---------------------------------------------------------


@pytest.mark.parametrize("cut", ["reply", "request"])
def test_a_commit_cut_off_is_found_out_and_decided_once(redis_server: int, cut: Cut) -> None:
    """The connection fails around the commit: after it (applied, the answer lost) or before it."""
    proxy = FaultProxy(redis_server)
    url = f"redis://127.0.0.1:{proxy.port}/0?prefix=cut{cut}"
    first, second, third = stories(3, seed=41, prefix=f"cut-{cut}")
    try:
        with Index.open(url, create=True) as index:
            assert index.check_and_add(first).stored  # Redis has the commit script now
            # without waiting: the error says that a commit was in flight, and what it was
            proxy.arm(b"HSETP", cut)  # an argument of the commit script of a new article
            with pytest.raises(StoreUnavailable) as err:
                index.check_and_add(second)
            assert proxy.cuts == 1
            in_flight = err.value.in_flight
            assert isinstance(in_flight, InFlight)
            assert in_flight.decision.id == second.id
            settled = index.settle(in_flight)
            if cut == "reply":  # it was applied: the decision stands, deciding again would be wrong
                assert settled == in_flight.decision
                assert (settled.action, settled.stored) == ("keep", True)
                assert index.check(second).relation == "already-stored"
            else:  # it was not: nothing stored, to be decided again
                assert settled is None
                assert second.id not in index
            # with a Retry, the same failure yields the one right decision
            said: list[str] = []
            proxy.arm(b"HSETP", cut)
            decision = Retry(30, say=said.append).check_and_add(index, third)
            assert proxy.cuts == 2
            assert (decision.action, decision.relation, decision.stored) == ("keep", None, True)
            assert len(said) == 2, said
            assert said[0].startswith(f"{index.store.location}: cannot reach Redis: ")
            assert said[0].endswith("; retrying for up to 30 s")
            assert said[1].startswith("the store answers again after ")
            stored_ids = index.ids()
            assert stored_ids == [first.id, *([second.id] if cut == "reply" else []), third.id]
            assert index.integrity_check() == []
    finally:
        proxy.close()


# -- dedup filter while redis-server is away --------------------------------------------------------------


def test_filter_waits_for_redis_to_come_back(
    redis_process: RedisProcess, feed: list[bytes], tmp_path: Path
) -> None:
    want = reference(redis_process, feed, tmp_path)
    log = tmp_path / "decisions.jsonl"
    worker = Worker(redis_process.url("outage"), log, "--redis-retry", "120")
    cuts = [60, 150, 240]  # redis-server stops after these many decisions: SIGKILL, SIGTERM, SIGKILL
    sent = 0
    for n, cut in enumerate(cuts):
        worker.send(feed[sent:cut])
        sent = cut
        wait_for(lambda cut=cut: worker.decided() == cut, f"{cut} decisions")
        redis_process.stop(kill=n % 2 == 0)
        worker.send(feed[sent : sent + 1])
        sent += 1
        line = worker.next_stderr_line()
        assert "cannot reach Redis" in line, line
        assert line.endswith(f"(at input line {cut + 1}); retrying for up to 120 s\n"), line
        time.sleep(1.0)  # the filter waits, and retries, while Redis is away
        assert worker.decided() == cut
        redis_process.start()
        line = worker.next_stderr_line()
        assert line.startswith("dedup filter: the store answers again after "), line
    worker.send(feed[sent:])
    status, kept, stderr = worker.finish()
    assert status == 0, stderr
    same(records(log), want)  # as if nothing had happened
    assert kept.splitlines() == [line_of(feed, d) for d in want if d["action"] == "keep"]
    with Index.open(redis_process.url("outage")) as index:
        assert index.ids() == [d["id"] for d in want if d["stored"]]
        assert index.integrity_check() == []


def test_filter_gives_up_when_redis_stays_away(
    redis_process: RedisProcess, feed: list[bytes], tmp_path: Path
) -> None:
    want = reference(redis_process, feed, tmp_path)
    log = tmp_path / "decisions.jsonl"
    url = redis_process.url("away")
    worker = Worker(url, log, "--redis-retry", "1.5")
    worker.send(feed[:100])
    wait_for(lambda: worker.decided() == 100, "100 decisions")
    redis_process.stop(kill=True)
    worker.send(feed[100:])
    status, kept, stderr = worker.finish()
    assert status == 2
    lines = stderr.splitlines()
    assert "cannot reach Redis" in lines[0]
    assert lines[0].endswith("(at input line 101); retrying for up to 1.5 s")
    assert lines[-1].startswith(f"dedup: error: {url}: cannot reach Redis: ")
    assert "(tried again for 2 s)" in lines[-1] or "(tried again for 1 s)" in lines[-1]
    assert "(stopped at input line 101: every line before it is decided and its output written" in lines[-1]
    assert "run again from line 101" in lines[-1]
    assert "Traceback" not in stderr
    # the articles decided before are in the output, once each; the others in none
    decided = records(log)
    same(decided, want[:100])
    assert kept.splitlines() == [line_of(feed, d) for d in want[:100] if d["action"] == "keep"]
    # Redis back: the run from the line named decides the rest as an uninterrupted run would
    redis_process.start()
    rest = tmp_path / "rest.jsonl"
    out = subprocess.run(
        [*FILTER, "--index", url, "--decisions", str(rest), "-q"],
        input=b"".join(feed[100:]), capture_output=True, cwd=ROOT, timeout=600, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    same([{**d, "line": d["line"] + 100} for d in records(rest)], want[100:])
    with Index.open(url) as index:
        assert index.ids() == [d["id"] for d in want if d["stored"]]
        assert index.integrity_check() == []


def test_filter_started_while_redis_is_away_waits_for_it(
    redis_process: RedisProcess, feed: list[bytes], tmp_path: Path
) -> None:
    url = redis_process.url("late")
    redis_process.stop()
    worker = Worker(url, tmp_path / "d.jsonl", "--redis-retry", "120")
    line = worker.next_stderr_line()
    assert "cannot reach Redis" in line, line
    assert line.endswith("(opening the index); retrying for up to 120 s\n"), line
    redis_process.start()
    worker.send(feed[:20])
    status, _, stderr = worker.finish()
    assert status == 0, stderr
    assert len(records(tmp_path / "d.jsonl")) == 20


def test_retry_zero_stops_at_once(redis_process: RedisProcess, tmp_path: Path) -> None:
    url = redis_process.url("now")
    redis_process.stop()
    line = b'{"id": "a", "text": "some words here"}\n'
    out = subprocess.run(
        [*FILTER, "--index", url, "--redis-retry", "0"], input=line, capture_output=True, cwd=ROOT,
        timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 2
    message = out.stderr.decode()
    assert message.startswith(f"dedup: error: {url}: cannot reach Redis: "), message
    assert message.count("\n") == 1


def test_giving_up_at_once_keeps_the_commit_in_flight(redis_server: int) -> None:
    """With no time to wait, the error still says that the article may have been stored."""
    proxy = FaultProxy(redis_server)
    warm, article = stories(2, seed=43, prefix="at-once")
    try:
        with Index.open(f"redis://127.0.0.1:{proxy.port}/0?prefix=atonce", create=True) as index:
            index.check_and_add(warm)  # Redis has the commit script: the next commit is one call
            proxy.arm(b"HSETP", "reply")
            with pytest.raises(StoreUnavailable) as err:
                Retry(0).check_and_add(index, article)
            assert isinstance(err.value.in_flight, InFlight)
            assert index.settle(err.value.in_flight) == err.value.in_flight.decision
    finally:
        proxy.close()


def test_filter_says_when_the_article_may_have_been_stored(redis_server: int, tmp_path: Path) -> None:
    proxy = FaultProxy(redis_server)
    url = f"redis://127.0.0.1:{proxy.port}/0?prefix=maybe"
    warm, first, second = stories(3, seed=47, prefix="maybe")
    feed = b"".join(json.dumps({"id": a.id, "text": a.text}).encode() + b"\n" for a in (first, second))
    try:
        with Index.open(url, create=True) as index:
            index.check_and_add(warm)  # Redis has the commit script: the next commit is one call
        proxy.arm(b"HSETP", "reply")  # the first commit is applied, its answer lost
        out = subprocess.run(
            [*FILTER, "--index", url, "--redis-retry", "0", "-q"], input=feed, capture_output=True,
            cwd=ROOT, timeout=120, check=False,
        )  # fmt: skip
        assert out.returncode == 2
        assert out.stdout == b""
        message = out.stderr.decode()
        assert message.count("\n") == 1, message
        assert "(stopped at input line 1: every line before it is decided and its output written; " in message
        assert "the article of line 1 was being stored as the store went away and may have been" in message
        # as said: the run from line 1 reports it as already stored, and decides the rest
        log = tmp_path / "d.jsonl"
        again = subprocess.run(
            [*FILTER, "--index", url, "--decisions", str(log), "-q"], input=feed, capture_output=True,
            cwd=ROOT, timeout=120, check=False,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert [(d["id"], d["relation"]) for d in records(log)] == [
            (first.id, "already-stored"),
            (second.id, None),
        ]
    finally:
        proxy.close()


def test_serve_settles_a_commit_cut_off(redis_server: int, tmp_path: Path) -> None:
    """dedup serve: with --redis-retry, a commit whose answer was lost is found stored (200, kept);
    without, the 503 says the article may have been stored, and sending it again says it was."""
    from tests.test_serve import Service

    proxy = FaultProxy(redis_server)
    warm, first, second = stories(3, seed=53, prefix="serve-cut")
    try:
        for n, (args, article) in enumerate(((["--redis-retry", "30"], first), ([], second))):
            url = f"redis://127.0.0.1:{proxy.port}/0?prefix=servecut{n}"
            Index.create(url).close()
            service = Service(url, tmp_path, *args)
            try:
                body = {"id": warm.id + str(n), "text": warm.text}
                assert service.request("POST", "/articles", body)[0] == 200  # the commit script loaded
                proxy.arm(b"HSETP", "reply")
                status, answer = service.request(
                    "POST", "/articles", {"id": article.id, "text": article.text}
                )
                if args:
                    assert (status, answer["action"], answer["stored"]) == (200, "keep", True)
                else:
                    assert status == 503
                    assert "cannot reach Redis" in answer["error"]
                    assert (
                        "may have been: sent again, it is then rejected as already-stored" in answer["error"]
                    )
                    status, again = service.request(
                        "POST", "/articles", {"id": article.id, "text": article.text}
                    )
                    assert (status, again["relation"]) == (200, "already-stored")
            finally:
                service.stop()
            with Index.open(url) as index:
                assert article.id in index
                assert index.integrity_check() == []
        assert proxy.cuts == 2
    finally:
        proxy.close()
