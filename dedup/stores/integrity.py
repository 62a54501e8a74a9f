"""What every store's integrity check shares: the line statistics recounted from the stored texts.

A store keeps, per line hash, how many stored articles hold the line, how many at their head or
foot, and a sample of them (:class:`~dedup.stores.base.LineStat`): the evidence from which the index
learns a site's boilerplate. These are derived data: the lines of an article are a function of its
text alone (:func:`dedup.engine.boilerplate.lines_of`), so a check can recount them from the stored
texts and compare. A count that is off (an insert or a removal half applied, a hand edit) changes
which lines the index masks, and so its decisions; no physical check sees it.

Recounting reads every stored text once and tokenises it: about 5,000 articles of 350 words a second
on one core.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dedup.engine.boilerplate import HOLDER_SAMPLE, lines_of
from dedup.engine.normalize import tokenize
from dedup.stores.base import LineStat

__all__ = ["Problems", "article_lines", "line_problems"]


def article_lines(text: str) -> dict[int, bool]:
    """The lines a text holds as the statistics count them: line key -> whether at its head or foot.

    Line keys as the engine computes them and the store protocol passes them: unsigned 64-bit.
    """
    out: dict[int, bool] = {}
    for line in lines_of(text, tokenize(text)):
        out[line.key] = out.get(line.key, False) or line.edge
    return out


@dataclass
class Problems:
    """Problems found by a check: the first few of each kind in full, the rest counted."""

    #: Messages kept per kind.
    limit: int = 5
    _kept: dict[str, list[str]] = field(default_factory=dict)
    _more: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, message: str) -> None:
        """Record a problem of ``kind`` (a short name; messages of one kind are counted together)."""
        kept = self._kept.setdefault(kind, [])
        if len(kept) < self.limit:
            kept.append(message)
        else:
            self._more[kind] = self._more.get(kind, 0) + 1

    def messages(self) -> list[str]:
        """Every problem, one line each, with ``... and N more`` after a kind with too many."""
        out: list[str] = []
        for kind, kept in self._kept.items():
            out.extend(kept)
            if self._more.get(kind):
                out.append(f"... and {self._more[kind]} more problem(s) like the last")
        return out


def line_problems(
    articles: Iterable[tuple[int, str, Sequence[int]]],
    stats: Iterable[tuple[int, LineStat]],
    problems: Problems,
) -> None:
    """Compare line statistics with the lines of the stored articles; add what differs to ``problems``.

    ``articles``: (doc, text, masked line keys) of every stored article; ``stats``: (line key,
    statistics) of every line the store counts. Line keys unsigned, as :func:`article_lines` gives.
    """
    holders: dict[int, list[int]] = {}
    edges: dict[int, int] = {}
    for doc, text, masked in articles:
        lines = article_lines(text)
        for h, edge in lines.items():
            holders.setdefault(h, []).append(doc)
            edges[h] = edges.get(h, 0) + edge
        strange = [h for h in masked if h not in lines]
        if strange:
            problems.add("masked", f"doc {doc}: masked line(s) {_hashes(strange)} are not lines of its text")
    for h, stat in stats:
        held = holders.pop(h, None)
        if held is None:
            problems.add(
                "unheld",
                f"line {h:#x}: statistics count {stat.docs} holder(s), but no stored article holds it",
            )
            continue
        if stat.docs != len(held):
            problems.add(
                "docs",
                f"line {h:#x}: statistics count {stat.docs} holder(s), {len(held)} stored article(s) "
                f"hold it (doc {_docs(held)})",
            )
        if stat.edges != edges[h]:
            problems.add(
                "edges",
                f"line {h:#x}: statistics count {stat.edges} holder(s) with it at the head or foot, "
                f"the stored texts {edges[h]}",
            )
        _sample_problems(h, stat, set(held), problems)
    for h, held in holders.items():
        problems.add(
            "missing",
            f"line {h:#x}: held by {len(held)} stored article(s) (doc {_docs(held)}) but not counted",
        )


def _sample_problems(h: int, stat: LineStat, held: set[int], problems: Problems) -> None:
    sample = stat.sample
    if len(set(sample)) != len(sample) or len(sample) > min(stat.docs, HOLDER_SAMPLE):
        problems.add(
            "sample", f"line {h:#x}: sample {list(sample)} repeats a doc or exceeds the {stat.docs} holder(s)"
        )
    strangers = [d for d in sample if d not in held]
    if strangers:
        problems.add(
            "sample", f"line {h:#x}: sample names doc {_docs(strangers)}, which do(es) not hold the line"
        )


def _docs(docs: Sequence[int], limit: int = 6) -> str:
    shown = ", ".join(map(str, docs[:limit]))
    return shown + (", ..." if len(docs) > limit else "")


def _hashes(hashes: Sequence[int], limit: int = 3) -> str:
    shown = ", ".join(f"{h:#x}" for h in hashes[:limit])
    return shown + (", ..." if len(hashes) > limit else "")
