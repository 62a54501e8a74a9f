"""The evidence rule: a pair is flagged for copying, not for shared names, stock phrases or junk."""

from __future__ import annotations

import numpy as np

from dedup import Article, Pair, Settings
from dedup.engine.boilerplate import lines_of, static_mask
from dedup.engine.evidence import STOPWORDS, Side, strength
from dedup.engine.normalize import tokenize
from dedup.engine.verify import Verifier

FILLER_A = (
    "The council met on Monday evening to discuss the budget for the coming year. Members argued"
    " about road repairs, library hours and the cost of street lighting in the older districts."
    " A vote is expected next month after a public consultation closes."
)
FILLER_B = (
    "Farmers in the valley reported a poor harvest after weeks of heavy rain flooded low fields."
    " Several growers said they would plant earlier next spring, and the cooperative promised loans"
    " for new drainage work before the autumn."
)


def compare(a: str, b: str, settings: Settings | None = None) -> Pair | None:
    return Verifier(settings).compare(Article("a", a), Article("b", b))


def test_shared_name_and_title_is_not_a_pair() -> None:
    # nine identical words, but a title and a name: what independent reports of one event share
    name = "the leader of the Islamic State Abu Bakr al-Baghdadi"
    pair = compare(
        f"{FILLER_A} Officials named {name} as the target.", f"{FILLER_B} The raid sought {name} again."
    )
    assert pair is None


def test_stock_phrase_of_function_words_is_not_a_pair() -> None:
    stock = "he said that it was not the first time that they had been"
    pair = compare(f"{FILLER_A} {stock} region.", f"{FILLER_B} {stock} country.")
    assert pair is None


def test_copied_sentence_is_a_pair_with_its_evidence() -> None:
    copied = "the bridge will close for eleven weeks while engineers replace corroded steel cables"
    pair = compare(f"{FILLER_A} Officials said {copied}.", f"{FILLER_B} Residents heard that {copied}.")
    assert pair is not None
    assert pair.relation == "overlap"
    assert [p.evidence for p in pair.passages] == ["exact run of 13 words"]
    (p,) = pair.passages
    assert copied in p.a_text
    assert copied in p.b_text


def test_a_run_of_eight_to_ten_words_alone_is_a_stock_phrase() -> None:
    # what independent reports share word for word without copying each other
    for stock in (
        "said the official, who spoke on the condition of anonymity",
        "has a $10 million U.S. bounty on his head",
        "did not immediately respond to a request for comment",
    ):
        assert compare(f"{FILLER_A} Police {stock} today.", f"{FILLER_B} It {stock} again.") is None, stock
    # eleven words are a copied sentence
    copied = "the ferry will stop running for eleven weeks while engineers replace"
    pair = compare(f"{FILLER_A} Officials said {copied} it.", f"{FILLER_B} Residents heard {copied} them.")
    assert pair is not None
    assert pair.passages[0].evidence == "exact run of 11 words"


def test_a_quotation_reaching_past_its_closing_mark_is_the_quotation() -> None:
    quote = "A few of the people are really ugly"
    pair = compare(f'{FILLER_A} "{quote}," he said.', f'{FILLER_B} "{quote}," he added later.')
    assert pair is not None
    assert pair.passages[0].evidence == "quotation of 9 words"


def test_short_quotation_is_evidence_where_plain_words_are_not() -> None:
    quote = "We will not give up on them until they are home"  # two content words in eleven
    a = f'{FILLER_A} "{quote}," the mayor told reporters.'
    b = f"{FILLER_B} The mayor said {quote} during the visit."
    pair = compare(a, b)
    assert pair is not None
    assert pair.passages[0].evidence == "quotation of 11 words"
    # the same words outside quotation marks on both sides are not evidence
    assert compare(a.replace('"', ""), b) is None


def test_a_quotation_is_evidence_from_eight_words() -> None:
    # "the same quote of about 8 words or more" (the labelling guide of the real-news set): a shared
    # seven-word quote is what two writers quoting one stock remark share; eight words are a quote
    seven, eight = "it was a very difficult day", "it was a very difficult day for us"
    for quote, expected in ((seven, None), (eight, "quotation of 8 words")):
        pair = compare(f'{FILLER_A} "{quote}," the mayor said.', f'{FILLER_B} She called it "{quote}."')
        assert (pair.passages[0].evidence if pair else None) == expected


def test_a_quoted_designation_is_not_evidence() -> None:
    # a name in quotation marks is still a name: "the Islamic State of Iraq and Syria (ISIS)" and an
    # identification quoted by one report and written by the other are what independent reports share
    for name in (
        "the Islamic State of Iraq and Syria (ISIS)",
        "sister of Omar Abdul Hamid al-Dulaimi, who is",
    ):
        a = f'{FILLER_A} Officials called her "{name}" on Monday.'
        b = f'{FILLER_B} She is the "{name}" said to be held.'
        assert compare(a, b) is None, name
    # a quotation with a name or two in it is still a quotation
    for quote, words in (
        ("We can confirm this is not by Banksy", 8),
        ("I have no doubt that Mohammed is Jihadi John", 9),
    ):
        pair = compare(f'{FILLER_A} "{quote}," he said.', f"{FILLER_B} He said {quote} at the time.")
        assert pair is not None, quote
        assert pair.passages[0].evidence == f"quotation of {words} words"


def test_a_quotation_in_capitals_or_in_the_first_person_is_no_designation() -> None:
    # a sign written in capitals, the pronoun I: capitals that are not names
    sign = "I BEAT WOMEN. HONK IF I'M A SCUMBAG"
    a = f'{FILLER_A} The man stood on a corner holding a sign reading "{sign}" all day.'
    b = f'{FILLER_B} A sign that read "I beat women. Honk if I\'m a scumbag" was seen.'
    pair = compare(a, b)
    assert pair is not None
    assert pair.passages[0].evidence == "quotation of 8 words"
    text = "Then I said I'm sure, and Smith agreed."
    side = Side(text, tokenize(text), np.zeros(len(tokenize(text)), dtype=np.bool_))
    words = list(side.tokens.words)
    assert not side.is_name(words.index("i"))
    assert not side.is_name(words.index("i'm"))
    assert side.is_name(words.index("smith"))


def test_a_name_joined_by_a_hyphen_is_a_name() -> None:
    # "al-Baghdadi", "al-Dulaimi": the capitalised part after the hyphen is no ordinary word, so
    # "wife of Islamic State leader Abu Bakr al-Baghdadi" holds two content words, not three
    name = "wife of Islamic State leader Abu Bakr al-Baghdadi"
    assert (
        compare(f"{FILLER_A} Police held the {name} in a raid.", f"{FILLER_B} The {name} was seen.") is None
    )
    text = "Police said the woman was the wife of Abu Bakr al-Baghdadi."
    side = Side(text, tokenize(text), np.zeros(len(tokenize(text)), dtype=np.bool_))
    words = list(side.tokens.words)
    assert side.is_name(words.index("baghdadi"))
    assert not side.is_name(words.index("woman"))


def test_weak_passage_rides_along_with_a_strong_one() -> None:
    copied = "the bridge will close for eleven weeks while engineers replace corroded steel cables"
    name = "Transport Secretary Margaret Ellington of the Northern Regional Authority"
    a = f"{name} spoke first. {FILLER_A} Officials said {copied}."
    b = f"{name} arrived late. {FILLER_B} Residents heard that {copied}."
    pair = compare(a, b)
    assert pair is not None
    kinds = [p.evidence for p in pair.passages]
    assert None in kinds
    assert "exact run of 13 words" in kinds


def test_edited_copy_is_evidence_without_a_long_run() -> None:
    sentence = (
        "engineers found cracks in four support beams during a routine inspection last week and the"
        " county ordered repairs costing nearly two million dollars before the bridge reopens"
    )
    words = sentence.split()
    edited = list(words)
    for i in range(5, len(edited), 6):  # a word changed every six: no run of eight survives
        edited[i] = edited[i].upper() + "x"
    pair = compare(f"{FILLER_A} {' '.join(words)}.", f"{FILLER_B} {' '.join(edited)}.")
    assert pair is not None
    assert pair.passages[0].evidence is not None
    assert pair.passages[0].evidence.startswith("edited copy of")


def test_strength_settings_are_the_thresholds() -> None:
    text = "one two three four five six seven eight nine ten and twenty more words to make it longer here"
    tokens = tokenize(text)
    side = Side(text, tokens, np.zeros(len(tokens), dtype=np.bool_))
    blocks = [(0, 0, 10)]
    assert strength(blocks, 10, 1.0, side, side, Settings(evidence_run=10)) == "exact run of 10 words"
    assert strength(blocks, 10, 1.0, side, side, Settings()) is None  # ten words alone: a stock phrase
    assert strength(blocks, 10, 1.0, side, side, Settings(evidence_run=10, evidence_plain_words=11)) is None
    # a shorter run inside a passage of evidence_short_run_passage matched words (an edited sentence)
    assert strength(blocks, 14, 0.7, side, side, Settings()) == "exact run of 10 words, in 14 matched words"
    assert strength(blocks, 13, 0.7, side, side, Settings()) is None
    assert strength(blocks, 14, 0.7, side, side, Settings(evidence_short_run=11)) is None
    assert "one" not in STOPWORDS


def test_wire_legal_notice_and_code_inside_a_long_line_are_masked() -> None:
    notice = (
        "Copyright 2014 The Associated Press. All rights reserved. This material may not be"
        " published, broadcast, rewritten or redistributed."
    )
    code = "OO.ready(function() { OO.Player.create('ooyalaplayer-abc', 'abc'); });"
    text = f"{FILLER_A} {notice} {FILLER_B} {code}"
    tokens = tokenize(text)
    mask = static_mask(text, tokens)
    masked = {w for w, m in zip(tokens.words, mask.tolist(), strict=True) if m}
    assert {"redistributed", "broadcast", "ooyalaplayer"} <= masked
    assert "council" not in masked
    assert "farmers" not in masked
    # two unrelated pages sharing only the notice and the player code are not a pair
    assert compare(f"{FILLER_A} {notice} {code}", f"{FILLER_B} {notice} {code}") is None


def test_junk_does_not_hide_a_shared_quote() -> None:
    quote = "the water is safe to drink and the plant is working normally again"
    notice = "All rights reserved. This material may not be published, broadcast, rewritten or redistributed."
    pair = compare(f'{FILLER_A} "{quote}," he said. {notice}', f'{FILLER_B} "{quote}," she said. {notice}')
    assert pair is not None
    assert any(quote in p.a_text for p in pair.passages)
    assert not any("redistributed" in p.a_text for p in pair.passages)


def test_long_line_is_cut_into_sentences_and_separators_for_learning() -> None:
    site = "Subscribers can read every story of the Valley Courier on any device they own."
    body = " ".join([FILLER_A, FILLER_B, site, FILLER_A])  # one long line, as scraped pages come
    text = f"Home | News | Sport | Weather ### {body}"
    tokens = tokenize(text)
    lines = [line.text(tokens) for line in lines_of(text, tokens)]
    assert "subscribers can read every story of the valley courier on any device they own" in lines
    assert "home" not in lines  # pieces under four words are never learned
    assert len(lines) > 5


def test_code_inside_a_long_line_stops_where_the_code_stops() -> None:
    code = "var _gaq = _gaq || []; _gaq.push(['_setAccount', 'UA-1-1']); _gaq.push(['_trackPageview']);"
    quote = "Our neighbour tied her body to the roof beam through the night and by morning she could speak"
    text = f"{FILLER_A} {code} Katya Radek told reporters: “{quote}.” {FILLER_B}"
    tokens = tokenize(text)
    mask = static_mask(text, tokens)
    masked = {w for w, m in zip(tokens.words, mask.tolist(), strict=True) if m}
    assert "_trackpageview" in masked or "trackpageview" in masked
    assert not masked & {"katya", "neighbour", "neighbor", "beam", "farmers"}
    pair = compare(text, f'{FILLER_B} Radek said: "{quote}."')
    assert pair is not None
