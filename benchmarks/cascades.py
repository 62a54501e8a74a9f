"""Passage clusters on a generated corpus with planted cascades: recovered members, origins, size, time.

Quality: the corpus of :mod:`tests.cascadegen` (a wire story reprinted by 50 outlets at known times,
some trimmed, some with intros of their own; a statement quoted by 200 reports; a site footer under 300
articles; more stories and statements, some without their original; hard negatives), run through
``Detector().report``. Each planted cascade is matched with the found passage cluster holding most of
its members; membership recall is the planted members found in their cascade's cluster, precision the
members of found clusters that belong to the cascade the cluster matches best. Origin accuracy counts
the cascades whose original is in the corpus (the cascades without it must come out with no origin).

Scaling: one statement quoted by N reports (N = 50, 100, 200, 400) among 300 unrelated articles: the
pairs found, the reach of the widest passage cluster (the statement's: N + 1), the JSON report's size
(bounded, as written by default, and with every pair), the time of detection (the batch stages) and
of the report's assembly (sorting, clusters, passage clusters, origins, folding).

Usage::

    python -m benchmarks.cascades [--seeds 3] [--sizes 50,100,200,400]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from dedup import Detector, Report
from dedup.batch.assemble import assemble_report
from dedup.batch.local import run_batch
from dedup.io.render import render_json
from dedup.settings import Settings
from tests.cascadegen import CascadeCorpus, generate_cascades


def score(corpus: CascadeCorpus, report: Report) -> dict[str, Any]:
    """Membership recall and precision, origin accuracy, and what went wrong."""
    found = [{m.article for m in c.members} for c in report.passage_clusters]
    hit = total = right = with_origin = absent_right = absent = 0
    wrong: list[str] = []
    for cascade in corpus.cascades:
        members = set(cascade.members)
        best = max(range(len(found)), key=lambda n: len(found[n] & members)) if found else None
        got = found[best] if best is not None else set()
        hit += len(got & members)
        total += len(members)
        origin = report.passage_clusters[best].origin if best is not None else None
        chosen = origin.article if origin is not None else None
        if cascade.origin is not None:
            with_origin += 1
            right += chosen == cascade.origin
        else:
            absent += 1
            absent_right += chosen is None
        if chosen != cascade.origin:
            wrong.append(f"{cascade.name} ({cascade.evidence}): {chosen} for {cascade.origin}")
    planted = [set(c.members) for c in corpus.cascades]
    true = sum(max((len(f & p) for p in planted), default=0) for f in found)
    size = sum(len(f) for f in found)
    footer = set(corpus.footer_articles)
    return {
        "recall": hit / total,
        "precision": true / size if size else 1.0,
        "origin": right / with_origin,
        "origins_right": right,
        "origins": with_origin,
        "absent_right": absent_right,
        "absent": absent,
        "footer_members": sum(len(f & footer) for f in found),
        "wrong": wrong,
    }


def quality(seeds: int) -> None:
    print("| seed | articles | pairs | passage clusters | membership recall | precision | origin right |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for seed in range(3, 3 + seeds):
        corpus = generate_cascades(seed=seed)
        t0 = time.perf_counter()
        report = Detector().report(corpus.articles, workers=2)
        took = time.perf_counter() - t0
        s = score(corpus, report)
        print(
            f"| {seed} | {len(corpus.articles):,} | {len(report.pairs):,} | {len(report.passage_clusters):,} "
            f"| {s['recall']:.3f} | {s['precision']:.3f} | {s['origins_right']} of {s['origins']}"
            f" (and {s['absent_right']} of {s['absent']} 'not in the corpus') |"
        )
        print(
            f"<!-- seed {seed}: {took:.0f} s; footer articles in clusters: {s['footer_members']};"
            f" wrong origins: {s['wrong']} -->"
        )


def scaling(sizes: list[int]) -> None:
    print("| quoting | pairs | widest | JSON bounded | per member | JSON every pair | detection | assembly |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    settings = Settings()
    for n in sizes:
        corpus = generate_cascades(
            seed=7,
            wire_reprints=2,
            quote_reports=n,
            stories=1,
            statements=1,
            footer_articles=0,
            background=300,
        )
        t0 = time.perf_counter()
        result = run_batch(settings, corpus.articles, workers=2)
        detection = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = assemble_report(
            settings,
            result.ids,
            result.words,
            result.pairs,
            result.boilerplate,
            result.skipped_buckets,
            provenance=result.provenance,
        )
        assembly = time.perf_counter() - t0
        bounded = len(render_json(report).encode())
        full = len(render_json(report, all_pairs=True).encode())
        members = sum(c.reach for c in report.passage_clusters)
        widest = report.passage_clusters[0].reach if report.passage_clusters else 0
        size = f"{bounded / 1e3:,.0f} kB | {bounded / members / 1e3:.2f} kB | {full / 1e3:,.0f} kB"
        print(f"| {n} | {len(report.pairs):,} | {widest} | {size} | {detection:.1f} s | {assembly:.2f} s |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3, help="generated corpora for the quality table")
    ap.add_argument("--sizes", default="50,100,200,400", help="reports quoting one statement, for scaling")
    args = ap.parse_args()
    if args.seeds:
        quality(args.seeds)
        print()
    if args.sizes:
        scaling([int(x) for x in args.sizes.split(",")])


if __name__ == "__main__":
    main()
