"""Optional dependencies: a feature whose extra is not installed says which extra, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dedup.errors import DedupError, MissingExtra, require

# Runs the CLI with the named modules made unimportable, as on a machine without the extra.
_WITHOUT = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None
from dedup.cli.main import main
main(sys.argv[2:])
"""


def _dedup_without(modules: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT, modules, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_require_names_the_extra() -> None:
    with pytest.raises(MissingExtra, match=r"the 'redis' extra .*pip install 'dedup\[redis\]'") as info:
        require("dedup_no_such_module", extra="redis", feature="a Redis index")
    assert isinstance(info.value, DedupError)
    require("numpy", extra="never", feature="anything")  # installed: no error


def test_redis_index_without_the_redis_extra(tmp_path: Path) -> None:
    run = _dedup_without("redis", "index", "create", "redis://127.0.0.1:9/0")
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip() == (
        "dedup: error: a Redis index needs the 'redis' extra (redis is not installed): "
        "pip install 'dedup[redis]'"
    )


def test_serve_without_the_serve_extra(tmp_path: Path) -> None:
    run = _dedup_without("fastapi", "serve", "--index", str(tmp_path / "news.db"), "--create")
    assert run.returncode == 2, run.stderr
    assert "needs the 'serve' extra" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "news.db").exists()


def test_report_needs_no_extra(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one two three four five six seven eight nine ten", encoding="utf-8")
    run = _dedup_without(
        "redis,fastapi,uvicorn,hiredis,pyspark,pyarrow,pandas", "report", str(tmp_path), "-q"
    )
    assert run.returncode == 0, run.stderr


def test_spark_engine_without_the_spark_extra(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"id": "a", "text": "one two"}\n', encoding="utf-8")
    run = _dedup_without("pyspark", "report", str(tmp_path / "a.jsonl"), "--engine", "spark")
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip() == (
        "dedup: error: --engine spark needs the 'spark' extra (pyspark is not installed): "
        "pip install 'dedup[spark]'"
    )
