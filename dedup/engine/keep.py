"""Corpus cleaning: which article of a group of copies is kept, and why each other one is removed.

Pure functions over a report's pairs. Only copies count: near-duplicate and containment pairs (an
``overlap`` shares passages, but each article has much of its own, so both stay). Articles are ranked by
the policy, best first; in that order each article not yet removed is kept and removes every copy of it
not yet decided. So every removed article is a copy of the article named as the one it duplicates (a
pair of the report says so), two kept articles are never copies of one another, and a group of copies
that are all copies of one another keeps exactly one.

Policies (ties always fall to the next key, then to the smaller id, so that the order of the input and
the number of workers change nothing):

* ``earliest``: the earliest ``published`` first (undated articles after dated ones), then the longest;
* ``longest``: the most words outside boilerplate first, then the earliest;
* ``first``: the first in input order (this one depends on the order, by definition);
* ``source-rank``: sources in the order given first (unlisted sources after), then the earliest, then
  the longest.

The same rule serves the pre-ingest filter, which meets copies one at a time: :func:`replacement`
says whether an article arriving after a stored copy of it ranks first, and so replaces it (with
``first``, the stored one always stays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dedup.engine.origin import normalize_name, time_key
from dedup.model import Pair, Provenance

__all__ = ["KEEP_POLICIES", "KeepPolicy", "Removal", "check_policy", "plan_removals", "replacement"]

KeepPolicy = Literal["earliest", "longest", "first", "source-rank"]
KEEP_POLICIES: tuple[KeepPolicy, ...] = ("earliest", "longest", "first", "source-rank")
Relation = Literal["near-duplicate", "contained", "contains"]


@dataclass(frozen=True, slots=True)
class Removal:
    """Why an article is removed: the kept article it duplicates, how, and the policy's reason."""

    article: str
    duplicate_of: str
    #: near-duplicate; contained (the removed article is inside the kept one); contains (the kept
    #: article is inside the removed one, which adds ``own`` of its words).
    relation: Relation
    #: Share of the removed article's words inside the passages it shares with the kept one.
    coverage: float
    policy: KeepPolicy
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``dedup_removed`` in a removed record)."""
        return {
            "duplicate_of": self.duplicate_of,
            "relation": self.relation,
            "coverage": round(self.coverage, 4),
            "policy": self.policy,
            "reason": self.reason,
        }


def _rank_key(
    policy: KeepPolicy, article: str, prov: Provenance | None, position: int, ranks: Mapping[str, int]
) -> tuple[Any, ...]:
    when = time_key(prov.published if prov else None)
    words = prov.words if prov else 0
    if policy == "earliest":
        return (when, -words, article)
    if policy == "longest":
        return (-words, when, article)
    if policy == "first":
        return (position, article)
    source = normalize_name(prov.source) if prov and prov.source else ""
    return (ranks.get(source, len(ranks)), when, -words, article)


def _why(
    policy: KeepPolicy, kept: str, removed: str, prov: Mapping[str, Provenance], ranks: Mapping[str, int]
) -> str:
    k, r = prov.get(kept), prov.get(removed)
    if policy == "earliest":
        tk, tr = (k.published if k else None), (r.published if r else None)
        if tk and tr and time_key(tk) < time_key(tr):
            return f"published earlier ({tk} < {tr})"
        if tk and not tr:
            return f"dated ({tk}), the other is not"
    if policy in ("longest", "earliest") and k and r and k.words != r.words:
        return f"longer ({k.words} words against {r.words})"
    if policy == "first":
        return "earlier in the input"
    if policy == "source-rank":
        sk = normalize_name(k.source) if k and k.source else ""
        sr = normalize_name(r.source) if r and r.source else ""
        if ranks.get(sk, len(ranks)) < ranks.get(sr, len(ranks)):
            return f"its source ranks higher ({k.source if k else None!s} before {r.source if r else None!s})"
        if k and r and k.published and r.published and time_key(k.published) < time_key(r.published):
            return f"same source rank, published earlier ({k.published} < {r.published})"
        if k and r and k.words != r.words:
            return f"same source rank, longer ({k.words} words against {r.words})"
    return "ranked first by the policy (ties broken by id)"


def check_policy(policy: str) -> KeepPolicy:
    """``policy`` if it names a keep policy; ValueError otherwise."""
    if policy not in KEEP_POLICIES:
        raise ValueError(f"unknown keep policy {policy!r}: choose one of {', '.join(KEEP_POLICIES)}")
    return policy


def _ranks(source_rank: Sequence[str]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for name in source_rank:
        ranks.setdefault(normalize_name(name), len(ranks))
    return ranks


def _removal(
    policy: KeepPolicy,
    kept: str,
    removed: str,
    relation: Relation,
    coverage: float,
    provenance: Mapping[str, Provenance],
    ranks: Mapping[str, int],
) -> Removal:
    what = {
        "near-duplicate": f"near-duplicate of {kept}",
        "contained": f"contained in {kept}",
        "contains": f"contains {kept} (adds {1 - coverage:.0%} of its own words)",
    }[relation]
    return Removal(
        removed,
        kept,
        relation,
        coverage,
        policy,
        f"{what}; {kept} kept: {_why(policy, kept, removed, provenance, ranks)}",
    )


def replacement(
    policy: KeepPolicy,
    new: str,
    stored: str,
    relation: Relation,
    coverage: float,
    provenance: Mapping[str, Provenance],
    *,
    source_rank: Sequence[str] = (),
) -> Removal | None:
    """The removal of ``stored`` when the policy ranks ``new``, a copy of it met later, first; else None.

    ``relation`` is the stored article's to the new one (``contained``: the stored article is inside
    the new one), ``coverage`` the share of the stored article's words it shares with the new one;
    ``provenance`` gives both articles' date, source and words. The ranking is :func:`plan_removals`'s,
    the stored article counting as the first in input order.
    """
    ranks = _ranks(source_rank)
    position = {stored: 0, new: 1}

    def key(article: str) -> tuple[Any, ...]:
        return _rank_key(policy, article, provenance.get(article), position[article], ranks)

    if key(new) >= key(stored):
        return None
    return _removal(policy, new, stored, relation, coverage, provenance, ranks)


def plan_removals(
    pairs: Sequence[Pair],
    provenance: Mapping[str, Provenance],
    order: Sequence[str],
    policy: KeepPolicy,
    *,
    source_rank: Sequence[str] = (),
) -> dict[str, Removal]:
    """The articles to remove (id -> :class:`Removal`); every other article is kept.

    ``provenance`` gives each paired article's date, source and words; ``order`` is the input order (for
    ``first``); ``source_rank`` the sources from most to least preferred (for ``source-rank``).
    """
    check_policy(policy)
    ranks = _ranks(source_rank)
    copies: dict[str, list[tuple[str, Pair]]] = {}
    for pair in pairs:
        if pair.relation in ("near-duplicate", "containment"):
            copies.setdefault(pair.a, []).append((pair.b, pair))
            copies.setdefault(pair.b, []).append((pair.a, pair))
    if not copies:
        return {}
    position = {a: n for n, a in enumerate(order)}
    ranked = sorted(
        copies, key=lambda a: _rank_key(policy, a, provenance.get(a), position.get(a, len(position)), ranks)
    )
    removed: dict[str, Removal] = {}
    kept: set[str] = set()
    for article in ranked:
        if article in removed:
            continue
        kept.add(article)
        for other, pair in copies[article]:
            if other in removed or other in kept:
                continue
            if pair.relation == "near-duplicate":
                relation: Relation = "near-duplicate"
            else:
                relation = "contained" if pair.contained == other else "contains"
            coverage = pair.coverage_a if pair.a == other else pair.coverage_b
            removed[other] = _removal(policy, article, other, relation, coverage, provenance, ranks)
    return removed
