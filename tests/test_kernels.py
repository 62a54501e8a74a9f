"""The compiled kernels (numba) against the numpy reference, value for value."""

from __future__ import annotations

import numpy as np
import pytest

from dedup import Settings
from dedup.engine import kernels
from dedup.engine.normalize import tokenize
from dedup.engine.signature import Signer
from dedup.errors import SettingsError
from tests.newsgen import generate_corpus

pytest.importorskip("numba")


def _texts() -> list[str]:
    articles, _ = generate_corpus(40, seed=31)
    # the short, the empty and the one-word alongside news-size texts
    return [a.text for a in articles] + ["", "one", "two words", "a b c", "x " * 9, "y " * 400]


def _masks(tokens: list[object], rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for i, t in enumerate(tokens):
        n = len(t)  # type: ignore[arg-type]
        if i % 3 == 0:
            out.append(np.zeros(n, dtype=np.bool_))
        elif i % 3 == 1:
            out.append(rng.random(n) < 0.2)
        else:
            out.append(np.ones(n, dtype=np.bool_))  # every word masked: no valid shingle
    return out


@pytest.mark.parametrize("settings", [Settings(), Settings(num_perm=64, window_num_perm=8, seed=7)])
def test_numba_kernels_equal_numpy(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    signer = Signer(settings)
    tokens = [tokenize(t) for t in _texts()]
    masks = _masks(tokens, np.random.default_rng(5))  # type: ignore[arg-type]
    results = {}
    for mode in ("numpy", "numba"):
        monkeypatch.setenv("DEDUP_KERNELS", mode)
        assert kernels.enabled() == (mode == "numba")
        single = [signer.fingerprint(t, m) for t, m in zip(tokens, masks, strict=True)]
        many = signer.fingerprint_many(tokens, masks)
        results[mode] = (single, many)
    for a, b in zip(results["numpy"][0], results["numba"][0], strict=True):
        for name in ("signature", "document_keys", "window_keys", "shingles", "valid", "distinct"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for p, q in zip(results["numpy"][1], results["numba"][1], strict=True):
        for name in ("signature", "document_keys", "window_keys", "shingles", "valid"):
            assert np.array_equal(getattr(p, name), getattr(q, name)), name
    # and the window signatures themselves, not only their keys
    for t, m in zip(tokens, masks, strict=True):
        fp = signer.fingerprint(t, m)
        monkeypatch.setenv("DEDUP_KERNELS", "numpy")
        want = signer.window_signatures(fp.shingles, fp.valid)
        monkeypatch.setenv("DEDUP_KERNELS", "numba")
        assert np.array_equal(signer.window_signatures(fp.shingles, fp.valid), want)


def test_unknown_kernel_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEDUP_KERNELS", "fortran")
    with pytest.raises(SettingsError, match="DEDUP_KERNELS='fortran'"):
        kernels.enabled()
