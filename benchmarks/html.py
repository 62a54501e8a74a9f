"""How fast a large HTML report opens in headless Chromium.

Builds a synthetic corpus of wire stories with reprints, trimmed copies and rewrites that share
paragraphs, runs the detector on it, renders the strongest ``--pairs`` pairs (2,000 by default) as
an HTML page, and opens the page repeatedly in Debian's chromium (driven by Playwright) to time the
first screen: summary, filters and the first page of the pair list, painted. In the same run it
times two baselines, and prints every figure as a ratio to them too:

* *load only*: the same file with the page's script replaced by one that only marks the first
  paint, i.e. what the browser spends reading and parsing that many bytes;
* *small report*: the page of a 10-pair report from the same corpus.

It also times opening the last pair (laying out both texts with their marks) and switching a
relation filter off. Usage::

    python benchmarks/html.py [--pairs 2000] [--runs 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on the import path, where its name would hide the
# standard library's html module: put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent) if Path(p or ".").resolve() == _HERE else p for p in sys.path]

from benchmarks.browser import CHROMIUM_ARGS, chromium_executable  # noqa: E402
from dedup import Article, Detector, Report  # noqa: E402
from dedup.io.html import render_html  # noqa: E402

_SYLLABLES = "ba be bi bo da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se"
_COMMON = "the a of to in and said on for with was by at from that it as is were"

STUB = (
    "requestAnimationFrame(() => requestAnimationFrame(() => {"
    ' performance.mark("dedup-first-screen"); document.documentElement.dataset.ready = "1"; }));'
)
OPEN_LAST = """async (n) => {
  const t0 = performance.now();
  location.hash = "#pair-" + n;
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const ok = document.querySelectorAll("#pair-view mark.psg").length > 0;
  return [performance.now() - t0, ok];
}"""
FILTER = """async () => {
  const box = document.querySelector("input[type=checkbox][value=overlap]");
  const t0 = performance.now();
  box.click();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}"""


class Words:
    """Deterministic pseudo-English words."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        syllables = _SYLLABLES.split()
        self.common = _COMMON.split()
        self.vocab = sorted(
            {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(8000)}
        )

    def word(self) -> str:
        """A word: a common one about a third of the time."""
        return self.rng.choice(self.common) if self.rng.random() < 0.3 else self.rng.choice(self.vocab)

    def sentence(self) -> str:
        """A sentence of 10 to 24 words."""
        text = " ".join(self.word() for _ in range(self.rng.randint(10, 24)))
        return text[0].upper() + text[1:] + "."

    def paragraph(self) -> str:
        """A paragraph of 2 to 4 sentences."""
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))

    def edit(self, text: str, rate: float) -> str:
        """Replace about ``rate`` of the words (a light rewrite)."""
        return " ".join(self.word() if self.rng.random() < rate else w for w in text.split(" "))


def corpus(stories: int, seed: int = 5) -> list[Article]:
    """Five versions of each story: the wire copy, two reprints, a trimmed copy and a rewrite.

    The rewrite shares two (edited) paragraphs with the others.
    """
    rng = random.Random(seed)
    w = Words(rng)
    out: list[Article] = []
    for s in range(stories):
        paragraphs = [w.paragraph() for _ in range(7)]
        headline = w.sentence()[:-1]
        body = "\n\n".join(paragraphs)
        versions = {
            "wire": f"{headline}\n\n{body}",
            "reprint": f"{w.sentence()[:-1]}\n\nLONDON (Wire) - {w.edit(body, 0.03)}\n\nFollow us for more.",
            "trimmed": f"{headline}\n\n" + "\n\n".join(w.edit(p, 0.02) for p in paragraphs[:4]),
            "reprint2": f"{w.sentence()[:-1]}\n\n{w.edit(body, 0.05)}",
            "rewrite": "\n\n".join(
                [
                    w.paragraph(),
                    w.edit(paragraphs[1], 0.1),
                    w.paragraph(),
                    w.paragraph(),
                    w.edit(paragraphs[5], 0.1),
                    w.paragraph(),
                ]
            ),
        }
        for kind, text in versions.items():
            out.append(Article(f"story-{s:04d}/{kind}", text, title=text.split("\n", 1)[0][:90]))
    return out


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _time_page(browser: Any, path: Path, runs: int, last_pair: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"first_screen": [], "wall": [], "open_pair": [], "filter": []}
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        t0 = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_selector("html[data-ready]")
        out["wall"].append((time.perf_counter() - t0) * 1000)
        out["first_screen"].append(
            page.evaluate("performance.getEntriesByName('dedup-first-screen')[0].startTime")
        )
        if last_pair:
            ms, ok = page.evaluate(OPEN_LAST, last_pair)
            if not ok:
                sys.exit(f"{path}: pair {last_pair} did not render")
            out["open_pair"].append(ms)
            page.evaluate("location.hash = '#pairs'")
            out["filter"].append(page.evaluate(FILTER))
        if errors:
            sys.exit(f"{path}: page errors: {errors}")
        context.close()
    return out


def _load_only(page: str) -> str:
    """The same page with its script replaced by a stub that only marks the first screen."""
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    head, sep, rest = page.rpartition("<script>")
    return head + sep + STUB + rest[rest.index("</script>") :]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=2000, help="pairs in the large report")
    ap.add_argument("--runs", type=int, default=7, help="page loads per variant")
    ap.add_argument("--chromium", default=chromium_executable(), help="the browser binary")
    ap.add_argument("--keep", type=Path, help="also write the pages into this folder")
    args = ap.parse_args()
    if args.chromium is None:
        sys.exit("chromium not found: apt-get install chromium, or pass --chromium PATH")

    from playwright.sync_api import sync_playwright

    stories = args.pairs // 10 + 20
    articles = corpus(stories)
    t0 = time.perf_counter()
    report: Report = Detector().report(articles, workers=1)
    detect_s = time.perf_counter() - t0
    if len(report.pairs) < args.pairs:
        sys.exit(f"the corpus gave only {len(report.pairs)} pairs (< {args.pairs})")
    counts: dict[str, int] = {}
    for p in report.pairs[: args.pairs]:
        counts[p.relation] = counts.get(p.relation, 0) + 1

    render_ms = []
    for _ in range(3):
        t0 = time.perf_counter()
        large = render_html(report, articles, limit=args.pairs)
        render_ms.append((time.perf_counter() - t0) * 1000)
    small = render_html(report, articles, limit=10)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="dedup-html-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    pages = {
        "large": (folder / "large.html", large, args.pairs),
        "load only": (folder / "load-only.html", _load_only(large), 0),
        "small report": (folder / "small.html", small, 10),
    }
    for path, text, _ in pages.values():
        path.write_text(text, encoding="utf-8")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        version = browser.version
        # one warm-up load so that the first timed run does not pay for starting the renderer
        _time_page(browser, pages["small report"][0], 1, 10)
        timings = {name: _time_page(browser, path, args.runs, n) for name, (path, _, n) in pages.items()}
        browser.close()

    large_t = timings["large"]
    fs = _median(large_t["first_screen"])
    print(f"corpus: {len(articles):,} articles, {len(report.pairs):,} pairs found in {detect_s:.1f} s")
    print(f"large report: {args.pairs:,} pairs ({', '.join(f'{n:,} {r}' for r, n in counts.items())})")
    print(f"chromium {version}, {args.runs} loads per page (median, min)")
    print()
    print("| page | size | first screen (ms) | load to ready, wall (ms) |")
    print("| --- | ---: | ---: | ---: |")
    for name, (path, _, _) in pages.items():
        t = timings[name]
        print(
            f"| {name} | {path.stat().st_size / 1e6:.2f} MB | {_median(t['first_screen']):.0f}"
            f" (min {min(t['first_screen']):.0f}) | {_median(t['wall']):.0f} (min {min(t['wall']):.0f}) |"
        )
    print()
    print(f"- render_html in Python: {_median(render_ms):.0f} ms (median of 3)")
    print(f"- first screen of the large report: {fs:.0f} ms (target < 2000 ms)")
    print(f"- ratio to load only: {fs / _median(timings['load only']['first_screen']):.2f}")
    print(f"- ratio to the small report: {fs / _median(timings['small report']['first_screen']):.2f}")
    print(
        f"- open pair #{args.pairs} (lay out both texts): {_median(large_t['open_pair']):.0f} ms;"
        f" small report's pair #10: {_median(timings['small report']['open_pair']):.0f} ms"
    )
    print(
        f"- switch the overlap filter off and redraw: {_median(large_t['filter']):.0f} ms;"
        f" small report: {_median(timings['small report']['filter']):.0f} ms"
    )
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
