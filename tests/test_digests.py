"""The behaviour digests (benchmarks/digests.py): the seed's outputs are still the recorded ones.

The digests change, legitimately, whenever detection or the filter's decisions are changed on
purpose; such a change re-records them (``python -m benchmarks.digests --record``) in the same commit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.digests import context, normalise_report, report_item

ROOT = Path(__file__).resolve().parent.parent

RERECORD = (
    "dedup's output on the seed no longer matches benchmarks/digests.json. If this change of "
    "behaviour is intended, re-record the digests with `python -m benchmarks.digests --record` "
    "and commit benchmarks/digests.json; if not, the change altered behaviour it meant to keep "
    "(`python -m benchmarks.digests --check --only '*:seed' --keep DIR` keeps the outputs to diff)."
)


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.digests", "--check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def assert_ok(out: subprocess.CompletedProcess[str], items: list[str]) -> None:
    detail = f"{RERECORD}\n\n{out.stdout}{out.stderr}"
    assert out.returncode == 0, detail
    lines = out.stdout.splitlines()
    for item in items:
        assert any(line.split()[:2] == [item, "OK"] for line in lines), detail


def test_seed_report_and_sqlite_filter_match_recorded_digests(seed_dir: Path) -> None:
    out = check("--only", "report:seed", "filter-sqlite:seed", "--shared", str(seed_dir.parent))
    assert_ok(out, ["report:seed", "filter-sqlite:seed"])


def test_seed_redis_filter_matches_recorded_digest(seed_dir: Path, redis_server: int) -> None:
    out = check(
        "--only", "filter-redis:seed", "--shared", str(seed_dir.parent), "--redis-port", str(redis_server)
    )
    assert_ok(out, ["filter-redis:seed"])


def test_report_digest_ignores_version_and_input_location(tmp_path: Path) -> None:
    # a control character makes a notice that names the input file
    record = json.dumps({"id": "a", "text": "Officials said on Monday\x01 that the bridge would reopen."})
    paths = []
    for folder in ("one", "two/deeper"):
        path = tmp_path / folder / "in.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text(record + "\n", encoding="utf-8")
        paths.append(path)
    with context(tmp_path, workers=1, redis_port=None) as ctx:
        first = report_item(lambda _: paths[0])(ctx)
        second = report_item(lambda _: paths[1])(ctx)
    assert first.sha256 == second.sha256
    report = json.loads(first.outputs["report.json"])
    assert "dedup_version" not in report
    assert [n["source"] for n in report["notices"]] == ["in.jsonl"]
    assert first.summary["notices"] == 1
    # nothing else is dropped: another version is ignored, another count is not
    raw = json.dumps({"dedup_version": "9", "documents": 1, "notices": []}).encode()
    assert normalise_report(raw, paths[0]) == b'{"documents":1,"notices":[]}'
    assert normalise_report(raw.replace(b'"documents": 1', b'"documents": 2'), paths[0]) != (
        normalise_report(raw, paths[0])
    )
