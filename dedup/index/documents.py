"""Articles as the index fingerprints, stores and reads them back.

A new article is :class:`Prepared` (fingerprinted, its date read, its lines listed) outside any
transaction; only its learned boilerplate, which depends on what is stored, is left to the decision.
A stored article is rebuilt from its record, masked as when it was stored.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.engine.boilerplate import Line, mask_lines
from dedup.engine.verify import Document, Verifier
from dedup.errors import InputError
from dedup.index.results import parse_published
from dedup.model import Article
from dedup.stores.base import NewRecord, StoredRecord

__all__ = ["Documents", "Prepared", "unique_lines"]

_SURROGATE = re.compile("[\ud800-\udfff]")
#: Stored articles kept rebuilt in memory (the candidates of the articles decided last).
_DOCUMENT_CACHE = 256


@dataclass(frozen=True, slots=True)
class Prepared:
    """A new article fingerprinted outside any transaction (only learned boilerplate is missing)."""

    doc: Document
    #: ``published`` as seconds since the epoch, when the article has one.
    published: float | None
    #: The article's line keys, each once, and whether the line lies at its head or foot.
    lines: tuple[tuple[int, bool], ...]

    @property
    def id(self) -> str:
        """The article's id."""
        return self.doc.article.id


def unique_lines(lines: Sequence[Line]) -> tuple[tuple[int, bool], ...]:
    """Each line key once, at the head or foot if any of its lines is."""
    edges: dict[int, bool] = {}
    for line in lines:
        edges[line.key] = edges.get(line.key, False) or line.edge
    return tuple(edges.items())


def article_of(record: StoredRecord) -> Article:
    """The article a stored record holds."""
    meta = record.metadata
    return Article(
        id=record.id,
        text=record.text,
        title=meta.get("title"),
        source=meta.get("source"),
        published=meta.get("published"),
        url=meta.get("url"),
    )


class Documents:
    """Fingerprints for one index: its verifier, its window-key sample and a cache of stored articles.

    Window keys are sampled by value (see :mod:`dedup.index.index`): a key is kept when it falls in
    the first ``1 / window_sample`` of the key space.
    """

    def __init__(self, verifier: Verifier, window_sample: int) -> None:
        self.verifier = verifier
        self.window_sample = window_sample
        self._sample_limit = np.uint64(((1 << 64) // window_sample) - 1)  # keys at or below are kept
        self._stored: OrderedDict[int, Document] = OrderedDict()

    def prepare(self, article: Article) -> Prepared:
        """Fingerprint a new article.

        Raises :class:`~dedup.errors.InputError` for a text or field holding a lone surrogate (no
        store can hold one) and for an unreadable ``published``.
        """
        for name, value in (("id", article.id), ("text", article.text), *article.metadata().items()):
            bad = _SURROGATE.search(value)
            if bad is not None:
                # not a character: no store can hold it (the readers put U+FFFD in its place)
                raise InputError(
                    f"holds a lone surrogate (\\u{ord(bad.group()):04x} at offset {bad.start()}), which "
                    f"cannot be stored (article {article.id!r})",
                    source=article.origin,
                    field=name,
                )
        published = None
        if article.published is not None and article.published.strip():
            published = parse_published(article.published, source=article.origin)
        doc = self.verifier.document(article)
        return Prepared(doc=doc, published=published, lines=unique_lines(doc.lines))

    def keys(self, doc: Document) -> tuple[int, ...]:
        """The band keys the index stores and looks up: the document keys and the sampled window keys."""
        fp = doc.fingerprint
        windows = fp.window_keys  # distinct, and salted apart from document keys
        if self.window_sample > 1:
            windows = windows[windows <= self._sample_limit]
        keys: npt.NDArray[np.uint64] = np.unique(
            np.concatenate([fp.document_keys.astype(np.uint64), windows])
        )
        return tuple(keys.tolist())

    def masked(self, doc: Document, lines: Collection[int]) -> Document:
        """``doc`` with the words of ``lines`` (line keys) masked too: itself when none of them is in it.

        A line is also found glued to the start or end of another line (:func:`mask_lines`).
        """
        if not lines:
            return doc
        mask = doc.mask.copy()
        if not mask_lines(doc.lines, dict.fromkeys(lines, 1), mask, doc.fingerprint.tokens.hashes):
            return doc
        fingerprint = self.verifier.signer.fingerprint(doc.fingerprint.tokens, mask)
        return Document(article=doc.article, fingerprint=fingerprint, mask=mask, lines=doc.lines)

    def _mask(self, doc: Document, lines: Iterable[int]) -> None:
        """Mask the words of ``lines`` in ``doc`` in place (and fingerprint it again if that changed it)."""
        chosen = dict.fromkeys(lines, 1)
        if chosen and mask_lines(doc.lines, chosen, doc.mask, doc.fingerprint.tokens.hashes):
            doc.fingerprint = self.verifier.signer.fingerprint(doc.fingerprint.tokens, doc.mask)

    def stored(self, record: StoredRecord, extra: Collection[int] = ()) -> Document:
        """The stored article as a Document: masked as when it was stored, plus the ``extra`` lines."""
        cached = self._stored.get(record.doc)
        if cached is None:
            cached = self.rebuilt(record)
            self._stored[record.doc] = cached
            if len(self._stored) > _DOCUMENT_CACHE:
                self._stored.popitem(last=False)
        else:
            self._stored.move_to_end(record.doc)
        return self.masked(cached, extra)

    def rebuilt(self, record: StoredRecord) -> Document:
        """The stored article fingerprinted again as when it was stored (not cached)."""
        doc = self.verifier.document(article_of(record))
        self._mask(doc, record.masked)
        return doc

    def forget(self) -> None:
        """Drop the cached stored articles (after a removal)."""
        self._stored.clear()

    def record(
        self, prepared: Prepared, keys: Sequence[int], learned: Iterable[int], *, doc: Document | None = None
    ) -> NewRecord:
        """The record that stores a prepared article, with its band keys and its learned lines.

        ``doc``: the fingerprint to store (signature, shingles), by default the prepared one (known
        boilerplate masked, not the learned lines); a bulk load stores the one with its learned lines
        masked.
        """
        doc = doc if doc is not None else prepared.doc
        return NewRecord(
            id=doc.article.id,
            text=doc.article.text,
            metadata=doc.article.metadata(),
            published=prepared.published,
            added=time.time(),
            signature=doc.fingerprint.signature.astype("<u4").tobytes(),
            keys=keys,
            lines=prepared.lines,
            masked=sorted(learned),
            shingles=doc.fingerprint.shingles.astype("<u4").tobytes(),
            valid=np.packbits(doc.fingerprint.valid).tobytes(),
        )
