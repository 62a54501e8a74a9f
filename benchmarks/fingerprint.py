"""CPU per article of the report's map stage (tokenise, mask boilerplate, fingerprint), in one process.

Times :func:`dedup.batch.stages.fingerprint` over generated news articles (``tests.newsgen``, the
corpus of ``benchmarks/throughput.py``), a chunk of 256 at a time as the workers of ``dedup report``
do, in CPU time of one process (``time.process_time``), after one chunk to warm up. ``--against``
also times other checkouts of dedup (their own ``dedup`` package, on the same articles), one round of
each in turn, so that a busy machine weighs on all of them alike; the figure is each one's best round
(and the median is printed alongside).

    python -m benchmarks.fingerprint                          # this checkout, 3,000 articles, 5 rounds
    python -m benchmarks.fingerprint --against ../other       # and another checkout, in alternation
    python -m benchmarks.fingerprint --profile                # where the time goes (cProfile, one round)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: What a child process runs: ``argv`` = checkout, texts file, whether to profile.
_CHILD = r"""
import json, sys, time
tree, path, profile = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
sys.path.insert(0, tree)
import dedup
from dedup.batch import stages
from dedup.settings import Settings
assert dedup.__file__.startswith(tree), dedup.__file__
texts = json.loads(open(path, encoding="utf-8").read())
settings = Settings()
stages.fingerprint(settings, texts[:256], None)
def run():
    for i in range(0, len(texts), 256):
        stages.fingerprint(settings, texts[i : i + 256], None)
if profile:
    import cProfile, pstats
    cProfile.run("run()", path + ".prof")
    pstats.Stats(path + ".prof").sort_stats("cumulative").print_stats(25)
else:
    start = time.process_time()
    run()
    print(json.dumps({"seconds": time.process_time() - start}))
"""


def _round(tree: Path, texts: Path, *, profile: bool = False) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tree), str(texts), "1" if profile else "0"],
        cwd=tree,
        capture_output=not profile,
        text=True,
        check=True,
    )
    return 0.0 if profile else float(json.loads(out.stdout.splitlines()[-1])["seconds"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=3_000, help="articles (default 3,000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per checkout (default 5)")
    parser.add_argument("--against", type=Path, action="append", default=[], help="another checkout")
    parser.add_argument("--profile", action="store_true", help="profile one round of this checkout")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from tests.newsgen import generate_corpus

    articles, _ = generate_corpus(args.n, seed=1)
    trees = [ROOT, *(p.resolve() for p in args.against)]
    with tempfile.TemporaryDirectory() as folder:
        texts = Path(folder) / "texts.json"
        texts.write_text(json.dumps([a.text for a in articles]), encoding="utf-8")
        if args.profile:
            _round(ROOT, texts, profile=True)
            return
        seconds: dict[Path, list[float]] = {t: [] for t in trees}
        load_before = os.getloadavg()
        for _ in range(args.rounds):
            for tree in trees:
                seconds[tree].append(_round(tree, texts))
    result: dict[str, Any] = {
        "articles": args.n,
        "rounds": args.rounds,
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "checkouts": {
            str(t): {
                "best_ms_per_article": min(s) / args.n * 1e3,
                "median_ms_per_article": statistics.median(s) / args.n * 1e3,
            }
            for t, s in seconds.items()
        },
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    before, after = ("/".join(f"{x:.1f}" for x in result["load_average"][k]) for k in ("before", "after"))
    print(f"{args.n:,} generated articles, {args.rounds} rounds; load average {before} before, {after} after")
    print(f"{'checkout':<50}{'best ms/article':>17}{'median':>10}")
    for tree, figures in result["checkouts"].items():
        print(f"{tree:<50}{figures['best_ms_per_article']:>17.3f}{figures['median_ms_per_article']:>10.3f}")


if __name__ == "__main__":
    main()
