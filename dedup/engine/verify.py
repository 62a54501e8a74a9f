"""Verification of one candidate pair: from two articles to a :class:`~dedup.model.Pair` or nothing.

:class:`Verifier` prepares a :class:`Document` (tokenise with :mod:`dedup.engine.normalize`, mask known
and learned boilerplate with :mod:`dedup.engine.boilerplate`, fingerprint with
:mod:`dedup.engine.signature`), aligns two documents (:mod:`dedup.engine.align`) and classifies the pair
by how much of each side its passages cover (:func:`classify`). Both the batch report and the
incremental index verify through this one class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from dedup.engine.align import Match, align_pair, headline_match
from dedup.engine.arrays import intersect, unique
from dedup.engine.boilerplate import (
    Line,
    junk_spans_many,
    line_ranges,
    line_ranges_many,
    lines_of,
    lines_of_many,
    mask_lines,
    static_mask,
)
from dedup.engine.evidence import Side, ordinary_words, strength
from dedup.engine.normalize import Tokens, tokenize, tokenize_many
from dedup.engine.signature import Fingerprint, Signer, estimate_jaccard
from dedup.model import Article, Pair, Passage, Relation
from dedup.settings import Settings

__all__ = ["Document", "Verifier", "classify", "name_lines"]


@dataclass(slots=True)
class Document:
    """An article with everything derived from it."""

    article: Article
    fingerprint: Fingerprint
    mask: npt.NDArray[np.bool_]
    lines: list[Line] = field(default_factory=list)

    @property
    def words(self) -> int:
        """Words that count (not masked as boilerplate)."""
        return int(len(self.mask) - self.mask.sum())


def classify(coverage_a: float, coverage_b: float, settings: Settings) -> Relation:
    """Relation of a pair from how much of each side its shared passages cover."""
    if min(coverage_a, coverage_b) >= settings.near_duplicate_coverage:
        return "near-duplicate"
    if max(coverage_a, coverage_b) >= settings.containment_coverage:
        return "containment"
    return "overlap"


def _coverage(spans: Iterable[tuple[int, int]], mask: npt.NDArray[np.bool_]) -> float:
    total = int(len(mask) - mask.sum())
    if total == 0:
        return 0.0
    covered = np.zeros(len(mask), dtype=np.bool_)
    for lo, hi in spans:
        covered[lo:hi] = True
    return float(np.count_nonzero(covered & ~mask)) / total


def _jaccard(fa: Fingerprint, fb: Fingerprint) -> float:
    sa = unique(fa.shingles[fa.valid])
    sb = unique(fb.shingles[fb.valid])
    if not len(sa) and not len(sb):
        return 0.0
    inter = len(intersect(sa, sb))
    return inter / (len(sa) + len(sb) - inter)


def _mirror(pair: Pair) -> Pair:
    """The same pair seen from the other side: a and b swapped, passages in the new a's order."""
    passages = sorted(
        (
            dataclasses.replace(
                p,
                a_start=p.b_start,
                a_end=p.b_end,
                b_start=p.a_start,
                b_end=p.a_end,
                a_text=p.b_text,
                b_text=p.a_text,
            )
            for p in pair.passages
        ),
        key=lambda p: (p.a_start, p.b_start),
    )
    return dataclasses.replace(
        pair,
        a=pair.b,
        b=pair.a,
        coverage_a=pair.coverage_b,
        coverage_b=pair.coverage_a,
        passages=tuple(passages),
    )


class Verifier:
    """Prepares documents and verifies pairs of them under one :class:`~dedup.settings.Settings`."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings if settings is not None else Settings()
        self.signer = Signer(self.settings)

    # -- stages ---------------------------------------------------------------------------------------

    def document(
        self,
        article: Article,
        boilerplate: Mapping[int, int] | None = None,
        *,
        keys: bool = True,
        signature: npt.NDArray[np.uint32] | None = None,
    ) -> Document:
        """Tokenise, mask boilerplate (known, and the learned ``boilerplate`` lines) and fingerprint.

        ``keys=False`` skips the LSH band keys: enough to verify a pair, not to find candidates.
        ``signature``: the whole-document signature, when already computed (with the same mask).
        """
        tokens, mask, lines = self.prepare(article, boilerplate)
        fingerprint = self.signer.fingerprint(tokens, mask, keys=keys, signature=signature)
        return Document(article=article, fingerprint=fingerprint, mask=mask, lines=lines)

    def documents(
        self,
        articles: Sequence[Article],
        boilerplate: Mapping[int, int] | None = None,
        *,
        signatures: Sequence[npt.NDArray[np.uint32]] | None = None,
    ) -> list[Document]:
        """:meth:`document` of each article with ``keys=False``, the texts prepared together.

        The texts are tokenised, masked and keyed as :meth:`prepare_many` does (the same results as one
        by one, at a fraction of the cost per text); ``signatures``: their whole-document signatures,
        when already computed (with the same masks).
        """
        prepared = self.prepare_many([a.text for a in articles], boilerplate)
        out = []
        for n, (article, (tokens, mask, lines)) in enumerate(zip(articles, prepared, strict=True)):
            signature = None if signatures is None else signatures[n]
            fingerprint = self.signer.fingerprint(tokens, mask, keys=False, signature=signature)
            out.append(Document(article=article, fingerprint=fingerprint, mask=mask, lines=lines))
        return out

    def prepare(
        self, article: Article | str, boilerplate: Mapping[int, int] | None = None
    ) -> tuple[Tokens, npt.NDArray[np.bool_], list[Line]]:
        """Tokenise and mask boilerplate: the words, boilerplate mask and lines of an article (or text)."""
        text = article if isinstance(article, str) else article.text
        return self._masked(text, tokenize(text), boilerplate)

    def prepare_many(
        self, texts: Sequence[str], boilerplate: Mapping[int, int] | None = None
    ) -> list[tuple[Tokens, npt.NDArray[np.bool_], list[Line]]]:
        """:meth:`prepare` of each text, the texts tokenised, searched for junk and keyed together.

        Their lines' word ranges are looked up at once too. The same results as one by one
        (:func:`tokenize_many`, :func:`junk_spans_many`, :func:`line_ranges_many`,
        :func:`lines_of_many`).
        """
        tokens = tokenize_many(texts)
        ranges = line_ranges_many(texts, tokens)
        masks = [
            static_mask(text, t, r, junk)
            for text, t, r, junk in zip(texts, tokens, ranges, junk_spans_many(texts), strict=True)
        ]
        lines = lines_of_many(texts, tokens, ranges)
        if boilerplate:
            for t, mask, ln in zip(tokens, masks, lines, strict=True):
                mask_lines(ln, boilerplate, mask, t.hashes)
        return list(zip(tokens, masks, lines, strict=True))

    def _masked(
        self, text: str, tokens: Tokens, boilerplate: Mapping[int, int] | None
    ) -> tuple[Tokens, npt.NDArray[np.bool_], list[Line]]:
        ranges = line_ranges(text, tokens)
        mask = static_mask(text, tokens, ranges)
        lines = lines_of(text, tokens, ranges)
        if boilerplate:
            mask_lines(lines, boilerplate, mask, tokens.hashes)
        return tokens, mask, lines

    def matches(self, da: Document, db: Document) -> list[Match]:
        """Shared passages of two documents, in word coordinates."""
        s = self.settings
        found = align_pair(
            da.fingerprint,
            db.fingerprint,
            k=s.shingle_size,
            max_gap=s.max_gap,
            min_words=s.min_passage_words,
            min_similarity=s.min_passage_similarity,
            mask_a=da.mask,
            mask_b=db.mask,
        )
        if found:  # a reworded headline counts only alongside a passage found in the text
            head = headline_match(
                da.article.text, da.fingerprint.tokens, db.article.text, db.fingerprint.tokens
            )
            if head is not None and all(m.a0 >= head.a1 and m.b0 >= head.b1 for m in found):
                found.insert(0, head)
        return found

    def pair(self, da: Document, db: Document) -> Pair | None:
        """Verify a candidate pair: its passages, scores and relation (None if it shares nothing).

        The result does not depend on the order of the two documents: ``pair(b, a)`` is ``pair(a, b)``
        with its sides swapped. (Alignment breaks ties by position, so the two documents are always
        aligned in one order, the longer text first, and the result mirrored when needed.)
        """
        if (len(db.article.text), db.article.text) > (len(da.article.text), da.article.text):
            swapped = self._pair(db, da)
            return None if swapped is None else _mirror(swapped)
        return self._pair(da, db)

    def _pair(self, da: Document, db: Document) -> Pair | None:
        found = self.matches(da, db)
        if not found:
            return None
        ta, tb = da.fingerprint.tokens, db.fingerprint.tokens
        text_a, text_b = da.article.text, db.article.text
        side_a, side_b = Side(text_a, ta, da.mask), Side(text_b, tb, db.mask)
        s = self.settings
        evidence = [strength(m.blocks, m.distinct, m.similarity, side_a, side_b, s) for m in found]
        cov_a = _coverage(((m.a0, m.a1) for m in found), da.mask)
        cov_b = _coverage(((m.b0, m.b1) for m in found), db.mask)
        if not any(evidence):
            # names, stock phrases, a headline worded alike: no evidence of copying, unless the
            # passages together cover much of one side (a rewritten text keeps many short runs)
            spread = sum(ordinary_words(m.blocks, side_a, side_b) for m in found)
            if spread < s.evidence_edited_words or max(cov_a, cov_b) < s.evidence_coverage:
                return None
            evidence = [f"{spread} words in {len(found)} passages" if m.blocks else None for m in found]
        passages = []
        for m, why in zip(found, evidence, strict=True):
            a_start, a_end = ta.span(m.a0, m.a1)
            b_start, b_end = tb.span(m.b0, m.b1)
            passages.append(
                Passage(
                    a_start=a_start,
                    a_end=a_end,
                    b_start=b_start,
                    b_end=b_end,
                    similarity=m.similarity,
                    a_text=text_a[a_start:a_end],
                    b_text=text_b[b_start:b_end],
                    matched_words=m.matched,
                    evidence=why,
                )
            )
        relation = classify(cov_a, cov_b, self.settings)
        contained = None
        if relation == "containment":
            contained = da.article.id if cov_a >= cov_b else db.article.id
        return Pair(
            a=da.article.id,
            b=db.article.id,
            relation=relation,
            jaccard=_jaccard(da.fingerprint, db.fingerprint),
            jaccard_estimate=estimate_jaccard(da.fingerprint.signature, db.fingerprint.signature),
            coverage_a=cov_a,
            coverage_b=cov_b,
            passages=tuple(passages),
            contained=contained,
        )

    def compare(self, a: Article, b: Article) -> Pair | None:
        """Compare two articles directly (no candidate step, no corpus-level boilerplate)."""
        return self.pair(self.document(a), self.document(b))


def name_lines(texts: Iterable[str], boilerplate: Mapping[int, int]) -> tuple[tuple[str, int], ...]:
    """The normalised text of each learned boilerplate line with its count, most frequent first.

    ``texts`` are read until every line is found (not at all when there is none).
    """
    named: dict[int, str] = {}
    if boilerplate:
        for text in texts:
            tokens = tokenize(text)
            for line in lines_of(text, tokens):
                if line.key in boilerplate and line.key not in named:
                    named[line.key] = line.text(tokens)
            if len(named) == len(boilerplate):
                break
    return tuple(sorted(((named[k], n) for k, n in boilerplate.items()), key=lambda kv: (-kv[1], kv[0])))
