"""``dedup report`` on a real Apache Spark (local mode, two cores): the same report as the local runner.

The JSON reports are compared byte for byte: pairs, relations, scores, passages (offsets and texts),
clusters, learned boilerplate and notices. The cluster and failure tests are in
tests/test_spark_cluster.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dedup import Article, Detector, Report
from dedup.errors import InputError
from dedup.io.readers import stream_articles
from dedup.io.records import ReadOptions
from dedup.io.render import render_json
from tests.conftest import EVAL, SEED
from tests.newsgen import generate_corpus
from tests.spark_cluster import TEST_CONF, require_spark

FOOTER = "Follow us on social media for the latest news and updates from our newsroom today"

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def write_jsonl(path: Path, articles: list[Article]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps({"id": a.id, "text": a.text, **a.metadata()}) + "\n")
    return path


def generated(n: int = 300) -> list[Article]:
    """A generated corpus with planted reuse and a site footer under every third article."""
    articles, _gold = generate_corpus(n, seed=5, words=300)
    return [
        Article(a.id, a.text + "\n" + FOOTER if i % 3 == 0 else a.text, source=f"site{i % 7}")
        for i, a in enumerate(articles)
    ]


def local_report(path: Path) -> Report:
    return Detector().report(stream_articles([str(path)], ReadOptions(), notices=[], bad_records=[]))


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    require_spark()
    from dedup.batch.spark import spark_session

    session = spark_session("local[2]", TEST_CONF)
    yield session
    session.stop()


def spark_report(spark: SparkSession, path: Path) -> Report:
    from dedup.batch.spark import read_articles, run_spark

    return run_spark(read_articles(spark, [str(path)])).report()


def test_executors_run_the_drivers_python_with_nothing_set(spark: SparkSession) -> None:
    import pyarrow as pa

    def which(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import sys

        for b in batches:
            yield pa.RecordBatch.from_arrays([pa.array([sys.executable] * b.num_rows)], names=["python"])

    rows = spark.range(0, 8, 1, 2).mapInArrow(which, "python string").distinct().collect()
    assert [r["python"] for r in rows] == [sys.executable]


@pytest.mark.parametrize("name", ["seed", "clough", "pan13", "generated"])
def test_spark_report_equals_the_local_report(spark: SparkSession, name: str, tmp_path: Path) -> None:
    if name == "seed":
        path = SEED / "articles.jsonl"
    elif name == "clough":
        path = EVAL / "clough" / "corpus.jsonl"
    elif name == "pan13":
        path = EVAL / "pan13-no-obfuscation" / "corpus.jsonl"
    else:
        path = write_jsonl(tmp_path / "generated.jsonl", generated())
    if not path.exists():
        pytest.skip(f"{path} not found (the project's shared data)")
    local = local_report(path)
    if name == "generated":  # the corpus exercises every stage: learned boilerplate, clusters, all relations
        assert local.boilerplate
        assert local.clusters
        assert all(local.counts().values())
    assert render_json(spark_report(spark, path)) == render_json(local)


def test_parquet_input_gives_the_same_report_and_datasets(spark: SparkSession, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from dedup.batch.spark import read_articles, run_spark

    articles = generated(120)
    path = write_jsonl(tmp_path / "c.jsonl", articles)
    local = local_report(path)
    table = spark.createDataFrame(
        [(a.id, a.text, a.source) for a in articles], "id string, text string, source string"
    )
    table.write.parquet(str(tmp_path / "c.parquet"))
    run = run_spark(read_articles(spark, [str(tmp_path / "c.parquet")]))
    assert render_json(run.report()) == render_json(local)
    run.write(str(tmp_path / "out"), "parquet")
    pairs = pq.read_table(tmp_path / "out" / "pairs").to_pylist()
    passages = pq.read_table(tmp_path / "out" / "passages").to_pylist()
    clusters = pq.read_table(tmp_path / "out" / "clusters").to_pylist()
    assert sorted((p["a"], p["b"], p["relation"]) for p in pairs) == sorted(
        (p.a, p.b, p.relation) for p in local.pairs
    )
    assert sorted((p["a"], p["b"], p["a_start"], p["b_end"]) for p in passages) == sorted(
        (p.a, p.b, q.a_start, q.b_end) for p in local.pairs for q in p.passages
    )
    grouped: dict[str, list[str]] = {}
    for row in clusters:
        grouped.setdefault(row["cluster"], []).append(row["id"])
    order = {i: n for n, i in enumerate(local.ids)}
    assert sorted(tuple(sorted(g, key=order.__getitem__)) for g in grouped.values()) == sorted(local.clusters)


def local_error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        local_report(path)
    return str(info.value)


def test_bad_input_gets_the_local_runners_errors(spark: SparkSession, tmp_path: Path) -> None:
    from dedup.batch.spark import read_articles, run_spark

    good = '{"id": "a", "text": "one two three"}\n'
    for name, body in {
        "number": good + '{"id": "b", "text": 5}\n',
        "missing": good + '{"id": "b", "body": "x"}\n',
        "duplicate": good + '{"id": "b", "text": "x"}\n' + '{"id": "a", "text": "y"}\n',
    }.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text(body, encoding="utf-8")
        expected = local_error(path)
        with pytest.raises(InputError) as info:
            run_spark(read_articles(spark, [str(path)]))
        assert str(info.value) == expected, name
    assert "line 2" in local_error(tmp_path / "number.jsonl")
    # a table without a text column, or whose text is not a string
    no_text = spark.createDataFrame([("a", "x")], "id string, body string")
    with pytest.raises(InputError, match=r"text.*missing"):
        run_spark(no_text)
    numbers = spark.createDataFrame([("a", 5)], "id string, text long")
    with pytest.raises(InputError, match=r"text.*must be a string"):
        run_spark(numbers)


def test_cli_engine_spark_writes_the_same_json_report(tmp_path: Path) -> None:
    require_spark()
    path = write_jsonl(tmp_path / "c.jsonl", generated(60))
    out = tmp_path / "report.json"
    conf = [arg for k, v in TEST_CONF.items() for arg in ("--spark-conf", f"{k}={v}")]
    done = subprocess.run(
        [sys.executable, "-m", "dedup", "report", str(path), "--engine", "spark", "--master", "local[2]",
         *conf, "--format", "json", "-o", str(out), "-q"],
        capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert out.read_text(encoding="utf-8") == render_json(local_report(path))


def test_connected_components_by_large_and_small_stars(spark: SparkSession) -> None:
    import random

    from dedup.batch.spark import connected_components

    rng = random.Random(3)
    edges = [(i, i + 1) for i in range(100, 140)]  # a long chain: several rounds
    edges += [(rng.randrange(60), rng.randrange(60)) for _ in range(45)]
    edges += [(200, 203), (203, 201), (205, 204)]
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for x, y in edges:
        if x != y:
            parent[find(x)] = find(y)
    nodes = {n for e in edges if e[0] != e[1] for n in e}
    groups: dict[int, set[int]] = {}
    for n in nodes:
        groups.setdefault(find(n), set()).add(n)
    expected = {n: min(groups[find(n)]) for n in nodes}
    frame = spark.createDataFrame(edges, "u long, v long")
    found = {r["node"]: r["component"] for r in connected_components(frame).collect()}
    assert found == expected
