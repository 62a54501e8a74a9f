"""A generated news corpus with planted reuse cascades and an exact gold, for passage clusters and cleaning.

What is planted (every text is built from a Zipf-like vocabulary, so unrelated articles share common word
runs as real news does):

* **wire stories** reprinted by outlets at known times: the wire's copy (source ``Newswire``, a
  ``PLACE, Month D (Newswire) -`` dateline), then reprints under the outlets' own headlines, some verbatim,
  some trimmed to their first paragraphs, some with an intro of their own. The first story has
  ``wire_reprints`` reprints (50 by default); the others a few each. Some stories come without the wire's
  copy (its reprints all credit the wire: the origin is not in the corpus); some without dates, some
  without credits, and some with neither (only the trimmed and introduced copies tell which is whole).
* **statements** quoted by reports: a ministry's statement (source ``Interior Ministry``) and reports of
  their own that quote two or three of its sentences with a credit ("the Interior Ministry said in a
  statement"). The first statement is quoted by ``quote_reports`` reports (200 by default). Some
  statements are not in the corpus (every report credits the ministry).
* **a site footer** under ``footer_articles`` unrelated articles of one site (boilerplate, not a cascade).
* **hard negatives**: reports of a statement's event in their own words (the same names and titles, no
  shared sentence), and unrelated background articles.

Gold: each cascade's members (article id -> the span of the planted text in it), its origin (an article
id, or None when the original is not in the corpus), and, for corpus cleaning, the copy groups (a story's
copies, all near-duplicates or containment of one another) from which the article each ``--keep`` policy
keeps is derived (:func:`expected_kept`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dedup import Article
from tests.newsgen import _vocabulary

__all__ = ["CascadeCorpus", "Planted", "expected_kept", "generate_cascades", "word_count"]

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September"]
_PLACES = ["PORT ALVER", "KESTRIN", "VALDORA", "MIRENSK", "OSTRAVEL", "LUNDMARK", "SAVRO", "TERNHOLM"]
_FIRST = ["Karel", "Mira", "Anton", "Lena", "Ivo", "Sabine", "Tomas", "Edda", "Jonas", "Rita"]
_LAST = ["Vandor", "Kessler", "Marovic", "Lindqvist", "Orsini", "Halloran", "Dvorak", "Aalto"]
FOOTER_SITE = "Daily Example"
FOOTER = (
    "Daily Example is an independent newspaper. Subscribe for unlimited access to our journalism, "
    "follow us on social media and sign up for our morning newsletter. Copyright Daily Example Media "
    "Group, all rights reserved."
)


@dataclass(frozen=True, slots=True)
class Planted:
    """One planted cascade: its members (article id -> span of the planted text) and its origin."""

    name: str
    kind: str  # "story" or "quote"
    members: dict[str, tuple[int, int]]
    #: The original's id, or None when it is not in the corpus.
    origin: str | None
    #: Which evidence the cascade carries: "dates", "credits", "both" or "containment".
    evidence: str


@dataclass(slots=True)
class CascadeCorpus:
    """The articles (in generation order) and the gold."""

    articles: list[Article]
    cascades: list[Planted]
    #: Groups of articles that are copies of one another (one story's copies), for corpus cleaning.
    copy_groups: list[list[str]] = field(default_factory=list)
    #: Articles that carry the site footer.
    footer_articles: list[str] = field(default_factory=list)


def word_count(text: str) -> int:
    """Words as the generator counts them (runs of letters and digits)."""
    n = 0
    in_word = False
    for ch in text:
        if ch.isalnum():
            if not in_word:
                n += 1
                in_word = True
        else:
            in_word = False
    return n


class _Writer:
    """Sentences and paragraphs from a Zipf-like vocabulary, deterministic for a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocab = _vocabulary(seed)
        weights = [1.0 / (r**1.05) for r in range(1, len(self.vocab) + 1)]
        self._cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self._cum.append(total)

    def words(self, n: int) -> list[str]:
        picks = self.rng.choices(self.vocab, cum_weights=self._cum, k=n)
        return picks

    def sentence(self, lo: int = 10, hi: int = 22) -> str:
        words = self.words(self.rng.randint(lo, hi))
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def paragraph(self, sentences: int | None = None) -> str:
        return " ".join(self.sentence() for _ in range(sentences or self.rng.randint(2, 4)))

    def title(self) -> str:
        return " ".join(self.words(7)).title()

    def person(self) -> str:
        """A name unlikely to be drawn twice (a surname of invented syllables)."""
        last = "".join(
            self.rng.choice(["ka", "lo", "ren", "vel", "dor", "ber", "que", "tra"]) for _ in range(3)
        )
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}-{last.title()}"


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Builder:
    def __init__(self, seed: int) -> None:
        self.w = _Writer(seed)
        self.rng = self.w.rng
        self.articles: list[Article] = []
        self.cascades: list[Planted] = []
        self.copy_groups: list[list[str]] = []
        self.footer_articles: list[str] = []
        self.counter = 0
        self.clock = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)

    def new_id(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}-{self.counter:06d}"

    def add(self, article: Article) -> None:
        self.articles.append(article)

    # -- wire stories ---------------------------------------------------------------------------------

    def story(self, name: str, reprints: int, *, wire_in_corpus: bool, evidence: str) -> None:
        rng = self.rng
        place = rng.choice(_PLACES)
        t0 = self.clock + timedelta(hours=rng.randint(0, 24 * 200))
        month, day = _MONTHS[t0.month - 1], t0.day
        credits = evidence in ("credits", "both")
        dated = evidence in ("dates", "both")
        dateline = f"{place}, {month} {day} (Newswire) - " if credits else f"{place}, {month} {day} - "
        paragraphs = [self.w.paragraph(3) for _ in range(rng.randint(6, 8))]
        headline = self.w.title()
        body = dateline + "\n\n".join(paragraphs)
        members: dict[str, tuple[int, int]] = {}
        group: list[str] = []
        origin: str | None = None
        if wire_in_corpus:
            wid = self.new_id("wire")
            text = headline + "\n\n" + body
            members[wid] = (len(headline) + 2, len(text))
            self.add(
                Article(wid, text, title=headline, source="Newswire", published=_iso(t0) if dated else None)
            )
            group.append(wid)
            origin = wid
        # reprints: verbatim, trimmed to their first paragraphs, or with an intro of their own;
        # a story told only by containment has no verbatim copy (which would be as whole as the wire's)
        kinds = ["verbatim", "trimmed", "intro"] if evidence != "containment" else ["trimmed", "intro"]
        times = sorted(rng.sample(range(5, 60 * 24 * 3), reprints))
        for n in range(reprints):
            kind = kinds[n % len(kinds)] if n < len(kinds) else rng.choice(kinds)
            outlet = f"Outlet {rng.randint(1, 400):03d}"
            rid = self.new_id("reprint")
            own_title = self.w.title()
            if kind == "trimmed":
                keep = max(4, round(len(paragraphs) * rng.uniform(0.6, 0.85)))
                story_text = dateline + "\n\n".join(paragraphs[:keep])
            else:
                story_text = body
            head = own_title + "\n\n"
            if kind == "intro":
                head += self.w.paragraph(1) + "\n\n"
            text = head + story_text
            members[rid] = (len(head), len(text))
            published = _iso(t0 + timedelta(minutes=times[n])) if dated else None
            self.add(Article(rid, text, title=own_title, source=outlet, published=published))
            group.append(rid)
        self.cascades.append(Planted(name, "story", members, origin, evidence))
        self.copy_groups.append(group)

    # -- statements and the reports quoting them ------------------------------------------------------

    def statement(self, name: str, reports: int, *, in_corpus: bool, evidence: str, twins: int) -> None:
        rng = self.rng
        t0 = self.clock + timedelta(hours=rng.randint(0, 24 * 200))
        minister = self.w.person()
        sentences = [self.w.sentence(14, 22) for _ in range(6)]
        credits = evidence in ("credits", "both")
        dated = evidence in ("dates", "both")
        members: dict[str, tuple[int, int]] = {}
        origin: str | None = None
        if in_corpus:
            sid = self.new_id("statement")
            title = f"Statement by Interior Minister {minister}"
            lead = f"{title}\n\n"
            quoted_at = len(lead) + len(" ".join(sentences[:1])) + 1
            text = lead + " ".join(sentences) + "\n\n" + self.w.paragraph(2)
            members[sid] = (quoted_at, quoted_at + len(" ".join(sentences[1:3])))
            source = "Interior Ministry"
            self.add(Article(sid, text, title=title, source=source, published=_iso(t0) if dated else None))
            origin = sid
        times = sorted(rng.sample(range(30, 60 * 24 * 5), reports))
        for n in range(reports):
            rid = self.new_id("report")
            own = [self.w.paragraph() for _ in range(rng.randint(4, 6))]
            quote = " ".join(sentences[1:3]) if n % 3 else " ".join(sentences[1:4])
            credit = rng.choice(
                [
                    "the Interior Ministry said in a statement.",
                    f"Interior Minister {minister} said, according to the Interior Ministry.",
                ]
            )
            said = credit if credits else f"{minister} said."
            at = len(own) // 2
            # the quote inside a paragraph of the report's own, as reports quote
            before = "\n\n".join([self.w.title(), *own[:at]]) + "\n\n" + self.w.sentence() + " \u201c"
            after = "\u201d " + said + " " + self.w.sentence()
            text = before + quote + after + "\n\n" + "\n\n".join(own[at:])
            members[rid] = (len(before), len(before) + len(" ".join(sentences[1:3])))
            published = _iso(t0 + timedelta(minutes=times[n])) if dated else None
            self.add(
                Article(
                    rid, text, title=None, source=f"Outlet {rng.randint(1, 400):03d}", published=published
                )
            )
        # hard negatives: the same event in other words (names and titles, no sentence of the statement)
        for _ in range(twins):
            tid = self.new_id("twin")
            own = [self.w.paragraph() for _ in range(4)]
            verb = rng.choice(["visited", "spoke in", "arrived in", "left", "toured", "was seen in"])
            own[1] = (
                f"{minister} {verb} {rng.choice(_PLACES).title()} on the {rng.randint(2, 28)}th. " + own[1]
            )
            self.add(
                Article(tid, "\n\n".join([self.w.title(), *own]), source=f"Outlet {rng.randint(1, 400):03d}")
            )
        self.cascades.append(Planted(name, "quote", members, origin, evidence))

    # -- boilerplate and background -------------------------------------------------------------------

    def background(self, n: int, *, footer: bool) -> None:
        for _ in range(n):
            aid = self.new_id("site" if footer else "news")
            paragraphs = [self.w.paragraph() for _ in range(self.rng.randint(4, 7))]
            text = "\n\n".join([self.w.title(), *paragraphs])
            source = None
            if footer:
                text += "\n\n" + FOOTER
                source = FOOTER_SITE
                self.footer_articles.append(aid)
            self.add(Article(aid, text, source=source))


def generate_cascades(
    *,
    seed: int = 3,
    wire_reprints: int = 50,
    quote_reports: int = 200,
    footer_articles: int = 300,
    stories: int = 16,
    statements: int = 6,
    background: int = 400,
) -> CascadeCorpus:
    """A corpus with planted cascades (see the module's docstring), shuffled deterministically."""
    b = _Builder(seed)
    evidences = ["both", "dates", "credits", "containment"]
    for i in range(stories):
        reprints = wire_reprints if i == 0 else 2 + (i * 7) % 9
        evidence = evidences[i % 4]
        # every fifth story's wire copy is missing: its reprints all credit the wire
        missing = i % 5 == 4
        if missing:
            evidence = "credits"
        b.story(f"story-{i}", reprints, wire_in_corpus=not missing, evidence=evidence)
    for i in range(statements):
        reports = quote_reports if i == 0 else 3 + (i * 5) % 11
        missing = i % 3 == 2
        evidence = "credits" if missing else evidences[i % 3]
        b.statement(f"statement-{i}", reports, in_corpus=not missing, evidence=evidence, twins=4)
    b.background(footer_articles, footer=True)
    b.background(background, footer=False)
    articles = b.articles
    b.rng.shuffle(articles)
    return CascadeCorpus(articles, b.cascades, b.copy_groups, b.footer_articles)


def expected_kept(
    corpus: CascadeCorpus, policy: str, *, order: Sequence[str] | None = None, source_rank: Sequence[str] = ()
) -> set[str]:
    """The articles a corpus cleaning with ``policy`` keeps: one per copy group, every other article.

    ``order`` is the input order (for ``first``); ``source_rank`` the sources in order of preference
    (for ``source-rank``). Ties are broken as documented: earlier, then longer, then smaller id.
    """
    by_id = {a.id: a for a in corpus.articles}
    position = {a: n for n, a in enumerate(order if order is not None else [a.id for a in corpus.articles])}
    rank = {name: n for n, name in enumerate(source_rank)}

    def when(a: Article) -> tuple[int, datetime]:
        if a.published is None:
            return (1, datetime.max.replace(tzinfo=UTC))
        return (0, datetime.fromisoformat(a.published))

    def key(aid: str) -> tuple[object, ...]:
        a = by_id[aid]
        words = word_count(a.text)
        if policy == "earliest":
            return (*when(a), -words, aid)
        if policy == "longest":
            return (-words, *when(a), aid)
        if policy == "first":
            return (position[aid],)
        if policy == "source-rank":
            return (rank.get(a.source or "", len(rank)), *when(a), -words, aid)
        raise ValueError(policy)

    removed = {aid for group in corpus.copy_groups for aid in sorted(group, key=key)[1:]}
    return {a.id for a in corpus.articles} - removed
