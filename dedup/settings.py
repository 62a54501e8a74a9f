"""Detection settings: one frozen, validated object whose fingerprint is recorded with every output."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any

from dedup.errors import SettingsError

__all__ = ["HASH_SCHEME", "Settings"]

#: The MinHash permutation scheme (datasketch >= 2.0 ``affine32``): each shingle hash is pre-mixed with
#: the MurmurHash3 finalizer, then permuted as ``a * h + b mod 2**32``. Recorded in every fingerprint,
#: because signatures made under another scheme are not comparable.
HASH_SCHEME = "affine32"


def _setting(default: Any, help: str, *, signature: bool = False) -> Any:
    return field(default=default, metadata={"help": help, "signature": signature})


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every tunable of the detector, with its default.

    Settings marked as part of the *signature* change the fingerprints stored in an index: an index
    refuses to be queried with different values. The others only change how candidates are verified
    and classified.
    """

    shingle_size: int = _setting(3, "Words per shingle (word k-gram).", signature=True)
    window_size: int = _setting(
        12, "Words per window; shared passages are found window by window.", signature=True
    )
    window_stride: int = _setting(6, "Words between the starts of consecutive windows.", signature=True)
    num_perm: int = _setting(128, "MinHash permutations of the whole-document signature.", signature=True)
    window_num_perm: int = _setting(
        16, "MinHash permutations of each window signature (the first of the document's).", signature=True
    )
    seed: int = _setting(1, "Seed of the MinHash permutations.", signature=True)
    document_threshold: float = _setting(
        0.5, "Jaccard threshold of the whole-document LSH (reprint candidates).", signature=True
    )
    window_threshold: float = _setting(
        0.3, "Jaccard threshold of the window LSH (shared-passage candidates).", signature=True
    )
    min_window_hits: int = _setting(
        2,
        "Window LSH buckets two articles must share to be compared (one shared document bucket suffices).",
    )
    max_gap: int = _setting(12, "Most unmatched words inside one passage between two matched runs.")
    min_passage_words: int = _setting(8, "Fewest matched words for a passage to count as shared.")
    min_passage_similarity: float = _setting(
        0.5, "Least word-level similarity (0..1) of the two sides of a passage."
    )
    evidence_run: int = _setting(
        11,
        "Evidence of copying: an exact run of at least this many words (outside boilerplate) shared by"
        " both sides. A pair is flagged only when one of its passages is evidence.",
    )
    evidence_short_run: int = _setting(
        8,
        "Evidence of copying: a shorter exact run, of at least this many words, inside a passage of"
        " evidence_short_run_passage matched words or more (a sentence copied with an edit or two);"
        " no effect from evidence_run up.",
    )
    evidence_short_run_passage: int = _setting(
        14, "... the fewest matched words of the passage around such a shorter run."
    )
    evidence_plain_words: int = _setting(
        3,
        "Of an exact run, the fewest content words (not function words, not names: capitalised words"
        " inside a sentence and outside quotation marks) for it to be evidence.",
    )
    evidence_edited_words: int = _setting(
        16, "Evidence of copying: an edited passage of at least this many matched words..."
    )
    evidence_edited_similarity: float = _setting(
        0.8, "... at a word-level similarity of at least this much (0..1)."
    )
    evidence_quote_words: int = _setting(
        8,
        "Evidence of copying: an exact run of at least this many words inside quotation marks on either"
        " side.",
    )
    evidence_quote_similarity: float = _setting(
        0.6,
        "Evidence of copying: a passage inside quotation marks (on one side) at this word-level"
        " similarity or more (a quote translated or edited otherwise).",
    )
    evidence_coverage: float = _setting(
        0.15,
        "Evidence of copying spread over several short passages: together at least evidence_edited_words"
        " matched words covering at least this much of one article (a rewritten answer, a paraphrase).",
    )
    near_duplicate_coverage: float = _setting(
        0.8, "Both articles covered at least this much by shared passages: near-duplicate."
    )
    containment_coverage: float = _setting(
        0.8, "One article covered at least this much (the other less): containment."
    )
    cluster_coverage: float = _setting(
        0.1,
        "A pair joins its articles' clusters when shared passages cover at least this much of one of"
        " them: a story clusters with its reprints, rewrites and excerpts, not with an article that"
        " borrowed one quote (0: every flagged pair; 0.8: near-duplicates and containment only).",
    )
    boilerplate_min_docs: int = _setting(
        3, "A line recurring in this many otherwise unrelated articles is boilerplate."
    )
    max_bucket: int = _setting(
        500, "LSH buckets holding more articles than this are treated as boilerplate and skipped."
    )
    max_window_bucket: int = _setting(
        50,
        "Window LSH buckets holding more articles than this are stock phrases: they do not make candidates.",
    )

    def __post_init__(self) -> None:
        """Validate every value once, here, with a message that says how to fix it."""
        ints = {
            "shingle_size": (1, 16),
            "window_size": (2, 1000),
            "window_stride": (1, 1000),
            "num_perm": (8, 1024),
            "window_num_perm": (2, 1024),
            "max_gap": (0, 1000),
            "min_window_hits": (1, 10_000),
            "min_passage_words": (1, 100000),
            "evidence_run": (1, 100000),
            "evidence_short_run": (1, 100000),
            "evidence_short_run_passage": (1, 100000),
            "evidence_plain_words": (0, 100000),
            "evidence_edited_words": (1, 100000),
            "evidence_quote_words": (1, 100000),
            "boilerplate_min_docs": (2, 1_000_000),
            "max_bucket": (2, 100_000_000),
            "max_window_bucket": (2, 100_000_000),
        }
        for name, (lo, hi) in ints.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SettingsError(f"setting {name} must be an integer, got {value!r}")
            if not lo <= value <= hi:
                raise SettingsError(f"setting {name} must be between {lo} and {hi}, got {value}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise SettingsError(f"setting seed must be a non-negative integer, got {self.seed!r}")
        for name in (
            "document_threshold",
            "window_threshold",
            "min_passage_similarity",
            "evidence_edited_similarity",
            "evidence_coverage",
            "evidence_quote_similarity",
            "near_duplicate_coverage",
            "containment_coverage",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SettingsError(f"setting {name} must be a number, got {value!r}")
            if not 0.0 < float(value) <= 1.0:
                raise SettingsError(f"setting {name} must be in (0, 1], got {value}")
        value = self.cluster_coverage
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
            raise SettingsError(f"setting cluster_coverage must be a number in [0, 1], got {value!r}")
        if self.window_size <= self.shingle_size:
            raise SettingsError(
                f"window_size ({self.window_size}) must be larger than shingle_size ({self.shingle_size})"
            )
        if self.window_stride > self.window_size:
            raise SettingsError(
                f"window_stride ({self.window_stride}) must not exceed window_size ({self.window_size}),"
                " or words between windows would never be compared"
            )
        if self.window_num_perm > self.num_perm:
            raise SettingsError(
                f"window_num_perm ({self.window_num_perm}) must not exceed num_perm ({self.num_perm}):"
                " window signatures use the first permutations of the document's"
            )
        if self.near_duplicate_coverage < self.containment_coverage:
            raise SettingsError(
                "near_duplicate_coverage must be at least containment_coverage "
                f"({self.near_duplicate_coverage} < {self.containment_coverage})"
            )

    # -- derived values -------------------------------------------------------------------------------

    @property
    def window_shingles(self) -> int:
        """Shingles in one full window."""
        return self.window_size - self.shingle_size + 1

    @property
    def stride_shingles(self) -> int:
        """Shingles between the starts of consecutive windows."""
        return self.window_stride

    # -- serialisation --------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """All settings as a plain dict, plus the hash scheme and fingerprint."""
        data = dataclasses.asdict(self)
        data["hash_scheme"] = HASH_SCHEME
        data["fingerprint"] = self.fingerprint()
        return data

    def signature_dict(self) -> dict[str, Any]:
        """The settings that determine signatures and band keys (what an index must agree on)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("signature")}
        data["hash_scheme"] = HASH_SCHEME
        return data

    def fingerprint(self) -> str:
        """A short stable hash of the signature settings; equal fingerprints mean comparable signatures."""
        blob = json.dumps(self.signature_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Build settings from a dict (unknown keys are an error; hash_scheme and fingerprint are checked)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        unknown = set(data) - known - {"hash_scheme", "fingerprint"}
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
        scheme = data.get("hash_scheme", HASH_SCHEME)
        if scheme != HASH_SCHEME:
            raise SettingsError(
                f"hash scheme {scheme!r} is not supported (this version uses {HASH_SCHEME!r})"
            )
        return cls(**values)

    def diff(self, other: Settings) -> dict[str, tuple[Any, Any]]:
        """Settings whose values differ: name -> (self's value, other's value)."""
        return {
            f.name: (getattr(self, f.name), getattr(other, f.name))
            for f in fields(self)
            if getattr(self, f.name) != getattr(other, f.name)
        }

    @classmethod
    def help(cls) -> dict[str, str]:
        """One line of help per setting."""
        return {f.name: str(f.metadata.get("help", "")) for f in fields(cls)}
