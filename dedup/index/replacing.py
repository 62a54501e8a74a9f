"""The keep policy in the filter: a later copy that ranks first replaces the stored one.

:func:`plan` turns a decision that rejects an article as a copy of stored ones into one that keeps
it and replaces them, when the index's :class:`~dedup.index.Keep` policy ranks the article before
each of them (the ranking is corpus cleaning's, :func:`dedup.engine.keep.replacement`: one rule,
one home). :meth:`Index.commit <dedup.index.Index.commit>` then removes the stored copies and
stores the article in one write transaction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from dedup.engine.keep import replacement
from dedup.index.decide import Attempt
from dedup.index.documents import Documents, article_of
from dedup.index.results import Keep, Policy, Replaced, StoredArticle
from dedup.model import Provenance
from dedup.stores.base import Store

__all__ = ["plan"]


def plan(attempt: Attempt, store: Store, documents: Documents, policy: Policy, keep: Keep) -> Attempt:
    """``attempt``, or one that keeps the article and replaces the stored copies that reject it.

    The latter when the keep policy ranks the article before every one of them (nothing written).
    """
    decision = attempt.decision
    if not keep.replaces or not decision.rejected or decision.relation == "already-stored":
        return attempt
    reasons = [m for m in decision.matches if policy.rejects(m, decision.id)]
    if not reasons or any(m.relation not in ("near-duplicate", "containment") for m in reasons):
        return attempt
    found = store.find([m.id for m in reasons])
    records = {r.id: r for r in store.fetch(list(found.values()))}
    new = attempt.article.doc.article
    provenance = {
        new.id: Provenance(
            source=new.source,
            published=new.published,
            words=documents.masked(attempt.article.doc, attempt.learned).words,
        )
    }
    replaced = []
    for m in reasons:
        record = records.get(m.id)
        if record is None:
            return attempt
        stored = article_of(record)
        provenance[m.id] = Provenance(
            source=stored.source, published=stored.published, words=documents.stored(record).words
        )
        if m.relation == "near-duplicate":
            relation: Literal["near-duplicate", "contained", "contains"] = "near-duplicate"
        else:
            relation = "contained" if m.contained == m.id else "contains"
        removal = replacement(
            keep.policy,
            new.id,
            m.id,
            relation,
            m.stored_coverage,
            provenance,
            source_rank=keep.source_rank,
        )
        if removal is None:
            return attempt
        replaced.append(Replaced(removal, StoredArticle(article=stored, added=record.added)))
    names = ", ".join(repr(r.removal.article) for r in replaced)
    kept = replace(
        decision,
        action="keep",
        replaced=tuple(replaced),
        reason=f"replaces {names}: {replaced[0].removal.reason}",
    )
    return replace(attempt, decision=kept, replaces=tuple(records[m.id].doc for m in reasons))
