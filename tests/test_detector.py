from __future__ import annotations

import json

import pytest

from dedup import Article, Detector, Settings, SettingsError, classify
from dedup.engine.cluster import star_clusters
from dedup.io.render import render_json
from tests.conftest import EXAMPLES

STORY = (
    "The regional council voted on Thursday to extend free school lunches to every primary school pupil "
    "from the start of the next school year, a measure that will cost about 38 million crowns a year. "
    "Until now only children from low-income families were eligible, and head teachers had long "
    "complained that the means test kept many hungry children out of the programme."
)
OTHER = (
    "Hundreds of hectares of farmland along the river were under water on Wednesday after two days of "
    "heavy rain, and several villages were cut off when the main valley road closed overnight."
)


def test_text_against_itself_is_near_duplicate_covering_it() -> None:
    pair = Detector().compare(Article("a", STORY), Article("b", STORY))
    assert pair is not None
    assert pair.relation == "near-duplicate"
    assert pair.coverage_a == pytest.approx(1.0)
    assert pair.coverage_b == pytest.approx(1.0)
    assert pair.jaccard == pytest.approx(1.0)
    (p,) = pair.passages
    assert (p.a_start, p.a_end) == (0, len(STORY) - 1)  # up to the last word; the final "." is not a word
    assert p.similarity == 1.0


def test_scores_are_symmetric() -> None:
    a = Article("a", STORY + " " + OTHER)
    b = Article("b", "Officials said: " + STORY.replace("Thursday", "Friday"))
    ab = Detector().compare(a, b)
    ba = Detector().compare(b, a)
    assert ab is not None
    assert ba is not None
    assert ab.relation == ba.relation == "containment"
    assert ab.jaccard == ba.jaccard
    assert (ab.coverage_a, ab.coverage_b) == (ba.coverage_b, ba.coverage_a)
    assert ab.contained == ba.contained == "b"
    assert [(p.a_start, p.a_end, p.b_start, p.b_end) for p in ab.passages] == [
        (p.b_start, p.b_end, p.a_start, p.a_end) for p in ba.passages
    ]


def test_exact_offsets_of_a_spliced_quote() -> None:
    quote = "No child should sit in a classroom too hungry to learn, the councillor said on Thursday evening"
    a = Article("a", OTHER + " " + quote + ". The rest is different.")
    b = Article("b", "Budget news. " + quote.replace("Thursday", "Friday") + ". More budget news here.")
    pair = Detector().compare(a, b)
    assert pair is not None
    assert pair.relation == "overlap"
    (p,) = pair.passages
    assert p.a_text == quote[: quote.index(" Thursday")]
    assert a.text[p.a_start : p.a_end] == p.a_text
    assert b.text[p.b_start : p.b_end] == p.b_text
    assert p.a_start == len(OTHER) + 1


def test_unrelated_and_short_shared_phrases_are_not_flagged() -> None:
    caption = "Russian Defense Minister Sergey Shoigu"
    a = Article("a", f"{caption}\n\n{STORY}\n\n{caption}")
    b = Article("b", f"{caption}\n\n{OTHER}\n\n{caption}")
    assert Detector().compare(a, b) is None


def test_classify_thresholds() -> None:
    s = Settings()
    assert classify(0.9, 0.85, s) == "near-duplicate"
    assert classify(0.95, 0.3, s) == "containment"
    assert classify(0.3, 0.2, s) == "overlap"


def test_examples_report_shows_all_three_relations_and_is_deterministic() -> None:
    from dedup.io.readers import read_corpus

    corpus = read_corpus([EXAMPLES])
    first = render_json(Detector().report(corpus.articles))
    second = render_json(Detector().report(read_corpus([EXAMPLES]).articles))
    assert first == second
    data = json.loads(first)
    rel = {(p["a"], p["b"]): p["relation"] for p in data["pairs"]}
    assert rel == {
        ("harbour-bridge-reprint.txt", "harbour-bridge-wire.txt"): "near-duplicate",
        ("morning-digest.txt", "school-meals-wire.txt"): "containment",
        ("river-flooding-herald.txt", "river-flooding-ledger.txt"): "overlap",
    }
    assert data["clusters"] == [
        ["harbour-bridge-reprint.txt", "harbour-bridge-wire.txt"],
        ["morning-digest.txt", "school-meals-wire.txt"],
        ["river-flooding-herald.txt", "river-flooding-ledger.txt"],  # a quarter of each is shared
    ]


def test_learned_footer_is_boilerplate_but_reprints_are_not() -> None:
    footer = "Sign in to read our newsletter every morning and support independent local journalism today"
    stories = [
        STORY,
        OTHER,
        "The stadium vote was postponed after councillors said they had not been given enough time to read "
        "a consultants report on the costs of roads, a tram stop and a sewer connection for the ground.",
    ]
    articles = [Article(f"s{i}", f"{text}\n\n{footer}") for i, text in enumerate(stories)]
    report = Detector().report(articles)
    assert report.pairs == ()
    assert [text for text, _ in report.boilerplate] == [footer.lower()]
    # the same footer under three reprints of one story: the reprints are still found
    reprints = [Article(f"r{i}", f"Headline {i}\n\n{STORY}\n\n{footer}") for i in range(3)]
    report = Detector().report(reprints)
    assert len(report.pairs) == 3
    assert {p.relation for p in report.pairs} == {"near-duplicate"}
    assert report.clusters == (("r0", "r1", "r2"),)


def test_duplicate_ids_are_an_error() -> None:
    from dedup import InputError

    with pytest.raises(InputError, match="duplicate id 'x'"):
        Detector().report([Article("x", STORY), Article("x", OTHER)])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shingle_size": 0}, "shingle_size must be between"),
        ({"window_size": 3}, "window_size .* must be larger than shingle_size"),
        ({"window_threshold": 1.5}, "window_threshold must be in"),
        ({"num_perm": "128"}, "num_perm must be an integer"),
        ({"near_duplicate_coverage": 0.5}, "near_duplicate_coverage must be at least"),
    ],
)
def test_settings_validated_with_helpful_messages(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings(**kwargs)  # type: ignore[arg-type]


def test_settings_fingerprint_and_round_trip() -> None:
    s = Settings()
    assert Settings.from_dict(s.to_dict()) == s
    assert Settings(max_gap=5).fingerprint() == s.fingerprint()  # verification-only setting
    assert Settings(shingle_size=4).fingerprint() != s.fingerprint()
    assert s.diff(Settings(seed=2)) == {"seed": (1, 2)}


def test_star_clusters_do_not_chain() -> None:
    # 0~1, 1~2 but 0 and 2 unrelated: 2 must not join through 1
    assert star_clusters([10, 9, 8], [(0, 1), (1, 2)]) == [[0, 1]]
    # a star around the longest article
    assert star_clusters([30, 10, 10, 10], [(0, 1), (0, 2), (0, 3)]) == [[0, 1, 2, 3]]
    assert star_clusters([5, 5], []) == []
