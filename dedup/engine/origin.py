"""Who had it first: credits in an article's text, publication times, and the origin of a cluster.

Pure functions. :func:`find_credits` reads the explicit credits of a text: a wire dateline (``/TASS/``,
``(Reuters) -``, ``HAVANA (Sputnik) –``), "Source: Tass", "according to the Interior Ministry", "told the
BBC", "TASS quoted ...", "X said in a statement", "First published by X", a copyright line. Each credit
names someone; :func:`names_match` tells whether a credited name is an article's source (its ``source``
field, the host of its ``url``, or the words of its id).

:func:`choose_origin` weighs, for the members of a cluster, in this order:

1. **credits**: members credit another member (the Moscow Times story credits TASS; the TASS story's
   source is TASS): the member credited by the most others is the origin (confidence ``high``);
2. **outside**: every member credits one source and no member is it: the original is not in the corpus
   (``origin`` None, ``outside`` names it; ``high``);
3. **published**: one member was published strictly before every other dated member (``medium``);
4. **whole**: one member's copy is the longest and makes up (nearly) all of its article: the others add
   to it (their own intro, a digest of several stories) or were cut from it (``low``).

With none of these, the origin is unknown (None, confidence ``none``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from dedup.model import Confidence, Credit, Evidence, Origin, Pair, Provenance

__all__ = [
    "Identity",
    "MemberInfo",
    "article_cluster_origins",
    "choose_origin",
    "find_credits",
    "identity",
    "names_match",
    "normalize_name",
    "parse_published",
    "provenance",
    "time_key",
]

#: A member whose copy covers at least this share of its article's words is "whole".
WHOLE = 0.9
#: A credit within this many characters of a member's copy is "at the passage".
NEAR = 300
#: Copies within this factor of the longest are as long as it.
LONGER = 1.1
#: Every other copy as long must have at least this many more words of its own (a sentence).
OWN_MORE = 8

# A name: capitalised words, joined by a few lowercase connectors ("Institute for the Study of War").
_CAP = r"[A-Z](?:[\w&'’\-]|\.(?=\w))*"
_NAME = rf"{_CAP}(?:[ \u00a0](?:(?:of|for|and|on|de|la|the)[ \u00a0])*{_CAP}){{0,6}}"

#: Wire services, by the names and abbreviations they are credited with (abbreviation -> name).
AGENCIES = {
    "ap": "associated press",
    "afp": "agence france-presse",
    "agence france presse": "agence france-presse",
    "reuters": "reuters",
    "thomson reuters": "reuters",
    "tass": "tass",
    "itar-tass": "tass",
    "ria": "ria novosti",
    "ria novosti": "ria novosti",
    "interfax": "interfax",
    "xinhua": "xinhua",
    "dpa": "dpa",
    "ansa": "ansa",
    "efe": "efe",
    "kyodo": "kyodo",
    "yonhap": "yonhap",
    "upi": "upi",
    "bloomberg": "bloomberg",
    "sputnik": "sputnik",
    "anadolu": "anadolu",
    "pti": "pti",
    "ians": "ians",
    "bernama": "bernama",
    "antara": "antara",
    "pa": "pa media",
    "pa media": "pa media",
    "bbc": "bbc",
    "cnn": "cnn",
    "newswire": "newswire",
}

# Capitalised words that are not names of a source when they open a credit.
_NOT_NAMES = {
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "this",
    "that",
    "these",
    "those",
    "officials",
    "police",
    "media",
    "reports",
    "sources",
    "some",
    "others",
    "experts",
    "analysts",
    "witnesses",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "in",
    "on",
    "at",
    "but",
    "and",
    "also",
    "a",
    "an",
}

#: (kind, pattern, literals): every match of the pattern holds one of the literals (none: not
#: needed, the pattern scans quickly), so a text holding none of them is not searched with it.
_PATTERNS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    # ISLAMABAD, November 20. /TASS/.   ...  /PRNewswire/
    ("dateline", re.compile(r"/([A-Z][A-Za-z\-]{1,24}(?: [A-Z][A-Za-z\-]+)?)/"), ()),
    # LONDON (Reuters) -   HAVANA (Sputnik) –   (AP) —
    ("dateline", re.compile(rf"\(({_NAME})\)[ \u00a0]*[-\u2013\u2014:]"), ()),
    # Source: Tass   Sources - Reuters
    ("source", re.compile(rf"\bSources?[ \u00a0]*[:\-\u2013\u2014][ \u00a0]*({_NAME})"), ("Source",)),
    # according to the Interior Ministry / according to data from the SIPRI
    (
        "according-to",
        re.compile(
            r"\b[Aa]ccording to (?:(?:the|a|an|data|figures|a report|a statement|reports?|statements?)"
            rf"[ \u00a0](?:(?:by|from|of|in)[ \u00a0])?)*({_NAME})"
        ),
        ("ccording to ",),
    ),
    # told the BBC / told The Moscow Times
    ("told", re.compile(rf"\btold (?:the |The )?({_NAME})"), ("told ",)),
    # TASS quoted Shoigu as saying / Reuters reported
    (
        "reported",
        re.compile(rf"(?:(?<=\s)|^)({_NAME}) (?:quoted|reported|reports|cited|said in a statement)\b"),
        (" quoted", " reported", " reports", " cited", " said in a statement"),
    ),
    # First published by The Moscow Times / Originally published in / Reprinted from
    (
        "published-by",
        re.compile(
            rf"\b(?:[Ff]irst|[Oo]riginally) (?:published|appeared) (?:by|in|on) (?:the |The )?({_NAME})"
            rf"|\b[Rr]eprinted (?:with permission )?from (?:the |The )?({_NAME})"
        ),
        ("published ", "appeared ", "eprinted "),
    ),
    # © 2024 The Associated Press / Copyright Example Media
    (
        "copyright",
        re.compile(rf"(?:©|\([cC]\)|\bCopyright)[ \u00a0]*(?:\d{{4}}[ \u00a0]*)?(?:the |The )?({_NAME})"),
        ("©", "(c)", "(C)", "Copyright"),
    ),
)

# a parenthesised name credits only as a known agency, unless a dash follows (a dateline)
_PAREN_AGENCY = re.compile(r"\(([A-Z][A-Za-z\-]{1,24})\)")

_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"[a-z0-9]+")


def normalize_name(name: str) -> str:
    """A credited or source name for matching: casefolded, no leading "the", known agencies unified."""
    text = _SPACES.sub(" ", name.replace("\u00a0", " ")).strip().casefold()
    text = text.strip(" .,;:'’\"()[]")
    if text.startswith("the "):
        text = text[4:]
    text = text.replace("’", "'")
    return AGENCIES.get(text, text)


def _trim_name(name: str) -> str:
    # drop trailing connectors and possessives the pattern may have taken in
    words = name.split()
    while words and words[-1].casefold() in {"of", "for", "and", "on", "de", "la", "the"}:
        words.pop()
    return " ".join(words).rstrip(".,;:’'")


def find_credits(text: str) -> tuple[Credit, ...]:
    """Every explicit credit in ``text``, in order of position (one per place)."""
    return _find_credits(text)


def _find_credits(text: str, *, anchored: bool = True) -> tuple[Credit, ...]:
    """:func:`find_credits`; ``anchored``: skip the patterns whose literals ``text`` does not hold.

    Most patterns scan slowly (a name may start at every capital letter) and match in few texts;
    a pattern none of whose literals the text holds has no match in it, so skipping it changes
    nothing (``tests/test_origin.py`` compares the two).
    """
    found: dict[tuple[int, int], Credit] = {}
    taken: list[tuple[int, int]] = []
    for kind, pattern, literals in _PATTERNS:
        if anchored and literals and not any(x in text for x in literals):
            continue
        for m in pattern.finditer(text):
            group = next(g for g in range(1, (m.lastindex or 0) + 1) if m.group(g) is not None)
            raw = _trim_name(m.group(group))
            name = normalize_name(raw)
            if len(name) < 2 or name in _NOT_NAMES or name.split()[0] in _NOT_NAMES:
                continue
            start, end = m.start(), m.end()
            while end > start and text[end - 1] in ".,;:" and kind != "dateline":
                end -= 1
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            found[(start, end)] = Credit(name, text[start:end], start, end, kind, raw)
    for m in _PAREN_AGENCY.finditer(text):
        name = normalize_name(m.group(1))
        if m.group(1).casefold() not in AGENCIES or any(s < m.end() and m.start() < e for s, e in taken):
            continue
        found[(m.start(), m.end())] = Credit(name, m.group(), m.start(), m.end(), "dateline", m.group(1))
    return tuple(found[k] for k in sorted(found))


def provenance(
    text: str,
    *,
    source: str | None = None,
    published: str | None = None,
    url: str | None = None,
    words: int | None = None,
) -> Provenance:
    """An article's :class:`~dedup.model.Provenance`; ``words`` defaults to the words of ``text``."""
    return Provenance(
        source=source,
        published=published,
        url=url,
        words=words if words is not None else len(_WORD.findall(text)),
        credits=find_credits(text),
    )


@dataclass(frozen=True, slots=True)
class Identity:
    """The names an article goes by, as word tuples: its source's and its URL host's, and its id's words."""

    names: tuple[tuple[str, ...], ...]
    id_words: tuple[str, ...]


_HOST_NOISE = {"www", "com", "org", "net", "co", "uk", "ru", "news"}


@functools.lru_cache(maxsize=1 << 16)
def _identity(article: str, source: str | None, url: str | None) -> Identity:
    names: list[tuple[str, ...]] = []
    if source:
        names.append(_words(normalize_name(source)))
    if url:
        host = (urlsplit(url).hostname or "").casefold()
        labels = [x for x in host.split(".") if x not in _HOST_NOISE]
        if labels:
            names.append(_words(labels[-1] if len(labels) > 1 else labels[0]))
    return Identity(tuple(n for n in names if n), _words(article.casefold()))


def identity(article: str, prov: Provenance | None) -> Identity:
    """The names an article goes by: its source, its URL's host, its id's words."""
    return _identity(article, prov.source if prov else None, prov.url if prov else None)


@functools.lru_cache(maxsize=1 << 16)
def _words(name: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(name))


def _contains(outer: tuple[str, ...], inner: tuple[str, ...]) -> bool:
    k = len(inner)
    return any(outer[i : i + k] == inner for i in range(len(outer) - k + 1))


def names_match(name: str, who: Identity) -> bool:
    """Whether a credited (normalised) ``name`` is one of the names of an article (:func:`identity`).

    The source and host names match when one's words run inside the other's ("reuters" and "thomson
    reuters", "interior ministry" and "ministry"); the id's words only when they hold the whole name.
    """
    tokens = _words(name)
    if not tokens:
        return False
    if _contains(who.id_words, tokens):
        return True
    return any(_contains(own, tokens) or _contains(tokens, own) for own in who.names)


def parse_published(value: str | None) -> tuple[datetime, bool] | None:
    """``published`` as an aware datetime (naive ones are taken as UTC) and whether only a date was given."""
    if not value:
        return None
    text = value.strip()
    try:
        if len(text) <= 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=UTC), True
        t = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC), False


def time_key(value: str | None) -> tuple[int, float]:
    """A sort key: dated articles first, earliest first (a date alone counts as its midnight, UTC)."""
    parsed = parse_published(value)
    if parsed is None:
        return (1, 0.0)
    return (0, parsed[0].timestamp())


def _before(a: tuple[datetime, bool], b: tuple[datetime, bool]) -> bool:
    """Strictly earlier, at the precision both have (a date alone says nothing about the hour)."""
    if a[1] or b[1]:
        return a[0].date() < b[0].date()
    return a[0] < b[0]


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """A cluster member as :func:`choose_origin` sees it."""

    article: str
    provenance: Provenance | None
    #: The copy's words, and where it is in the article's text (None: the article as a whole).
    words: int
    start: int | None = None
    end: int | None = None


def _source_label(article: str, prov: Provenance | None) -> str:
    return f"{article}'s source is {prov.source}" if prov is not None and prov.source else f"it is {article}"


def _distance(credit: Credit, member: MemberInfo) -> int:
    if member.start is None or member.end is None:
        return NEAR + 1
    if credit.end <= member.start:
        return member.start - credit.end
    if credit.start >= member.end:
        return credit.start - member.end
    return 0


def _fmt(t: tuple[datetime, bool]) -> str:
    return t[0].date().isoformat() if t[1] else t[0].strftime("%Y-%m-%dT%H:%M:%SZ")


_Times = Mapping[str, "tuple[datetime, bool] | None"]


def _by_credits(infos: Sequence[MemberInfo], times: _Times) -> Origin | None:
    """The member credited by the most other members, if any member credits another."""
    idents = [(m.article, identity(m.article, m.provenance)) for m in infos]
    # each name credited, once: which members go by it (a cluster's credits name a few sources)
    going_by: dict[str, list[str]] = {}
    credited: dict[str, list[tuple[MemberInfo, Credit]]] = {}
    for m in infos:
        for c in m.provenance.credits if m.provenance is not None else ():
            if c.name not in going_by:
                going_by[c.name] = [a for a, who in idents if names_match(c.name, who)]
            for x in going_by[c.name]:
                if x != m.article:
                    credited.setdefault(x, []).append((m, c))
    if not credited:
        return None
    words = {m.article: m.words for m in infos}

    def support(article: str) -> tuple[int, tuple[int, float], int, str]:
        t = times[article]
        when = (0, t[0].timestamp()) if t else (1, 0.0)
        return (-len({m.article for m, _ in credited[article]}), when, -words[article], article)

    best = min(credited, key=support)
    prov = next(m.provenance for m in infos if m.article == best)
    shown: list[Evidence] = []
    seen: set[str] = set()
    for m, c in sorted(credited[best], key=lambda mc: (_distance(mc[1], mc[0]), mc[0].article, mc[1].start)):
        if len(shown) >= 5 or (m.article in seen and len(shown) >= 2):
            continue
        seen.add(m.article)
        where = "next to the passage" if _distance(c, m) <= NEAR else "in its text"
        detail = f"{m.article} credits {c.label or c.name} {where}; {_source_label(best, prov)}"
        shown.append(Evidence("credit", m.article, detail, text=c.text, start=c.start, end=c.end))
    crediting = {m.article for m, _ in credited[best]}
    if len(crediting) > len(seen):
        shown.append(Evidence("credit", None, f"{len(crediting)} members credit {best} in all"))
    confidence: Confidence = "high"
    t_best = times[best]
    if t_best is not None:
        earlier = sorted(a for a, t in times.items() if t is not None and _before(t, t_best))
        if earlier:
            confidence = "medium"
            detail = f"{len(earlier)} member(s) were published before {best}, e.g. {earlier[0]}"
            shown.append(Evidence("conflict", earlier[0], detail))
        elif sum(1 for t in times.values() if t is not None) > 1:
            shown.append(Evidence("published", best, f"{best} was published first ({_fmt(t_best)})"))
    return Origin(best, confidence, tuple(shown))


def _outside(infos: Sequence[MemberInfo]) -> Origin | None:
    """Not in the corpus: every member credits one name that no member goes by."""
    common: set[str] | None = None
    for m in infos:
        names = {c.name for c in m.provenance.credits} if m.provenance is not None else set()
        common = names if common is None else common & names
    if not common:
        return None
    name = min(common)
    shown = []
    label = name
    for n, m in enumerate(infos[:5]):
        assert m.provenance is not None
        c = min((c for c in m.provenance.credits if c.name == name), key=lambda c: (_distance(c, m), c.start))
        label = c.label or name if n == 0 else label
        shown.append(Evidence("outside", m.article, f"{m.article} credits {label}", c.text, c.start, c.end))
    detail = (
        f"every member ({len(infos)}) credits {label}, and no member is {label}: the original is not here"
    )
    shown.append(Evidence("outside", None, detail))
    return Origin(None, "high", tuple(shown), outside=label)


def _by_date(infos: Sequence[MemberInfo], times: _Times) -> Origin | None:
    """The member published strictly before every other dated member (two dated members at least)."""
    dated = sorted((t[0], a) for a, t in times.items() if t is not None)
    if len(dated) < 2:
        return None
    first = dated[0][1]
    t_first = times[first]
    assert t_first is not None
    if not all(_before(t_first, t) for a, t in times.items() if t is not None and a != first):
        return None
    undated = len(infos) - len(dated)
    detail = (
        f"{first} was published first ({_fmt(t_first)}), before the {len(dated) - 1} other dated "
        f"member(s)" + (f" ({undated} undated)" if undated else "")
    )
    return Origin(first, "medium", (Evidence("published", first, detail),))


def _by_whole(infos: Sequence[MemberInfo]) -> Origin | None:
    """Of the longest copies, the one that is nearly all of its article, when each other has a sentence more.

    A reprint adds its own intro, a digest page other stories; a trimmed copy is shorter.
    """
    sized = [m for m in infos if m.provenance is not None and m.provenance.words > 0 and m.words > 0]
    if not sized or max(m.words for m in sized) < max(m.words for m in infos):
        return None
    longest = max(m.words for m in sized)

    def own(m: MemberInfo) -> int:
        assert m.provenance is not None
        return max(0, m.provenance.words - m.words)

    candidates = sorted((m for m in sized if m.words * LONGER >= longest), key=lambda m: (own(m), m.article))
    best = candidates[0]
    if own(best) > (1 - WHOLE) * (best.words + own(best)):
        return None
    if not all(own(m) >= own(best) + OWN_MORE for m in candidates[1:]):
        return None
    nxt = f"; the next as long has {own(candidates[1])}" if len(candidates) > 1 else ""
    detail = (
        f"{best.article}'s copy is the longest ({best.words} words) and nearly all of its article "
        f"({own(best)} words of its own{nxt}): the others add to it or are cut from it"
    )
    return Origin(best.article, "low", (Evidence("whole", best.article, detail),))


def choose_origin(members: Sequence[MemberInfo]) -> Origin:
    """The likely origin of a cluster whose members are ``members`` (see the module's docstring)."""
    by_article: dict[str, MemberInfo] = {}
    for m in members:
        if m.article not in by_article or m.words > by_article[m.article].words:
            by_article[m.article] = m
    if len(by_article) < 2:
        return Origin(None, "none")
    infos = sorted(by_article.values(), key=lambda m: m.article)
    times = {m.article: parse_published(m.provenance.published if m.provenance else None) for m in infos}
    return (
        _by_credits(infos, times)
        or _outside(infos)
        or _by_date(infos, times)
        or _by_whole(infos)
        or Origin(None, "none")
    )


def article_cluster_origins(
    clusters: Sequence[Sequence[str]], pairs: Sequence[Pair], provenance: Mapping[str, Provenance]
) -> tuple[Origin, ...]:
    """The origin of each article cluster, from its members' credits, dates and pairs.

    A member's copy is the largest share of it that one pair inside the cluster covers (a story's
    wire copy is all covered by the pair with a reprint that adds an intro; that reprint is not).
    """
    where = {a: n for n, c in enumerate(clusters) for a in c}
    covered: dict[str, float] = {}
    for pair in pairs:
        n = where.get(pair.a)
        if n is None or where.get(pair.b) != n:
            continue
        covered[pair.a] = max(covered.get(pair.a, 0.0), pair.coverage_a)
        covered[pair.b] = max(covered.get(pair.b, 0.0), pair.coverage_b)
    out = []
    for c in clusters:
        infos = []
        for a in c:
            prov = provenance.get(a)
            words = round(covered.get(a, 0.0) * prov.words) if prov is not None else 0
            infos.append(MemberInfo(a, prov, words))
        out.append(choose_origin(infos))
    return tuple(out)
