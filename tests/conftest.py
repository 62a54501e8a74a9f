"""Shared fixtures: the real seed and evaluation data (skipped with a reason when absent)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from dedup import Article

pytest_plugins = ["tests.redis_server", "tests.spark_cluster"]

# Property tests: 200 examples each in CI (.ci/run sets HYPOTHESIS_PROFILE=ci), 100 by default.
hypothesis_settings.register_profile(
    "ci", max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seed"
EVAL = SHARED / "eval"
EXAMPLES = ROOT / "examples" / "news"


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    if not (SEED / "articles.jsonl").exists():
        pytest.skip(f"seed data not found at {SEED} (the project's shared seed folder)")
    return SEED


@pytest.fixture(scope="session")
def seed_articles(seed_dir: Path) -> list[Article]:
    out = []
    for line in (seed_dir / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        out.append(Article(rec["id"], rec["text"], title=rec.get("title"), source=rec.get("source")))
    return out


@pytest.fixture(scope="session")
def seed_gold(seed_dir: Path) -> dict[str, Any]:
    gold: dict[str, Any] = json.loads((seed_dir / "gold.json").read_text(encoding="utf-8"))
    return gold
