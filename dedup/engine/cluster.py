"""Clusters: articles that are copies of one another (near-duplicates and containment).

Union-find over near-duplicate and containment edges, strongest first, with a guard against chains:
each cluster has a representative (its longest article), and two clusters merge only when their
representatives are themselves linked by an edge. A cluster is therefore a star around one article,
never a chain A~B~C whose ends share nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["star_clusters"]


def star_clusters(sizes: Sequence[int], edges: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Clusters (lists of document indices, input order) of two or more members.

    ``sizes[d]`` ranks representatives (longest first, then earliest); ``edges`` are strongest first.
    """
    parent = list(range(len(sizes)))
    rep = list(range(len(sizes)))
    linked = {(x, y) if x < y else (y, x) for x, y in edges}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression, iteratively
            parent[x], x = root, parent[x]
        return root

    for x, y in edges:
        rx, ry = find(x), find(y)
        if rx == ry:
            continue
        px, py = rep[rx], rep[ry]
        if (min(px, py), max(px, py)) not in linked:
            continue
        parent[ry] = rx
        rep[rx] = px if (sizes[px], -px) >= (sizes[py], -py) else py
    groups: dict[int, list[int]] = {}
    for d in range(len(sizes)):
        groups.setdefault(find(d), []).append(d)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])
