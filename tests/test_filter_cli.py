"""``dedup index``, ``check`` and ``filter`` run as a user runs them: real processes, real files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dedup import Article, Index
from tests.newsgen import stories
from tests.test_index import tass_reprint

DEDUP = [sys.executable, "-m", "dedup"]


def run(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*DEDUP, *args], input=stdin, capture_output=True, cwd=cwd, timeout=600, check=False
    )


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def line_of(article: Article, **extra: str) -> bytes:
    return json.dumps({"id": article.id, "text": article.text, **extra}, ensure_ascii=False).encode() + b"\n"


def stored_ids(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [str(r[0]) for r in db.execute("SELECT id FROM articles ORDER BY doc")]


# -- the seed scenario --------------------------------------------------------------------------------


def test_seed_scenario_through_dedup_filter(
    tmp_path: Path, seed_dir: Path, seed_articles: list[Article]
) -> None:
    db = tmp_path / "news.db"
    feed = (seed_dir / "articles.jsonl").read_bytes()
    out = run("filter", "--index", str(db), "--decisions", str(tmp_path / "d.jsonl"), "--rejects",
              str(tmp_path / "r.jsonl"), stdin=feed)  # fmt: skip
    assert out.returncode == 0, out.stderr.decode()
    # all eight kept, written to stdout unchanged
    assert out.stdout == b"".join(line + b"\n" for line in feed.splitlines())
    assert (tmp_path / "r.jsonl").read_bytes() == b""
    decisions = jsonl(tmp_path / "d.jsonl")
    assert [(d["id"], d["action"], d["line"]) for d in decisions] == [
        (a.id, "keep", n) for n, a in enumerate(seed_articles, 1)
    ]
    tass = next(d for d in decisions if d["id"] == "pakistan-tass")
    assert tass["relation"] == "overlap"
    assert [m["id"] for m in tass["matches"]] == ["pakistan-moscow-times"]
    texts = {a.id: a.text for a in seed_articles}
    passages = tass["matches"][0]["passages"]
    assert passages
    for p in passages:
        assert texts["pakistan-tass"][p["new_start"] : p["new_end"]] == p["new_text"]
        assert texts["pakistan-moscow-times"][p["stored_start"] : p["stored_end"]] == p["stored_text"]
    assert all(d["matches"] == [] for d in decisions if d["id"] != "pakistan-tass")

    # then a reprint of pakistan-tass by another outlet
    reprint = line_of(Article("wire-pakistan", tass_reprint(texts["pakistan-tass"])))
    out = run("filter", "--index", str(db), "--decisions", str(tmp_path / "d2.jsonl"), "--rejects",
              str(tmp_path / "r2.jsonl"), stdin=reprint)  # fmt: skip
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == b""
    assert (tmp_path / "r2.jsonl").read_bytes() == reprint
    (decision,) = jsonl(tmp_path / "d2.jsonl")
    assert decision["action"] == "reject"
    assert decision["relation"] == "near-duplicate"
    assert decision["matches"][0]["id"] == "pakistan-tass"
    assert decision["matches"][0]["relation"] == "near-duplicate"
    assert stored_ids(db) == [a.id for a in seed_articles]


def test_rerun_inserts_nothing_twice(tmp_path: Path, seed_dir: Path) -> None:
    db = tmp_path / "news.db"
    feed = (seed_dir / "articles.jsonl").read_bytes()
    assert run("filter", "--index", str(db), "-q", stdin=feed).returncode == 0
    out = run("filter", "--index", str(db), "--decisions", str(tmp_path / "d.jsonl"), stdin=feed)
    assert out.returncode == 0
    assert out.stdout == b""
    decisions = jsonl(tmp_path / "d.jsonl")
    assert len(decisions) == 8
    assert {(d["action"], d["relation"], d["stored"]) for d in decisions} == {
        ("reject", "already-stored", False)
    }
    assert len(stored_ids(db)) == 8
    assert "8 articles (0 kept, 8 rejected, 0 errors)" in out.stderr.decode()


# -- every line ends up somewhere ---------------------------------------------------------------------


def test_every_line_is_kept_rejected_or_an_error(tmp_path: Path, seed_articles: list[Article]) -> None:
    db = tmp_path / "news.db"
    a, b, c = seed_articles[0], seed_articles[1], seed_articles[2]
    lines = [
        line_of(a),
        b'{"id": "broken", "text": "no closing brace"\n',
        b'{"id": "no-text"}\n',
        b"\n",  # blank lines are not articles
        json.dumps({"id": "latin", "text": "caf\u00e9 society"}).encode().replace(b"\\u00e9", b"\xe9")
        + b"\n",
        line_of(b, published="someday soon"),
        b"[1, 2, 3]\n",
        line_of(a),  # same id again
        line_of(Article("copy-of-c", c.text)),
        line_of(c),  # same text as the line before, another id
        json.dumps({"id": 42, "text": "an integer id is fine " * 5}).encode() + b"\n",
    ]
    feed = b"".join(lines)
    out = run("filter", "--index", str(db), "--decisions", str(tmp_path / "d.jsonl"), "--rejects",
              str(tmp_path / "r.jsonl"), "--errors", str(tmp_path / "e.jsonl"), stdin=feed)  # fmt: skip
    assert out.returncode == 2
    assert "4 input line(s) could not be used" in out.stderr.decode()
    kept = out.stdout.splitlines(keepends=True)
    rejected = (tmp_path / "r.jsonl").read_bytes().splitlines(keepends=True)
    errors = (tmp_path / "e.jsonl").read_bytes().splitlines(keepends=True)
    # the raw bytes of every non-blank line are in exactly one output, in input order
    non_blank = [line for line in lines if line.strip()]
    assert sorted(kept + rejected + errors) == sorted(non_blank)
    assert errors == [lines[1], lines[2], lines[5], lines[6]]
    decisions = jsonl(tmp_path / "d.jsonl")
    assert [d["line"] for d in decisions] == [n for n, line in enumerate(lines, 1) if line.strip()]
    by_line = {d["line"]: d for d in decisions}
    assert by_line[2]["action"] == "error"
    assert "malformed JSON" in by_line[2]["error"]
    assert by_line[3]["field"] == "text"
    assert by_line[3]["id"] == "no-text"
    assert by_line[5]["action"] == "keep"  # cp1252 fallback, with a warning
    assert by_line[6]["field"] == "published"
    assert by_line[8]["relation"] == "already-stored"
    assert by_line[10]["relation"] == "near-duplicate"
    assert by_line[11]["id"] == "42"
    assert "not valid UTF-8" in out.stderr.decode()
    with Index.open(db) as index:
        assert index.get("latin") is not None
        assert index.get("latin").article.text == "caf\u00e9 society"  # type: ignore[union-attr]


# -- dedup check --------------------------------------------------------------------------------------


def test_check_exit_status_and_adds_nothing(
    tmp_path: Path, seed_dir: Path, seed_articles: list[Article]
) -> None:
    db = tmp_path / "news.db"
    assert run("index", "create", str(db)).returncode == 0
    assert run("index", "add", str(db), str(seed_dir / "articles.jsonl"), "-q").returncode == 0
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_bytes(b"".join(line_of(s) for s in stories(3)))
    out = run("check", "--index", str(db), str(fresh))
    assert out.returncode == 0, out.stderr.decode()
    assert [json.loads(line)["action"] for line in out.stdout.splitlines()] == ["keep"] * 3
    tass = next(a for a in seed_articles if a.id == "pakistan-tass")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(fresh.read_bytes() + line_of(Article("wire", tass_reprint(tass.text))))
    out = run("check", "--index", str(db), str(mixed), "-o", str(tmp_path / "out.jsonl"))
    assert out.returncode == 1
    decisions = jsonl(tmp_path / "out.jsonl")
    assert [d["action"] for d in decisions] == ["keep", "keep", "keep", "reject"]
    assert decisions[-1]["matches"][0]["id"] == "pakistan-tass"
    assert len(stored_ids(db)) == 8  # nothing added
    # stdin works too, and the digest choice can be changed
    out = run("check", "--index", str(db), "-", "--reject", "containing", stdin=line_of(
        Article("digest", (seed_dir / "000_544341561949e636.txt").read_text(encoding="utf-8"))))  # fmt: skip
    assert out.returncode == 1
    assert json.loads(out.stdout)["relation"] == "containment"
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"id": "x"}\n')
    out = run("check", "--index", str(db), str(bad))
    assert out.returncode == 2
    assert "bad.jsonl, line 1, field 'text': missing" in out.stderr.decode()
    out = run("check", "--index", str(tmp_path / "missing.db"), str(fresh))
    assert out.returncode == 2
    assert "missing.db: no such index" in out.stderr.decode()
    assert not (tmp_path / "missing.db").exists()


# -- dedup index ... ----------------------------------------------------------------------------------


def test_index_commands(tmp_path: Path, seed_dir: Path) -> None:
    db = tmp_path / "news.db"
    out = run("index", "create", str(db), "--window-size", "10", "--min-passage-words", "9")
    assert out.returncode == 0, out.stderr.decode()
    assert run("index", "create", str(db)).returncode == 2
    out = run("index", "add", str(db), str(seed_dir / "articles.jsonl"))
    assert out.stdout.decode().strip() == "added 8, already stored 0"
    out = run("index", "add", str(db), str(seed_dir / "articles.jsonl"), "-q")
    assert out.stdout.decode().strip() == "added 0, already stored 8"
    stats = json.loads(run("index", "stats", str(db), "--json").stdout)
    assert stats["articles"] == 8
    assert stats["settings"]["window_size"] == 10
    assert stats["settings"]["min_passage_words"] == 9
    assert stats["keys"] > 8 * 25
    assert "articles           8" in run("index", "stats", str(db)).stdout.decode()
    got = run("index", "get", str(db), "china-tass")
    assert json.loads(got.stdout)["id"] == "china-tass"
    out = run("index", "remove", str(db), "china-tass", "no-such-id")
    assert out.returncode == 1
    assert out.stdout.decode().strip() == "removed 1"
    assert "not found: no-such-id" in out.stderr.decode()
    assert run("index", "get", str(db), "china-tass").returncode == 1
    # nothing here carries a date: prune goes by the time each was added
    assert run("index", "prune", str(db), "--older-than", "1d").stdout.decode().strip() == "removed 0"
    assert run("index", "prune", str(db), "--older-than", "0s").stdout.decode().strip() == "removed 7"
    out = run("index", "prune", str(db), "--older-than", "soon")
    assert out.returncode == 2
    assert "cannot read duration 'soon'" in out.stderr.decode()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM lines").fetchone() == (0,)


def test_every_command_has_help() -> None:
    for command in (["index"], ["index", "create"], ["index", "add"], ["index", "stats"], ["index", "get"],
                    ["index", "remove"], ["index", "prune"], ["check"], ["filter"]):  # fmt: skip
        out = run(*command, "--help")
        assert out.returncode == 0
        assert len(out.stdout.decode().split("\n")) > 3


# -- concurrency and crashes --------------------------------------------------------------------------


def test_two_filter_processes_keep_each_article_once(tmp_path: Path, seed_articles: list[Article]) -> None:
    db = tmp_path / "news.db"
    assert run("index", "create", str(db)).returncode == 0
    articles = seed_articles + stories(120, seed=11)
    feeds = []
    for name in ("a", "b"):
        feed = tmp_path / f"{name}.jsonl"
        # both feeds carry copies of every article: same id for some, another id for the others
        copies = [Article(a.id if n % 3 else f"{a.id}@{name}", a.text) for n, a in enumerate(articles)]
        feed.write_bytes(b"".join(line_of(a) for a in copies))
        feeds.append(feed)
    procs = []
    for name, feed in zip("ab", feeds, strict=True):
        with feed.open("rb") as stdin:
            procs.append(subprocess.Popen(
                [*DEDUP, "filter", "--index", str(db), "--decisions", str(tmp_path / f"{name}.d"), "-q"],
                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            ))  # fmt: skip
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    kept = [json.loads(line)["id"] for out, _ in outs for line in out.splitlines()]
    assert len(kept) == len(articles)
    assert sorted(kept) == sorted(stored_ids(db))
    for n, art in enumerate(articles):
        names = {art.id} if n % 3 else {f"{art.id}@a", f"{art.id}@b"}
        assert len(names & set(kept)) == 1, art.id
    decided = [jsonl(tmp_path / f"{name}.d") for name in "ab"]
    assert [len(d) for d in decided] == [len(articles), len(articles)]
    relations = {d["relation"] for ds in decided for d in ds if d["action"] == "reject"}
    assert relations <= {"already-stored", "near-duplicate"}
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_sigkill_mid_stream_then_rerun(tmp_path: Path, seed_articles: list[Article]) -> None:
    base = stories(240, seed=5)
    # a stream with reprints of earlier articles mixed in
    articles = []
    for n, art in enumerate(base):
        articles.append(art)
        if n % 4 == 3:
            src = base[n - 2]
            articles.append(Article(f"{src.id}-reprint", "Updated headline for the story\n\n" + src.text))
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(b"".join(line_of(a) for a in articles))

    # what an uninterrupted run decides
    reference = tmp_path / "reference.db"
    with feed.open("rb") as stdin:
        ref = subprocess.run([*DEDUP, "filter", "--index", str(reference), "-q"], stdin=stdin,
                             capture_output=True, timeout=600, check=False)  # fmt: skip
    assert ref.returncode == 0
    expected = stored_ids(reference)
    assert len(expected) == len(base)

    db = tmp_path / "news.db"
    decisions1 = tmp_path / "d1.jsonl"
    kept1 = tmp_path / "k1.jsonl"
    with feed.open("rb") as stdin, kept1.open("wb") as stdout:
        proc = subprocess.Popen([*DEDUP, "filter", "--index", str(db), "--decisions", str(decisions1), "-q"],
                                stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if decisions1.exists() and decisions1.read_bytes().count(b"\n") >= 60:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    first = [json.loads(line) for line in decisions1.read_bytes().splitlines() if line.endswith(b"}")]
    assert 60 <= len(first) < len(articles), "the process was not killed mid-stream"

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Index.open(db) as index:
        assert index.integrity_check() == []
        stored_after_kill = set(index.ids())

    decisions2 = tmp_path / "d2.jsonl"
    with feed.open("rb") as stdin:
        rerun = subprocess.run([*DEDUP, "filter", "--index", str(db), "--decisions", str(decisions2), "-q"],
                               stdin=stdin, capture_output=True, timeout=600, check=False)  # fmt: skip
    assert rerun.returncode == 0
    second = jsonl(decisions2)
    # every article decided exactly once by the re-run, and the index ends as an uninterrupted run's
    assert [d["id"] for d in second] == [a.id for a in articles]
    assert stored_ids(db) == expected
    already = {d["id"] for d in second if d["relation"] == "already-stored"}
    assert already == stored_after_kill
    kept_first = [json.loads(line)["id"] for line in kept1.read_bytes().splitlines()]
    kept_second = [json.loads(line)["id"] for line in rerun.stdout.splitlines()]
    assert not set(kept_first) & set(kept_second)
    assert len(kept_first + kept_second) == len(set(kept_first + kept_second))
    # stdout is written right after each commit: only an article committed in the instant before
    # the kill can be stored without its output line (the re-run reports it as already stored)
    unseen = set(expected) - set(kept_first) - set(kept_second)
    assert len(unseen) <= 1
    assert unseen <= already


@pytest.mark.parametrize("args", [["--window", "3x"], ["--reject", "everything"]])
def test_bad_options_are_errors(tmp_path: Path, args: list[str]) -> None:
    out = run("filter", "--index", str(tmp_path / "x.db"), *args, stdin=b"")
    assert out.returncode == 2
    assert out.stderr.decode().startswith("dedup: error:")
    assert not (tmp_path / "x.db").exists()
