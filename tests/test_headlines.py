"""Reworded headlines: reported alongside passages found in the text, never enough on their own."""

from __future__ import annotations

from dedup import Article, Detector
from dedup.engine.align import headline, headline_match
from dedup.engine.normalize import tokenize

MT = "Russia and Pakistan sign military cooperation agreement"
TASS = "Russia, Pakistan sign agreement on military cooperation"
QUOTE = (
    "During the meeting we agreed that bilateral military cooperation should take on a more practical "
    "orientation and enhance the combat capability of our armed forces, the minister said."
)


def _match(a: str, b: str) -> tuple[int, int, int, int, float] | None:
    m = headline_match(a, tokenize(a), b, tokenize(b))
    return None if m is None else (m.a0, m.a1, m.b0, m.b1, m.similarity)


def test_headline_is_a_short_first_line_with_text_below() -> None:
    text = f"{MT}\n\nBody text follows here."
    assert headline(text, tokenize(text)) == 7
    assert headline(MT, tokenize(MT)) == 0  # nothing below it
    long = " ".join(["word"] * 25) + "\n\nBody."
    assert headline(long, tokenize(long)) == 0
    assert headline("\n\nTwo words\n\nBody.", tokenize("\n\nTwo words\n\nBody.")) == 0


def test_reordered_headlines_match() -> None:
    # {russia, and, pakistan, sign, military, cooperation, agreement} vs {..., on}: 6 shared of 8
    assert _match(f"{MT}\n\nx y z", f"{TASS}\n\nx y z") == (0, 7, 0, 7, 0.75)
    assert _match(f"{MT}\n\nx", "Russia and China hold naval drills in the East China Sea\n\nx") is None


def test_similar_headlines_alone_are_not_a_pair() -> None:
    detector = Detector()
    a = Article("a", f"{MT}\n\nThe ministers met in Islamabad on Thursday and spoke for two hours.")
    b = Article("b", f"{TASS}\n\nOfficials gave no details of the talks, which lasted into the evening.")
    assert detector.compare(a, b) is None


def test_headline_reported_with_a_shared_passage() -> None:
    a_text = f"{MT}\n\nMOSCOW - The ministers met on Thursday. {QUOTE} Talks continue next year."
    b_text = f"{TASS}\n\nISLAMABAD - Officials were pleased. {QUOTE} No date was set for the next round."
    pair = Detector().compare(Article("a", a_text), Article("b", b_text))
    assert pair is not None
    assert pair.relation == "overlap"
    first, second = pair.passages
    assert (first.a_text, first.b_text) == (MT, TASS)
    assert first.similarity == 0.75
    assert QUOTE[:-1] in second.a_text
