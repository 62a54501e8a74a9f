"""The readers' fuzz target (fuzz/readers.py), run for a bounded time.

With atheris installed (.ci/run installs it), the coverage-guided fuzzer runs for
``DEDUP_FUZZ_SECONDS`` (default 15; CI 45) from seeds of every kind of trouble the readers know
about. Hypothesis drives the same target over random bytes either way.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.readers import SEEDS, check
from tests.conftest import ROOT

SECONDS = int(os.environ.get("DEDUP_FUZZ_SECONDS", "15"))


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{n}" for n in range(len(SEEDS))])
def test_seeds(seed: bytes) -> None:
    check(seed)


@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    check(data)


@given(st.sampled_from(SEEDS), st.binary(max_size=64), st.integers(0, 8192))
def test_seeds_with_bytes_spliced_in(seed: bytes, noise: bytes, at: int) -> None:
    check(seed[: at % (len(seed) + 1)] + noise + seed[at % (len(seed) + 1) :])


def test_coverage_guided_fuzzing(tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (pip install atheris): only the hypothesis fuzzing ran")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n, seed in enumerate(SEEDS):
        (corpus / f"seed{n}").write_bytes(seed)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "fuzz.readers",
            f"-max_total_time={SECONDS}",
            "-rss_limit_mb=2048",
            "-timeout=30",
            "-print_final_stats=1",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=SECONDS + 600,
    )
    found = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-")))
    assert run.returncode == 0, (found, run.stderr[-3000:])
    runs = re.search(r"stat::number_of_executed_units:\s+(\d+)", run.stderr)
    new = re.search(r"stat::new_units_added:\s+(\d+)", run.stderr)
    assert runs is not None, run.stderr[-2000:]
    assert new is not None, run.stderr[-2000:]
    assert int(runs.group(1)) > 100 * min(SECONDS, 10)  # it really ran
    assert int(new.group(1)) > 0  # with coverage feedback (the code is instrumented)
