"""Rendering a :class:`~dedup.model.Report`: JSON for scripts, a rich table for people.

The table fits the console it is printed on: on a narrow terminal the two ids of a pair are stacked
in one column instead of being folded into slivers, and an id too long for any layout is shortened
in its middle (the pair's heading below the table always shows the ids in full). Passage snippets
show the words the two sides share and, inside a fuzzy passage, the words that differ.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

import regex
from rich import box
from rich.console import Console, Group
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from dedup.engine.diff import word_diff
from dedup.engine.normalize import tokenize
from dedup.model import Origin, Pair, PassageCluster, Report

__all__ = ["SHOWN_PASSAGE_CLUSTERS", "json_text", "origin_label", "render_json", "render_table", "snippet"]

_RELATION_STYLE = {"near-duplicate": "bold red", "containment": "bold yellow", "overlap": "bold cyan"}
#: Styles of words in passage snippets.
SHARED_STYLE = "green"
CHANGED_STYLE = "bold magenta underline"
#: Narrowest width given to ids when they must be shortened.
MIN_ID_WIDTH = 12
#: Consoles at least this wide show a passage's two sides next to each other.
SIDE_BY_SIDE_WIDTH = 100
#: Passage clusters the table shows (the widest).
SHOWN_PASSAGE_CLUSTERS = 10

_NON_SPACE = regex.compile(r"\S+")


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(data: Any, *, indent: int | None = None) -> str:
    r"""``json.dumps(data, ensure_ascii=False)`` that can always be written out as UTF-8.

    A lone surrogate in a string (possible in a str built in Python, never in one read by
    :mod:`dedup.io.readers`) is written as its ``\udXXXX`` escape, which JSON readers decode back to it.
    """
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render_json(report: Report, *, all_pairs: bool = False) -> str:
    """The JSON contract, byte-identical for the same input and settings.

    Pairs folded into wide passage clusters are left out unless ``all_pairs`` (see
    :meth:`~dedup.model.Report.to_dict`).
    """
    return json_text(report.to_dict(all_pairs=all_pairs), indent=2) + "\n"


def _flatten(text: Text) -> tuple[Text, list[int]]:
    """``text`` with runs of white space collapsed to one space, and the length of each word."""
    chunks = [(m.start(), m.end()) for m in _NON_SPACE.finditer(text.plain)]
    return Text(" ").join(text[s:e] for s, e in chunks), [e - s for s, e in chunks]


def _shorten(flat: Text, lengths: Sequence[int], width: int) -> Text:
    """Cut ``flat`` to at most ``width`` characters at word boundaries, keeping its head and tail."""
    if len(flat) <= width:
        return flat
    budget = max(1, (width - 3) // 2)
    head = 0
    for n in lengths:
        if head + n + (1 if head else 0) > budget:
            break
        head += n + (1 if head else 0)
    tail = 0
    for n in reversed(lengths):
        if tail + n + (1 if tail else 0) > budget:
            break
        tail += n + (1 if tail else 0)
    head = head or budget
    tail = tail or budget
    return Text.assemble(flat[:head], (" … ", "dim"), flat[len(flat) - tail :])


def snippet(text: str, other: str, *, width: int = 160) -> Text:
    """``text`` on one line of at most ``width`` characters, its words styled against ``other``.

    Words aligned with ``other`` are green; words that differ (in a fuzzy passage) are magenta and
    underlined. A long text keeps its head and tail, cut at word boundaries.
    """
    styled = Text(text)
    changed = word_diff(text, other).a
    ends = [e for _, e in changed]
    tokens = tokenize(text)
    for start, end in zip(tokens.starts.tolist(), tokens.ends.tolist(), strict=True):
        n = bisect_right(ends, start)
        inside = n < len(changed) and changed[n][0] <= start
        styled.stylize(CHANGED_STYLE if inside else SHARED_STYLE, start, end)
    flat, lengths = _flatten(styled)
    return _shorten(flat, lengths, width)


def _elide(text: str, width: int) -> str:
    """``text`` shortened in its middle to ``width`` characters (ids keep their distinctive ends)."""
    if len(text) <= width:
        return text
    keep = width - 1
    return text[: (keep + 1) // 2] + "…" + text[len(text) - keep // 2 :]


#: Relation names in the compact table layout.
_SHORT_RELATION = {"near-duplicate": "near-dup", "containment": "contain", "overlap": "overlap"}


def _pairs_table(
    shown: Sequence[Pair], *, stacked: bool, compact: bool = False, id_width: int | None = None
) -> Table:
    """The ranked pair table.

    ``stacked`` puts a pair's two ids (and coverages) on two lines; ``compact`` also shortens headers
    and relation names; ``id_width`` shortens longer ids in their middle.
    """
    table = Table(
        box=box.SIMPLE_HEAD,
        title="Pairs, strongest first",
        title_justify="left",
        show_edge=False,
        pad_edge=False,
        expand=False,
    )

    def ident(text: str) -> str:
        return text if id_width is None else _elide(text, id_width)

    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("relation", no_wrap=True)
    if stacked:
        table.add_column("articles a / b", no_wrap=True)
        table.add_column("cov", justify="right", no_wrap=True)
    else:
        table.add_column("a", no_wrap=True)
        table.add_column("b", no_wrap=True)
        table.add_column("cov a", justify="right", no_wrap=True)
        table.add_column("cov b", justify="right", no_wrap=True)
    table.add_column("jacc" if compact else "jaccard", justify="right", no_wrap=True)
    table.add_column("psg" if compact else "passages", justify="right", no_wrap=True)
    for n, pair in enumerate(shown, 1):
        name = _SHORT_RELATION[pair.relation] if compact else pair.relation
        relation = Text(name, style=_RELATION_STYLE[pair.relation])
        cov_a, cov_b = f"{pair.coverage_a:.2f}", f"{pair.coverage_b:.2f}"
        ids: list[str | Text]
        # ids are plain Text: an id such as "[/]x" is not rich markup
        if stacked:
            ids = [Text(f"{ident(pair.a)}\n{ident(pair.b)}"), f"{cov_a}\n{cov_b}"]
        else:
            ids = [Text(ident(pair.a)), Text(ident(pair.b)), cov_a, cov_b]
        table.add_row(str(n), relation, *ids, f"{pair.jaccard:.3f}", str(len(pair.passages)))
    return table


def pairs_table(shown: Sequence[Pair], console: Console) -> Table:
    """The pair table in the first layout that fits ``console``'s width, with ids whole where possible."""
    unbounded = console.options.update_width(1_000_000)

    def width_of(table: Table) -> int:
        return Measurement.get(console, unbounded, table).maximum

    for stacked in (False, True):
        table = _pairs_table(shown, stacked=stacked, id_width=None)
        if width_of(table) <= console.width:
            return table
    longest = max(len(i) for p in shown for i in (p.a, p.b))
    spare = console.width - width_of(_pairs_table(shown, stacked=True, compact=True, id_width=MIN_ID_WIDTH))
    id_width = min(longest, max(MIN_ID_WIDTH, MIN_ID_WIDTH + spare))
    return _pairs_table(shown, stacked=True, compact=True, id_width=id_width)


def _passages(pair: Pair, count: int, width: int) -> Table:
    """A pair's first ``count`` passages: offsets, similarity and snippets of both sides."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(no_wrap=True)
    side_by_side = width >= SIDE_BY_SIDE_WIDTH
    if side_by_side:
        column = (width - 8) // 2
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
    else:
        column = width - 8
        grid.add_column(ratio=1)
    for n, p in enumerate(pair.passages[:count], 1):
        a = Group(
            Text(f"a [{p.a_start}:{p.a_end}]", style="italic"),
            snippet(p.a_text, p.b_text, width=column * 3 if side_by_side else column * 2),
        )
        b = Group(
            Text(f"b [{p.b_start}:{p.b_end}]", style="italic"),
            snippet(p.b_text, p.a_text, width=column * 3 if side_by_side else column * 2),
        )
        label = Text.assemble((f"{n}.", "bold"), (f" {p.similarity:.2f}", "dim"))
        if side_by_side:
            grid.add_row(label, a, b)
        else:
            grid.add_row(label, a)
            grid.add_row("", b)
    return grid


def origin_label(origin: Origin) -> str:
    """An origin in a few words: the article id, "not in the corpus (NAME)" or "unknown"."""
    if origin.article is not None:
        return origin.article
    if origin.outside is not None:
        return f"not in the corpus ({origin.outside})"
    return "unknown"


def _flat(text: str, width: int) -> Text:
    flat, lengths = _flatten(Text(text))
    return _shorten(flat, lengths, width)


def passage_clusters_table(clusters: Sequence[PassageCluster], console: Console) -> Table:
    """The widest passage clusters: reach, origin and confidence, and the representative text."""
    table = Table(
        box=box.SIMPLE_HEAD,
        title="Shared passages, widest reach first",
        title_justify="left",
        show_edge=False,
        pad_edge=False,
        expand=False,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("articles", justify="right", no_wrap=True)
    table.add_column("origin (confidence)", overflow="fold")
    table.add_column("passage", ratio=1)
    width = max(30, console.width - 50)
    for c in clusters:
        origin = Text(origin_label(c.origin))
        origin.append(f" ({c.origin.confidence})", style="dim")
        table.add_row(str(c.id + 1), str(c.reach), origin, _flat(c.text, 2 * width))
    return table


def render_table(
    report: Report,
    console: Console,
    *,
    limit: int | None = None,
    passages: int = 3,
    all_pairs: bool = False,
) -> None:
    """Print the report for people: summary, widest shared passages, ranked pairs with snippets, clusters.

    Pairs folded into wide passage clusters are left out unless ``all_pairs``.
    """
    counts = report.counts()
    summary = ", ".join(f"{n} {rel}" for rel, n in counts.items())
    console.print(
        f"[bold]{report.documents}[/] articles, [bold]{len(report.pairs)}[/] pairs ({summary}), "
        f"[bold]{len(report.clusters)}[/] clusters, [bold]{len(report.passage_clusters)}[/] shared passages"
    )
    if report.passage_clusters:
        console.print(passage_clusters_table(report.passage_clusters[:SHOWN_PASSAGE_CLUSTERS], console))
        if len(report.passage_clusters) > SHOWN_PASSAGE_CLUSTERS:
            more = len(report.passage_clusters) - SHOWN_PASSAGE_CLUSTERS
            console.print(
                Text(f"{more} more shared passages (--format json or html lists them all)", style="dim")
            )
    listed = report.listed_pairs(all_pairs=all_pairs)
    shown = listed if limit is None else listed[:limit]
    if shown:
        console.print(pairs_table(shown, console))
        console.print(
            Text.assemble(
                ("Passages (similarity; ", "dim"),
                ("shared words", SHARED_STYLE),
                (", ", "dim"),
                ("words that differ", CHANGED_STYLE),
                ("):", "dim"),
            )
        )
        for n, pair in enumerate(shown, 1):
            head = Text.assemble(
                (f"{n}. ", "bold"),
                (pair.relation, _RELATION_STYLE[pair.relation]),
                ("  a: ", "dim"),
                pair.a,
                ("  b: ", "dim"),
                pair.b,
            )
            if pair.contained:
                side = "a" if pair.contained == pair.a else "b"
                head.append(f"  ({side} is contained in the other)", style="italic")
            console.print(head)
            console.print(Padding(_passages(pair, passages, console.width - 2), (0, 0, 0, 2)))
            if len(pair.passages) > passages:
                console.print(Text(f"   … and {len(pair.passages) - passages} more passages", style="dim"))
        if limit is not None and len(listed) > limit:
            console.print(Text(f"{len(listed) - limit} more pairs not shown (--limit)", style="dim"))
        if len(listed) < len(report.pairs):
            console.print(
                Text(
                    f"{len(report.pairs) - len(listed)} pairs within the shared passages above not listed "
                    "(--all-pairs lists them)",
                    style="dim",
                )
            )
    else:
        console.print("No shared passages found.")
    if report.clusters:
        console.print(Text("Clusters", style="bold"))
        origins = report.cluster_origins or ()
        for n, cluster in enumerate(report.clusters, 1):
            line = Text(f"  {n}. " + ", ".join(cluster))
            if n <= len(origins):
                line.append(
                    f"  origin: {origin_label(origins[n - 1])} ({origins[n - 1].confidence})", style="dim"
                )
            console.print(line)
    for notice in report.notices:
        console.print(Text(f"note: {notice}", style="yellow"))
    for bad in report.bad_records:
        where = bad.source + (f", line {bad.line}" if bad.line is not None else "")
        console.print(Text(f"skipped: {where}: {bad.error}", style="red"))
