"""The last batch stage: verified pairs in, the :class:`~dedup.model.Report` out (sorted, clustered)."""

from __future__ import annotations

from collections.abc import Sequence

from dedup.engine.cluster import star_clusters
from dedup.model import BadRecord, Notice, Pair, Report
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
) -> Report:
    """Sort pairs, cluster them and say what could not be compared: the report every runner produces.

    ``ids`` and ``words`` (words outside boilerplate) are per article, in input order; ``boilerplate``
    the learned lines as :func:`~dedup.engine.verify.name_lines` names them. ``clusters`` (lists of
    article numbers, each in input order, sorted by their first) when the runner computed them: the
    Spark runner does, with the same result as :func:`~dedup.engine.cluster.star_clusters` here.
    """
    s = settings
    pairs = sorted(pairs, key=Pair.sort_key)
    index = {a: i for i, a in enumerate(ids)}
    short = [a for a, n in zip(ids, words, strict=True) if n < s.min_passage_words]
    if clusters is None:
        edges = [(index[p.a], index[p.b]) for p in pairs if p.score >= s.cluster_coverage]
        clusters = star_clusters(list(words), edges)
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
        clusters=tuple(tuple(ids[i] for i in c) for c in clusters),
        notices=tuple(all_notices),
        bad_records=tuple(bad_records),
        boilerplate=boilerplate,
        ids=tuple(ids),
    )
