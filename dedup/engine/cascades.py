"""Passage clusters (reuse cascades): the shared passages of all pairs grouped into clusters of one text.

Pure functions over a report's pairs. Every passage of a pair is two *spans*, one in each article, and
links them. Within one article, spans that overlap by at least half of the longer one are the same
passage (passim's rule: a quote inside a story is *not* the story, a trimmed copy of most of it is).
The connected components of these links are the passage clusters: a widely quoted statement, a
reprinted wire story, a paragraph lifted by several outlets. Each cluster lists its members (one per
article and place: the article, the offsets of its copy and its own wording), a representative text and
its likely origin (:func:`dedup.engine.origin.choose_origin`).

Bounded output: a passage shared by N articles makes N(N-1)/2 pairs. :func:`fold_pairs` tells which
pairs a report may leave out and still show every member of a wide cluster next to the cluster's origin
(or its best-connected member): the pairs whose passages all lie in clusters wider than
:data:`LISTED_REACH`, except one pair per member. What is listed then grows with the members, not
their square.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from dedup.engine.origin import MemberInfo, choose_origin, time_key
from dedup.model import Member, Pair, PassageCluster, Provenance

__all__ = ["LISTED_REACH", "OVERLAP", "Cascades", "fold_pairs", "passage_clusters"]

#: Two spans in one article are one passage when they overlap by at least this share of the longer.
OVERLAP = 0.5
#: A passage cluster reaching more articles than this has its pairs folded in the bounded output.
LISTED_REACH = 10

_WORD = re.compile(r"\w+")


class _UnionFind:
    __slots__ = ("parent",)

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            if rx < ry:
                self.parent[ry] = rx
            else:
                self.parent[rx] = ry


@dataclasses.dataclass(frozen=True, slots=True)
class Cascades:
    """The passage clusters of a report and the pairs with each passage naming its cluster."""

    clusters: tuple[PassageCluster, ...]
    pairs: tuple[Pair, ...]


def passage_clusters(pairs: Sequence[Pair], provenance: Mapping[str, Provenance] | None = None) -> Cascades:
    """Group the passages of ``pairs`` into passage clusters, widest reach first.

    ``provenance`` (article id -> :class:`~dedup.model.Provenance`) gives the dates, sources and credits
    the origins are chosen from, and the order of members; without it members are ordered by id and
    origins rest on nothing but the pairs. Returns the clusters and ``pairs`` with each passage's
    ``cluster`` set (an index into the clusters).
    """
    prov = provenance or {}
    # -- spans: one per (article, start, end), with the wording from a passage that has it
    index: dict[tuple[str, int, int], int] = {}
    art: list[str] = []
    start: list[int] = []
    end: list[int] = []
    text: list[str] = []

    def span(article: str, s: int, e: int, t: str) -> int:
        key = (article, s, e)
        n = index.get(key)
        if n is None:
            n = index[key] = len(art)
            art.append(article)
            start.append(s)
            end.append(e)
            text.append(t)
        return n

    links: list[tuple[int, int]] = []
    for pair in pairs:
        for p in pair.passages:
            links.append(
                (span(pair.a, p.a_start, p.a_end, p.a_text), span(pair.b, p.b_start, p.b_end, p.b_text))
            )
    uf = _UnionFind(len(art))
    for x, y in links:
        uf.union(x, y)
    # -- within an article: spans overlapping by half of the longer are one passage
    by_article: dict[str, list[int]] = {}
    for n, a in enumerate(art):
        by_article.setdefault(a, []).append(n)
    for spans in by_article.values():
        if len(spans) < 2:
            continue
        spans.sort(key=lambda n: (start[n], -end[n]))
        active: list[int] = []
        for s in spans:
            active = [t for t in active if end[t] > start[s]]
            for t in active:
                shared = min(end[s], end[t]) - max(start[s], start[t])
                if shared >= OVERLAP * max(end[s] - start[s], end[t] - start[t]):
                    uf.union(s, t)
            active.append(s)
    # -- components
    comp: dict[int, list[int]] = {}
    for n in range(len(art)):
        comp.setdefault(uf.find(n), []).append(n)
    count: dict[int, int] = {}
    degree: dict[tuple[int, str], int] = {}
    for x, y in links:
        root = uf.find(x)
        count[root] = count.get(root, 0) + 1
        for n in (x, y):
            degree[(root, art[n])] = degree.get((root, art[n]), 0) + 1

    built: list[tuple[tuple[int, int, int, str, int], int, PassageCluster]] = []
    for root, spans in comp.items():
        members: list[Member] = []
        groups: dict[str, list[int]] = {}
        for n in spans:
            groups.setdefault(art[n], []).append(n)
        for a, own in groups.items():
            published = prov[a].published if a in prov else None
            own.sort(key=lambda n: (start[n], -end[n]))
            regions: list[list[int]] = [[own[0]]]
            region_end = end[own[0]]
            for n in own[1:]:
                if start[n] >= region_end:
                    regions.append([n])
                    region_end = end[n]
                else:
                    regions[-1].append(n)
                    region_end = max(region_end, end[n])
            for region in regions:
                # the region's longest span, as the member's copy (its own wording, exact offsets)
                best = max(region, key=lambda k: (end[k] - start[k], -start[k]))
                members.append(Member(a, start[best], end[best], text[best], published))
        members.sort(key=lambda m: (time_key(m.published), m.article, m.start))
        infos = [
            MemberInfo(m.article, prov.get(m.article), len(_WORD.findall(m.text)), m.start, m.end)
            for m in members
        ]
        origin = choose_origin(infos)
        if origin.article is not None:
            representative = max(
                (m for m in members if m.article == origin.article), key=lambda m: len(m.text)
            ).text
        else:
            # the member linked to the most others (then the longest, then the smallest id)
            central = min(members, key=lambda m: (-degree.get((root, m.article), 0), -len(m.text), m.article))
            representative = central.text
        cluster = PassageCluster(0, tuple(members), representative, origin, count.get(root, 0))
        first = members[0]
        key = (-cluster.reach, -cluster.passages, -len(representative), first.article, first.start)
        built.append((key, root, cluster))
    built.sort(key=lambda item: item[0])
    number = {root: n for n, (_, root, _) in enumerate(built)}
    clusters = tuple(dataclasses.replace(c, id=n) for n, (_, _, c) in enumerate(built))
    out: list[Pair] = []
    k = 0
    replace = dataclasses.replace
    for pair in pairs:
        named = []
        for p in pair.passages:
            named.append(replace(p, cluster=number[uf.find(links[k][0])]))
            k += 1
        out.append(replace(pair, passages=tuple(named)))
    return Cascades(clusters, tuple(out))


def hub(cluster: PassageCluster) -> str:
    """The article a wide cluster's members are shown against: its origin, else its representative's."""
    if cluster.origin.article is not None:
        return cluster.origin.article
    return next(m.article for m in cluster.members if m.text == cluster.text)


def fold_pairs(
    pairs: Sequence[Pair], clusters: Sequence[PassageCluster], *, reach: int = LISTED_REACH
) -> frozenset[int]:
    """Indices of the pairs a bounded report leaves out (``pairs`` strongest first, passages named).

    A pair may be left out when every passage of it lies in a passage cluster reaching more than
    ``reach`` articles; of those, one pair per member of each such cluster is kept: its strongest pair
    with the cluster's hub (:func:`hub`), else its strongest pair in the cluster.
    """
    wide = {c.id: hub(c) for c in clusters if c.reach > reach}
    if not wide:
        return frozenset()
    with_hub: dict[tuple[int, str], int] = {}
    any_pair: dict[tuple[int, str], int] = {}
    foldable: list[int] = []
    for n, pair in enumerate(pairs):
        named = {p.cluster for p in pair.passages}
        if not named or not all(c in wide for c in named):
            continue
        foldable.append(n)
        for c in sorted(named):  # type: ignore[type-var]
            assert c is not None
            h = wide[c]
            if h in (pair.a, pair.b):
                other = pair.b if pair.a == h else pair.a
                with_hub.setdefault((c, other), n)
            for m in (pair.a, pair.b):
                any_pair.setdefault((c, m), n)
    shown = set(with_hub.values())
    for key, n in any_pair.items():
        if key not in with_hub and key[1] != wide[key[0]]:
            shown.add(n)
    return frozenset(n for n in foldable if n not in shown)
