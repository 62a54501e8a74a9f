"""Time and memory of ``dedup report`` on hostile inputs, against the same bytes as ordinary articles.

Each case is run as a user runs it (``python -m dedup report FILE --format json --workers 1`` in a
subprocess), and is compared with a baseline measured in the same run: the same number of bytes of
ordinary news-size articles (``tests/newsgen.py``, about 500 words each). A ratio near 1 means the
hostile shape costs what its size costs; a blow-up shows as a large ratio.

* **one huge article**: the baseline's texts joined into one article of ``--mb`` MB;
* **huge article and its edited copy**: that article, and a copy with one word in 25 changed and a
  line in 20 dropped (one long region, aligned piece by piece);
* **1 MB single line, twice**: 1 MB of text without a line break, and an edited copy;
* **repetitive pair**: two texts of 300,000 words drawn from 20 words (a shingle repeats thousands
  of times on both sides: the seed budget keeps the pair linear).

    python -m benchmarks.hostile            # 20 MB
    python -m benchmarks.hostile --mb 5     # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.newsgen import generate_corpus  # noqa: E402


@dataclass
class Measure:
    """One run of dedup report."""

    seconds: float
    peak_mb: float
    pairs: int


def run_report(path: Path) -> Measure:
    """Run ``dedup report PATH`` in a subprocess; wall time, peak RSS (wait4) and pairs found."""
    out = path.with_suffix(".report.json")
    start = time.perf_counter()
    command = [sys.executable, "-m", "dedup", "report", str(path), "--format", "json", "--workers", "1"]
    proc = subprocess.Popen([*command, "-q", "-o", str(out)], cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"dedup report {path} failed with status {proc.returncode}")
    pairs = len(json.loads(out.read_text(encoding="utf-8"))["pairs"])
    return Measure(seconds, usage.ru_maxrss / 1024, pairs)


def write_jsonl(path: Path, texts: list[str]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for n, text in enumerate(texts):
            fh.write(json.dumps({"id": f"t{n}", "text": text}, ensure_ascii=False) + "\n")
    return path


def ordinary_texts(megabytes: float) -> list[str]:
    """News-size articles adding up to about ``megabytes`` MB."""
    per_article = len("\n\n".join(a.text for a in generate_corpus(20)[0])) / 20
    articles, _ = generate_corpus(max(10, int(megabytes * 1_000_000 / per_article)))
    return [a.text for a in articles]


def edited(text: str, rng: random.Random) -> str:
    """A copy with one word in 25 changed and one line in 20 dropped."""
    lines = [line for line in text.split("\n") if rng.random() >= 0.05]
    out = []
    for line in lines:
        words = line.split(" ")
        out.append(" ".join("changed" if rng.random() < 0.04 else w for w in words))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=20.0, help="size of the huge article (MB)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    rng = random.Random(1)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="dedup-hostile-") as tmp:
        folder = Path(tmp)
        texts = ordinary_texts(args.mb)
        huge = "\n".join(texts)
        line = " ".join(" ".join(texts).split())[:1_000_000]
        vocabulary = [f"w{n}" for n in range(20)]
        repetitive = [" ".join(rng.choice(vocabulary) for _ in range(300_000)) for _ in range(2)]
        cases = [
            ("one huge article", [huge]),
            ("huge article and its edited copy", [huge, edited(huge, rng)]),
            ("1 MB single line, twice", [line, edited(line, rng)]),
            ("repetitive pair (20-word vocabulary)", repetitive),
        ]
        for name, case in cases:
            size = sum(len(t.encode("utf-8")) for t in case)
            hostile = run_report(write_jsonl(folder / "case.jsonl", case))
            # the baseline: the same bytes as ordinary news-size articles
            base_texts = ordinary_texts(size / 1_000_000)
            baseline = run_report(write_jsonl(folder / "baseline.jsonl", base_texts))
            rows.append(
                {
                    "case": name,
                    "mb": round(size / 1_000_000, 1),
                    "seconds": round(hostile.seconds, 1),
                    "peak_mb": round(hostile.peak_mb),
                    "pairs": hostile.pairs,
                    "baseline_articles": len(base_texts),
                    "baseline_seconds": round(baseline.seconds, 1),
                    "baseline_peak_mb": round(baseline.peak_mb),
                    "time_ratio": round(hostile.seconds / baseline.seconds, 2),
                    "memory_ratio": round(hostile.peak_mb / baseline.peak_mb, 2),
                }
            )
            print(f"{name}: done", file=sys.stderr)
    if args.json:
        print(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "rows": rows}, indent=2))
        return
    print(
        f"{'case':40} {'MB':>5} {'s':>7} {'peak MB':>8} {'pairs':>6}   {'same bytes as articles':>24}   ratio"
    )
    for r in rows:
        base = f"{r['baseline_articles']} in {r['baseline_seconds']} s, {r['baseline_peak_mb']} MB"
        print(
            f"{r['case']!s:40} {r['mb']!s:>5} {r['seconds']!s:>7} {r['peak_mb']!s:>8} {r['pairs']!s:>6}   "
            f"{base:>24}   time x{r['time_ratio']}, memory x{r['memory_ratio']}"
        )


if __name__ == "__main__":
    main()
