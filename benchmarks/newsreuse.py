"""Synthetic news reuse with exact gold: reprints, digests, spliced quotes and paragraphs, boilerplate.

Base texts are the articles in ``benchmarks/articles/`` (one file each: headline, ``alt:`` headline
for reprints, ``dateline:``, then paragraphs). From them :func:`generate` builds a corpus the way
news reuse happens:

* **originals**: the base articles as a wire service sent them.
* **reprints**: an outlet runs a wire story under a new headline and its own dateline, in its house
  style (curly or straight quotes, British or American spelling, "percent" or "per cent"), with light
  edits (a word dropped, an attribution verb changed), often trimmed at the end, with its footer.
* **digest pages**: an outlet's page carrying the top of several stories, headlines included, one
  after another under "Read more:" separators.
* **splices**: a quote, or a whole paragraph, from one story put into an unrelated story with
  reporter-style edits (house style, dropped words, changed verbs).
* **boilerplate**: every page of an outlet ends with the outlet's footer, so unrelated articles from
  one outlet share a line that is *not* evidence of reuse.
* **topical twins**: some base articles report the same event as another in their own words; they
  share no passage and must not be paired.

Gold is exact because it is recorded while the texts are built: every sentence (and headline) of a
base article is a *unit*, and each generated text knows where each unit it carries lies. Two texts
share a passage wherever they carry the same units; consecutive shared units form one passage.

Run ``python -m benchmarks.newsreuse OUTDIR`` to write ``corpus.jsonl`` and ``gold.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ARTICLES",
    "SITES",
    "BaseArticle",
    "Doc",
    "GoldPair",
    "Style",
    "Synthetic",
    "generate",
    "gold_pairs",
    "load_articles",
]

ARTICLES = Path(__file__).resolve().parent / "articles"

#: A unit: (base article name, index); index 0 is the headline, then sentences in order.
UnitId = tuple[str, int]

_SENTENCE_END = re.compile(r"[.!?][\"”’]?(?=\s+[\"“A-Z0-9])")


@dataclass(frozen=True, slots=True)
class BaseArticle:
    """A hand-written article: headline, alternative headline, dateline and paragraphs of sentences."""

    name: str
    headline: str
    alt_headline: str
    dateline: str
    paragraphs: tuple[tuple[str, ...], ...]
    #: Name of the base article that reports the same event in other words, if any.
    twin_of: str | None = None

    @property
    def city(self) -> str:
        """The place of the dateline ("PORT ALVER")."""
        return self.dateline.split(",")[0].strip()

    def unit(self, paragraph: int, sentence: int) -> UnitId:
        """The unit id of a sentence."""
        index = 1 + sum(len(p) for p in self.paragraphs[:paragraph]) + sentence
        return (self.name, index)


def split_sentences(paragraph: str) -> tuple[str, ...]:
    """Sentences of a paragraph (an end mark, maybe a closing quote, space, then a capital or quote)."""
    out = []
    pos = 0
    for m in _SENTENCE_END.finditer(paragraph):
        out.append(paragraph[pos : m.end()].strip())
        pos = m.end()
    rest = paragraph[pos:].strip()
    if rest:
        out.append(rest)
    return tuple(out)


def parse_article(name: str, text: str) -> BaseArticle:
    """Parse the file format of ``benchmarks/articles`` (see the module docstring)."""
    head, _, body = text.strip().partition("\n\n")
    lines = head.splitlines()
    fields: dict[str, str] = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"{name}: header line {line!r} is not 'key: value'")
        fields[key.strip()] = value.strip()
    for key in ("alt", "dateline"):
        if key not in fields:
            raise ValueError(f"{name}: missing header field {key!r}")
    paragraphs = tuple(split_sentences(" ".join(p.split())) for p in body.split("\n\n") if p.strip())
    if len(paragraphs) < 3:
        raise ValueError(f"{name}: needs at least three paragraphs")
    twin = name.removesuffix("-twin") if name.endswith("-twin") else None
    return BaseArticle(name, lines[0].strip(), fields["alt"], fields["dateline"], paragraphs, twin)


def load_articles(folder: Path = ARTICLES) -> list[BaseArticle]:
    """Every base article in ``folder``, sorted by name."""
    return [parse_article(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.txt"))]


# -- house styles and edits ---------------------------------------------------------------------------

_BRITISH_AMERICAN = (
    ("organiser", "organizer"),
    ("harbour", "harbor"),
    ("centre", "center"),
    ("travellers", "travelers"),
    ("kilometres", "kilometers"),
    ("kilometre", "kilometer"),
    ("metres", "meters"),
    ("metre", "meter"),
    ("cheques", "checks"),
    ("programme", "program"),
    ("neighbouring", "neighboring"),
    ("favour", "favor"),
    ("labour", "labor"),
    ("defence", "defense"),
    ("recognised", "recognized"),
    ("organisation", "organization"),
    ("towards", "toward"),
    ("ageing", "aging"),
    ("tonnes", "tons"),
)
_FILLERS = ("also", "very", "still", "now", "just", "already", "simply", "really", "only", "about")
_VERBS = {
    "said": ("told reporters", "added", "noted", "stated"),
    "says": ("said",),
    "warned": ("said",),
    "announced": ("said",),
}


def _match_case(template: str, word: str) -> str:
    return word[:1].upper() + word[1:] if template[:1].isupper() else word


def _replace_words(text: str, table: Iterable[tuple[str, str]]) -> str:
    for old, new in table:

        def swap(m: re.Match[str], new: str = new) -> str:
            return _match_case(m.group(), new)

        text = re.sub(rf"\b{old}\b", swap, text, flags=re.IGNORECASE)
    return text


def _curly(text: str) -> str:
    text = re.sub(r'(^|[\s(\[])"', "\\1“", text)
    text = text.replace('"', "”")
    return text.replace("'", "’")


def _straight(text: str) -> str:
    return text.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")


@dataclass(frozen=True, slots=True)
class Style:
    """An outlet's house style."""

    quotes: str = "keep"  # "curly", "straight" or "keep"
    spelling: str = "keep"  # "british", "american" or "keep"
    per_cent: bool = False

    def apply(self, text: str) -> str:
        """The text in this house style."""
        if self.quotes == "curly":
            text = _curly(text)
        elif self.quotes == "straight":
            text = _straight(text)
        if self.spelling == "american":
            text = _replace_words(text, _BRITISH_AMERICAN)
        elif self.spelling == "british":
            text = _replace_words(text, ((a, b) for b, a in _BRITISH_AMERICAN))
        if self.per_cent:
            text = re.sub(r"\bpercent\b", "per cent", text)
        return text


def light_edit(sentence: str, rng: random.Random) -> str:
    """One reporter's edit: drop a filler word or change an attribution verb (if the sentence has one)."""
    options: list[Callable[[], str]] = []
    fillers = list(re.finditer(rf"\b(?:{'|'.join(_FILLERS)})\b ", sentence))
    if fillers:
        m = rng.choice(fillers)
        options.append(lambda: sentence[: m.start()] + sentence[m.end() :])
    verbs = list(re.finditer(rf"\b(?:{'|'.join(_VERBS)})\b", sentence))
    if verbs:
        v = rng.choice(verbs)
        new = rng.choice(_VERBS[v.group()])
        options.append(lambda: sentence[: v.start()] + new + sentence[v.end() :])
    if not options:
        return sentence
    return rng.choice(options)()


# -- building texts with their units ------------------------------------------------------------------


@dataclass(slots=True)
class Doc:
    """A generated text, the units it carries (with their spans) and its boilerplate spans."""

    id: str
    kind: str
    parts: list[str] = field(default_factory=list)
    units: list[tuple[UnitId, int, int]] = field(default_factory=list)
    boilerplate: list[tuple[int, int]] = field(default_factory=list)
    _length: int = 0

    def add(self, text: str, unit: UnitId | None = None, *, boilerplate: bool = False) -> None:
        """Append ``text``; record it as ``unit`` or as boilerplate."""
        start = self._length
        self.parts.append(text)
        self._length += len(text)
        if unit is not None:
            self.units.append((unit, start, self._length))
        if boilerplate:
            self.boilerplate.append((start, self._length))

    @property
    def text(self) -> str:
        """The text built so far."""
        return "".join(self.parts)


@dataclass(frozen=True, slots=True)
class Site:
    """An outlet: name, house style and the footer under every page it publishes."""

    key: str
    name: str
    style: Style
    footer: str
    dateline: str  # format with {city} and {date}
    digest_header: str


SITES = (
    Site(
        "harbour-times",
        "Harbour Times",
        Style(quotes="curly", spelling="british", per_cent=True),
        "Harbour Times is an independent newspaper owned by its readers. Support local journalism and "
        "become a member from 5 crowns a month.",
        "{city} (Harbour Times) —",
        "Harbour Times briefing\n\nFive minutes, everything you need to know before work.",
    ),
    Site(
        "valley-ledger",
        "The Valley Ledger",
        Style(quotes="straight", spelling="american"),
        "Got a story? Contact the Valley Ledger newsroom on 555 0142 or write to us at 14 Mill Street, "
        "Westford, and follow us for breaking news.",
        "{city}, {date} /Valley Ledger/.",
        "Morning digest - The Valley Ledger\n\nToday's top stories from around the region.",
    ),
    Site(
        "morning-post",
        "The Morning Post",
        Style(quotes="curly", spelling="american"),
        "The Morning Post brings you news, sport and weather from the coast every day. Download our app "
        "to get the stories that matter to you first.",
        "{city} —",
        "THE MORNING POST | YOUR DAY AHEAD\n\nCatch up with the headlines from the coast and beyond.",
    ),
)


def _date(article: BaseArticle) -> str:
    m = re.search(r",\s*([A-Z][a-z]+ \d{1,2})", article.dateline)
    return m.group(1) if m else ""


def _add_body(
    doc: Doc,
    article: BaseArticle,
    paragraphs: Sequence[int],
    *,
    style: Style,
    rng: random.Random,
    edit_rate: float,
    dateline: str,
) -> None:
    for n, p in enumerate(paragraphs):
        if n:
            doc.add("\n\n")
        elif dateline:
            doc.add(dateline + " ")
        sentences = article.paragraphs[p]
        for s, sentence in enumerate(sentences):
            if s:
                doc.add(" ")
            text = style.apply(sentence)
            if rng.random() < edit_rate:
                text = light_edit(text, rng)
            doc.add(text, article.unit(p, s))


def _footer(doc: Doc, site: Site) -> None:
    doc.add("\n\n")
    doc.add(site.footer, boilerplate=True)
    doc.add("\n")


def original(article: BaseArticle) -> Doc:
    """The article as the wire service sent it."""
    doc = Doc(f"wire/{article.name}", "original")
    doc.add(article.headline, (article.name, 0))
    doc.add("\n\n")
    _add_body(
        doc,
        article,
        range(len(article.paragraphs)),
        style=Style(),
        rng=random.Random(0),
        edit_rate=0.0,
        dateline=article.dateline,
    )
    doc.add("\n")
    return doc


def reprint(article: BaseArticle, site: Site, rng: random.Random, *, number: int) -> Doc:
    """The article run by ``site``: new headline and dateline, house style, light edits, maybe trimmed."""
    doc = Doc(f"{site.key}/{article.name}-{number}", "reprint")
    doc.add(article.alt_headline)
    doc.add("\n\n")
    keep = len(article.paragraphs)
    if rng.random() < 0.6:
        keep -= rng.choice((1, 1, 2))
    dateline = site.dateline.format(city=article.city, date=_date(article))
    _add_body(doc, article, range(keep), style=site.style, rng=rng, edit_rate=0.25, dateline=dateline)
    _footer(doc, site)
    return doc


def digest(articles: Sequence[BaseArticle], site: Site, rng: random.Random, *, number: int) -> Doc:
    """A page carrying the top of several stories, headlines included, under "Read more:" separators."""
    doc = Doc(f"{site.key}/digest-{number}", "digest")
    doc.add(site.digest_header, boilerplate=True)
    doc.add("\n\n")
    for n, article in enumerate(articles):
        if n:
            doc.add("\n\nRead more:\n\n")
        doc.add(site.style.apply(article.headline), (article.name, 0))
        doc.add("\n\n")
        top = rng.choice((2, 3, len(article.paragraphs)))
        _add_body(doc, article, range(top), style=site.style, rng=rng, edit_rate=0.0, dateline="")
    _footer(doc, site)
    return doc


def _quote_sentences(article: BaseArticle) -> list[tuple[int, int]]:
    out = []
    for p, sentences in enumerate(article.paragraphs):
        for s, sentence in enumerate(sentences):
            if sentence.startswith(('"', "“")) and len(sentence.split()) >= 18:
                out.append((p, s))
    return out


def splice(host: BaseArticle, donor: BaseArticle, site: Site, rng: random.Random, *, paragraph: bool) -> Doc:
    """``host`` as published by ``site``, carrying a quote (or a paragraph) of ``donor``, edited."""
    what = "paragraph" if paragraph else "quote"
    doc = Doc(f"{site.key}/{host.name}+{what}-of-{donor.name}", f"{what} splice")
    doc.add(host.alt_headline)
    doc.add("\n\n")
    if paragraph:
        long = [n for n, para in enumerate(donor.paragraphs) if n and len(" ".join(para).split()) >= 25]
        p = rng.choice(long)
        taken = [(p, s) for s in range(len(donor.paragraphs[p]))]
    else:
        quotes = _quote_sentences(donor)
        if not quotes:
            raise ValueError(f"{donor.name} has no quote of 18 words or more")
        taken = [rng.choice(quotes)]
    at = rng.randrange(1, len(host.paragraphs))
    dateline = site.dateline.format(city=host.city, date=_date(host))
    _add_body(doc, host, range(at), style=site.style, rng=rng, edit_rate=0.1, dateline=dateline)
    doc.add("\n\n")
    for n, (p, s) in enumerate(taken):
        if n:
            doc.add(" ")
        text = light_edit(site.style.apply(donor.paragraphs[p][s]), rng)
        if rng.random() < 0.5:
            text = light_edit(text, rng)
        doc.add(text, donor.unit(p, s))
    doc.add("\n\n")
    _add_body(
        doc,
        host,
        range(at, len(host.paragraphs)),
        style=site.style,
        rng=rng,
        edit_rate=0.1,
        dateline="",
    )
    _footer(doc, site)
    return doc


# -- the corpus and its gold --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoldPair:
    """Two texts that share passages: (a_start, a_end, b_start, b_end) for each."""

    a: str
    b: str
    passages: tuple[tuple[int, int, int, int], ...]


@dataclass(frozen=True, slots=True)
class Synthetic:
    """A generated corpus: its texts (in corpus order) and the exact gold."""

    docs: tuple[Doc, ...]
    pairs: tuple[GoldPair, ...]

    def records(self) -> list[dict[str, str]]:
        """The corpus as JSONL records (``id``, ``text``)."""
        return [{"id": d.id, "text": d.text} for d in self.docs]

    def boilerplate_pairs(self) -> list[tuple[str, str]]:
        """Pairs that share a site footer and no unit (must not be flagged)."""
        positive = {(p.a, p.b) for p in self.pairs}
        by_footer: dict[str, list[str]] = {}
        for d in self.docs:
            for start, end in d.boilerplate:
                by_footer.setdefault(d.text[start:end], []).append(d.id)
        out = []
        for ids in by_footer.values():
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    if (a, b) not in positive and (b, a) not in positive:
                        out.append((a, b))
        return out

    def to_json(self) -> dict[str, Any]:
        """The gold as plain data."""
        return {
            "documents": [
                {
                    "id": d.id,
                    "kind": d.kind,
                    "units": [[u[0], u[1], s, e] for u, s, e in d.units],
                    "boilerplate": [list(b) for b in d.boilerplate],
                }
                for d in self.docs
            ],
            "pairs": [{"a": p.a, "b": p.b, "passages": [list(x) for x in p.passages]} for p in self.pairs],
            "boilerplate_pairs": [list(p) for p in self.boilerplate_pairs()],
        }


def gold_pairs(docs: Sequence[Doc]) -> list[GoldPair]:
    """Every pair of texts carrying a common unit, with its passages (runs of consecutive shared units)."""
    out = []
    for i, x in enumerate(docs):
        x_units = {u: n for n, (u, _, _) in enumerate(x.units)}
        for y in docs[i + 1 :]:
            shared = [(x_units[u], n) for n, (u, _, _) in enumerate(y.units) if u in x_units]
            if not shared:
                continue
            shared.sort()
            runs: list[list[tuple[int, int]]] = []
            for xi, yi in shared:
                if runs:
                    pxi, pyi = runs[-1][-1]
                    same_source = x.units[xi][0] == (x.units[pxi][0][0], x.units[pxi][0][1] + 1)
                    if xi == pxi + 1 and yi == pyi + 1 and same_source:
                        runs[-1].append((xi, yi))
                        continue
                runs.append([(xi, yi)])
            passages = tuple(
                (x.units[r[0][0]][1], x.units[r[-1][0]][2], y.units[r[0][1]][1], y.units[r[-1][1]][2])
                for r in runs
            )
            out.append(GoldPair(x.id, y.id, passages))
    return out


def generate(seed: int = 1, articles: Sequence[BaseArticle] | None = None) -> Synthetic:
    """A corpus of originals, reprints, digests and splices, with its gold, deterministic for ``seed``."""
    rng = random.Random(seed)
    base = list(articles) if articles is not None else load_articles()
    plain = [a for a in base if a.twin_of is None]
    if len(plain) < 16:
        raise ValueError(f"need at least 16 base articles that are not twins, got {len(plain)}")
    rng.shuffle(plain)
    hosts = plain[:6]
    others = plain[6:]
    reprinted = others[:6]
    digested = rng.sample(others, 6)
    donors = [a for a in others if _quote_sentences(a)]
    docs: list[Doc] = [original(a) for a in base if a not in hosts]
    numbers: dict[str, int] = {}
    # every outlet publishes several pages (a footer is only recognisable once seen under several
    # unrelated articles), and at most one digest
    order = list(SITES)
    rng.shuffle(order)

    def number(key: str) -> int:
        numbers[key] = numbers.get(key, 0) + 1
        return numbers[key]

    jobs = [article for n, article in enumerate(reprinted) for _ in range(2 if n < 2 else 1)]
    for n, article in enumerate(jobs):
        site = order[n % len(order)]
        docs.append(reprint(article, site, rng, number=number(f"{site.key}/{article.name}")))
    for n in range(2):
        site = order[n]
        docs.append(digest(digested[3 * n : 3 * n + 3], site, rng, number=number(f"{site.key}/digest")))
    for n, host in enumerate(hosts):
        donor = rng.choice([d for d in donors if d.name != host.name])
        docs.append(splice(host, donor, SITES[n % len(SITES)], rng, paragraph=n % 3 == 2))
    rng.shuffle(docs)
    return Synthetic(tuple(docs), tuple(gold_pairs(docs)))


def main(argv: list[str] | None = None) -> None:
    """Write a synthetic corpus (``corpus.jsonl``) and its gold (``gold.json``) to a folder."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    corpus = generate(args.seed)
    args.outdir.mkdir(parents=True, exist_ok=True)
    with open(args.outdir / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for record in corpus.records():
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    (args.outdir / "gold.json").write_text(
        json.dumps(corpus.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{len(corpus.docs)} texts, {len(corpus.pairs)} pairs sharing passages -> {args.outdir}")


if __name__ == "__main__":
    main()
