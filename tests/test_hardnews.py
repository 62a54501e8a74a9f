"""The hard news generator (benchmarks/hardnews.py): its gold is exact, its hard negatives are hard."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest

from benchmarks.hardnews import (
    COUNTS_AS_REUSE,
    Doc,
    HardNews,
    Template,
    generate,
    main,
    ocr_noise,
    quote_similarity,
)
from benchmarks.hardnews_material import AP, KINDS, OUTLETS

_WORD = re.compile(r"\w+")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def corpora() -> list[HardNews]:
    return [generate(seed, events=6, fillers=8) for seed in (1, 2)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _evidence(doc: Doc) -> set[tuple[str, ...]]:
    """Word 8-grams of a text with at least 3 words outside its name spans and none in its chrome."""
    text = doc.text
    chrome = [(a, b) for _, a, b in doc.chrome]
    tokens = [
        (m.group().lower(), _inside(m.start(), doc.names), _inside(m.start(), chrome))
        for m in _WORD.finditer(text)
    ]
    out = set()
    for i in range(len(tokens) - 7):
        window = tokens[i : i + 8]
        if any(c for _, _, c in window) or sum(not n for _, n, _ in window) < 3:
            continue
        out.add(tuple(w for w, _, _ in window))
    return out


def _names(doc: Doc) -> set[str]:
    """The words of a text's name spans."""
    return {w for a, b in doc.names for w in _WORD.findall(doc.text[a:b]) if w[0].isupper()}


def test_same_seed_same_corpus_and_gold() -> None:
    a, b = generate(7, events=3, fillers=4), generate(7, events=3, fillers=4)
    assert a.records() == b.records()
    assert a.to_json() == b.to_json()
    assert generate(8, events=3, fillers=4).records() != a.records()


def test_same_seed_same_files_whatever_the_hash_seed(tmp_path: Path) -> None:
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.hardnews",
                str(out),
                "--seed",
                "5",
                "--events",
                "3",
                "--fillers",
                "4",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            check=True,
            capture_output=True,
        )
        outputs.append(((out / "corpus.jsonl").read_bytes(), (out / "gold.json").read_bytes()))
    assert outputs[0] == outputs[1]


def test_gold_passages_point_at_the_same_words(corpora: list[HardNews]) -> None:
    size, least = COUNTS_AS_REUSE
    kinds = set()
    for corpus in corpora:
        docs = {d.id: d for d in corpus.docs}
        for p in corpus.positives:
            kinds.add(p.kind)
            x, y = docs[p.a].text, docs[p.b].text
            assert max(len(_WORD.findall(x[a0:a1])) for a0, a1, _, _ in p.passages) >= size
            for a0, a1, b0, b1 in p.passages:
                left, right = x[a0:a1], y[b0:b1]
                similarity = quote_similarity(left, right)
                if "ocr" in p.flags:
                    assert similarity >= 0.5, (p, left, right)
                else:
                    assert similarity >= least, (p, left, right)
                    if p.kind == "quote-exact":
                        assert left == right
    assert kinds == {"reprint", "quote-exact", "quote-edited", "quote-translated"}


def test_hard_negatives_share_names_but_no_8_word_run(corpora: list[HardNews]) -> None:
    kinds = set()
    for corpus in corpora:
        docs = {d.id: d for d in corpus.docs}
        negatives = corpus.hard_negatives
        assert len(negatives) >= 3 * len({d.event for d in corpus.docs if d.role == "wire"})
        for p in negatives:
            kinds.add(p.kind)
            x, y = docs[p.a], docs[p.b]
            assert x.event == y.event
            assert _names(x) & _names(y), (p.a, p.b)
            assert not _evidence(x) & _evidence(y), (p.a, p.b, _evidence(x) & _evidence(y))
    assert {"independent", "paraphrased-quote"} <= kinds
    flags = {f for corpus in corpora for p in corpus.hard_negatives for f in p.flags}
    assert {"short-quote", "long-names"} <= flags
    assert all(len(_WORD.findall(b)) < 8 for kind in KINDS for b in kind.soundbites)


def test_texts_of_different_events_share_no_8_word_run_but_chrome(corpora: list[HardNews]) -> None:
    corpus = corpora[0]
    evidence = {d.id: _evidence(d) for d in corpus.docs}
    for x, y in combinations(corpus.docs, 2):
        if x.event != y.event:
            assert not evidence[x.id] & evidence[y.id], (x.id, y.id)
    chrome_only = corpus.chrome_only_pairs()
    assert len(chrome_only) > len(corpus.docs)
    docs = {d.id: d for d in corpus.docs}
    for a, b in chrome_only[:50]:
        shared = {docs[a].text[s:e] for _, s, e in docs[a].chrome} & {
            docs[b].text[s:e] for _, s, e in docs[b].chrome
        }
        assert shared, (a, b)


def test_scraped_pages_carry_chrome_inside_long_lines(corpora: list[HardNews]) -> None:
    corpus = corpora[0]
    scraped = [d for d in corpus.docs if d.scraped]
    assert scraped
    for d in scraped:
        text = d.text
        body = max(text.splitlines(), key=len)
        start = text.index(body)
        inside = [k for k, a, b in d.chrome if start <= a and b <= start + len(body)]
        assert inside, d.id
        assert len(body) > 400
    wire_texts = [d.text for d in corpus.docs if d.role == "wire" and d.outlet == "ap"]
    assert all(AP.notice in t for t in wire_texts)
    assert any("OO.ready(function() {" in d.text for d in corpus.docs) or not any(
        d.outlet == "riverside-courier" for d in scraped
    )


def test_ocr_noise_changes_letters_but_keeps_most_words() -> None:
    import random

    text = "The government released emergency funds for the region and said soldiers would help."
    noisy = [ocr_noise(text, random.Random(k), rate=0.1) for k in range(5)]
    assert sum(n != text for n in noisy) >= 3
    assert all(quote_similarity(text, n) >= 0.5 for n in noisy)


def test_templates_turn_synonyms_into_choice_points() -> None:
    t = Template.parse("Officials [said|stated] the {river} rose.")
    assert t.choice_points >= 3  # officials, said/stated, rose
    text = "".join(x for x, _ in t.render({"river": "Alder"}, [0, 0, 0]))
    assert text == "Officials said the Alder rose."
    every = [text for kind in KINDS for fact in kind.facts for text in fact]
    assert len(every) == len(set(every)) == 3 * 4 * 6
    assert len({o.key for o in OUTLETS}) == len(OUTLETS)


def test_cli_writes_corpus_and_gold(tmp_path: Path) -> None:
    main([str(tmp_path), "--seed", "3", "--events", "3", "--fillers", "3"])
    records = [
        json.loads(line) for line in (tmp_path / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    gold = json.loads((tmp_path / "gold.json").read_text(encoding="utf-8"))
    texts = {r["id"]: r["text"] for r in records}
    assert {d["id"] for d in gold["documents"]} == set(texts)
    reuse = [p for p in gold["pairs"] if p["label"] == "reuse"]
    assert reuse
    assert any(p["label"] == "no" for p in gold["pairs"])
    for p in reuse:
        for a0, a1, b0, b1 in p["passages"]:
            assert quote_similarity(texts[p["a"]][a0:a1], texts[p["b"]][b0:b1]) >= 0.5
