"""The corpus facade: :class:`Detector` runs ``dedup report``'s pipeline and compares two articles.

The work is done below: the batch stages and their local runner (:mod:`dedup.batch`) for a corpus,
the verifier (:mod:`dedup.engine.verify`) for one pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dedup.batch.assemble import assemble_report
from dedup.batch.local import Progress, run_batch
from dedup.engine.verify import Verifier
from dedup.model import Article, BadRecord, Notice, Pair, Report
from dedup.settings import Settings

__all__ = ["Detector"]


class Detector:
    """Finds reprints, containment and overlapping reports in a corpus, with their shared passages.

    >>> from dedup import Article, Detector
    >>> report = Detector().report([Article("a", text_a), Article("b", text_b)])  # doctest: +SKIP
    >>> report.pairs[0].relation  # doctest: +SKIP
    'near-duplicate'
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings if settings is not None else Settings()
        self.verifier = Verifier(self.settings)

    def compare(self, a: Article, b: Article) -> Pair | None:
        """Compare two articles directly (no candidate step, no corpus-level boilerplate)."""
        return self.verifier.compare(a, b)

    def report(
        self,
        articles: Iterable[Article],
        *,
        workers: int = 1,
        progress: Progress | None = None,
        notices: Sequence[Notice] = (),
        bad_records: Sequence[BadRecord] = (),
    ) -> Report:
        """Run the whole pipeline over a corpus (streamed; in parallel for large corpora).

        Ids must be unique (:class:`~dedup.errors.InputError` otherwise). ``workers`` is the number of
        processes (the result is the same for any number); with more than one, large corpora are
        fingerprinted and verified by worker processes started with the ``spawn`` method, so a script
        that calls this must guard its entry point with ``if __name__ == "__main__":``. ``notices`` and
        ``bad_records`` from reading the input are carried into the report.

        Raises :class:`~dedup.errors.InputError` (duplicate ids, unreadable input) and
        :class:`~dedup.errors.SettingsError`.
        """
        result = run_batch(self.settings, articles, workers=workers, progress=progress)
        return assemble_report(
            self.settings,
            result.ids,
            result.words,
            result.pairs,
            result.boilerplate,
            result.skipped_buckets,
            notices,
            bad_records,
            provenance=result.provenance,
        )
