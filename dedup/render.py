"""Rendering a :class:`~dedup.model.Report`: JSON for scripts, a rich table for people."""

from __future__ import annotations

import json

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from dedup.model import Pair, Passage, Report
from dedup.normalize import tokenize

__all__ = ["render_json", "render_table", "snippet"]

_RELATION_STYLE = {"near-duplicate": "bold red", "containment": "bold yellow", "overlap": "bold cyan"}


def render_json(report: Report) -> str:
    """The JSON contract, byte-identical for the same input and settings."""
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _shorten(text: str, width: int) -> tuple[str, int]:
    """Cut ``text`` to about ``width`` characters around its middle; return it and the cut offset."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat, -1
    half = (width - 3) // 2
    return flat[:half] + " … " + flat[-half:], half


def snippet(text: str, other: str, *, width: int = 160) -> Text:
    """``text`` shortened to ``width``, its words that also occur in ``other`` highlighted."""
    flat, _ = _shorten(text, width)
    shared = set(tokenize(other).words)
    out = Text(flat, style="dim")
    tokens = tokenize(flat)
    for word, start, end in zip(tokens.words, tokens.starts.tolist(), tokens.ends.tolist(), strict=True):
        if word in shared:
            out.stylize("bold green", start, end)
    return out


def _passage_rows(pair: Pair, passages: tuple[Passage, ...], width: int) -> Table:
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=4, no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    for n, p in enumerate(passages, 1):
        grid.add_row(
            Text(f"{n}.", style="bold"),
            Group(
                Text(f"{pair.a} [{p.a_start}:{p.a_end}]", style="italic"),
                snippet(p.a_text, p.b_text, width=width),
            ),
            Group(
                Text(f"{pair.b} [{p.b_start}:{p.b_end}]", style="italic"),
                snippet(p.b_text, p.a_text, width=width),
            ),
        )
    return grid


def render_table(report: Report, console: Console, *, limit: int | None = None, passages: int = 3) -> None:
    """Print the report for people: summary, ranked pairs with snippets of their passages, clusters."""
    counts = report.counts()
    summary = ", ".join(f"{n} {rel}" for rel, n in counts.items())
    console.print(
        f"[bold]{report.documents}[/] articles, [bold]{len(report.pairs)}[/] pairs ({summary}), "
        f"[bold]{len(report.clusters)}[/] clusters"
    )
    shown = report.pairs if limit is None else report.pairs[:limit]
    if shown:
        table = Table(show_lines=False, expand=False, title="Pairs, strongest first", title_justify="left")
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("relation", no_wrap=True)
        table.add_column("a", overflow="fold")
        table.add_column("b", overflow="fold")
        table.add_column("jaccard", justify="right", no_wrap=True)
        table.add_column("cov a", justify="right", no_wrap=True)
        table.add_column("cov b", justify="right", no_wrap=True)
        table.add_column("passages", justify="right", no_wrap=True)
        for n, pair in enumerate(shown, 1):
            table.add_row(
                str(n),
                Text(pair.relation, style=_RELATION_STYLE[pair.relation]),
                pair.a,
                pair.b,
                f"{pair.jaccard:.3f}",
                f"{pair.coverage_a:.2f}",
                f"{pair.coverage_b:.2f}",
                str(len(pair.passages)),
            )
        console.print(table)
        width = max(60, min(240, (console.width - 8) // 2 * 2))
        for n, pair in enumerate(shown, 1):
            head = Text.assemble(
                (f"{n}. ", "bold"),
                (pair.relation, _RELATION_STYLE[pair.relation]),
                f"  {pair.a}  ~  {pair.b}",
            )
            if pair.contained:
                head.append(f"  ({pair.contained} is contained in the other)", style="italic")
            console.print(head)
            console.print(Padding(_passage_rows(pair, pair.passages[:passages], width), (0, 0, 0, 2)))
            if len(pair.passages) > passages:
                console.print(Text(f"   … and {len(pair.passages) - passages} more passages", style="dim"))
        if limit is not None and len(report.pairs) > limit:
            console.print(Text(f"{len(report.pairs) - limit} more pairs not shown (--limit)", style="dim"))
    else:
        console.print("No shared passages found.")
    if report.clusters:
        console.print(Text("Clusters", style="bold"))
        for n, cluster in enumerate(report.clusters, 1):
            console.print(f"  {n}. " + ", ".join(cluster))
    for notice in report.notices:
        console.print(Text(f"note: {notice}", style="yellow"))
    for bad in report.bad_records:
        where = bad.source + (f", line {bad.line}" if bad.line is not None else "")
        console.print(Text(f"skipped: {where}: {bad.error}", style="red"))
