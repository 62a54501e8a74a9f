"""Helpers for the hostile-input tests: run the CLI as a user does, read the same inputs as a library."""

from __future__ import annotations

import ctypes
import json
import os
import random
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dedup import Detector, Pair, Report
from dedup.io.readers import read_corpus
from dedup.io.records import ReadOptions

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    """A finished CLI run."""

    returncode: int
    stdout: bytes
    stderr: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data


def dedup(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 600
) -> Run:
    """Run ``python -m dedup ARGS`` and check it never printed a traceback (unless --debug was asked)."""
    full_env = {k: v for k, v in os.environ.items() if k != "DEDUP_DEBUG"}
    full_env.update(env or {})
    out = subprocess.run(
        [sys.executable, "-m", "dedup", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=timeout,
        cwd=ROOT,
        env=full_env,
    )
    stderr = out.stderr.decode("utf-8", "replace")
    if "--debug" not in args and "DEDUP_DEBUG" not in (env or {}):
        assert "Traceback" not in stderr, stderr
    return Run(out.returncode, out.stdout, stderr)


def report_json(*args: str, stdin: bytes | None = None) -> dict[str, Any]:
    """``dedup report ARGS --format json -q`` that must succeed."""
    run = dedup("report", *args, "--format", "json", "-q", stdin=stdin)
    assert run.returncode == 0, run.stderr
    return run.json()


def library(inputs: Sequence[str | Path], **options: Any) -> tuple[Report, list[str]]:
    """Read ``inputs`` with the library and report on them; also the notices as strings."""
    corpus = read_corpus([str(i) for i in inputs], ReadOptions(**options))
    report = Detector().report(corpus.articles, notices=corpus.notices, bad_records=corpus.bad_records)
    return report, [str(n) for n in report.notices]


def assert_exact(pair: Pair | dict[str, Any], text_a: str, text_b: str) -> None:
    """Every passage's offsets are in bounds and slice exactly its text out of both articles."""
    passages = [p.to_dict() for p in pair.passages] if isinstance(pair, Pair) else pair["passages"]
    assert passages
    for p in passages:
        assert 0 <= p["a_start"] < p["a_end"] <= len(text_a)
        assert 0 <= p["b_start"] < p["b_end"] <= len(text_b)
        assert text_a[p["a_start"] : p["a_end"]] == p["a_text"]
        assert text_b[p["b_start"] : p["b_end"]] == p["b_text"]


def without_dac_override() -> None:
    """``preexec_fn`` for a child run as root: drop the capabilities that let root read any file.

    Without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, root obeys permission bits like any user, so
    ``chmod 000`` makes a file unreadable to the child. Raises OSError where the kernel refuses.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) refused")


def words(n: int, seed: int, vocabulary: int = 20000) -> list[str]:
    """``n`` pseudo-random lowercase words (deterministic for a seed)."""
    rng = random.Random(seed)
    vocab = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(vocabulary)
    ]
    return [rng.choice(vocab) for _ in range(n)]


def jsonl(path: Path, records: Sequence[dict[str, Any] | str]) -> Path:
    """Write records (dicts as JSON, strings as they are) one per line."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
