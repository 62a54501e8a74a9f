"""Quality benchmark: the detector, run as a user runs it, scored on labelled data against a baseline.

Data sets (each skipped with a note when its folder is absent):

* **seed**: the project's seed digest (``../shared/seed``): pairs that must and must not be flagged,
  passages that must (and may) be reported.
* **clough**: Clough & Stevenson's corpus of plagiarised short answers (``../shared/eval/clough``):
  pair precision, recall and F1 of (answer, source) pairs per category, adjusted Rand index of the
  report's clusters.
* **pan13**: the PAN 2013 text-alignment corpus, no-obfuscation part
  (``../shared/eval/pan13-no-obfuscation``): PAN character precision, recall, granularity and
  plagdet of the reported passages on the suspicious side.
* **synthetic**: generated news reuse with exact gold (:mod:`benchmarks.newsreuse`): pair F1, site
  boilerplate never flagged, character F1 of passages.

The detector runs as ``python -m dedup report FILE --format json --all-pairs`` in a subprocess, with any
``--set name=value`` given here passed on as ``--name value``. The baseline
(:mod:`benchmarks.baseline`: whole-document datasketch MinHash, 128 permutations, word 3-grams) runs
in the same process on the same texts, with its threshold chosen for its best score on each data set.

    python -m benchmarks.quality                 # table
    python -m benchmarks.quality --json          # for machines
    python -m benchmarks.quality --only clough --set min-passage-words=10
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks.baseline import WholeDocumentMinHash, best_threshold, flagged, shingles, thresholds
from benchmarks.metrics import (
    CharScores,
    PairScores,
    Span,
    adjusted_rand_index,
    char_scores,
    cluster_labels,
    coverage,
    pair_key,
    pan_scores,
    score_pairs,
    scores_by_category,
)
from benchmarks.newsreuse import generate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared"
DATASETS = ("seed", "clough", "pan13", "synthetic")

Value = float | int | str | None


@dataclass(slots=True)
class Row:
    """One line of the table: a measure, our value, the baseline's, and the target if there is one."""

    metric: str
    ours: Value
    baseline: Value = None
    target: str | None = None
    ok: bool | None = None


@dataclass(slots=True)
class Section:
    """The results on one data set."""

    name: str
    rows: list[Row] = field(default_factory=list)
    skipped: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, metric: str, ours: Value, baseline: Value = None, target: str | None = None) -> None:
        """Add a row; ``target`` is ``">= x"``, ``"<= x"`` or ``"= x"`` and is checked against ``ours``."""
        ok = None
        if target is not None and isinstance(ours, int | float):
            op, _, raw = target.partition(" ")
            bound = float(raw)
            ok = {">=": ours >= bound - 1e-9, "<=": ours <= bound + 1e-9, "=": abs(ours - bound) < 1e-9}[op]
        self.rows.append(Row(metric, ours, baseline, target, ok))


# -- running the detector -----------------------------------------------------------------------------


def _present(section: Section, folder: Path, marker: str) -> bool:
    """Whether ``folder`` holds the data set (``marker`` is one of its files); if not, note the skip."""
    if (folder / marker).exists():
        return True
    section.skipped = f"{folder} not found"
    return False


def run_dedup(inputs: Sequence[Path], options: Sequence[str]) -> tuple[dict[str, Any], float]:
    """Run ``dedup report INPUTS --format json`` as a user would; the parsed report and the seconds taken."""
    cmd = [
        sys.executable,
        "-m",
        "dedup",
        "report",
        *map(str, inputs),
        "--format",
        "json",
        "--all-pairs",
        "-q",
        *options,
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"dedup failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    data: dict[str, Any] = json.loads(proc.stdout)
    return data, seconds


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def flagged_pairs(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every pair the report flags, whatever its relation."""
    return [(p["a"], p["b"]) for p in report["pairs"]]


def passages_by_pair(report: Mapping[str, Any]) -> dict[tuple[str, str], list[Span]]:
    """The reported passages of each pair, as spans keyed by ``(pair, document)`` on both sides."""
    out: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for p in report["pairs"]:
        key = pair_key(p["a"], p["b"])
        for x in p["passages"]:
            out[key].append(((key, p["a"]), x["a_start"], x["a_end"]))
            out[key].append(((key, p["b"]), x["b_start"], x["b_end"]))
    return out


# -- seed -----------------------------------------------------------------------------------------------


def bench_seed(data: Path, options: Sequence[str], baseline: bool) -> Section:
    """The seed digest: gold pairs right, required passages covered, optional passages found."""
    section = Section("seed")
    folder = data / "seed"
    if not _present(section, folder, "articles.jsonl"):
        return section
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    records = read_jsonl(folder / "articles.jsonl")
    report, section.seconds = run_dedup([folder / "articles.jsonl"], options)
    pairs = {pair_key(p["a"], p["b"]): p for p in report["pairs"]}
    must = [pair_key(a, b) for a, b in gold["must_flag"]]
    must_not = [pair_key(a, b) for a, b in gold["must_not_flag"]]

    def right(flags: Iterable[tuple[str, str]]) -> tuple[int, int]:
        keys = {pair_key(a, b) for a, b in flags}
        return sum(k in keys for k in must), sum(k not in keys for k in must_not)

    ours_must, ours_not = right(pairs)
    base_must: Value = None
    base_not: Value = None
    if baseline:
        estimates = WholeDocumentMinHash({r["id"]: r["text"] for r in records}).pair_estimates()
        t, _ = best_threshold(thresholds(estimates, [1.0]), lambda t: sum(right(flagged(estimates, t))))
        base_must, base_not = right(flagged(estimates, t))
        section.notes.append(f"baseline threshold {t:.3f}")
    section.add(f"must-flag pairs flagged (of {len(must)})", ours_must, base_must, f"= {len(must)}")
    section.add(f"must-not pairs left alone (of {len(must_not)})", ours_not, base_not, f"= {len(must_not)}")

    def side_spans(doc: str) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for (a, b), p in pairs.items():
            if doc not in (a, b) or pair_key(*gold["must_flag"][0]) != (a, b):
                continue
            side = "a" if p["a"] == doc else "b"
            out.extend((x[f"{side}_start"], x[f"{side}_end"]) for x in p["passages"])
        return out

    def covered(passage: Mapping[str, Any]) -> float:
        return min(
            coverage(side_spans(part["doc"]), part["start"], part["end"])
            for part in (passage["a"], passage["b"])
        )

    required = [covered(p) for p in gold["required_passages"]]
    optional = [covered(p) for p in gold["optional_passages"]]
    section.add("required passages: least coverage (both sides)", min(required), None, ">= 0.6")
    for p, cov in zip(gold["optional_passages"], optional, strict=True):
        section.notes.append(f"optional passage {p['a']['text'][:40]!r}...: coverage {cov:.2f}")
    found = sum(c >= 0.6 for c in optional)
    section.add(f"optional passages found (of {len(optional)})", found, None, ">= 1")
    return section


# -- Clough -------------------------------------------------------------------------------------------


def bench_clough(data: Path, options: Sequence[str], baseline: bool) -> Section:
    """Clough & Stevenson: (answer, source) pairs per category and the adjusted Rand index of clusters."""
    section = Section("clough")
    folder = data / "eval" / "clough"
    if not _present(section, folder, "corpus.jsonl"):
        return section
    records = read_jsonl(folder / "corpus.jsonl")
    labels: dict[str, dict[str, str]] = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    ids = [r["id"] for r in records]
    task = {doc: (labels[doc]["task"] if doc in labels else doc.removesuffix(".txt")[-1]) for doc in ids}
    labelled: dict[tuple[str, str], str] = {}
    for answer, label in labels.items():
        labelled[pair_key(answer, label["source"])] = label["category"]
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if task[a] != task[b]:
                labelled[pair_key(a, b)] = "cross-task"
    positive = {k for k, c in labelled.items() if c in ("cut", "light", "heavy")}
    negative = set(labelled) - positive
    truth_clusters: dict[str, list[str]] = defaultdict(list)
    for answer, label in labels.items():
        if label["category"] != "non":
            truth_clusters[label["source"]].append(answer)
    truth = cluster_labels(([s, *a] for s, a in truth_clusters.items()), ids)

    report, section.seconds = run_dedup([folder / "corpus.jsonl"], options)
    ours = flagged_pairs(report)
    scores = score_pairs(ours, positive, negative)
    by_cat = scores_by_category(ours, labelled, {"cut", "light", "heavy"})
    predicted = cluster_labels(report["clusters"], ids)
    ari = adjusted_rand_index([truth[d] for d in ids], [predicted[d] for d in ids])

    base_scores: PairScores | None = None
    base_cat: dict[str, PairScores] = {}
    base_ari: float | None = None
    if baseline:
        model = WholeDocumentMinHash({r["id"]: r["text"] for r in records})
        estimates = model.pair_estimates()
        t, _ = best_threshold(
            thresholds(estimates, [1.0]), lambda t: score_pairs(flagged(estimates, t), positive, negative).f1
        )
        base_scores = score_pairs(flagged(estimates, t), positive, negative)
        base_cat = scores_by_category(flagged(estimates, t), labelled, {"cut", "light", "heavy"})

        def lsh_ari(t: float) -> float:
            pred = cluster_labels(model.lsh_clusters(t), ids)
            return adjusted_rand_index([truth[d] for d in ids], [pred[d] for d in ids])

        ta, base_ari = best_threshold([x / 20 for x in range(1, 20)], lsh_ari)
        section.notes.append(
            f"baseline: pairs at estimated Jaccard >= {t:.3f}, clusters from LSH at {ta:.2f}"
        )

    def base(get: Callable[[PairScores], Value], scores: PairScores | None) -> Value:
        return get(scores) if scores is not None else None

    section.add("pair F1", scores.f1, base(lambda s: s.f1, base_scores), ">= 0.95")
    section.add("pair precision", scores.precision, base(lambda s: s.precision, base_scores), ">= 0.98")
    section.add("pair recall", scores.recall, base(lambda s: s.recall, base_scores))
    targets = {"cut": ">= 1.0", "light": ">= 0.95", "heavy": ">= 0.8"}
    for cat in ("cut", "light", "heavy"):
        section.add(
            f"recall {cat} ({by_cat[cat].tp + by_cat[cat].fn} pairs)",
            by_cat[cat].recall,
            base(lambda s: s.recall, base_cat.get(cat)),
            targets[cat],
        )
    for cat in ("non", "cross-task"):
        section.add(
            f"false positives: {cat} ({by_cat[cat].fp + by_cat[cat].tn} pairs)",
            by_cat[cat].fp,
            base(lambda s: s.fp, base_cat.get(cat)),
        )
    section.add("adjusted Rand index of clusters", ari, base_ari, ">= 0.9")
    missed = sorted(f"{a}~{b} ({labelled[(a, b)]})" for a, b in positive - {pair_key(*p) for p in ours})
    wrong = sorted(f"{a}~{b} ({labelled[(a, b)]})" for a, b in negative & {pair_key(*p) for p in ours})
    texts = {r["id"]: r["text"] for r in records}
    nothing = sorted(
        f"{a}~{b} ({labelled[(a, b)]})"
        for a, b in positive
        if not shingles(texts[a], 5) & shingles(texts[b], 5)
    )
    section.notes.append(f"missed: {', '.join(missed) or 'none'}")
    section.notes.append(
        f"labelled pairs sharing no word 5-gram (no text to find): {', '.join(nothing) or 'none'}"
    )
    section.notes.append(f"false positives: {', '.join(wrong) or 'none'}")
    return section


# -- PAN 2013 -------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _copied_prefix(text: str, source: str, n: int = 5) -> npt.NDArray[np.int64]:
    """Prefix sums over ``text``'s characters of "inside a word n-gram that also occurs in ``source``"."""
    grams = {tuple(g) for g in _ngrams(_WORD.findall(source.lower()), n)}
    matches = list(_WORD.finditer(text.lower()))
    words = [m.group() for m in matches]
    diff = np.zeros(len(text) + 1, dtype=np.int64)
    for i, g in enumerate(_ngrams(words, n)):
        if tuple(g) in grams:
            diff[matches[i].start()] += 1
            diff[matches[i + n - 1].end()] -= 1
    inside = (np.cumsum(diff)[:-1] > 0).astype(np.int64)
    return np.concatenate(([0], np.cumsum(inside)))


def _ngrams(words: Sequence[str], n: int) -> Iterable[Sequence[str]]:
    return (words[i : i + n] for i in range(len(words) - n + 1))


def relocate(
    cases: Sequence[Mapping[str, Any]], texts: Mapping[str, str], *, reach: int = 3000, gain: float = 0.1
) -> list[tuple[str, str, int, int]]:
    """Suspicious-side gold spans, each shifted to where its text was actually copied from the source.

    The mirrored corpus lost characters (non-ASCII ones) before some gold spans, so their offsets drift
    by up to a few hundred characters. A span is moved by the shift (at most ``reach`` characters)
    that puts the most of its characters inside word 5-grams found in its source document, when that
    gains at least ``gain`` of its length; among near-equal shifts the smallest wins. The detector
    plays no part in this.
    """
    prefix: dict[tuple[str, str], npt.NDArray[np.int64]] = {}
    out = []
    for c in cases:
        key = (c["suspicious"], c["source"])
        if key not in prefix:
            prefix[key] = _copied_prefix(texts[key[0]], texts[key[1]])
        p = prefix[key]
        start, end = c["suspicious_start"], c["suspicious_end"]
        limit = len(p) - 1
        shifts = np.arange(-reach, reach + 1)
        shifts = shifts[(start - shifts >= 0) & (end - shifts <= limit)]
        here = int(p[min(end, limit)] - p[min(start, limit)])
        if len(shifts):
            inside = p[end - shifts] - p[start - shifts]
            best = int(inside.max())
            if best - here >= gain * (end - start):
                near = shifts[inside >= best - 0.01 * (end - start)]
                d = int(near[np.argmin(np.abs(near))])
                start, end = start - d, end - d
        out.append((key[0], key[1], min(start, limit - 1), min(end, limit)))
    return out


def bench_pan13(data: Path, options: Sequence[str], baseline: bool) -> Section:
    """PAN 2013, no obfuscation: character precision/recall, granularity and plagdet (suspicious side)."""
    section = Section("pan13")
    folder = data / "eval" / "pan13-no-obfuscation"
    if not _present(section, folder, "corpus.jsonl"):
        return section
    records = read_jsonl(folder / "corpus.jsonl")
    texts = {r["id"]: r["text"] for r in records}
    raw_cases = read_jsonl(folder / "cases.jsonl")
    gold_pairs = {(c["suspicious"], c["source"]) for c in raw_cases}
    as_given: list[Span] = [
        ((c["suspicious"], c["source"]), c["suspicious_start"], c["suspicious_end"]) for c in raw_cases
    ]
    corrected: list[Span] = [((s, src), a, b) for s, src, a, b in relocate(raw_cases, texts)]
    moved = sum(1 for x, y in zip(as_given, corrected, strict=True) if x != y)

    report, section.seconds = run_dedup([folder / "corpus.jsonl"], options)
    detections: list[Span] = []
    found_pairs = set()
    outside = 0
    for p in report["pairs"]:
        if (p["a"], p["b"]) in gold_pairs:
            key, side = (p["a"], p["b"]), "a"
        elif (p["b"], p["a"]) in gold_pairs:
            key, side = (p["b"], p["a"]), "b"
        else:
            outside += 1
            continue
        found_pairs.add(key)
        detections.extend((key, x[f"{side}_start"], x[f"{side}_end"]) for x in p["passages"])
    ours = pan_scores(corrected, detections)
    ours_raw = pan_scores(as_given, detections)

    base = None
    base_raw = None
    if baseline:
        estimates = WholeDocumentMinHash(texts).pair_estimates()

        def whole(t: float) -> list[Span]:
            out: list[Span] = []
            for a, b in flagged(estimates, t):
                key = (a, b) if (a, b) in gold_pairs else (b, a)
                if key in gold_pairs:
                    out.append((key, 0, len(texts[key[0]])))
            return out

        t, _ = best_threshold(thresholds(estimates, [1.0]), lambda t: pan_scores(corrected, whole(t)).plagdet)
        base = pan_scores(corrected, whole(t))
        base_raw = pan_scores(as_given, whole(t))
        section.notes.append(
            f"baseline: pairs at estimated Jaccard >= {t:.3f}, the whole document as passage"
        )

    section.add("plagdet", ours.plagdet, base.plagdet if base else None, ">= 0.9")
    section.add("character precision", ours.precision, base.precision if base else None)
    section.add("character recall", ours.recall, base.recall if base else None)
    section.add("granularity", ours.granularity, base.granularity if base else None)
    section.add(
        "plagdet, gold offsets as distributed", ours_raw.plagdet, base_raw.plagdet if base_raw else None
    )
    section.add(f"source pairs found (of {len(gold_pairs)})", len(found_pairs))
    section.add("cases with no detection", ours.cases - ours.detected_cases)
    section.notes.append(
        f"{moved} of {len(raw_cases)} gold spans re-located (drifted offsets in the mirror); "
        f"{outside} flagged pairs lie outside the gold pairs (not scored: the corpus labels only "
        "suspicious~source reuse of this part)"
    )
    return section


# -- synthetic ------------------------------------------------------------------------------------------


def bench_synthetic(seeds: Sequence[int], options: Sequence[str], baseline: bool) -> Section:
    """Generated news reuse: pair F1, site boilerplate never flagged, character F1 of passages."""
    section = Section("synthetic")
    tp = fp = fn = 0
    gold_chars = pred_chars = common = 0
    boiler_flagged = boiler_total = docs = 0
    corpora = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            corpus = generate(seed)
            path = Path(tmp) / f"synthetic-{seed}.jsonl"
            path.write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus.records()), encoding="utf-8"
            )
            report, seconds = run_dedup([path], options)
            section.seconds += seconds
            docs += len(corpus.docs)
            positive = [(p.a, p.b) for p in corpus.pairs]
            s = score_pairs(flagged_pairs(report), positive)
            tp, fp, fn = tp + s.tp, fp + s.fp, fn + s.fn
            boiler = {pair_key(a, b) for a, b in corpus.boilerplate_pairs()}
            boiler_total += len(boiler)
            boiler_flagged += len(boiler & {pair_key(*p) for p in flagged_pairs(report)})
            gold_spans = _gold_spans(corpus.pairs)
            c = char_scores(gold_spans, [x for v in passages_by_pair(report).values() for x in v])
            gold_chars, pred_chars, common = (
                gold_chars + c.gold_chars,
                pred_chars + c.predicted_chars,
                common + c.common_chars,
            )
            corpora.append((corpus, positive, boiler, gold_spans))
    pairs = PairScores(tp=tp, fp=fp, fn=fn)
    chars = CharScores(gold_chars, pred_chars, common)

    base_pairs: PairScores | None = None
    base_chars: CharScores | None = None
    base_boiler: int | None = None
    if baseline:
        models = []
        for corpus, positive, boiler, gold_spans in corpora:
            texts = {d.id: d.text for d in corpus.docs}
            models.append((WholeDocumentMinHash(texts).pair_estimates(), texts, positive, boiler, gold_spans))

        def at(t: float) -> tuple[PairScores, CharScores, int]:
            counts = [0, 0, 0]
            char_counts = [0, 0, 0]
            boiled = 0
            for estimates, texts, positive, boiler, gold_spans in models:
                flags = flagged(estimates, t)
                s = score_pairs(flags, positive)
                counts = [counts[0] + s.tp, counts[1] + s.fp, counts[2] + s.fn]
                spans: list[Span] = []
                for a, b in flags:
                    key = pair_key(a, b)
                    spans += [((key, a), 0, len(texts[a])), ((key, b), 0, len(texts[b]))]
                c = char_scores(gold_spans, spans)
                char_counts = [
                    char_counts[0] + c.gold_chars,
                    char_counts[1] + c.predicted_chars,
                    char_counts[2] + c.common_chars,
                ]
                boiled += len(boiler & {pair_key(*f) for f in flags})
            return PairScores(*counts), CharScores(*char_counts), boiled

        candidates = sorted({j for m in models for j in m[0].values()} | {1.0})
        t, _ = best_threshold(candidates, lambda t: at(t)[0].f1)
        base_pairs, base_chars, base_boiler = at(t)
        section.notes.append(f"baseline: pairs at estimated Jaccard >= {t:.3f}, the whole text as passage")
    section.notes.append(
        f"{len(seeds)} generated corpora (seeds {', '.join(map(str, seeds))}): {docs} texts, "
        f"{tp + fn} pairs sharing passages, {boiler_total} pairs sharing only a site footer"
    )
    section.add("pair F1", pairs.f1, base_pairs.f1 if base_pairs else None, ">= 0.97")
    section.add("pair precision", pairs.precision, base_pairs.precision if base_pairs else None)
    section.add("pair recall", pairs.recall, base_pairs.recall if base_pairs else None)
    section.add(f"boilerplate-only pairs flagged (of {boiler_total})", boiler_flagged, base_boiler, "= 0")
    section.add("passage character F1", chars.f1, base_chars.f1 if base_chars else None, ">= 0.9")
    section.add("passage character precision", chars.precision, base_chars.precision if base_chars else None)
    section.add("passage character recall", chars.recall, base_chars.recall if base_chars else None)
    return section


def _gold_spans(pairs: Iterable[Any]) -> list[Span]:
    out: list[Span] = []
    for p in pairs:
        key = pair_key(p.a, p.b)
        for a0, a1, b0, b1 in p.passages:
            out += [((key, p.a), a0, a1), ((key, p.b), b0, b1)]
    return out


# -- output ---------------------------------------------------------------------------------------------


def _fmt(value: Value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def render(sections: Sequence[Section]) -> str:
    """The results as a plain-text table (with notes under each data set)."""
    head = ("data set", "metric", "ours", "baseline", "target", "")
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    for s in sections:
        if s.skipped:
            rows.append((s.name, f"skipped: {s.skipped}", "", "", "", ""))
            continue
        for n, r in enumerate(s.rows):
            mark = "" if r.ok is None else ("ok" if r.ok else "MISS")
            rows.append(
                (s.name if n == 0 else "", r.metric, _fmt(r.ours), _fmt(r.baseline), r.target or "", mark)
            )
        notes.append(f"{s.name} ({s.seconds:.1f} s in dedup):")
        notes.extend(f"  {n}" for n in s.notes)
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([*lines, "", *notes]) + "\n"


def cli_options(settings: Iterable[str]) -> list[str]:
    """``name=value`` settings as ``dedup report`` options."""
    out = []
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"--set expects NAME=VALUE, got {item!r}")
        out += ["--" + name.strip().replace("_", "-"), value.strip()]
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (or JSON)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared folder (seed/, eval/)")
    parser.add_argument(
        "--only", action="append", choices=DATASETS, help="run only this data set (repeatable)"
    )
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a detector setting")
    parser.add_argument("--synthetic-seeds", type=int, default=5, help="generated corpora (seeds 1..N)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the MinHash baseline")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    options = cli_options(args.set)
    baseline = not args.no_baseline
    chosen = args.only or list(DATASETS)
    sections = []
    for name in chosen:
        if name == "seed":
            sections.append(bench_seed(args.data, options, baseline))
        elif name == "clough":
            sections.append(bench_clough(args.data, options, baseline))
        elif name == "pan13":
            sections.append(bench_pan13(args.data, options, baseline))
        else:
            sections.append(bench_synthetic(range(1, args.synthetic_seeds + 1), options, baseline))
    if args.json:
        print(json.dumps({"options": options, "sections": [asdict(s) for s in sections]}, indent=1))
    else:
        sys.stdout.write(render(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
