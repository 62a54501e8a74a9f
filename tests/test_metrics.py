"""The quality metrics on hand-made cases whose values are worked out exactly in the comments."""

from __future__ import annotations

import math

import pytest

from benchmarks.metrics import (
    adjusted_rand_index,
    char_scores,
    cluster_labels,
    coverage,
    pair_key,
    pan_scores,
    score_pairs,
    scores_by_category,
    union,
)

# -- pairs ------------------------------------------------------------------------------------------


def test_pair_scores_count_each_unordered_pair_once() -> None:
    # flagged: ab (right, given reversed), ac (wrong), bd (right, repeated); missed: cd
    scores = score_pairs(
        [("b", "a"), ("a", "c"), ("b", "d"), ("d", "b")],
        positive=[("a", "b"), ("b", "d"), ("c", "d")],
    )
    assert (scores.tp, scores.fp, scores.fn) == (2, 1, 1)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 / 3)


def test_pair_scores_with_negatives_ignore_unlabelled_pairs() -> None:
    # ac is a labelled negative (a false positive); ae is unlabelled (ignored); cd was rightly left out
    scores = score_pairs(
        [("a", "b"), ("a", "c"), ("a", "e")],
        positive=[("a", "b"), ("b", "d")],
        negative=[("a", "c"), ("c", "d")],
    )
    assert (scores.tp, scores.fp, scores.fn, scores.tn) == (1, 1, 1, 1)
    assert scores.precision == 0.5
    assert scores.recall == 0.5


def test_pair_scores_empty_conventions() -> None:
    nothing = score_pairs([], positive=[])
    assert (nothing.precision, nothing.recall, nothing.f1) == (1.0, 1.0, 1.0)
    missed = score_pairs([], positive=[("a", "b")])
    assert (missed.precision, missed.recall, missed.f1) == (0.0, 0.0, 0.0)
    spurious = score_pairs([("a", "b")], positive=[])
    assert (spurious.precision, spurious.recall) == (0.0, 0.0)


def test_pair_scores_reject_contradictory_labels() -> None:
    with pytest.raises(ValueError, match="both positive and negative"):
        score_pairs([], positive=[("a", "b")], negative=[("b", "a")])
    with pytest.raises(ValueError, match="two different ids"):
        pair_key("a", "a")


def test_scores_by_category() -> None:
    labelled = {
        ("s", "cut1"): "cut",
        ("cut2", "s"): "cut",
        ("s", "heavy1"): "heavy",
        ("s", "non1"): "non",
        ("s", "non2"): "non",
        ("t", "non3"): "non",
    }
    flagged = [("cut1", "s"), ("s", "cut2"), ("s", "non2"), ("x", "y")]
    scores = scores_by_category(flagged, labelled, positive={"cut", "heavy"})
    assert list(scores) == ["cut", "heavy", "non"]
    assert (scores["cut"].tp, scores["cut"].fn, scores["cut"].recall) == (2, 0, 1.0)
    assert (scores["heavy"].tp, scores["heavy"].fn, scores["heavy"].recall) == (0, 1, 0.0)
    assert (scores["non"].fp, scores["non"].tn) == (1, 2)


# -- clusters ---------------------------------------------------------------------------------------


def test_ari_hand_computed() -> None:
    # truth {0,1,2} {3,4,5}; predicted {0,1} {2,3} {4,5}
    # pairs together in both: (0,1), (4,5) = 2; in truth: 3 + 3 = 6; in predicted: 1 + 1 + 1 = 3
    # expected = 6 * 3 / C(6,2) = 18 / 15 = 1.2; max = (6 + 3) / 2 = 4.5
    # ARI = (2 - 1.2) / (4.5 - 1.2) = 0.8 / 3.3 = 8 / 33
    ari = adjusted_rand_index([0, 0, 0, 1, 1, 1], ["a", "a", "b", "b", "c", "c"])
    assert ari == pytest.approx(8 / 33)


def test_ari_identity_permutation_and_degenerate_cases() -> None:
    assert adjusted_rand_index([1, 1, 2, 2, 3], ["x", "x", "y", "y", "z"]) == 1.0
    assert adjusted_rand_index([0, 0, 0], [5, 5, 5]) == 1.0  # everything in one cluster, both sides
    assert adjusted_rand_index([0, 1, 2], [7, 8, 9]) == 1.0  # every item alone, both sides
    assert adjusted_rand_index([0], [0]) == 1.0
    # truth: one cluster of 4; predicted: all alone. together in truth 6, predicted 0, expected 0,
    # max 3: ARI = (0 - 0) / (3 - 0) = 0
    assert adjusted_rand_index([0, 0, 0, 0], [0, 1, 2, 3]) == 0.0


def test_ari_can_be_negative_and_is_symmetric() -> None:
    # truth {0,1} {2,3}; predicted {0,2} {1,3}: together in both 0; 2 and 2; expected 2*2/6 = 2/3;
    # max 2: ARI = (0 - 2/3) / (2 - 2/3) = -1/2
    truth, pred = [0, 0, 1, 1], [0, 1, 0, 1]
    assert adjusted_rand_index(truth, pred) == pytest.approx(-0.5)
    assert adjusted_rand_index(pred, truth) == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="differ in length"):
        adjusted_rand_index([0, 1], [0])


def test_cluster_labels_put_unclustered_ids_alone() -> None:
    labels = cluster_labels([["a", "b"], ["c", "d", "e"]], ["a", "b", "c", "d", "e", "f", "g"])
    assert labels["a"] == labels["b"]
    assert labels["c"] == labels["d"] == labels["e"]
    assert len({labels["a"], labels["c"], labels["f"], labels["g"]}) == 4
    with pytest.raises(ValueError, match="two clusters"):
        cluster_labels([["a", "b"], ["b"]], ["a", "b"])


# -- spans ------------------------------------------------------------------------------------------


def test_union_and_coverage() -> None:
    assert union([(5, 10), (0, 3), (2, 4), (10, 12), (20, 20)]) == [(0, 4), (5, 12)]
    # [0, 20): covered by [0,4) and [5,12) = 4 + 7 = 11 characters
    assert coverage([(5, 10), (0, 3), (2, 4), (10, 12)], 0, 20) == pytest.approx(11 / 20)
    assert coverage([], 3, 4) == 0.0
    with pytest.raises(ValueError, match="empty"):
        coverage([(0, 1)], 4, 4)


def test_pan_scores_hand_computed() -> None:
    cases = [("p", 0, 100)]
    detections = [
        ("p", 0, 50),  # inside the case: precision 1
        ("p", 60, 100),  # inside the case: precision 1
        ("p", 200, 300),  # same pair, touches no case: precision 0
        ("q", 0, 10),  # another pair: precision 0
    ]
    s = pan_scores(cases, detections)
    # recall = 90 / 100; precision = (1 + 1 + 0 + 0) / 4; granularity = 2 (two detections touch the case)
    assert s.recall == pytest.approx(0.9)
    assert s.precision == pytest.approx(0.5)
    assert s.granularity == 2.0
    assert s.f1 == pytest.approx(9 / 14)
    assert s.plagdet == pytest.approx((9 / 14) / math.log2(3))
    assert (s.cases, s.detections, s.detected_cases) == (1, 4, 1)


def test_pan_scores_partial_overlap_and_undetected_case() -> None:
    # case A [0, 100) detected by [50, 150): recall 0.5, precision 50/100; case B [400, 500) missed
    s = pan_scores([("p", 0, 100), ("p", 400, 500)], [("p", 50, 150)])
    assert s.recall == pytest.approx((0.5 + 0.0) / 2)
    assert s.precision == pytest.approx(0.5)
    assert s.granularity == 1.0
    assert s.plagdet == pytest.approx(s.f1)  # log2(1 + 1) = 1
    assert s.detected_cases == 1


def test_pan_scores_detection_spanning_two_cases() -> None:
    # one detection [0, 300) over cases [0, 100) and [200, 300): both fully recalled; the detection's
    # characters inside cases: 200 of 300; each case touched once: granularity 1
    s = pan_scores([("p", 0, 100), ("p", 200, 300)], [("p", 0, 300)])
    assert s.recall == 1.0
    assert s.precision == pytest.approx(2 / 3)
    assert s.granularity == 1.0


def test_pan_scores_empty_conventions_and_bad_spans() -> None:
    assert pan_scores([], []).plagdet == 1.0
    assert pan_scores([("p", 0, 10)], []).plagdet == 0.0
    assert pan_scores([], [("p", 0, 10)]).precision == 0.0
    with pytest.raises(ValueError, match="empty or negative"):
        pan_scores([("p", 10, 10)], [])


def test_char_scores_micro_average_over_texts() -> None:
    gold = [("a", 0, 100), ("b", 0, 50), ("b", 40, 60)]  # a: 100 characters, b: [0, 60) = 60
    predicted = [
        ("a", 50, 150),  # 50 inside gold, 50 outside
        ("a", 60, 70),  # already counted
        ("c", 0, 40),  # a text with no gold: 40 outside
    ]
    s = char_scores(gold, predicted)
    assert (s.gold_chars, s.predicted_chars, s.common_chars) == (160, 140, 50)
    assert s.precision == pytest.approx(50 / 140)
    assert s.recall == pytest.approx(50 / 160)
    assert s.f1 == pytest.approx(2 * (50 / 140) * (50 / 160) / ((50 / 140) + (50 / 160)))
    assert char_scores([], []).f1 == 1.0
