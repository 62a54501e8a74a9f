"""The SQLite index under crashes and contention, through ``dedup filter`` as a pipeline runs it.

* 200 SIGKILLs at random points (a quarter while the index opens and loads its keys, the others a
  random 0-50 ms after the run's first decision, in the middle of deciding and committing), each
  followed by a restart from the first line without a decision: afterwards the index passes its
  integrity check, holds exactly the articles an uninterrupted run keeps, and none was kept twice.
  The same, 30 times, while the write-ahead log is checkpointed in the background every 4 pages,
  with ``dedup index check`` after each kill.
* A full disk (a 1 MB tmpfs in a private mount namespace; where mounting is not allowed, a file size
  limit makes the writes fail for real): a clear error, the index intact, a re-run completes.
* A read-only index file: ``check`` still reads it; ``filter`` stops with a clear error, unchanged.
* Two ``dedup filter`` processes on one index at once: every article decided by both, kept once
  (also with both checkpointing every few pages).
* An index written by an older version, or damaged: refused with a message that says so.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dedup import Article, IncompatibleIndexError, Index
from dedup.index import FORMAT_VERSION
from tests.conftest import ROOT
from tests.hostile import without_dac_override
from tests.newsgen import generate_corpus

KILLS = int(os.environ.get("DEDUP_SIGKILLS", "200"))
FILTER = [sys.executable, "-m", "dedup", "filter"]


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """News-size articles with planted reprints, digests and shared paragraphs, one JSON line each."""
    articles, _ = generate_corpus(2500, seed=11)
    return [json.dumps({"id": a.id, "text": a.text}).encode() + b"\n" for a in articles]


def decisions_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_bytes().splitlines() if x.strip()]


def stored(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [str(r[0]) for r in db.execute("SELECT id FROM articles ORDER BY doc")]


@pytest.fixture(scope="module")
def reference(feed: list[bytes], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted run: its decisions by line, what it stored, and how long it took to start."""
    folder = tmp_path_factory.mktemp("reference")
    index, log = folder / "idx.db", folder / "decisions.jsonl"
    start = time.monotonic()
    proc = subprocess.Popen(
        [*FILTER, "--index", str(index), "--decisions", str(log), "-q"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert proc.stdin is not None
    proc.stdin.write(feed[0])
    proc.stdin.flush()
    while not log.exists() or not log.read_bytes().endswith(b"\n"):
        time.sleep(0.005)
    first_decision = time.monotonic() - start
    proc.stdin.write(b"".join(feed[1:]))
    proc.stdin.close()
    assert proc.wait(timeout=900) == 0
    decisions = decisions_of(log)
    assert [d["line"] for d in decisions] == list(range(1, len(feed) + 1))
    return {"decisions": decisions, "stored": stored(index), "startup": first_decision, "index": index}


def _same_decision(got: dict[str, Any], want: dict[str, Any]) -> bool:
    if got["action"] == want["action"] and got["relation"] == want["relation"]:
        return bool([m["id"] for m in got["matches"]][:1] == [m["id"] for m in want["matches"]][:1])
    # kept, and its decision line lost to the kill: the next run finds it stored
    return bool(want["action"] == "keep" and got["relation"] == "already-stored")


def test_200_sigkills_at_random_points(tmp_path: Path, feed: list[bytes], reference: dict[str, Any]) -> None:
    index = tmp_path / "idx.db"
    by_line, keeps = _kill_and_resume(index, feed, reference, kills=KILLS, seed=200)
    # every article decided exactly once, as the uninterrupted run decided it
    assert sorted(by_line) == list(range(1, len(feed) + 1))
    for n, want in enumerate(reference["decisions"], 1):
        assert _same_decision(by_line[n], want), (n, by_line[n], want)
    assert max(keeps.values()) == 1  # never kept twice
    assert stored(index) == reference["stored"]
    with Index.open(index) as opened:
        assert opened.integrity_check() == []
        assert len(opened) == len(reference["stored"])
    # a re-run of the whole feed stores nothing more
    again = subprocess.run(
        [*FILTER, "--index", str(index), "-q"],
        input=b"".join(feed),
        capture_output=True,
        cwd=ROOT,
        timeout=900,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout == b""  # nothing kept: every line was already decided
    assert stored(index) == reference["stored"]


def test_sigkills_while_the_log_is_checkpointed(
    tmp_path: Path, feed: list[bytes], reference: dict[str, Any]
) -> None:
    """``dedup filter`` checkpointing its write-ahead log in the background after every few pages
    (``DEDUP_SQLITE_CHECKPOINT_PAGES=4``: a checkpoint runs most of the time), killed 30 times: after
    each kill ``dedup index check`` finds the index sound and every article a decision line says was
    stored is there; the resumed runs decide the first 600 lines as the uninterrupted run did."""
    index = tmp_path / "idx.db"
    lines = feed[:600]
    env = {**os.environ, "DEDUP_SQLITE_CHECKPOINT_PAGES": "4"}

    def after_kill(keeps: dict[str, int]) -> None:
        check = subprocess.run(
            [sys.executable, "-m", "dedup", "index", "check", str(index)],
            capture_output=True,
            cwd=ROOT,
            timeout=600,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert set(keeps) <= set(stored(index))  # every committed article is there

    by_line, keeps = _kill_and_resume(
        index, lines, reference, kills=min(KILLS, 30), seed=4, env=env, after_kill=after_kill
    )
    assert sorted(by_line) == list(range(1, len(lines) + 1))
    for n, want in enumerate(reference["decisions"][: len(lines)], 1):
        assert _same_decision(by_line[n], want), (n, by_line[n], want)
    assert max(keeps.values()) == 1
    kept = {d["id"] for d in reference["decisions"][: len(lines)] if d["action"] == "keep"}
    assert stored(index) == [i for i in reference["stored"] if i in kept]
    with Index.open(index) as opened:
        assert opened.integrity_check() == []


def _kill_and_resume(
    index: Path,
    feed: list[bytes],
    reference: dict[str, Any],
    *,
    kills: int,
    seed: int,
    env: dict[str, str] | None = None,
    after_kill: Callable[[dict[str, int]], None] | None = None,
) -> tuple[dict[int, dict[str, Any]], dict[str, int]]:
    """``dedup filter`` on ``feed``, SIGKILLed ``kills`` times at random points and restarted each time
    from the first line without a decision, then run to the end: the decisions by line, and how many
    times each id was reported kept and stored."""
    rng = random.Random(seed)
    log, rest = index.with_name("decisions.jsonl"), index.with_name("rest.jsonl")
    by_line: dict[int, dict[str, Any]] = {}
    keeps: dict[str, int] = {}
    next_line = 1
    killed = mid_stream = 0
    startup = reference["startup"]
    while killed < kills and next_line <= len(feed):
        rest.write_bytes(b"".join(feed[next_line - 1 :]))
        before = _size(log)
        with rest.open("rb") as stdin:
            proc = subprocess.Popen(
                [*FILTER, "--index", str(index), "--decisions", str(log), "-q"],
                stdin=stdin,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=ROOT,
                env=env,
            )
        if rng.random() < 0.25:
            # early: while the index opens, loads its keys, decides the first article
            time.sleep(rng.uniform(0.0, startup))
        else:
            # while deciding and committing: once this run has written a decision, a little later
            deadline = time.monotonic() + 60
            while proc.poll() is None and _size(log) == before and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.05))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        _, err = proc.communicate(timeout=600)
        assert b"Traceback" not in err, err
        # the pipeline's recovery: drop a decision line cut short by the kill, go on after the last one
        data = log.read_bytes() if log.exists() else b""
        if data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
            log.write_bytes(data)
        new = decisions_of_bytes(data[before:])
        mid_stream += bool(new)
        for d in new:
            line = next_line - 1 + d["line"]
            assert line not in by_line
            by_line[line] = d
            if d["action"] == "keep" and d["stored"]:
                keeps[d["id"]] = keeps.get(d["id"], 0) + 1
        next_line += len(new)
        if after_kill is not None and index.exists():
            after_kill(keeps)
    print(
        f"{killed} SIGKILLs, {mid_stream} after the run had decided something, {next_line - 1} lines decided"
    )
    assert killed == kills, f"the feed was decided after {killed} kills"
    assert mid_stream >= kills // 2, f"only {mid_stream} runs were killed after deciding something"
    # the last run, uninterrupted, decides the rest
    out = subprocess.run(
        [*FILTER, "--index", str(index), "--decisions", str(log), "-q"],
        input=b"".join(feed[next_line - 1 :]),
        capture_output=True,
        cwd=ROOT,
        timeout=900,
        check=False,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    for d in decisions_of_bytes(log.read_bytes())[len(by_line) :]:
        by_line[next_line - 1 + d["line"]] = d
        if d["action"] == "keep" and d["stored"]:
            keeps[d["id"]] = keeps.get(d["id"], 0) + 1
    return by_line, keeps


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def decisions_of_bytes(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(x) for x in data.splitlines() if x.strip()]


# -- band-key runs under SIGKILL --------------------------------------------------------------------------


def test_sigkills_while_key_runs_are_written_and_merged(tmp_path: Path, feed: list[bytes]) -> None:
    """``dedup index add`` killed 8 times at random points while it writes and merges run files (a run
    every 25 articles): after each kill the index is sound (the runs hold exactly the stored keys), a re-run
    completes the load, and a fresh index given the same articles decides a probe stream the same."""
    rng = random.Random(25)
    articles = tmp_path / "articles.jsonl"
    articles.write_bytes(b"".join(feed[:2000]))
    env = {**os.environ, "DEDUP_SQLITE_RUN_ARTICLES": "25"}
    index = tmp_path / "idx.db"
    add = [sys.executable, "-m", "dedup", "index", "add", str(index), str(articles)]
    subprocess.run([sys.executable, "-m", "dedup", "index", "create", str(index)], check=True, cwd=ROOT)
    kills = 0
    for _ in range(20):
        if kills == 8:
            break
        proc = subprocess.Popen(add, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.5, 2.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        _, err = proc.communicate(timeout=600)
        assert b"Traceback" not in err, err
        with Index.open(index) as idx:
            assert idx.integrity_check() == []
    assert kills >= 3
    done = subprocess.run(add, cwd=ROOT, env=env, capture_output=True, timeout=900)
    assert done.returncode == 0, done.stderr
    fresh = tmp_path / "fresh.db"
    subprocess.run([sys.executable, "-m", "dedup", "index", "create", str(fresh)], check=True, cwd=ROOT)
    subprocess.run(
        [sys.executable, "-m", "dedup", "index", "add", str(fresh), str(articles)],
        check=True,
        cwd=ROOT,
        env=env,
    )
    probes = [json.loads(x) for x in feed[2000:2100]]
    with Index.open(index) as a, Index.open(fresh) as b:
        assert a.integrity_check() == []
        assert sorted(a.ids()) == sorted(b.ids())
        for rec in probes:
            article = Article(str(rec["id"]), rec["text"])
            assert a.check(article).to_dict() == b.check(article).to_dict()


# -- disk full ------------------------------------------------------------------------------------------

DISK_FULL = """
import json, subprocess, sys
folder, feed, index_dir = sys.argv[1], sys.argv[2], sys.argv[3]
filter_ = [sys.executable, "-m", "dedup", "filter", "--index", index_dir + "/idx.db",
           "--decisions", folder + "/d.jsonl", "-q"]
first = subprocess.run(filter_, stdin=open(feed, "rb"), capture_output=True)
from dedup import Index
with Index.open(index_dir + "/idx.db") as index:
    after_full = {"integrity": index.integrity_check(), "ids": index.ids()}
subprocess.run(["mount", "-o", "remount,size=256m", index_dir], check=True)
second = subprocess.run(filter_, stdin=open(feed, "rb"), capture_output=True)
with Index.open(index_dir + "/idx.db") as index:
    final = {"integrity": index.integrity_check(), "ids": index.ids()}
print(json.dumps({"first": [first.returncode, first.stderr.decode()], "after_full": after_full,
                  "second": [second.returncode, second.stderr.decode()], "final": final}))
"""


def _mount_tmpfs_allowed() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def test_disk_full(tmp_path: Path, feed: list[bytes], reference: dict[str, Any]) -> None:
    source = tmp_path / "feed.jsonl"
    source.write_bytes(b"".join(feed[:400]))
    want = [i for i in reference["stored"] if i in {json.loads(x)["id"] for x in feed[:400]}]
    if _mount_tmpfs_allowed():
        # a real full file system: a 1 MB tmpfs, in a mount namespace of its own
        index_dir = tmp_path / "small"
        index_dir.mkdir()
        script = f"mount -t tmpfs -o size=1m tmpfs {index_dir} && exec {sys.executable} -c '{DISK_FULL}' "
        script += f"{tmp_path} {source} {index_dir}"
        out = subprocess.run(
            ["unshare", "-m", "sh", "-c", script], capture_output=True, cwd=ROOT, timeout=900
        )
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        status, message = result["first"]
        assert status == 2
        assert "disk full: the last change was not stored (what was stored before is intact)" in message
    else:
        # no mount here: a file size limit makes the index's writes fail (EFBIG) all the same
        result = _disk_full_by_file_size_limit(tmp_path, source)
        status, message = result["first"]
        assert status == 2
        assert "disk full" in message or "disk I/O error" in message
    assert "Traceback" not in message
    assert message.startswith("dedup: error: ")
    assert "(stopped at input line " in message
    assert result["after_full"]["integrity"] == []
    assert 0 < len(result["after_full"]["ids"]) < len(want)
    assert result["after_full"]["ids"] == want[: len(result["after_full"]["ids"])]
    assert result["second"][0] == 0, result["second"][1]
    assert result["final"] == {"integrity": [], "ids": want}


def _disk_full_by_file_size_limit(tmp_path: Path, source: Path) -> dict[str, Any]:
    index = tmp_path / "limited" / "idx.db"
    index.parent.mkdir()
    command = [*FILTER, "--index", str(index), "--decisions", str(index.parent / "d.jsonl"), "-q"]

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.RLIM_INFINITY))

    with source.open("rb") as fh:
        first = subprocess.run(
            command, stdin=fh, capture_output=True, cwd=ROOT, preexec_fn=limit, check=False
        )
    with Index.open(index) as opened:
        after_full = {"integrity": opened.integrity_check(), "ids": opened.ids()}
    with source.open("rb") as fh:
        second = subprocess.run(command, stdin=fh, capture_output=True, cwd=ROOT, check=False)
    with Index.open(index) as opened:
        final = {"integrity": opened.integrity_check(), "ids": opened.ids()}
    return {
        "first": [first.returncode, first.stderr.decode()],
        "after_full": after_full,
        "second": [second.returncode, second.stderr.decode()],
        "final": final,
    }


# -- read-only, two writers, older versions ------------------------------------------------------------


def test_read_only_index(tmp_path: Path, feed: list[bytes]) -> None:
    index = tmp_path / "idx.db"
    subprocess.run([*FILTER, "--index", str(index), "-q"], input=b"".join(feed[:50]), check=True, cwd=ROOT)
    before = stored(index)
    index.chmod(0o444)
    # as root, the children run without the capabilities that let root write any file
    preexec: Callable[[], None] | None = without_dac_override if os.geteuid() == 0 else None
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(index)!r}, 'ab')"],
        capture_output=True,
        check=False,
        preexec_fn=preexec,
    )
    if probe.returncode == 0:
        pytest.skip("this process can write a read-only file (root without a way to drop the capability)")
    source = tmp_path / "more.jsonl"
    source.write_bytes(b"".join(feed[:60]))
    check = subprocess.run(
        [sys.executable, "-m", "dedup", "check", "--index", str(index), str(source)],
        capture_output=True,
        cwd=ROOT,
        preexec_fn=preexec,
        check=False,
    )
    assert check.returncode == 1, check.stderr  # it reads: the first 50 are already stored
    assert len(check.stdout.splitlines()) == 60
    out = subprocess.run(
        [*FILTER, "--index", str(index)],
        input=source.read_bytes(),
        capture_output=True,
        cwd=ROOT,
        preexec_fn=preexec,
        check=False,
    )
    assert out.returncode == 2
    message = out.stderr.decode().strip().splitlines()[-1]
    assert message.startswith(f"dedup: error: {index}: the index is read-only"), message
    assert "(stopped at input line " in message
    index.chmod(0o644)
    assert stored(index) == before
    with Index.open(index) as opened:
        assert opened.integrity_check() == []


@pytest.mark.parametrize("checkpoint_pages", [None, "4"])
def test_two_filters_on_one_index(tmp_path: Path, feed: list[bytes], checkpoint_pages: str | None) -> None:
    """Two ``dedup filter`` processes on one index; with ``checkpoint_pages``, each checkpoints its
    write-ahead log every few pages in its own thread, the two threads taking turns."""
    env = dict(os.environ)
    if checkpoint_pages is not None:
        env["DEDUP_SQLITE_CHECKPOINT_PAGES"] = checkpoint_pages
    index = tmp_path / "idx.db"
    Index.create(index).close()
    source = tmp_path / "feed.jsonl"
    source.write_bytes(b"".join(feed[:600]))
    logs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    with source.open("rb") as first, source.open("rb") as second:
        procs = [
            subprocess.Popen(
                [*FILTER, "--index", str(index), "--decisions", str(log), "-q"],
                stdin=stdin,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=ROOT,
                env=env,
            )
            for log, stdin in zip(logs, (first, second), strict=True)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=900)
            assert proc.returncode == 0, err
    runs = [decisions_of(log) for log in logs]
    for decisions in runs:
        assert [d["line"] for d in decisions] == list(range(1, 601))  # every article decided by both
    kept = [d["id"] for decisions in runs for d in decisions if d["action"] == "keep" and d["stored"]]
    assert len(kept) == len(set(kept))  # none kept twice
    assert sorted(stored(index)) == sorted(kept)  # and nothing stored that no decision reports
    # an article one kept, the other rejected (found it stored, or decided again under the lock)
    for article_id in set(kept):
        actions = sorted(d["action"] for decisions in runs for d in decisions if d["id"] == article_id)
        assert actions == ["keep", "reject"], article_id
    with Index.open(index) as opened:
        assert opened.integrity_check() == []


# The first release's layout (format 1): band keys in a table of their own.
OLD_LAYOUT = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (doc INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, text TEXT NOT NULL,
    metadata TEXT NOT NULL, published REAL, added REAL NOT NULL, signature BLOB NOT NULL,
    masked TEXT NOT NULL);
CREATE TABLE keys (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE TABLE lines (hash INTEGER PRIMARY KEY, docs INTEGER NOT NULL, edges INTEGER NOT NULL,
    sample TEXT NOT NULL);
"""


def _old_index(path: Path, *, layout: str, fmt: str) -> None:
    current = path.with_suffix(".current.db")
    Index.create(current).close()
    with sqlite3.connect(current) as db:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    meta.update({"format": fmt, "dedup_version": "0.1.0"})
    with sqlite3.connect(path) as db:
        db.executescript(layout)
        db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(meta.items()))


@pytest.mark.parametrize(
    ("fmt", "layout", "message"),
    [
        ("1", OLD_LAYOUT, "index format 1 written by dedup 0.1.0 with another layout (its articles table "
         "lacks shingles, valid, band_keys (a table)): rebuild the index with this version"),
        ("1", None, f"index format 1 (written by dedup 0.1.0); this version reads format {FORMAT_VERSION}: "
         "rebuild the index"),
        ("2", None, f"index format 2 (written by dedup 0.1.0); this version reads format {FORMAT_VERSION}: "
         "rebuild the index"),
        ("3", None, f"index format 3 (written by dedup 0.1.0); this version reads format {FORMAT_VERSION}: "
         "rebuild the index"),
        (str(FORMAT_VERSION + 1), None, f"index format {FORMAT_VERSION + 1} (written by dedup 0.1.0); this "
         f"version reads format {FORMAT_VERSION}: rebuild the index"),
    ],
    ids=["first-release-layout", "format-1", "format-2", "format-3", "newer-format"],
)  # fmt: skip
def test_index_from_another_version(tmp_path: Path, fmt: str, layout: str | None, message: str) -> None:
    path = tmp_path / "old.db"
    if layout is None:
        Index.create(path).close()
        with sqlite3.connect(path) as db:
            db.execute("UPDATE meta SET value = ? WHERE key = 'format'", (fmt,))
            db.execute("UPDATE meta SET value = '0.1.0' WHERE key = 'dedup_version'")
    else:
        _old_index(path, layout=layout, fmt=fmt)
    with pytest.raises(IncompatibleIndexError) as err:
        Index.open(path)
    assert str(err.value) == f"{path}: {message}"
    for command in (
        [*FILTER, "--index", str(path)],
        [sys.executable, "-m", "dedup", "index", "stats", str(path)],
    ):
        out = subprocess.run(command, input=b'{"id": "a", "text": "x"}\n', capture_output=True, cwd=ROOT)
        assert out.returncode == 2
        assert out.stderr.decode() == f"dedup: error: {path}: {message}\n"


def test_damaged_index_files(tmp_path: Path, feed: list[bytes]) -> None:
    index = tmp_path / "idx.db"
    subprocess.run([*FILTER, "--index", str(index), "-q"], input=b"".join(feed[:30]), check=True, cwd=ROOT)
    data = index.read_bytes()
    cases = {
        "truncated.db": data[: len(data) // 3],
        "garbage.db": random.Random(3).randbytes(len(data)),
        "zeroed.db": data[:4096] + bytes(len(data) - 4096),
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        out = subprocess.run(
            [*FILTER, "--index", str(path)], input=feed[40], capture_output=True, cwd=ROOT, check=False
        )
        assert out.returncode == 2, (name, out.stderr)
        message = out.stderr.decode()
        assert message.startswith(f"dedup: error: {path}: "), message
        assert message.count("\n") == 1, message
        assert "Traceback" not in message
