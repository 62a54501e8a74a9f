"""A self-contained HTML page for a :class:`~dedup.model.Report`: pairs, side-by-side passages, clusters.

The page is one file with no network access: inline CSS, a small vanilla script, and the report's data
embedded as JSON in a ``<script type="application/json">`` block. The script builds every piece of
article text and metadata with ``textContent``, never as markup, so an article holding ``<script>`` or
``<img onerror=...>`` shows those characters and runs nothing. A Content-Security-Policy admits only
the page's own script and style (by hash) and forbids every fetch, as a second line of defence.

Everything that needs text processing is computed here, in Python: the character ranges of each
shared passage on both sides (in the UTF-16 units a browser indexes strings by) and the words that
differ inside a fuzzy passage (:func:`dedup.engine.diff.word_diff`). The script only lays them out.

Large reports stay responsive: the page's data is split in two. What the first screen needs (the
summary, the pair list's rows, the passage clusters' rows, the articles' ids and titles) is one JSON
block parsed at load, before the page's script; each pair's marks, each article's text and each
passage cluster's members are JSON lines in three more blocks after the script (the first screen is
drawn while the browser still reads them), split and parsed only when a pair or a passage cluster is
opened. The
lists are paginated. Passage clusters each have a view: where the passage appears (members ordered by
time where dates are known), the origin and its evidence, and each member's wording next to the
representative's, with the words that differ marked.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from dedup._version import __version__
from dedup.engine.diff import passage_diff, word_diff
from dedup.engine.normalize import Tokens, tokenize
from dedup.errors import DedupError
from dedup.model import RELATIONS, Article, Origin, Pair, PassageCluster, Report

__all__ = ["LAZY_BLOCKS", "PAGE_SIZE", "page_data", "render_html", "report_data"]

#: Pairs per page of the pair list.
PAGE_SIZE = 100
#: Distinct passage colours; passage ``n`` uses colour ``n % PALETTE`` on both sides.
PALETTE = 8
#: Most notices and bad records listed in the page (all of them are in the JSON report).
MAX_LISTED = 200
#: Characters of a passage cluster's representative text shown in the list.
SNIPPET = 240
#: The blocks of JSON lines parsed only when needed: block id -> (data key, fields moved there).
LAZY_BLOCKS = {
    "dedup-texts": ("articles", ("text",)),
    "dedup-pairs": ("pairs", ("passages", "marks_a", "marks_b", "owner_a", "owner_b")),
    "dedup-passages": ("passage_clusters", ("text", "rep", "evidence", "members")),
}


def _asset(name: str) -> str:
    return resources.files("dedup").joinpath("assets", name).read_text(encoding="utf-8")


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def embed_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` appears literally.

    ``</script>`` and ``<!--`` in the data can therefore not end or confuse the element; ``JSON.parse``
    reads the escapes back as the original characters.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def utf16_offsets(text: str) -> Callable[[int], int]:
    """Map a Python ``str`` offset into ``text`` to the UTF-16 offset a browser uses for the same place."""
    if not text or max(text) <= "\uffff":
        return lambda i: i
    table = [0]
    for ch in text:
        table.append(table[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return table.__getitem__


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    passage: int
    changed: tuple[tuple[int, int], ...]


def _uncovered(start: int, end: int, blocks: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Parts of [start, end) outside every block (blocks are disjoint)."""
    pieces: list[tuple[int, int]] = []
    pos = start
    for s, e, _ in sorted(blocks):
        if e <= pos or s >= end:
            continue
        if s > pos:
            pieces.append((pos, s))
        pos = max(pos, e)
        if pos >= end:
            break
    if pos < end:
        pieces.append((pos, end))
    return pieces


def side_marks(spans: list[_Span], utf16: Callable[[int], int]) -> tuple[list[list[int]], list[int]]:
    """Lay out one side's passages as non-overlapping marks, and say which mark stands for each passage.

    Returns ``marks`` as ``[start, end, passage, changed]`` (UTF-16 offsets, sorted, disjoint;
    ``changed`` is 1 for words that differ from the other side) and ``owner``: for each passage the
    passage whose mark shows it (itself, unless passages before it on this side cover it entirely).
    Where passages overlap on one side, the earlier (then longer) one keeps the shared characters.
    """
    owner = [s.passage for s in spans]
    blocks: list[tuple[int, int, int]] = []
    marks: list[list[int]] = []
    for n in sorted(range(len(spans)), key=lambda i: (spans[i].start, -spans[i].end, i)):
        span = spans[n]
        pieces = _uncovered(span.start, span.end, blocks)
        if not pieces:
            owner[n] = next((p for s, e, p in blocks if s < span.end and span.start < e), span.passage)
            continue
        for start, end in pieces:
            blocks.append((start, end, span.passage))
            pos = start
            for cs, ce in span.changed:
                cs, ce = max(cs, start), min(ce, end)
                if cs >= ce:
                    continue
                if cs > pos:
                    marks.append([utf16(pos), utf16(cs), span.passage, 0])
                marks.append([utf16(cs), utf16(ce), span.passage, 1])
                pos = ce
            if pos < end:
                marks.append([utf16(pos), utf16(end), span.passage, 0])
    marks.sort()
    return marks, owner


def _check_text(article: Article, start: int, end: int, expected: str, pair: Pair) -> None:
    if article.text[start:end] != expected:
        raise DedupError(
            f"article {article.id!r} does not match the report: pair {pair.a!r} ~ {pair.b!r} has a "
            f"passage at [{start}:{end}] that is not in its text (render the report with the articles "
            "it was made from)"
        )


class _Doc:
    """An article with what rendering derives from it, computed once however many pairs it is in."""

    __slots__ = ("_tokens", "_utf16", "article")

    def __init__(self, article: Article) -> None:
        self.article = article
        self._tokens: Tokens | None = None
        self._utf16: Callable[[int], int] | None = None

    @property
    def tokens(self) -> Tokens:
        if self._tokens is None:
            self._tokens = tokenize(self.article.text)
        return self._tokens

    @property
    def utf16(self) -> Callable[[int], int]:
        if self._utf16 is None:
            self._utf16 = utf16_offsets(self.article.text)
        return self._utf16


def _pair_data(pair: Pair, rank: int, index: Mapping[str, int], docs: Mapping[str, _Doc]) -> dict[str, Any]:
    doc_a, doc_b = docs[pair.a], docs[pair.b]
    spans_a: list[_Span] = []
    spans_b: list[_Span] = []
    passages: list[dict[str, Any]] = []
    for n, p in enumerate(pair.passages):
        _check_text(doc_a.article, p.a_start, p.a_end, p.a_text, pair)
        _check_text(doc_b.article, p.b_start, p.b_end, p.b_text, pair)
        diff = passage_diff(doc_a.tokens, p.a_start, p.a_end, doc_b.tokens, p.b_start, p.b_end)
        spans_a.append(_Span(p.a_start, p.a_end, n, diff.a))
        spans_b.append(_Span(p.b_start, p.b_end, n, diff.b))
        passages.append(
            {
                "a": [p.a_start, p.a_end],
                "b": [p.b_start, p.b_end],
                "similarity": round(p.similarity, 4),
                "matched_words": p.matched_words,
                "changed": len(diff.a) + len(diff.b),
                "cluster": p.cluster,
            }
        )
    marks_a, owner_a = side_marks(spans_a, doc_a.utf16)
    marks_b, owner_b = side_marks(spans_b, doc_b.utf16)
    return {
        "rank": rank,
        "a": index[pair.a],
        "b": index[pair.b],
        "relation": pair.relation,
        "jaccard": round(pair.jaccard, 4),
        "jaccard_estimate": round(pair.jaccard_estimate, 4),
        "coverage_a": round(pair.coverage_a, 4),
        "coverage_b": round(pair.coverage_b, 4),
        "contained": None if pair.contained is None else index[pair.contained],
        "n_passages": len(passages),
        "passages": passages,
        "marks_a": marks_a,
        "marks_b": marks_b,
        "owner_a": owner_a,
        "owner_b": owner_b,
    }


def _origin_data(origin: Origin, index: Mapping[str, int]) -> dict[str, Any]:
    return {
        "origin": None if origin.article is None else index[origin.article],
        "outside": origin.outside,
        "confidence": origin.confidence,
        "evidence": [
            {
                "kind": e.kind,
                "article": None if e.article is None else index.get(e.article),
                "detail": e.detail,
                "text": e.text,
            }
            for e in origin.evidence
        ],
    }


def _passage_cluster_data(
    cluster: PassageCluster,
    index: Mapping[str, int],
    shown_pairs: Mapping[tuple[str, str], int],
    docs: Mapping[str, _Doc],
) -> dict[str, Any]:
    """A passage cluster for the page: its row, and its members' wording with what differs marked.

    A member whose article's text is in the page is given by its offsets there (``at``, UTF-16), not
    by a second copy of its wording.
    """
    hub = cluster.origin.article
    members = []
    for m in cluster.members:
        to16 = utf16_offsets(m.text)
        changed = [] if m.text == cluster.text else word_diff(m.text, cluster.text).a
        other = hub if hub is not None and hub != m.article else None
        key = (min(m.article, other), max(m.article, other)) if other is not None else None
        doc = docs.get(m.article)
        at = None
        if doc is not None and doc.article.text[m.start : m.end] == m.text:
            at = [doc.utf16(m.start), doc.utf16(m.end)]
        members.append(
            {
                "article": index[m.article],
                "start": m.start,
                "end": m.end,
                "published": m.published,
                "text": None if at is not None else m.text,
                "at": at,
                "changed": [[to16(a), to16(b)] for a, b in changed],
                "pair": shown_pairs.get(key) if key is not None else None,
            }
        )
    origin = _origin_data(cluster.origin, index)
    # the representative wording is a member's: given by that member when its text is in the page
    rep = next(
        (
            n
            for n, (m, d) in enumerate(zip(cluster.members, members, strict=True))
            if d["at"] and m.text == cluster.text
        ),
        None,
    )
    return {
        "id": cluster.id,
        "reach": cluster.reach,
        "passages": cluster.passages,
        "snippet": cluster.text[:SNIPPET],
        "origin": origin["origin"],
        "outside": origin["outside"],
        "confidence": origin["confidence"],
        "text": cluster.text if rep is None else None,
        "rep": rep,
        "evidence": origin["evidence"],
        "members": members,
    }


def report_data(
    report: Report,
    articles: Iterable[Article] | Mapping[str, Article],
    *,
    limit: int | None = None,
    all_pairs: bool = False,
) -> dict[str, Any]:
    """The data the page's script reads: the articles involved, the pairs with their marks, clusters.

    The pairs are the report's bounded list (every pair with ``all_pairs``), the strongest ``limit``
    of them. Raises :class:`~dedup.errors.DedupError` when an article of the report is missing from
    ``articles`` or its text does not hold the report's passages.
    """
    pool = articles.values() if isinstance(articles, Mapping) else articles
    listed = report.listed_pairs(all_pairs=all_pairs)
    pairs = listed if limit is None else listed[:limit]
    # the texts of paired articles are shown; articles only in a cluster are listed by id and title
    paired = {i for p in pairs for i in (p.a, p.b)}
    wanted = (
        paired
        | {i for c in report.clusters for i in c}
        | {m.article for c in report.passage_clusters for m in c.members}
    )
    by_id: dict[str, Article] = {}
    order: list[str] = []
    for article in pool:
        if article.id in wanted and article.id not in by_id:
            by_id[article.id] = article
            order.append(article.id)
    missing = sorted(wanted - by_id.keys())
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise DedupError(
            "the report refers to articles that were not given: "
            + ", ".join(repr(i) for i in missing[:3])
            + more
        )
    index = {article_id: n for n, article_id in enumerate(order)}
    docs = {i: _Doc(by_id[i]) for i in paired}
    shown_pairs = {(min(p.a, p.b), max(p.a, p.b)): n for n, p in enumerate(pairs)}
    return {
        "page_size": PAGE_SIZE,
        "palette": PALETTE,
        "total_pairs": len(report.pairs),
        "omitted_pairs": len(report.pairs) - len(listed),
        "articles": [
            {
                "id": a.id,
                "title": a.title,
                "source": a.source,
                "published": a.published,
                "url": a.url,
                "text": a.text if a.id in paired else None,
            }
            for a in (by_id[i] for i in order)
        ],
        "pairs": [_pair_data(p, n, index, docs) for n, p in enumerate(pairs, 1)],
        "clusters": [[index[i] for i in c] for c in report.clusters],
        "cluster_origins": [_origin_data(o, index) for o in report.cluster_origins],
        "passage_clusters": [
            _passage_cluster_data(c, index, shown_pairs, docs) for c in report.passage_clusters
        ],
    }


def split_data(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The data parsed at load, and the JSON lines of each lazy block (see :data:`LAZY_BLOCKS`).

    In the eager data each item that has a line in a block gets its line number (``line``: -1 when an
    article's text is not in the page).
    """
    eager = dict(data)
    blocks: dict[str, list[str]] = {}
    for block, (key, moved) in LAZY_BLOCKS.items():
        lines: list[str] = []
        items = []
        for item in data[key]:
            light = {k: v for k, v in item.items() if k not in moved}
            heavy = {k: item[k] for k in moved}
            if key == "articles" and heavy["text"] is None:
                light["line"] = -1
            else:
                light["line"] = len(lines)
                lines.append(embed_json(heavy))
            items.append(light)
        eager[key] = items
        blocks[block] = lines
    return eager, blocks


def page_data(page: str) -> dict[str, Any]:
    """The data of a page :func:`render_html` wrote, whole again (as :func:`report_data` returns it)."""
    import re

    def block(name: str) -> str:
        match = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', page, re.S)
        if match is None:
            raise DedupError(f"not a dedup report page: no {name} block")
        return match.group(1)

    data: dict[str, Any] = json.loads(block("dedup-data"))
    for name, (key, moved) in LAZY_BLOCKS.items():
        text = block(name)
        lines = text.split("\n") if text else []
        for item in data[key]:
            line = item.pop("line")
            if line < 0:
                item.update(dict.fromkeys(moved))
            else:
                item.update(json.loads(lines[line]))
    for cluster in data["passage_clusters"]:
        for m in cluster["members"]:
            if m["text"] is None:
                m["text"] = data["articles"][m["article"]]["text"][m["start"] : m["end"]]
        if cluster["text"] is None:
            cluster["text"] = cluster["members"][cluster["rep"]]["text"]
    return data


def _summary(report: Report, shown: int, in_list: int) -> str:
    esc = html.escape
    counts = report.counts()
    rows = [
        f'<div class="stat"><b>{report.documents:,}</b> articles</div>',
        f'<div class="stat"><b>{len(report.pairs):,}</b> pairs</div>',
        *(
            f'<div class="stat"><span class="badge {rel}">{rel}</span> <b>{counts[rel]:,}</b></div>'
            for rel in RELATIONS
        ),
        f'<div class="stat"><b>{len(report.clusters):,}</b> clusters</div>',
        f'<div class="stat"><b>{len(report.passage_clusters):,}</b> shared passages</div>',
    ]
    parts = [f'<div class="stats">{"".join(rows)}</div>']
    if in_list < len(report.pairs):
        parts.append(
            f'<p class="note">{len(report.pairs) - in_list:,} pairs inside widely shared passages are not '
            "listed: each article of such a passage is shown with its origin (or its best-connected "
            "article), and the passage's view lists them all (<code>--all-pairs</code> lists every "
            "pair).</p>"
        )
    if shown < in_list:
        parts.append(
            f'<p class="note">This page holds the {shown:,} strongest pairs of {in_list:,} '
            "(limited when it was written).</p>"
        )
    settings = "".join(
        f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>" for k, v in report.settings.to_dict().items()
    )
    parts.append(
        f"<details><summary>Settings (fingerprint {esc(report.settings.fingerprint())}, "
        f'dedup {esc(__version__)})</summary><table class="settings">{settings}</table></details>'
    )
    for label, items in (
        ("Notices", [str(n) for n in report.notices]),
        (
            "Skipped records",
            [
                b.source + (f", line {b.line}" if b.line is not None else "") + f": {b.error}"
                for b in report.bad_records
            ],
        ),
        ("Boilerplate lines ignored", [f"{text} ({n} articles)" for text, n in report.boilerplate]),
    ):
        if not items:
            continue
        listed = "".join(f"<li>{esc(item)}</li>" for item in items[:MAX_LISTED])
        if len(items) > MAX_LISTED:
            listed += f'<li class="note">and {len(items) - MAX_LISTED:,} more (see the JSON report)</li>'
        parts.append(f"<details><summary>{label}: {len(items):,}</summary><ul>{listed}</ul></details>")
    return "\n".join(parts)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="generator" content="dedup {version}">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header class="top"><h1>{title}</h1>
<nav><a href="#passages">Shared passages</a> <a href="#pairs">Pairs</a> <a href="#clusters">Clusters</a></nav>
</header>
<main id="overview">
<section id="summary">
{summary}
</section>
<section id="passages">
<h2>Shared passages, widest reach first</h2>
<p class="note">Each passage shared by several articles (a quote, a paragraph, a story), with the
articles that hold it and its likely origin. Click one to see where it appears.</p>
<div class="table-wrap"><table class="pairs" id="passage-table">
<thead><tr><th class="num">#</th><th class="num">articles</th><th>origin</th><th>passage</th></tr></thead>
<tbody id="passage-rows"></tbody>
</table></div>
<div id="passage-more"></div>
</section>
<section id="pairs">
<h2>Pairs, strongest first</h2>
<noscript><p class="note">The pair list and the side-by-side view need JavaScript; the JSON report
(<code>--format json</code>) holds the same data.</p></noscript>
<div class="filters" id="filters"></div>
<div class="table-wrap"><table class="pairs" id="pair-table">
<thead><tr><th class="num">#</th><th>relation</th><th>article a</th><th>article b</th>
<th class="num" title="share of a's words inside shared passages">cov a</th>
<th class="num" title="share of b's words inside shared passages">cov b</th>
<th class="num" title="Jaccard similarity of the word 3-gram sets">jaccard</th>
<th class="num">passages</th></tr></thead>
<tbody id="pair-rows"></tbody>
</table></div>
<div class="pager" id="pager"></div>
</section>
<section id="clusters">
<h2>Clusters</h2>
<p class="note">Articles joined by near-duplicate and containment pairs; the first is the longest.</p>
<ol id="cluster-list"></ol>
<div id="cluster-more"></div>
</section>
</main>
<main id="pair-view" hidden></main>
<main id="passage-view" hidden></main>
<script type="application/json" id="dedup-data">{data}</script>
<script>{js}</script>
<script type="application/json" id="dedup-texts">{texts}</script>
<script type="application/json" id="dedup-pairs">{pairs}</script>
<script type="application/json" id="dedup-passages">{passages}</script>
</body>
</html>
"""


def render_html(
    report: Report,
    articles: Iterable[Article] | Mapping[str, Article],
    *,
    limit: int | None = None,
    title: str = "dedup report",
    all_pairs: bool = False,
) -> str:
    """One self-contained HTML page showing ``report``; ``articles`` supplies the texts it refers to.

    ``articles`` may hold more articles than the report needs (the whole corpus, say); only those in a
    pair or cluster are embedded. The page lists the report's bounded pair list (every pair with
    ``all_pairs``); ``limit`` keeps the strongest ``limit`` of them.
    """
    data = report_data(report, articles, limit=limit, all_pairs=all_pairs)
    eager, blocks = split_data(data)
    css = _asset("report.css")
    js = _asset("report.js")
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_csp_hash(js)}",
            f"style-src {_csp_hash(css)}",
            "img-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    return _PAGE.format(
        csp=html.escape(csp),
        version=html.escape(__version__),
        title=html.escape(title),
        css=css,
        summary=_summary(report, len(data["pairs"]), len(report.pairs) - data["omitted_pairs"]),
        data=embed_json(eager),
        texts="\n".join(blocks["dedup-texts"]),
        pairs="\n".join(blocks["dedup-pairs"]),
        passages="\n".join(blocks["dedup-passages"]),
        js=js,
    )
