"""The quality benchmark's own machinery: the synthetic generator's gold, gold re-location, the script."""

from __future__ import annotations

import difflib
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.newsreuse import (
    SITES,
    Style,
    generate,
    light_edit,
    load_articles,
    parse_article,
    split_sentences,
)
from benchmarks.quality import relocate
from dedup.engine.normalize import tokenize

ROOT = Path(__file__).resolve().parent.parent


def _words(text: str) -> list[str]:
    return list(tokenize(Style(quotes="straight", spelling="american").apply(text)).words)


@pytest.fixture(scope="module")
def corpora() -> list:  # type: ignore[type-arg]
    return [generate(seed) for seed in (1, 2, 3)]


def test_base_articles_parse() -> None:
    articles = load_articles()
    assert len(articles) >= 20
    for a in articles:
        assert a.headline
        assert a.alt_headline
        assert a.dateline
        assert set(_words(a.headline)) != set(_words(a.alt_headline))
        assert all(len(p) >= 1 for p in a.paragraphs)
    twins = [a for a in articles if a.twin_of]
    assert twins
    assert all(t.twin_of in {a.name for a in articles} for t in twins)


def test_split_sentences_keeps_closing_quotes() -> None:
    text = '"We agreed," she said. The talks end on Friday. “It is over!” He left.'
    assert split_sentences(text) == (
        '"We agreed," she said.',
        "The talks end on Friday.",
        "“It is over!”",
        "He left.",
    )


def test_parse_article_rejects_bad_headers(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="missing header field 'alt'"):
        parse_article("x", "Headline\ndateline: X -\n\nOne.\n\nTwo.\n\nThree.")
    with pytest.raises(ValueError, match="not 'key: value'"):
        parse_article("x", "Headline\nno colon here\n\nOne.")


def test_house_styles_and_edits() -> None:
    text = 'The "harbour" organiser said it was 5 percent towards the centre.'
    assert Style(quotes="curly", spelling="american", per_cent=True).apply(text) == (
        "The “harbor” organizer said it was 5 per cent toward the center."
    )
    assert Style(quotes="straight", spelling="british").apply("“The harbor,” he said.") == (
        '"The harbour," he said.'
    )
    sentence = "It was also very late, he said."
    for seed in range(20):
        edited = light_edit(sentence, random.Random(seed))
        assert edited != sentence
        assert len(edited.split()) in (6, 7, 8)  # one word dropped, or "said" changed


def test_generation_is_deterministic() -> None:
    a, b = generate(7), generate(7)
    assert [d.text for d in a.docs] == [d.text for d in b.docs]
    assert a.pairs == b.pairs
    assert [d.text for d in generate(8).docs] != [d.text for d in a.docs]


def test_every_kind_of_reuse_is_generated(corpora: list) -> None:  # type: ignore[type-arg]
    for corpus in corpora:
        kinds = {d.kind for d in corpus.docs}
        assert kinds == {"original", "reprint", "digest", "quote splice", "paragraph splice"}
        assert len({d.id for d in corpus.docs}) == len(corpus.docs)


def test_units_are_light_edits_of_their_base_sentences(corpora: list) -> None:  # type: ignore[type-arg]
    base = {a.name: a for a in load_articles()}
    sentences = {}
    for a in base.values():
        sentences[(a.name, 0)] = a.headline
        for p, para in enumerate(a.paragraphs):
            for s, sentence in enumerate(para):
                sentences[a.unit(p, s)] = sentence
    for corpus in corpora:
        for doc in corpus.docs:
            text = doc.text
            previous_end = 0
            for unit, start, end in doc.units:
                assert previous_end <= start < end <= len(text)
                previous_end = end
                got, want = _words(text[start:end]), _words(sentences[unit])
                ratio = difflib.SequenceMatcher(None, got, want).ratio()
                assert ratio >= 0.8, (doc.id, text[start:end], sentences[unit])


def test_gold_passages_run_over_shared_units(corpora: list) -> None:  # type: ignore[type-arg]
    for corpus in corpora:
        docs = {d.id: d for d in corpus.docs}
        gold = {(p.a, p.b): p for p in corpus.pairs}
        for i, x in enumerate(corpus.docs):
            for y in corpus.docs[i + 1 :]:
                shared = {u for u, _, _ in x.units} & {u for u, _, _ in y.units}
                assert bool(shared) == ((x.id, y.id) in gold), (x.id, y.id)
        for pair in corpus.pairs:
            a, b = docs[pair.a], docs[pair.b]
            starts_a = {s for _, s, _ in a.units}
            ends_a = {e for _, _, e in a.units}
            starts_b = {s for _, s, _ in b.units}
            ends_b = {e for _, _, e in b.units}
            for a0, a1, b0, b1 in pair.passages:
                assert a0 in starts_a
                assert a1 in ends_a
                assert b0 in starts_b
                assert b1 in ends_b
                # both sides say nearly the same thing
                ratio = difflib.SequenceMatcher(None, _words(a.text[a0:a1]), _words(b.text[b0:b1])).ratio()
                assert ratio >= 0.8, (pair.a, pair.b, a.text[a0:a1], b.text[b0:b1])
                assert len(set(_words(a.text[a0:a1]))) >= 12


def test_boilerplate_pairs_share_a_footer_and_nothing_else(corpora: list) -> None:  # type: ignore[type-arg]
    footers = {s.footer for s in SITES}
    for corpus in corpora:
        docs = {d.id: d for d in corpus.docs}
        gold = {(p.a, p.b) for p in corpus.pairs} | {(p.b, p.a) for p in corpus.pairs}
        pairs = corpus.boilerplate_pairs()
        assert len(pairs) >= 10
        for a, b in pairs:
            assert (a, b) not in gold
            shared = [f for f in footers if f in docs[a].text and f in docs[b].text]
            assert shared, (a, b)


def test_twins_are_topical_not_shared(corpora: list) -> None:  # type: ignore[type-arg]
    for corpus in corpora:
        for p in corpus.pairs:
            names = {p.a.rsplit("/", 1)[-1], p.b.rsplit("/", 1)[-1]}
            assert not any(n.endswith("-twin") and n.removesuffix("-twin") in names for n in names)


def test_relocate_moves_drifted_spans_to_the_copied_text() -> None:
    filler = " ".join(f"word{i}" for i in range(200))
    copied = "the quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun all day long"
    source = f"{filler} {copied} {filler}"
    suspicious = "Some other text about nothing in particular. " * 3 + copied + " and then the end of it."
    start = suspicious.index(copied)
    cases = [
        # offsets drifted by 60 characters
        {
            "suspicious": "s",
            "source": "r",
            "suspicious_start": start + 60,
            "suspicious_end": start + 60 + len(copied),
        },
        # exact offsets stay where they are
        {"suspicious": "s", "source": "r", "suspicious_start": start, "suspicious_end": start + len(copied)},
    ]
    out = relocate(cases, {"s": suspicious, "r": source})
    assert out[0] == ("s", "r", start, start + len(copied))
    assert out[1] == ("s", "r", start, start + len(copied))


def test_quality_script_runs_and_skips_missing_data(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.quality",
            "--data",
            str(tmp_path / "absent"),
            "--synthetic-seeds",
            "1",
            "--hardnews-seeds",
            "1",
            "--json",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    data = json.loads(out.stdout)
    sections = {s["name"]: s for s in data["sections"]}
    for name in ("seed", "clough", "pan13", "fnc1 half 0 (tuning)", "fnc1 half 1 (held out)"):
        assert sections[name]["skipped"].endswith("not found")
    for name in ("hardnews (tuning seeds)", "hardnews (held-out seeds)"):
        rows = {r["metric"]: r for r in sections[name]["rows"]}
        assert 0.0 <= rows["pair F1"]["ours"] <= 1.0
        assert any(m.startswith("hard negatives flagged") for m in rows)
    synthetic = sections["synthetic"]
    assert synthetic["skipped"] is None
    metrics = {r["metric"]: r for r in synthetic["rows"]}
    for metric in ("pair F1", "passage character F1"):
        assert 0.0 <= metrics[metric]["ours"] <= 1.0
        assert 0.0 <= metrics[metric]["baseline"] <= 1.0
