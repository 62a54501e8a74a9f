"""The keep policy in the filter: a later copy that ranks first replaces the stored one, on every store.

By default (``first``) the stored article stays and a later copy is rejected. With ``earliest``,
``longest`` or ``source-rank`` (corpus cleaning's policies, :mod:`dedup.engine.keep`), a later copy
ranked first is stored and the stored copy removed; the decision and ``--replaced`` say which and
why, so that nothing is lost.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest

from dedup import Article, Index
from dedup.engine.keep import plan_removals
from dedup.errors import SettingsError
from dedup.index import Keep, Policy
from dedup.model import Pair, Provenance
from tests.newsgen import stories
from tests.test_filter_cli import jsonl, line_of, run
from tests.test_store_redis import reprint


@pytest.fixture(params=["sqlite", "redis"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "idx.db")
    url: str = request.getfixturevalue("redis_url")
    return url


def copies(n: int = 3, seed: int = 3) -> tuple[Article, list[Article]]:
    """A story and ``n`` reprints of it (near-duplicates of it and of each other)."""
    (story,) = stories(1, seed=seed, prefix=f"story{seed}")
    rng = random.Random(seed)
    return story, [Article(f"{story.id}-copy{k}", reprint(story.text, rng)) for k in range(n)]


def with_(article: Article, **meta: str) -> Article:
    return Article(article.id, article.text, **meta)


def test_a_better_ranked_source_replaces_the_stored_copy(location: str) -> None:
    story, (copy, third) = copies(2)
    daily = with_(story, source="Daily Planet", published="2024-05-02")
    wire = with_(copy, source="Reuters", published="2024-05-03")
    keep = Keep(policy="source-rank", source_rank=("Reuters", "AP"))
    with Index.open(location, create=True, keep=keep) as index:
        assert index.check_and_add(daily).stored
        # check says what would happen, and writes nothing
        preview = index.check(wire)
        assert (preview.action, preview.stored) == ("keep", False)
        assert [r.removal.article for r in preview.replaced] == [daily.id]
        assert index.ids() == [daily.id]
        decision = index.check_and_add(wire)
        assert (decision.action, decision.relation, decision.stored) == ("keep", "near-duplicate", True)
        (gone,) = decision.replaced
        assert gone.stored.article == daily
        assert gone.to_dict() == {
            "id": daily.id,
            "duplicate_of": wire.id,
            "relation": "near-duplicate",
            "coverage": round(gone.removal.coverage, 4),
            "policy": "source-rank",
            "reason": f"near-duplicate of {wire.id}; {wire.id} kept: its source ranks higher "
            "(Reuters before Daily Planet)",
        }
        assert decision.reason == f"replaces {daily.id!r}: {gone.removal.reason}"
        assert decision.to_dict()["replaced"] == [gone.to_dict()]
        assert index.ids() == [wire.id]
        # a copy from a source ranked lower (unlisted) is rejected as a copy of the one now stored
        later = index.check_and_add(with_(third, source="Daily Planet"))
        assert (later.action, later.relation) == ("reject", "near-duplicate")
        assert [m.id for m in later.matches] == [wire.id]
        assert later.replaced == ()
        assert index.ids() == [wire.id]
        assert index.integrity_check() == []


def test_first_keeps_the_stored_copy_as_before(location: str) -> None:
    story, (copy,) = copies(1)
    with Index.open(location, create=True) as index:  # Keep() is first
        assert index.keep == Keep()
        index.check_and_add(with_(story, source="Daily Planet"))
        decision = index.check_and_add(with_(copy, source="Reuters"))
        assert (decision.action, decision.relation, decision.replaced) == ("reject", "near-duplicate", ())
        assert "replaced" not in decision.to_dict()
        assert index.ids() == [story.id]


def test_earliest_and_longest(location: str) -> None:
    story, (copy,) = copies(1, seed=5)
    trimmed = Article(story.id + "-trim", story.text[: len(story.text) * 6 // 10])
    containing = Policy.from_names(["near-duplicate", "contained", "containing"])
    with Index.open(location, create=True, keep=Keep(policy="earliest")) as index:
        index.check_and_add(with_(story, published="2024-05-03T10:00:00Z"))
        decision = index.check_and_add(with_(copy, published="2024-05-03T08:00:00Z"))
        assert decision.stored
        assert "published earlier (2024-05-03T08:00:00Z < 2024-05-03T10:00:00Z)" in decision.reason
        # the replaced article again, published later: rejected as a copy of the one stored
        again = index.check(with_(story, published="2024-05-04"))
        assert (again.action, again.relation, again.replaced) == ("reject", "near-duplicate", ())
        index.close()
    assert Keep(policy="longest").replaces
    where = location + ("-longest" if "://" not in location else "x")
    with Index.open(where, create=True, keep=Keep(policy="longest"), policy=containing) as index:
        assert index.check_and_add(trimmed).stored
        decision = index.check_and_add(story)  # contains the stored trimmed copy, and is longer
        assert (decision.action, decision.stored) == ("keep", True)
        (gone,) = decision.replaced
        assert (gone.removal.article, gone.removal.relation) == (trimmed.id, "contained")
        assert "longer (" in gone.removal.reason
        assert index.ids() == [story.id]
        # the trimmed copy again, under another id: contained in the stored story, shorter: rejected
        again = index.check_and_add(Article("trim-again", trimmed.text))
        assert (again.action, again.relation) == ("reject", "containment")
        assert index.integrity_check() == []


def test_the_kept_copy_does_not_depend_on_the_order(location: str) -> None:
    """Each of the 24 orders of four copies from four sources leaves the best-ranked one stored,
    the one corpus cleaning keeps with the same policy."""
    story, others = copies(3, seed=9)
    sources = ["Daily Planet", "AP", "Gazette", "Reuters"]
    group = [with_(a, source=s) for a, s in zip([story, *others], sources, strict=True)]
    rank = ("Reuters", "AP")
    pairs = [
        Pair(a.id, b.id, "near-duplicate", 0.9, coverage_a=0.95, coverage_b=0.95, passages=())
        for a, b in itertools.combinations(group, 2)
    ]
    provenance = {a.id: Provenance(source=a.source, words=100) for a in group}
    removed = plan_removals(pairs, provenance, [a.id for a in group], "source-rank", source_rank=rank)
    (cleaning_keeps,) = {a.id for a in group} - set(removed)
    assert cleaning_keeps == group[3].id
    for n, order in enumerate(itertools.permutations(group)):
        prefix = f"{location}-{n}" if "://" not in location else location.replace("prefix=", f"prefix=o{n}")
        with Index.open(prefix, create=True, keep=Keep(policy="source-rank", source_rank=rank)) as index:
            decisions = [index.check_and_add(a) for a in order]
            assert index.ids() == [cleaning_keeps], [a.id for a in order]
            replaced = [r.removal.article for d in decisions for r in d.replaced]
            rejected = [d.id for d in decisions if d.rejected]
            # every article stored or rejected once; every stored one but the last replaced once
            assert sorted(replaced + rejected + [cleaning_keeps]) == sorted(a.id for a in group)


def test_keep_is_checked() -> None:
    with pytest.raises(SettingsError, match="unknown keep policy 'best'"):
        Keep(policy="best")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="source-rank needs the sources"):
        Keep(policy="source-rank")


def test_filter_cli_keep_source_rank(location: str, tmp_path: Path) -> None:
    story, (copy, third) = copies(2, seed=13)
    feed = [
        line_of(story, source="Daily Planet"),
        line_of(Article("other", stories(1, seed=77)[0].text), source="Gazette"),
        line_of(copy, source="Reuters"),
        line_of(third, source="AP"),
    ]
    ranks = tmp_path / "ranks.txt"
    ranks.write_text("Reuters\nAP\n", encoding="utf-8")
    decisions, rejects, replaced = tmp_path / "d.jsonl", tmp_path / "r.jsonl", tmp_path / "x.jsonl"
    out = run(
        "filter", "--index", location, "--keep", "source-rank", "--source-rank", f"@{ranks}",
        "--decisions", str(decisions), "--rejects", str(rejects), "--replaced", str(replaced), "-q",
        stdin=b"".join(feed),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    got = jsonl(decisions)
    assert [(d["id"], d["action"]) for d in got] == [
        (story.id, "keep"),
        ("other", "keep"),
        (copy.id, "keep"),
        (third.id, "reject"),
    ]
    assert [r["id"] for r in got[2]["replaced"]] == [story.id]
    assert got[2]["replaced"][0]["duplicate_of"] == copy.id
    # every input line in exactly one of stdout and --rejects, as always
    assert out.stdout.splitlines() == [x.rstrip(b"\n") for x in feed[:3]]
    assert rejects.read_bytes() == feed[3]
    # and the replaced article, as stored, with why
    (gone,) = jsonl(replaced)
    assert (gone["id"], gone["text"], gone["source"]) == (story.id, story.text, "Daily Planet")
    why: dict[str, Any] = gone["dedup_replaced"]
    assert (why["duplicate_of"], why["relation"], why["policy"]) == (copy.id, "near-duplicate", "source-rank")
    assert "its source ranks higher (Reuters before Daily Planet)" in why["reason"]
    with Index.open(location) as index:
        assert sorted(index.ids()) == sorted(["other", copy.id])
        assert index.integrity_check() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keep", "source-rank"], "--keep source-rank needs --source-rank NAMES (or @FILE)"),
        (["--source-rank", "Reuters"], "--source-rank is used with --keep source-rank"),
        (["--keep", "best"], "Invalid value for '--keep'"),
    ],
)
def test_filter_cli_keep_usage(tmp_path: Path, args: list[str], message: str) -> None:
    out = run("filter", "--index", str(tmp_path / "idx.db"), *args, stdin=b"")
    assert out.returncode == 2
    assert message in out.stderr.decode()
    assert not (tmp_path / "idx.db").exists()


def test_serve_keep_source_rank(tmp_path: Path) -> None:
    from tests.test_serve import Service

    story, (copy,) = copies(1, seed=21)
    service = Service(
        str(tmp_path / "idx.db"), tmp_path, "--create", "--keep", "source-rank", "--source-rank", "Reuters,AP"
    )
    try:
        status, first = service.request("POST", "/articles", {"id": story.id, "text": story.text,
                                                              "source": "Daily Planet"})  # fmt: skip
        assert (status, first["action"], first["stored"]) == (200, "keep", True)
        status, second = service.request("POST", "/articles", {"id": copy.id, "text": copy.text,
                                                               "source": "Reuters"})  # fmt: skip
        assert (status, second["action"], second["stored"]) == (200, "keep", True)
        assert [(r["id"], r["duplicate_of"], r["policy"]) for r in second["replaced"]] == [
            (story.id, copy.id, "source-rank")
        ]
        assert service.request("GET", f"/articles/{story.id}")[0] == 404
        assert service.request("GET", f"/articles/{copy.id}")[0] == 200
    finally:
        service.stop()


def test_check_cli_shows_the_replacement_without_writing(tmp_path: Path) -> None:
    story, (copy,) = copies(1, seed=25)
    index = str(tmp_path / "idx.db")
    assert run("filter", "--index", index, "-q", stdin=line_of(story, source="Daily Planet")).returncode == 0
    source = tmp_path / "new.jsonl"
    source.write_bytes(line_of(copy, source="Reuters"))
    out = run("check", "--index", index, "--keep", "source-rank", "--source-rank", "Reuters", str(source))
    assert out.returncode == 0, out.stderr  # kept: nothing would be rejected
    (decision,) = [json.loads(x) for x in out.stdout.splitlines()]
    assert (decision["action"], decision["stored"]) == ("keep", False)
    assert [r["id"] for r in decision["replaced"]] == [story.id]
    plain = run("check", "--index", index, str(source))
    assert plain.returncode == 1  # by default the stored article stays: the copy would be rejected
    with Index.open(index) as opened:
        assert opened.ids() == [story.id]
