"""Behaviour digests: sha256 of what ``dedup report`` and ``dedup filter`` output, recorded and checked.

A change that should keep behaviour (a refactor, a move of modules, a speed-up) must leave every
digest as recorded in ``benchmarks/digests.json``; a change that means to alter detection changes
some of them, and is then re-recorded with ``--record`` in the same commit.

    python -m benchmarks.digests --check                 # each item OK / DIFFERENT; status 1 if any differs
    python -m benchmarks.digests --record                # (re-)record benchmarks/digests.json
    python -m benchmarks.digests --check --only '*:seed' # just the seed items (a few seconds)
    python -m benchmarks.digests --check --keep out/     # also keep the normalised outputs, to diff

Items (the programs run as a user runs them: ``python -m dedup ...`` in a subprocess):

* ``report:NAME``: ``dedup report INPUT --format json --all-pairs`` on the seed
  (``../shared/seed/articles.jsonl``), Clough (``../shared/eval/clough/corpus.jsonl``), PAN13
  (``../shared/eval/pan13-no-obfuscation/corpus.jsonl``), FNC-1
  (``../shared/eval/realnews-fnc1/corpus.jsonl``) and ``generated-10000``: 10,000 articles of
  ``tests.newsgen.generate_corpus(10000, seed=1)`` (the corpus of ``benchmarks/throughput.py``),
  written to a temporary folder.
* ``filter-sqlite:NAME`` and ``filter-redis:NAME``: ``dedup filter`` into a fresh index (a new SQLite
  file; a fresh key prefix on a ``redis-server`` this script starts on a free loopback port, or on
  ``--redis-port``), on ``seed`` (the seed's eight articles, then the same eight again: a re-run,
  all ``already-stored``) and on ``generated-2000``: ``generate_corpus(2000, seed=2, words=300)``
  (reprints, trimmed copies and shared paragraphs planted) with a ``source`` per article, a malformed
  JSON line, a record without ``text`` and a repeated article inserted. The digest covers, for each
  run, the exit status, the ``--decisions`` file, stdout (the kept lines), ``--rejects`` and
  ``--errors``, byte for byte.

Normalised away before hashing (everything else counts):

* the report's ``dedup_version`` (a release is not a change of behaviour);
* the input's path in the report's ``notices[].source`` and ``bad_records[].source``, replaced by the
  file's name (data sets and temporary folders live in different places on different machines);
* the report's whitespace: the JSON is parsed and written back compactly, keys in the order the
  report gives them (a change of key order is a difference).

Nothing else in these outputs varies from run to run: the report has no timings, paths or
timestamps, and the filter's only varying output (progress and a rate) goes to stderr, which is not
hashed. Reports do not depend on the number of workers (``--workers``, passed on to ``dedup report``;
default: the CLI's, all CPUs): recorded with 1 and with 2 workers, the digests are the same.

Each item also records the sha256 of its input, so that a changed data set or generator (a new
numpy random stream) shows as ``INPUT CHANGED`` rather than as a change of behaviour, and a short
summary (counts), printed next to a difference. A data set whose file is absent is ``SKIPPED`` with
the reason (its recorded digest is kept by ``--record``); so are the Redis items without
``redis-server``, unless ``DEDUP_REQUIRE_REDIS=1``, which makes that a failure.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared"
DIGESTS = Path(__file__).resolve().parent / "digests.json"

#: The command line of the program under test: this interpreter's ``dedup`` package.
DEDUP = [sys.executable, "-m", "dedup"]

REPORT_SIZE = 10_000
STREAM_SIZE = 2_000
STREAM_WORDS = 300


class DigestError(Exception):
    """A run that could not be completed (a program failed, a server did not start)."""


class Skipped(Exception):
    """An item that cannot run here (missing data or server); the message says why."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one item produced: the digest, the digest of its input, counts, and the normalised outputs."""

    sha256: str
    input_sha256: str
    summary: dict[str, Any]
    outputs: dict[str, bytes]


@dataclass(slots=True)
class Context:
    """What the items share in one invocation: folders, options, and the Redis server if started."""

    shared: Path
    work: Path
    workers: int | None
    redis_port: int | None
    redis_proc: subprocess.Popen[bytes] | None = None

    def port(self) -> int:
        """The port of a redis-server on loopback: ``--redis-port``, or one started now (once)."""
        if self.redis_port is not None:
            return self.redis_port
        from tests.redis_server import start_redis

        folder = self.work / "redis"
        folder.mkdir(exist_ok=True)
        try:
            self.redis_proc, self.redis_port = start_redis(folder)
        except FileNotFoundError as exc:
            if os.environ.get("DEDUP_REQUIRE_REDIS") == "1":
                raise DigestError(f"{exc}; DEDUP_REQUIRE_REDIS=1 requires it") from exc
            raise Skipped(str(exc)) from exc
        return self.redis_port

    def close(self) -> None:
        """Stop the redis-server this invocation started, if any."""
        if self.redis_proc is not None:
            self.redis_proc.terminate()
            self.redis_proc.wait(timeout=30)
            if self.redis_proc.stderr is not None:
                self.redis_proc.stderr.close()
            self.redis_proc = None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_dedup(args: list[str], *, stdin: Path | None = None, stdout: Path | None = None) -> tuple[int, bytes]:
    """Run ``dedup ARGS`` from the repository root: its exit status and stderr.

    Raises :class:`DigestError` on a failure other than ``dedup filter``'s status 2 (error lines).
    """
    with (
        open(stdin or os.devnull, "rb") as fin,
        open(stdout or os.devnull, "wb") as fout,
    ):
        proc = subprocess.run(
            [*DEDUP, *args], cwd=ROOT, stdin=fin, stdout=fout, stderr=subprocess.PIPE, check=False
        )
    if proc.returncode not in (0, 2) or (proc.returncode == 2 and args[0] != "filter"):
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise DigestError(f"dedup {' '.join(args)} exited with status {proc.returncode}: {message}")
    return proc.returncode, proc.stderr


# -- inputs ---------------------------------------------------------------------------------------------


def shared_file(ctx: Context, relative: str) -> Path:
    path = ctx.shared / relative
    if not path.is_file():
        raise Skipped(f"{path} not found (the project's shared data folder; --shared to point elsewhere)")
    return path


def _write_jsonl(path: Path, records: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def generated_report_corpus(ctx: Context) -> Path:
    """``generate_corpus(10000, seed=1)`` as JSONL (id, title, text), as in benchmarks/throughput.py."""
    from tests.newsgen import generate_corpus

    path = ctx.work / f"generated-{REPORT_SIZE}.jsonl"
    if not path.exists():
        articles, _ = generate_corpus(REPORT_SIZE, seed=1)
        _write_jsonl(path, [{"id": a.id, "title": a.title, "text": a.text} for a in articles])
    return path


def generated_stream(ctx: Context) -> Path:
    """The filter's generated stream: planted reuse, a source per article, and three odd lines.

    Line 501 is malformed JSON, line 1002 a record without ``text`` (two error records), and line 1503
    repeats line 1 (``already-stored``).
    """
    from tests.newsgen import generate_corpus

    path = ctx.work / f"generated-{STREAM_SIZE}.jsonl"
    if path.exists():
        return path
    articles, _ = generate_corpus(STREAM_SIZE, seed=2, words=STREAM_WORDS)
    sites = ["Port Alver Times", "Newswire", "The Daily Example", "Example Media"]
    lines = [
        json.dumps({"id": a.id, "title": a.title, "source": sites[i % len(sites)], "text": a.text})
        for i, a in enumerate(articles)
    ]
    lines.insert(500, '{"id": "broken-line", "text": "unterminated')
    lines.insert(1001, json.dumps({"id": "no-text", "title": "A record without its text"}))
    lines.insert(1502, lines[0])
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# -- what is hashed ------------------------------------------------------------------------------------


def normalise_report(raw: bytes, input_path: Path) -> bytes:
    """The report without what legitimately varies (see the module docstring), compact JSON."""
    report = json.loads(raw)
    report.pop("dedup_version", None)
    for entry in [*report.get("notices", []), *report.get("bad_records", [])]:
        if entry.get("source") == str(input_path):
            entry["source"] = input_path.name
    return json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def report_item(input_of: Callable[[Context], Path]) -> Callable[[Context], Outcome]:
    def run(ctx: Context) -> Outcome:
        corpus = input_of(ctx)
        out = ctx.work / "report.json"
        # every pair (--all-pairs): a pair that the bounded list folds into a passage cluster still counts
        args = ["report", str(corpus), "--format", "json", "-o", str(out), "-q", "--all-pairs"]
        if ctx.workers is not None:
            args += ["--workers", str(ctx.workers)]
        run_dedup(args)
        data = normalise_report(out.read_bytes(), corpus)
        out.unlink()
        report = json.loads(data)
        summary = {
            "documents": report["documents"],
            **report["summary"],
            "clusters": len(report["clusters"]),
            "boilerplate": len(report["boilerplate"]),
            "notices": len(report["notices"]),
        }
        return Outcome(sha256(data), file_sha256(corpus), summary, {"report.json": data})

    return run


def filter_item(
    input_of: Callable[[Context], Path], index_of: Callable[[Context, str], str], runs: int
) -> Callable[[Context], Outcome]:
    """``dedup filter`` ``runs`` times over the same input into one fresh index."""

    def run(ctx: Context) -> Outcome:
        stream = input_of(ctx)
        index = index_of(ctx, uuid.uuid4().hex)
        outputs: dict[str, bytes] = {}
        stderrs: dict[str, bytes] = {}  # kept with --keep, not hashed (it names the index)
        statuses: list[int] = []
        actions: Counter[str] = Counter()
        for n in range(1, runs + 1):
            files = {
                name: ctx.work / f"run{n}-{name}.jsonl" for name in ("decisions", "kept", "rejects", "errors")
            }
            args = ["filter", "--index", index, "-q", "--decisions", str(files["decisions"]),
                    "--rejects", str(files["rejects"]), "--errors", str(files["errors"])]  # fmt: skip
            status, stderr = run_dedup(args, stdin=stream, stdout=files["kept"])
            statuses.append(status)
            for name, path in files.items():
                outputs[f"run{n}-{name}.jsonl"] = path.read_bytes()
                path.unlink()
            stderrs[f"run{n}-stderr.txt"] = stderr
            for line in outputs[f"run{n}-decisions.jsonl"].splitlines():
                decision = json.loads(line)
                actions[f"{decision['action']} {decision.get('relation') or ''}".strip()] += 1
        manifest = {
            "statuses": statuses,
            "outputs": {name: sha256(data) for name, data in outputs.items()},
        }
        digest = sha256(json.dumps(manifest, sort_keys=True).encode("ascii"))
        summary = {"statuses": statuses, **dict(sorted(actions.items()))}
        return Outcome(digest, file_sha256(stream), summary, {**outputs, **stderrs})

    return run


def sqlite_index(ctx: Context, name: str) -> str:
    return str(ctx.work / f"{name}.db")


def redis_index(ctx: Context, name: str) -> str:
    return f"redis://127.0.0.1:{ctx.port()}/0?prefix=digests-{name}"


def seed(ctx: Context) -> Path:
    return shared_file(ctx, "seed/articles.jsonl")


ITEMS: dict[str, Callable[[Context], Outcome]] = {
    "report:seed": report_item(seed),
    "report:clough": report_item(lambda ctx: shared_file(ctx, "eval/clough/corpus.jsonl")),
    "report:pan13": report_item(lambda ctx: shared_file(ctx, "eval/pan13-no-obfuscation/corpus.jsonl")),
    "report:fnc1": report_item(lambda ctx: shared_file(ctx, "eval/realnews-fnc1/corpus.jsonl")),
    f"report:generated-{REPORT_SIZE}": report_item(generated_report_corpus),
    "filter-sqlite:seed": filter_item(seed, sqlite_index, runs=2),
    f"filter-sqlite:generated-{STREAM_SIZE}": filter_item(generated_stream, sqlite_index, runs=1),
    "filter-redis:seed": filter_item(seed, redis_index, runs=2),
    f"filter-redis:generated-{STREAM_SIZE}": filter_item(generated_stream, redis_index, runs=1),
}


# -- record and check ----------------------------------------------------------------------------------


def load(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    items: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["items"]
    return items


def save(path: Path, items: dict[str, dict[str, Any]]) -> None:
    ordered = {name: items[name] for name in ITEMS if name in items}
    data = {
        "about": "sha256 of dedup's outputs; python -m benchmarks.digests --check (or --record when "
        "a change of behaviour is intended); see benchmarks/digests.py",
        "items": ordered,
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@contextmanager
def context(shared: Path, workers: int | None, redis_port: int | None) -> Iterator[Context]:
    with tempfile.TemporaryDirectory(prefix="dedup-digests-") as tmp:
        ctx = Context(shared=shared, work=Path(tmp), workers=workers, redis_port=redis_port)
        try:
            yield ctx
        finally:
            ctx.close()


def select(patterns: list[str] | None) -> list[str]:
    if not patterns:
        return list(ITEMS)
    chosen = [name for name in ITEMS if any(fnmatch.fnmatchcase(name, p) for p in patterns)]
    if not chosen:
        raise SystemExit(f"no item matches {' '.join(patterns)}; items: {', '.join(ITEMS)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", action="store_true", help="run the items and write the digests file")
    mode.add_argument("--check", action="store_true", help="run the items and compare with the digests file")
    parser.add_argument("--only", nargs="+", metavar="PATTERN", help="items to run (shell patterns)")
    parser.add_argument("--digests", type=Path, default=DIGESTS, help="the digests file")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder")
    parser.add_argument("--workers", type=int, default=None, help="dedup report --workers (default: its own)")
    parser.add_argument("--redis-port", type=int, default=None, help="use this loopback redis-server")
    parser.add_argument("--keep", type=Path, default=None, help="write each item's normalised outputs here")
    args = parser.parse_args(argv)

    recorded = load(args.digests)
    names = select(args.only)
    width = max(len(n) for n in names)
    failed = False
    new = dict(recorded)
    with context(args.shared.resolve(), args.workers, args.redis_port) as ctx:
        for name in names:
            start = time.perf_counter()
            try:
                outcome = ITEMS[name](ctx)
            except Skipped as exc:
                print(f"{name:<{width}}  SKIPPED: {exc}", flush=True)
                continue
            except DigestError as exc:
                print(f"{name:<{width}}  FAILED: {exc}", flush=True)
                failed = True
                continue
            seconds = time.perf_counter() - start
            if args.keep is not None:
                folder = args.keep / name.replace(":", "-")
                folder.mkdir(parents=True, exist_ok=True)
                for file, data in outcome.outputs.items():
                    (folder / file).write_bytes(data)
            entry = {
                "sha256": outcome.sha256,
                "input_sha256": outcome.input_sha256,
                "summary": outcome.summary,
            }
            old = recorded.get(name)
            if args.record:
                new[name] = entry
                same = old is not None and old["sha256"] == outcome.sha256
                note = "unchanged" if same else ("new" if old is None else "CHANGED")
                print(f"{name:<{width}}  recorded ({note})  {seconds:.1f} s", flush=True)
                continue
            if old is None:
                status = "NOT RECORDED"
            elif old["sha256"] == outcome.sha256:
                status = "OK"
            elif old["input_sha256"] != outcome.input_sha256:
                status = "DIFFERENT (INPUT CHANGED: the data or the generator differs from the recorded one)"
            else:
                status = "DIFFERENT"
            print(f"{name:<{width}}  {status}  {seconds:.1f} s", flush=True)
            if status != "OK":
                failed = True
                if old is not None:
                    print(f"    recorded: {json.dumps(old['summary'])}")
                print(f"    now:      {json.dumps(outcome.summary)}")
    if args.record:
        save(args.digests, new)
        print(f"wrote {args.digests}")
        return 1 if failed else 0
    if failed:
        print(
            "Behaviour differs from the recorded digests. If the change is intended (detection was "
            "deliberately changed), re-record: python -m benchmarks.digests --record; otherwise "
            "compare outputs with --keep DIR (run on the commit before and after)."
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
