"""The last batch stage: verified pairs in, the :class:`~dedup.model.Report` out (sorted, clustered)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from dedup.engine.cascades import fold_pairs, passage_clusters
from dedup.engine.cluster import star_clusters
from dedup.engine.origin import article_cluster_origins
from dedup.model import BadRecord, Notice, Pair, Provenance, Report
from dedup.settings import Settings

__all__ = ["assemble_report"]


def assemble_report(
    settings: Settings,
    ids: Sequence[str],
    words: Sequence[int],
    pairs: list[Pair],
    boilerplate: tuple[tuple[str, int], ...],
    skipped_buckets: int,
    notices: Sequence[Notice] = (),
    bad_records: Sequence[BadRecord] = (),
    *,
    clusters: Sequence[Sequence[int]] | None = None,
    provenance: Mapping[str, Provenance] | None = None,
) -> Report:
    """Sort pairs, cluster them, group their passages and say what could not be compared.

    This is the report every runner produces. ``ids`` and ``words`` (words outside boilerplate) are per
    article, in input order; ``boilerplate`` the learned lines as :func:`~dedup.engine.verify.name_lines`
    names them. ``clusters`` (lists of article numbers, each in input order, sorted by their first) when
    the runner computed them: the Spark runner does, with the same result as
    :func:`~dedup.engine.cluster.star_clusters` here. ``provenance``: the dates, sources and credits of
    the paired articles (:func:`dedup.engine.origin.provenance`), from which origins are chosen (without
    it, an article's words are all that is known of it).
    """
    s = settings
    pairs = sorted(pairs, key=Pair.sort_key)
    index = {a: i for i, a in enumerate(ids)}
    short = [a for a, n in zip(ids, words, strict=True) if n < s.min_passage_words]
    if clusters is None:
        edges = [(index[p.a], index[p.b]) for p in pairs if p.score >= s.cluster_coverage]
        clusters = star_clusters(list(words), edges)
    # what origins and the keep policy know of each paired article; its words are the ones counted here
    given = provenance or {}
    known = {
        a: dataclasses.replace(given.get(a, Provenance()), words=words[index[a]])
        for a in sorted({a for p in pairs for a in (p.a, p.b)})
    }
    cascades = passage_clusters(pairs, known)
    pairs = list(cascades.pairs)
    named_clusters = tuple(tuple(ids[i] for i in c) for c in clusters)
    all_notices = list(notices)
    if short:
        shown = ", ".join(repr(i) for i in short[:10]) + (", ..." if len(short) > 10 else "")
        all_notices.append(
            Notice(
                f"{len(short)} article(s) have fewer than {s.min_passage_words} words outside "
                f"boilerplate and cannot share a passage: {shown}"
            )
        )
    if skipped_buckets:
        all_notices.append(
            Notice(f"{skipped_buckets} LSH buckets held more than {s.max_bucket} articles and were skipped")
        )
    return Report(
        documents=len(ids),
        settings=s,
        pairs=tuple(pairs),
        clusters=named_clusters,
        notices=tuple(all_notices),
        bad_records=tuple(bad_records),
        boilerplate=boilerplate,
        ids=tuple(ids),
        passage_clusters=cascades.clusters,
        cluster_origins=article_cluster_origins(named_clusters, pairs, known),
        folded=fold_pairs(pairs, cascades.clusters),
        provenance=known,
    )
