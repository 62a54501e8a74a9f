from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash

from dedup import Settings
from dedup.engine.lsh import KNOWN_BANDS, optimal_bands, window_bands
from dedup.engine.normalize import tokenize
from dedup.engine.signature import (
    BATCH_SHINGLES,
    EMPTY,
    WINDOW_SALT,
    Prints,
    Signer,
    band_keys,
    datasketch_permutations,
    shingle_hashes,
    word_hash,
)

TEXT = (
    "Russian Defense Minister Sergey Shoigu and his Pakistani counterpart Khawaja Asif signed a deal "
    "on military cooperation on Thursday in Pakistan's capital Islamabad."
)


def test_word_hash_is_stable_across_processes() -> None:
    # golden values: blake2b-64 of the UTF-8 word, little-endian
    assert word_hash("shoigu") == 0x8181CAF79A17D889


def test_golden_signature_values() -> None:
    fp = Signer(Settings()).fingerprint(tokenize(TEXT))
    assert fp.signature.dtype == np.uint32
    assert fp.signature[:6].tolist() == GOLDEN_FIRST_SIX


GOLDEN_FIRST_SIX = [109776320, 31825142, 71107359, 128322597, 232313384, 63224976]


@pytest.mark.parametrize("num_perm", [16, 128])
@pytest.mark.parametrize("seed", [1, 7])
def test_signature_equals_datasketch(num_perm: int, seed: int) -> None:
    settings = Settings(num_perm=num_perm, seed=seed)
    tokens = tokenize(TEXT)
    fp = Signer(settings).fingerprint(tokens)
    ref = MinHash(num_perm=num_perm, seed=seed, hashfunc=int, scheme="affine32")
    ref.update_batch(fp.shingles.tolist())
    assert fp.signature.tolist() == ref.hashvalues.tolist()


def test_window_signature_is_minimum_over_its_shingles() -> None:
    settings = Settings()
    signer = Signer(settings)
    tokens = tokenize(TEXT * 3)
    fp = signer.fingerprint(tokens)
    starts = signer.window_starts(len(fp.shingles))
    b, r = window_bands(settings)
    width = settings.window_shingles
    assert starts[0] == 0
    assert starts[-1] == len(fp.shingles) - width
    keys = set()
    for start in starts.tolist():
        ref = MinHash(num_perm=settings.window_num_perm, seed=settings.seed, hashfunc=int, scheme="affine32")
        ref.update_batch(fp.shingles[start : start + width].tolist())
        signature = np.asarray(ref.hashvalues, dtype=np.uint32)
        keys.update(band_keys(signature, b, r, salt=WINDOW_SALT)[0].tolist())
    assert fp.window_keys.tolist() == sorted(keys)


def test_masked_words_do_not_contribute() -> None:
    signer = Signer(Settings())
    tokens = tokenize(TEXT)
    mask = np.zeros(len(tokens), dtype=np.bool_)
    mask[:4] = True
    fp = signer.fingerprint(tokens, mask)
    # shingles 0..3 touch a masked word (k=3: shingle i covers words i..i+2)
    assert fp.valid.tolist()[:4] == [False, False, False, False]
    assert fp.valid[4:].all()
    ref = MinHash(num_perm=128, seed=1, hashfunc=int, scheme="affine32")
    ref.update_batch(fp.shingles[4:].tolist())
    assert fp.signature.tolist() == ref.hashvalues.tolist()


def test_empty_and_short_texts() -> None:
    signer = Signer(Settings())
    empty = signer.fingerprint(tokenize(""))
    assert empty.empty
    assert (empty.signature == EMPTY).all()
    assert empty.window_keys.shape[0] == 0
    short = signer.fingerprint(tokenize("two words"))
    assert len(short.shingles) == 1
    assert not short.empty
    assert short.window_keys.shape == (window_bands(Settings())[0],)


def test_shingle_hashes_order_sensitive() -> None:
    h = np.array([word_hash(w) for w in ("a", "b", "c", "a", "b")], dtype=np.uint64)
    s = shingle_hashes(h, 2)
    assert s[0] == s[3]  # "a b" twice
    assert s[0] != s[1]
    assert len(shingle_hashes(h[:1], 3)) == 1


def test_bands_match_datasketch() -> None:
    from datasketch import MinHashLSH

    for threshold, num_perm in ((0.3, 128), (0.5, 128), (0.8, 128), (0.5, 16), (0.2, 64), (0.9, 32)):
        if (threshold, num_perm) in KNOWN_BANDS:
            continue  # computed below, and answered from the table here
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert optimal_bands(threshold, num_perm) == (lsh.b, lsh.r)
    for (threshold, num_perm), bands in KNOWN_BANDS.items():
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert bands == (lsh.b, lsh.r)


@pytest.mark.parametrize("num_perm", [1, 16, 128, 256])
@pytest.mark.parametrize("seed", [0, 1, 7, 2**31])
def test_permutations_are_datasketchs(num_perm: int, seed: int) -> None:
    a, b = datasketch_permutations(num_perm, seed)
    ref = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    assert a.dtype == b.dtype == np.uint32
    assert a.tolist() == ref[0].tolist()
    assert b.tolist() == ref[1].tolist()


def test_fingerprint_many_equals_fingerprint_text_by_text() -> None:
    """The batched path, on texts of every shape: empty, shorter than a shingle or a window, masked in
    part or in whole, long enough to be split across batches, and in batches of several sizes."""
    rng = np.random.default_rng(7)
    vocabulary = [f"w{n}" for n in range(300)]
    texts = ["", "one", "two words", "three words here", "a b c d e f g h i j k l m"]
    texts += [" ".join(rng.choice(vocabulary, size=int(n))) for n in rng.integers(3, 900, size=60)]
    texts.append(" ".join(rng.choice(vocabulary, size=BATCH_SHINGLES + 50)))  # alone, the per-text path
    tokens = [tokenize(t) for t in texts]
    masks = []
    for n, t in enumerate(tokens):
        mask = np.zeros(len(t), dtype=np.bool_)
        if n % 3 == 1:
            mask[: len(t) // 2] = True  # a masked head
        elif n % 7 == 2:
            mask[:] = True  # nothing valid
        elif n % 3 == 2 and len(t) > 20:
            mask[rng.integers(0, len(t), size=5)] = True
        masks.append(mask)
    for settings in (Settings(), Settings(window_size=8, window_stride=3, shingle_size=2)):
        signer = Signer(settings)
        for size in (1, 7, len(texts)):
            batched: list[Prints] = []
            for lo in range(0, len(texts), size):
                batched += signer.fingerprint_many(tokens[lo : lo + size], masks[lo : lo + size])
            assert len(batched) == len(texts)
            for t, m, got in zip(tokens, masks, batched, strict=True):
                want = signer.fingerprint(t, m)
                assert got.shingles.tolist() == want.shingles.tolist()
                assert got.valid.tolist() == want.valid.tolist()
                assert got.signature.tolist() == want.signature.tolist()
                assert got.document_keys.tolist() == want.document_keys.tolist()
                assert got.window_keys.tolist() == want.window_keys.tolist()
