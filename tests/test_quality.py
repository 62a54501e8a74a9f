"""The quality gate: every target of the quality benchmark, asserted on every data set it can read.

The benchmark (``python -m benchmarks.quality``) runs the detector as a user does and scores it on the
seed, Clough, PAN13, FNC-1 (tuning and held-out halves) and the generated corpora (the hard ones on
tuning and held-out seeds). A data set whose folder is absent (the labelled sets live beside the
repository, in ``../shared``) is reported as skipped; with ``DEDUP_REQUIRE_EVAL=1`` that fails. The
generated sets need nothing but the repository and always run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def quality(*args: str) -> list[dict[str, Any]]:
    cmd = [sys.executable, "-m", "benchmarks.quality", "--no-baseline", "--json", *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    sections: list[dict[str, Any]] = json.loads(proc.stdout)["sections"]
    return sections


def missed(section: dict[str, Any]) -> list[str]:
    return [f"{r['metric']}: {r['ours']} (target {r['target']})" for r in section["rows"] if r["ok"] is False]


@pytest.fixture(scope="module")
def sections() -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in quality()}


GENERATED = ("synthetic", "hardnews (tuning seeds)", "hardnews (held-out seeds)")
LABELLED = ("seed", "clough", "pan13", "fnc1 half 0 (tuning)", "fnc1 half 1 (held out)")


@pytest.mark.parametrize("name", GENERATED + LABELLED)
def test_every_target_is_met(sections: dict[str, dict[str, Any]], name: str) -> None:
    section = sections.get(name)
    assert section is not None, f"the benchmark has no data set {name!r}: {sorted(sections)}"
    if section["skipped"]:
        if os.environ.get("DEDUP_REQUIRE_EVAL") == "1" or name in GENERATED:
            pytest.fail(f"{name} skipped: {section['skipped']}")
        pytest.skip(f"{name}: {section['skipped']}")
    assert any(r["target"] for r in section["rows"]), f"{name} has no target"
    assert not missed(section), f"{name} misses its targets: {missed(section)}"


@pytest.mark.parametrize(("words", "data"), [(7, "fnc1"), (12, "clough")])
def test_the_gate_fails_a_worse_setting(words: int, data: str) -> None:
    """Moving min_passage_words off its chosen value costs a target (the gate is not blind to it):
    7 lets short shared phrases flag FNC-1 pairs without a run, 12 misses Clough's heavy revisions."""
    folder = ROOT.parent / "shared" / "eval" / {"fnc1": "realnews-fnc1", "clough": "clough"}[data]
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    sections = quality("--only", data, "--no-filter", "--set", f"min_passage_words={words}")
    assert any(missed(s) for s in sections), f"min_passage_words={words} passes every {data} target"


def test_the_gate_fails_without_the_evidence_rule() -> None:
    """With every passage counted as evidence, names and stock phrases make pairs: the gate says so."""
    sections = quality("--only", "hardnews", "--set", "evidence_run=1", "--set", "evidence_plain_words=0")
    (hard,) = sections
    assert any("hard negatives" in m for m in missed(hard)), missed(hard)


@pytest.mark.parametrize(("setting", "value"), [("evidence_run", 8), ("evidence_short_run_passage", 10)])
def test_the_gate_fails_a_weaker_evidence_rule(setting: str, value: int) -> None:
    """An 8-word run counted as evidence by itself (the rule before the real-news labels), or inside
    any short passage, flags stock phrases of real news: FNC-1's precision targets say so."""
    data = ROOT.parent / "shared" / "eval" / "realnews-fnc1"
    if not data.is_dir():
        pytest.skip(f"{data} not found")
    tune, held = quality("--only", "fnc1", "--no-filter", "--set", f"{setting}={value}")
    assert missed(tune) or missed(held), f"{setting}={value} passes every FNC-1 target"
