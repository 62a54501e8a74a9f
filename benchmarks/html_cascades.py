"""How fast the page of a 100,000-pair report opens when most pairs come from widely shared passages.

A report where one passage is shared by N articles holds N(N-1)/2 pairs. This benchmark builds such a
report (by default about 100,000 pairs: a quote in 300 articles, another in 250, a story in 150, and
more cascades of 80), groups its passages (the report's assembly: passage clusters,
origins, the bounded pair list), renders the page twice, with the bounded pair list (the default) and
with every pair (``--all-pairs``), and opens each page repeatedly in Debian's chromium to time the
first screen. It also times opening the widest passage cluster's view and the last pair. The pairs are
built directly with exact passages (running the detector to find 100,000 pairs would take most of an
hour on two cores and would measure detection, not the page). Usage::

    python benchmarks/html_cascades.py [--pairs 100000] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on the import path, where html.py would hide the
# standard library's html module: put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent) if Path(p or ".").resolve() == _HERE else p for p in sys.path]

from benchmarks.browser import CHROMIUM_ARGS, chromium_executable  # noqa: E402
from benchmarks.html import Words, _load_only, _time_page  # noqa: E402
from dedup import Article, Pair, Passage, Report  # noqa: E402
from dedup.batch.assemble import assemble_report  # noqa: E402
from dedup.engine.origin import provenance  # noqa: E402
from dedup.io.html import render_html  # noqa: E402
from dedup.settings import Settings  # noqa: E402

OPEN_SHARED = """async () => {
  const t0 = performance.now();
  location.hash = "#passage-1";
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const n = document.querySelectorAll("#variant-list li.variant").length;
  return [performance.now() - t0, n];
}"""


def _published(minute: int) -> str:
    day, minute = divmod(minute, 24 * 60)
    return f"2024-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z"


def build(target_pairs: int, *, spread: bool = False, seed: int = 3) -> tuple[list[Article], list[Pair]]:
    """Articles and the pairs a detector would report for them (exact passages), about ``target_pairs``.

    By default the pairs come from a few wide cascades (quotes in 300, 250 and 200 articles, stories
    in 150 and 100, then more of 80 articles): the report the issue describes, where a few hundred
    articles share a handful of passages. With ``spread`` the cascades stop at the first three and the
    rest are thousands of small groups of copies, so that most pairs are their own story.
    """
    rng = random.Random(seed)
    w = Words(rng)
    articles: list[Article] = []
    pairs: list[Pair] = []

    def group(n: int, kind: str, name: str) -> None:
        shared = " ".join(w.sentence() for _ in range(3 if kind == "quote" else 12))
        members = []
        base = rng.randint(0, 200 * 24 * 60)
        for i in range(n):
            if kind == "quote":
                before, after = w.paragraph() + " \u201c", "\u201d " + w.paragraph()
            else:
                before, after = w.sentence() + "\n\n", "\n\n" + w.sentence()
            text = before + shared + after
            published = _published(base + rng.randint(0, 3 * 24 * 60))
            a = Article(f"{name}-{i:04d}", text, source=f"Outlet {rng.randint(1, 500)}", published=published)
            members.append((a, len(before)))
            articles.append(a)
        relation = "overlap" if kind == "quote" else "near-duplicate"
        cov = 0.3 if kind == "quote" else 0.9
        for (a, sa), (b, sb) in combinations(members, 2):
            p = Passage(sa, sa + len(shared), sb, sb + len(shared), 1.0, shared, shared, len(shared.split()))
            pairs.append(Pair(a.id, b.id, relation, cov, cov, cov, (p,)))  # type: ignore[arg-type]

    plan = [(300, "quote"), (250, "quote"), (200, "quote")]
    if not spread:
        plan += [(150, "story"), (100, "story")]
    for n, (size, kind) in enumerate(plan):
        if len(pairs) < target_pairs:
            group(size, kind, f"{kind}-{n}")
    n = 0
    while len(pairs) < target_pairs:
        group((3 if n % 2 else 2) if spread else 80, "story", f"copies-{n:05d}")
        n += 1
    return articles, pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=100_000, help="pairs in the report")
    ap.add_argument("--runs", type=int, default=5, help="page loads per variant")
    ap.add_argument("--chromium", default=chromium_executable(), help="the browser binary")
    ap.add_argument("--keep", type=Path, help="also write the pages into this folder")
    ap.add_argument("--spread", action="store_true", help="most pairs from small groups of copies")
    args = ap.parse_args()
    if args.chromium is None:
        sys.exit("chromium not found: apt-get install chromium, or pass --chromium PATH")

    from playwright.sync_api import sync_playwright

    articles, pairs = build(args.pairs, spread=args.spread)
    known = {a.id: provenance(a.text, source=a.source, published=a.published) for a in articles}
    t0 = time.perf_counter()
    report: Report = assemble_report(
        Settings(),
        [a.id for a in articles],
        [len(a.text.split()) for a in articles],
        pairs,
        (),
        0,
        provenance=known,
    )
    assemble_s = time.perf_counter() - t0
    listed = len(report.listed_pairs())
    t0 = time.perf_counter()
    bounded = render_html(report, articles)
    bounded_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    full = render_html(report, articles, all_pairs=True)
    full_s = time.perf_counter() - t0

    folder = args.keep or Path(tempfile.mkdtemp(prefix="dedup-html-cascades-"))
    folder.mkdir(parents=True, exist_ok=True)
    pages = {
        "bounded (default)": (folder / "bounded.html", bounded, listed),
        "bounded, load only": (folder / "bounded-load-only.html", _load_only(bounded), 0),
        "every pair (--all-pairs)": (folder / "all-pairs.html", full, len(report.pairs)),
        "every pair, load only": (folder / "all-pairs-load-only.html", _load_only(full), 0),
    }
    for path, text, _ in pages.values():
        path.write_text(text, encoding="utf-8")

    shared_ms: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        version = browser.version
        _time_page(browser, pages["bounded (default)"][0], 1, 1)  # warm-up
        timings = {name: _time_page(browser, path, args.runs, n) for name, (path, _, n) in pages.items()}
        for name in ("bounded (default)", "every pair (--all-pairs)"):
            shared_ms[name] = []
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.goto(pages[name][0].as_uri())
                page.wait_for_selector("html[data-ready]")
                ms, shown = page.evaluate(OPEN_SHARED)
                if not shown:
                    sys.exit(f"{name}: the passage view did not render")
                shared_ms[name].append(ms)
                context.close()
        browser.close()

    widest = report.passage_clusters[0]
    print(
        f"report: {len(articles):,} articles, {len(report.pairs):,} pairs, "
        f"{len(report.passage_clusters):,} passage clusters (widest: {widest.reach} articles), "
        f"{listed:,} pairs listed by default"
    )
    print(f"assembly (passage clusters, origins, bounded list): {assemble_s:.1f} s")
    print(f"render_html: bounded {bounded_s:.1f} s, every pair {full_s:.1f} s")
    print(f"chromium {version}, {args.runs} loads per page (median, min)")
    print()
    print("| page | size | first screen (ms) | to ready, wall (ms) | open pair (ms) | open passage (ms) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, (path, _, _) in pages.items():
        t: dict[str, Any] = timings[name]
        op = f"{statistics.median(t['open_pair']):.0f}" if t["open_pair"] else ""
        sh = f"{statistics.median(shared_ms[name]):.0f}" if name in shared_ms else ""
        print(
            f"| {name} | {path.stat().st_size / 1e6:.1f} MB | {statistics.median(t['first_screen']):.0f}"
            f" (min {min(t['first_screen']):.0f}) | {statistics.median(t['wall']):.0f}"
            f" (min {min(t['wall']):.0f}) | {op} | {sh} |"
        )
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
