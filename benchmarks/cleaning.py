"""Corpus cleaning at scale: ``dedup report --keep ... --write-kept ... --write-removed`` on 100,000 articles.

The corpus is :mod:`tests.cascadegen`'s at scale: wire stories reprinted by outlets (verbatim, trimmed,
with intros; every story's copies are near-duplicates or containment of one another), statements quoted
by reports, a site footer, hard negatives and unrelated articles. The command is run as a user runs it,
with one worker, with two, and on the same records shuffled (two workers); each run must keep exactly
the articles expected from the planted copy groups (one per group, chosen by the policy; every other
article kept), write every input article to exactly one of the two files, and agree with the others.

Usage::

    python -m benchmarks.cleaning [--articles 100000] [--policy earliest]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.cascadegen import expected_kept, generate_cascades


def _run(
    source: Path, folder: Path, name: str, policy: str, workers: int
) -> tuple[float, set[str], dict[str, str]]:
    kept, removed = folder / f"{name}-kept.jsonl", folder / f"{name}-removed.jsonl"
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable, "-m", "dedup", "report", str(source), "-q", "--format", "json",
            "-o", str(folder / f"{name}-report.json"), "--workers", str(workers), "--keep", policy,
            "--write-kept", str(kept), "--write-removed", str(removed),
        ],
        check=True,
    )  # fmt: skip
    took = time.perf_counter() - t0
    kept_ids = [json.loads(line)["id"] for line in kept.read_text(encoding="utf-8").splitlines()]
    removed_of = {}
    for line in removed.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        removed_of[record["id"]] = record["dedup_removed"]["duplicate_of"]
    if len(set(kept_ids)) != len(kept_ids) or set(kept_ids) & removed_of.keys():
        sys.exit(f"{name}: an article written twice")
    return took, set(kept_ids), removed_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=100_000, help="about this many articles")
    ap.add_argument("--policy", default="earliest", choices=["earliest", "longest"])
    args = ap.parse_args()
    scale = args.articles / 100_000
    t0 = time.perf_counter()
    corpus = generate_cascades(
        seed=21,
        stories=round(4000 * scale),
        statements=round(150 * scale),
        footer_articles=300,
        background=round(70_400 * scale),
    )
    made = time.perf_counter() - t0
    ids = [a.id for a in corpus.articles]
    expected = expected_kept(corpus, args.policy)
    with tempfile.TemporaryDirectory(prefix="dedup-cleaning-") as tmp:
        folder = Path(tmp)
        source, shuffled = folder / "corpus.jsonl", folder / "shuffled.jsonl"
        order = list(corpus.articles)
        random.Random(5).shuffle(order)
        for path, articles in ((source, corpus.articles), (shuffled, order)):
            with path.open("w", encoding="utf-8") as fh:
                for a in articles:
                    fh.write(json.dumps({"id": a.id, "text": a.text, **a.metadata()}) + "\n")
        print(
            f"{len(ids):,} articles ({sum(len(g) for g in corpus.copy_groups):,} in "
            f"{len(corpus.copy_groups):,} copy groups), generated in {made:.0f} s; policy {args.policy}; "
            f"expected: {len(expected):,} kept, {len(ids) - len(expected):,} removed"
        )
        print()
        print("| run | time (s) | kept | removed | kept = expected | kept + removed = input |")
        print("| --- | ---: | ---: | ---: | --- | --- |")
        results = {}
        for name, path, workers in (
            ("1 worker", source, 1),
            ("2 workers", source, 2),
            ("shuffled, 2", shuffled, 2),
        ):
            took, kept, removed = _run(
                path, folder, name.replace(" ", "-").replace(",", ""), args.policy, workers
            )
            results[name] = (kept, removed)
            every = sorted(kept | removed.keys()) == sorted(ids) and len(kept) + len(removed) == len(ids)
            print(
                f"| {name} | {took:.0f} | {len(kept):,} | {len(removed):,} | {kept == expected} | {every} |"
            )
        same = all(r == results["1 worker"] for r in results.values())
        print()
        print(f"the three runs keep and remove the same articles, each naming the same kept one: {same}")


if __name__ == "__main__":
    main()
