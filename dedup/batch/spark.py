"""The Spark runner of ``dedup report``: the stages of :mod:`dedup.batch.stages` on Apache Spark.

The same stage functions as the local runner, on Arrow batches in Spark's executors (``mapInArrow``:
the numpy engine over a batch at a time, no Python per row but where the local runner has it too),
with Spark's shuffles where the local runner has its key tables and spill files:

1. **fingerprint**: a map over the articles (:func:`~dedup.batch.stages.fingerprint`); per article
   its bucket keys (:func:`~dedup.batch.stages.bucket_keys`, once each), signature, lines, shingles;
2. **boilerplate**: lines grouped by key (a shuffle of the line keys), the few keys frequent enough
   checked by :func:`~dedup.engine.boilerplate.is_boilerplate` over their first holders'
   signatures; the articles holding a learned line are fingerprinted again;
3. **candidates**: (bucket, article) entries exploded and shuffled by bucket; bucket sizes counted
   first, so that an oversized bucket (a stock phrase) is cut before any task holds it (skew-safe);
   each partition's buckets to pairs with :func:`~dedup.engine.lsh.bucket_pairs`; window pairs
   summed over partitions and kept with ``min_window_hits`` hits;
4. **screen**: each candidate joined with both articles' shingles (:func:`~dedup.batch.stages.screen`);
5. **verify**: each screened pair joined with both articles' texts and signatures
   (:func:`~dedup.batch.stages.verify`), classified;
6. **clusters**: connected components of the cluster edges by large-star/small-star (DataFrame
   operations), then in each component the chain guard of the local path
   (:func:`~dedup.engine.cluster.star_clusters`, whose union-find never joins two components: so
   equal to running it over the whole corpus).

The result equals the local runner's, field for field (``tests/test_spark.py``). Articles are
numbered in input order (a DataFrame's own order; for files, the order given and the line).

Its size (about 900 lines) is that of a second runner: reading and checking inputs as Spark
DataFrames, the Arrow conversions of each stage and the connected components are all Spark-only and
kept together, so that nothing of pyspark leaks into the stages or the local runner.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from dedup.batch.assemble import assemble_report
from dedup.batch.stages import (
    DOCUMENT_PARTITION_BITS,
    WINDOW_PARTITION_BITS,
    Summaries,
    bucket_keys,
    fingerprint,
    screen,
    shingle_view,
    verify,
)
from dedup.engine.boilerplate import common_words, is_boilerplate
from dedup.engine.cluster import star_clusters
from dedup.engine.lsh import DOC_BITS, MAX_DOCUMENTS, bucket_pairs
from dedup.engine.origin import provenance as article_provenance
from dedup.engine.verify import name_lines
from dedup.errors import InputError, require
from dedup.model import Article, BadRecord, Notice, Pair, Passage, Report, UniqueIds
from dedup.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkRun", "read_articles", "run_spark", "spark_session"]

#: Metadata columns carried from the input (all optional).
META = ("title", "source", "published", "url")
#: Sampled holders of a candidate boilerplate line (the local rule's ``sample``).
BOILERPLATE_SAMPLE = 8

FINGERPRINT_SCHEMA = (
    "doc long, words long, tokens long, signature binary, document_buckets array<long>, "
    "window_buckets array<long>, shingles binary, valid binary, line_keys array<long>, "
    "line_edges array<boolean>, line_words array<int>"
)
BROADCAST_IDS = 4_000_000
"""Up to this many articles holding a learned line (32 MB of ids), their ids are broadcast."""
PASSAGE_TYPE = (
    "struct<a_start:int, a_end:int, b_start:int, b_end:int, similarity:double, matched_words:int, "
    "evidence:string, a_text:string, b_text:string>"
)
PAIR_SCHEMA = (
    "x long, y long, a string, b string, relation string, jaccard double, jaccard_estimate double, "
    f"coverage_a double, coverage_b double, contained string, passages array<{PASSAGE_TYPE}>"
)


def _spark() -> Any:
    require("pyspark", extra="spark", feature="--engine spark")
    require("pyarrow", extra="spark", feature="--engine spark")
    import pyspark.sql

    return pyspark.sql


# -- the session -----------------------------------------------------------------------------------------


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """A Spark session for ``dedup report`` (the active one if any, with ``conf`` added).

    ``master``: ``local[N]``, ``spark://HOST:PORT``, ``yarn``...; by default the one ``spark-submit``
    gave, else ``local[*]``.

    The executors run this very Python (``sys.executable``) unless ``spark.pyspark.python`` or
    ``PYSPARK_PYTHON`` says otherwise: with a local master or a cluster on this machine nothing is
    to set. A local master binds to 127.0.0.1 and shows no web UI.
    """
    sql = _spark()
    conf = dict(conf or {})
    python = conf.get("spark.pyspark.python") or os.environ.get("PYSPARK_PYTHON") or sys.executable
    conf["spark.pyspark.python"] = python
    # pyspark's driver picks the executors' Python from the environment when it starts the JVM
    os.environ["PYSPARK_PYTHON"] = python
    if master is None:
        from pyspark import SparkConf

        master = SparkConf().get("spark.master") or "local[*]"
    builder = sql.SparkSession.builder.master(master).appName("dedup report")
    if master.startswith("local"):
        for key, value in (
            ("spark.driver.host", "127.0.0.1"),
            ("spark.driver.bindAddress", "127.0.0.1"),
            ("spark.ui.enabled", "false"),
        ):
            conf.setdefault(key, value)
    conf.setdefault("spark.sql.execution.arrow.maxRecordsPerBatch", "2048")
    conf.setdefault("spark.ui.showConsoleProgress", "false")
    for key, value in conf.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


# -- input -----------------------------------------------------------------------------------------------


def _parse_lines(
    rows: Iterable[tuple[Any, int]], source: str, file_index: int, id_field: str, text_field: str
) -> Iterator[tuple[Any, ...]]:
    """JSONL lines (with their 0-based numbers) to article rows, or error rows: the local reader's rules."""
    from dedup.io.records import ReadOptions, parse_json, parse_record

    options = ReadOptions(id_field=id_field, text_field=text_field)
    for row, n in rows:
        line = row[0]
        number = n + 1
        if not line.strip():
            continue
        order = (file_index << 48) | number
        try:
            article = parse_record(
                parse_json(line, source=source, line_number=number), options, source=source, line=number
            )
        except InputError as exc:
            yield (order, None, None, None, None, None, None, f"{source}:{number}", exc.reason, exc.field)
            continue
        meta = (article.title, article.source, article.published, article.url)
        yield (order, article.id, article.text, *meta, article.origin, None, None)


_READ_SCHEMA = (
    "doc long, id string, text string, title string, source string, published string, url string, "
    "origin string, error string, field string"
)


def read_articles(
    spark: SparkSession,
    inputs: Sequence[str],
    *,
    id_field: str = "id",
    text_field: str = "text",
    skip_bad: bool = False,
    bad_records: list[BadRecord] | None = None,
) -> DataFrame:
    """Articles from JSONL or Parquet files or folders (any path Spark reads: local, HDFS, S3...).

    ``.parquet`` paths (or folders of Parquet files) are read as tables with columns ``id``, ``text``
    and optional metadata; other paths as JSONL, each line checked as the local reader checks it (the
    same errors, naming the file and line). With ``skip_bad`` unusable lines go to ``bad_records``.
    """
    sql = _spark()
    F = sql.functions
    frames = []
    for index, path in enumerate(inputs):
        if path.rstrip("/").endswith(".parquet") or (
            Path(path).is_dir() and any(Path(path).glob("*.parquet"))
        ):
            frames.append(_parquet(spark, path, index, id_field, text_field))
            continue
        lines = spark.read.text(path).rdd.zipWithIndex()
        parse = functools.partial(
            _parse_lines, source=path, file_index=index, id_field=id_field, text_field=text_field
        )
        parsed = spark.createDataFrame(lines.mapPartitions(parse), _READ_SCHEMA)
        errors = parsed.where(F.col("error").isNotNull())
        if skip_bad:
            if bad_records is not None:
                for row in errors.orderBy("doc").collect():
                    file, _, line = row["origin"].rpartition(":")
                    bad_records.append(BadRecord(file, int(line), row["error"], row["field"]))
        else:
            first = errors.orderBy("doc").limit(1).collect()
            if first:
                file, _, line = first[0]["origin"].rpartition(":")
                raise InputError(first[0]["error"], source=file, line=int(line), field=first[0]["field"])
        frames.append(parsed.where(F.col("error").isNull()).drop("error", "field"))
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame, allowMissingColumns=True)
    return out


def _parquet(spark: SparkSession, path: str, index: int, id_field: str, text_field: str) -> DataFrame:
    """A Parquet file or folder, its rows numbered in order: by file name, then row in the file.

    (Spark reads the files of a folder in an order of its own, largest first.)
    """
    F = _spark().functions
    table = spark.read.parquet(path)
    placed = table.select(
        "*", F.col("_metadata.file_path").alias("_file"), F.col("_metadata.row_index").alias("_row")
    )
    files = sorted(r["_file"] for r in placed.select("_file").distinct().collect())
    if len(files) >= 1 << 16:
        raise InputError(
            f"more than {1 << 16:,} Parquet files in one input: give them as several", source=path
        )
    ranks = spark.createDataFrame(list(enumerate(files)), "_rank long, _file string")
    numbered = placed.join(F.broadcast(ranks), "_file")
    doc = F.lit(index << 48) + F.shiftleft(F.col("_rank"), 32) + F.col("_row")
    checked = _checked_columns(
        numbered.withColumn("doc", doc), id_field, text_field, source=path, keep=["doc"]
    )
    return checked


def _checked_columns(
    df: DataFrame, id_field: str, text_field: str, *, source: str, keep: Sequence[str] = ()
) -> DataFrame:
    """``df`` with columns id, text, metadata and origin, or the local reader's error for its schema."""
    sql = _spark()
    F, T = sql.functions, sql.types
    fields = {f.name: f.dataType for f in df.schema.fields}
    for name in (id_field, text_field):
        if name not in fields:
            raise InputError(f"missing (columns: {', '.join(fields) or 'none'})", source=source, field=name)
    if not isinstance(fields[text_field], T.StringType):
        raise InputError(
            f"must be a string, got a column of {fields[text_field].simpleString()}",
            source=source,
            field=text_field,
        )
    if not isinstance(fields[id_field], T.StringType | T.IntegerType | T.LongType | T.ShortType):
        raise InputError(
            f"must be a string or an integer, got a column of {fields[id_field].simpleString()}",
            source=source,
            field=id_field,
        )
    cols = [F.col(id_field).cast("string").alias("id"), F.col(text_field).alias("text")]
    for name in META:
        if name in fields and name not in (id_field, text_field):
            if not isinstance(fields[name], T.StringType):
                raise InputError(
                    f"must be a string, got a column of {fields[name].simpleString()}",
                    source=source,
                    field=name,
                )
            cols.append(F.col(name))
        else:
            cols.append(F.lit(None).cast("string").alias(name))
    cols.append(F.lit(source).alias("origin"))
    return df.select(*cols, *keep)


def _check_articles(articles: DataFrame, source: str) -> None:
    """The local runner's errors for missing values and duplicate ids."""
    sql = _spark()
    F, W = sql.functions, sql.Window
    missing = articles.where(F.col("id").isNull() | F.col("text").isNull()).orderBy("doc").limit(1).collect()
    if missing:
        row = missing[0]
        name = "id" if row["id"] is None else "text"
        what = f" (article {row['id']!r})" if name == "text" else ""
        raise InputError(f"missing{what}", source=row["origin"] or source, field=name)
    nth = F.row_number().over(W.partitionBy("id").orderBy("doc"))
    firsts = F.first("origin").over(W.partitionBy("id").orderBy("doc"))
    dup = (
        articles.select("id", "doc", "origin", nth.alias("n"), firsts.alias("first"))
        .where(F.col("n") == 2)
        .orderBy("doc")
        .limit(1)
        .collect()
    )
    if dup:
        row = dup[0]
        first = row["first"]
        raise InputError(UniqueIds.message(row["id"], first), source=row["origin"])


# -- Arrow <-> numpy -------------------------------------------------------------------------------------


def _offsets(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    if out[-1] >= 2**31:
        raise ValueError(
            "an Arrow batch of more than 2 GiB: lower spark.sql.execution.arrow.maxRecordsPerBatch"
        )
    return out.astype(np.int32)


def _lists(values: npt.NDArray[Any], counts: npt.NDArray[np.int64]) -> pa.Array:
    import pyarrow as pa

    return pa.ListArray.from_arrays(pa.array(_offsets(counts)), pa.array(values))


def _blobs(data: bytes, sizes: npt.NDArray[np.int64]) -> pa.Array:
    import pyarrow as pa

    offsets = _offsets(sizes)
    return pa.Array.from_buffers(pa.binary(), len(sizes), [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _list_values(
    column: pa.Array | pa.ChunkedArray, dtype: Any
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """A list column's values (flat) and each row's count."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    counts = np.asarray(column.value_lengths().fill_null(0), dtype=np.int64)
    return np.asarray(column.flatten(), dtype=dtype), counts


def _unique_per_row(
    values: npt.NDArray[np.uint64], counts: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Each row's values sorted, once each (rows given by ``counts``)."""
    owners = np.repeat(np.arange(len(counts)), counts)
    order = np.lexsort((values, owners))
    values, owners = values[order], owners[order]
    keep = np.ones(len(values), dtype=np.bool_)
    keep[1:] = (values[1:] != values[:-1]) | (owners[1:] != owners[:-1])
    return values[keep], np.bincount(owners[keep], minlength=len(counts)).astype(np.int64)


def _fingerprint_batch(settings: Settings, docs: npt.NDArray[np.int64], texts: list[str],
                       boilerplate: Mapping[int, int] | None) -> pa.RecordBatch:  # fmt: skip
    import pyarrow as pa

    s: Summaries = fingerprint(settings, texts, boilerplate)
    n = len(docs)
    doc_buckets, doc_counts = _unique_per_row(
        bucket_keys(s.document_keys, DOCUMENT_PARTITION_BITS), s.document_counts
    )
    win_buckets, win_counts = _unique_per_row(
        bucket_keys(s.window_keys, WINDOW_PARTITION_BITS), s.window_counts
    )
    width = s.signatures.shape[1] * 4
    return pa.RecordBatch.from_arrays(
        [
            pa.array(docs),
            pa.array(s.words),
            pa.array(s.tokens),
            _blobs(s.signatures.astype("<u4").tobytes(), np.full(n, width, dtype=np.int64)),
            _lists(doc_buckets.astype(np.int64), doc_counts),
            _lists(win_buckets.astype(np.int64), win_counts),
            _blobs(s.shingles.astype("<u4").tobytes(), 4 * s.shingle_counts),
            _blobs(s.valid.tobytes(), (s.shingle_counts + 7) // 8),
            _lists(s.line_keys.view(np.int64), s.line_counts),
            _lists(s.line_edges, s.line_counts),
            _lists(s.line_words, s.line_counts),
        ],
        names=[
            "doc", "words", "tokens", "signature", "document_buckets", "window_buckets", "shingles",
            "valid", "line_keys", "line_edges", "line_words",
        ],
    )  # fmt: skip


def _fingerprint_batches(
    batches: Iterable[pa.RecordBatch], settings: Settings, boilerplate: Mapping[int, int] | None
) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        docs = np.asarray(batch.column("doc"), dtype=np.int64)
        yield _fingerprint_batch(settings, docs, batch.column("text").to_pylist(), boilerplate)


# -- boilerplate -----------------------------------------------------------------------------------------


def _confirm_batches(batches: Iterable[pa.RecordBatch], settings: Settings) -> Iterator[pa.RecordBatch]:
    """Candidate boilerplate lines (with their sampled holders' signatures) that pass the local rule."""
    import pyarrow as pa

    for batch in batches:
        rows = batch.to_pylist()
        keep = []
        for row in rows:
            holders = sorted(row["holders"], key=lambda h: h["doc"])
            sigs = [np.frombuffer(h["signature"], dtype="<u4").astype(np.uint32) for h in holders]
            held = [{r["key"]: r["words"] for r in h["recurring"]} for h in holders]
            keep.append(
                is_boilerplate(
                    row["n"],
                    row["e"],
                    row["words"],
                    sigs,
                    min_docs=settings.boilerplate_min_docs,
                    common=common_words(held),
                )
            )
        yield pa.RecordBatch.from_arrays([batch.column("key"), pa.array(keep)], names=["key", "learned"])


def _learn(spark: SparkSession, settings: Settings, fp: DataFrame) -> tuple[dict[int, int], dict[int, int]]:
    """The learned boilerplate (key -> articles, in the local order) and the first article of each."""
    sql = _spark()
    F, W = sql.functions, sql.Window
    lines = fp.select(
        "doc", F.posexplode(F.arrays_zip("line_keys", "line_edges", "line_words")).alias("pos", "line")
    ).select(
        "doc", "pos", F.col("line.line_keys").alias("key"), F.col("line.line_edges").alias("edge"),
        F.col("line.line_words").alias("words"),
    )  # fmt: skip
    # each (line, article) once, at its first position in the article
    first = lines.groupBy("key", "doc").agg(F.min(F.struct("pos", "edge", "words")).alias("f"))
    first = first.select("key", "doc", F.col("f.pos").alias("pos"), F.col("f.edge").alias("edge"),
                         F.col("f.words").alias("words")).persist()  # fmt: skip
    per_key = first.groupBy("key").agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(F.col("edge").cast("long")).alias("e"),
        F.min(F.struct("doc", "pos", "words")).alias("first"),
    )
    chosen = per_key.where((F.col("n") >= settings.boilerplate_min_docs) & (F.col("e") * 2 >= F.col("n")))
    rank = F.row_number().over(W.partitionBy("key").orderBy("doc"))
    recurring = first.join(chosen.select("key"), "key", "left_semi")
    holder_rows = (
        recurring.select("key", "doc", rank.alias("rank"))
        .where(F.col("rank") <= BOILERPLATE_SAMPLE)
        .persist()
    )
    # each sampled holder's recurring lines (what two holders share of them is not evidence of a relation)
    held = (
        recurring.join(holder_rows.select("doc").distinct(), "doc", "left_semi")
        .groupBy("doc")
        .agg(F.collect_list(F.struct("key", "words")).alias("recurring"))
    )
    sampled = (
        holder_rows.join(fp.select("doc", "signature"), "doc")
        .join(held, "doc")
        .groupBy("key")
        .agg(F.collect_list(F.struct("doc", "signature", "recurring")).alias("holders"))
    )
    rows = chosen.select("key", "n", "e", F.col("first.words").alias("words"), "first").join(sampled, "key")
    confirmed = rows.select("key", "n", "e", "words", "holders").mapInArrow(
        functools.partial(_confirm_batches, settings=settings), "key long, learned boolean"
    )
    learned_rows = (
        rows.join(confirmed.where("learned"), "key")
        .select("key", "n", F.col("first.doc").alias("doc"), F.col("first.pos").alias("pos"))
        .orderBy("doc", "pos")
        .collect()
    )
    first.unpersist()
    holder_rows.unpersist()
    key = np.array([r["key"] for r in learned_rows], dtype=np.int64).view(np.uint64).tolist()
    learned = {k: int(r["n"]) for k, r in zip(key, learned_rows, strict=True)}
    holder = {k: int(r["doc"]) for k, r in zip(key, learned_rows, strict=True)}
    return learned, holder


# -- candidates ------------------------------------------------------------------------------------------


def _bucket_pair_batches(batches: Iterable[pa.RecordBatch], max_bucket: int) -> Iterator[pa.RecordBatch]:
    """One partition's (bucket, doc) entries, whole buckets, to pairs with the buckets they share."""
    import pyarrow as pa

    parts = list(batches)
    names = ["x", "y", "hits"]
    if not parts:
        return
    buckets = np.concatenate([np.asarray(b.column("bucket"), dtype=np.int64) for b in parts])
    docs = np.concatenate([np.asarray(b.column("doc"), dtype=np.int64) for b in parts])
    del parts
    # numbered densely in the partition (order kept), so that an entry packs into 64 bits as locally
    doc_ids, doc_index = np.unique(docs, return_inverse=True)
    if len(doc_ids) > MAX_DOCUMENTS:
        raise ValueError(
            f"{len(doc_ids):,} articles in one shuffle partition of band keys (at most {MAX_DOCUMENTS:,}): "
            "raise spark.sql.shuffle.partitions"
        )
    _, bucket_index = np.unique(buckets, return_inverse=True)
    packed = (bucket_index.astype(np.uint64) << np.uint64(DOC_BITS)) | doc_index.astype(np.uint64)
    codes, _skipped = bucket_pairs(packed, max_bucket)
    pair = (codes >> np.uint64(16)).astype(np.int64)
    x = doc_ids[pair >> DOC_BITS]
    y = doc_ids[pair & (MAX_DOCUMENTS - 1)]
    hits = (codes & np.uint64(0xFFFF)).astype(np.int64)
    yield pa.RecordBatch.from_arrays([pa.array(x), pa.array(y), pa.array(hits)], names=names)


def _bucket_pairs(
    fp: DataFrame, column: str, max_bucket: int, partitions: int
) -> tuple[DataFrame, DataFrame]:
    """Pairs sharing buckets of ``column`` (x, y, hits), and the oversized buckets (bucket, n)."""
    sql = _spark()
    F = sql.functions
    entries = fp.select(F.explode(column).alias("bucket"), "doc").repartition(partitions, "bucket")
    sizes = entries.groupBy("bucket").agg(F.count(F.lit(1)).alias("n"))
    # the size cut before any task holds a bucket: a stock phrase in a million articles never gathers
    kept = entries.join(sizes.where(F.col("n") <= max_bucket).select("bucket"), "bucket", "left_semi")
    pairs = kept.mapInArrow(
        functools.partial(_bucket_pair_batches, max_bucket=max_bucket), "x long, y long, hits long"
    )
    return pairs, sizes.where(F.col("n") > max_bucket)


# -- screen and verify -----------------------------------------------------------------------------------


def _screen_batches(batches: Iterable[pa.RecordBatch], settings: Settings) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    for batch in batches:
        cols = {name: batch.column(name) for name in batch.schema.names}
        xs = np.asarray(cols["x"], dtype=np.int64).tolist()
        ys = np.asarray(cols["y"], dtype=np.int64).tolist()
        views = {}
        for side, docs in (("x", xs), ("y", ys)):
            shingles, valid, tokens = cols[f"{side}_shingles"], cols[f"{side}_valid"], cols[f"{side}_tokens"]
            for i, d in enumerate(docs):
                if d not in views:
                    sh = np.frombuffer(shingles[i].as_py(), dtype="<u4").astype(np.uint32)
                    bits = np.frombuffer(valid[i].as_py(), dtype=np.uint8)
                    ok = np.unpackbits(bits, count=len(sh)).astype(np.bool_)
                    views[d] = shingle_view(sh, ok, tokens[i].as_py())
        keep = screen(settings, views, list(zip(xs, ys, strict=True)))
        mask = np.array(keep, dtype=np.bool_)
        yield pa.RecordBatch.from_arrays(
            [pa.array(np.asarray(xs, dtype=np.int64)[mask]), pa.array(np.asarray(ys, dtype=np.int64)[mask])],
            names=["x", "y"],
        )


def _pair_row(x: int, y: int, pair: Pair) -> dict[str, Any]:
    return {
        "x": x, "y": y, "a": pair.a, "b": pair.b, "relation": pair.relation, "jaccard": pair.jaccard,
        "jaccard_estimate": pair.jaccard_estimate, "coverage_a": pair.coverage_a,
        "coverage_b": pair.coverage_b, "contained": pair.contained,
        "passages": [dataclasses.asdict(p) for p in pair.passages],
    }  # fmt: skip


def _verify_batches(
    batches: Iterable[pa.RecordBatch], settings: Settings, boilerplate: Mapping[int, int]
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    schema = None
    for batch in batches:
        rows = batch.to_pylist()
        articles: dict[int, Article] = {}
        signatures: dict[int, npt.NDArray[np.uint32]] = {}
        for row in rows:
            for side in ("x", "y"):
                d = row[side]
                if d not in articles:
                    articles[d] = Article(row[f"{side}_id"], row[f"{side}_text"])
                    signatures[d] = np.frombuffer(row[f"{side}_signature"], dtype="<u4").astype(np.uint32)
        pairs = [(row["x"], row["y"]) for row in rows]
        out = [
            _pair_row(x, y, p)
            for (x, y), p in zip(
                pairs, verify(settings, articles, signatures, pairs, boilerplate), strict=True
            )
            if p is not None
        ]
        if schema is None:
            schema = _pair_arrow_schema()
        yield pa.RecordBatch.from_pylist(out, schema=schema)


def _pair_arrow_schema() -> pa.Schema:
    import pyarrow as pa

    passage = pa.struct(
        [("a_start", pa.int32()), ("a_end", pa.int32()), ("b_start", pa.int32()), ("b_end", pa.int32()),
         ("similarity", pa.float64()), ("matched_words", pa.int32()), ("evidence", pa.string()),
         ("a_text", pa.string()), ("b_text", pa.string())]
    )  # fmt: skip
    return pa.schema(
        [("x", pa.int64()), ("y", pa.int64()), ("a", pa.string()), ("b", pa.string()),
         ("relation", pa.string()), ("jaccard", pa.float64()), ("jaccard_estimate", pa.float64()),
         ("coverage_a", pa.float64()), ("coverage_b", pa.float64()), ("contained", pa.string()),
         ("passages", pa.list_(passage))]
    )  # fmt: skip


def _to_pair(row: Mapping[str, Any]) -> Pair:
    return Pair(
        a=row["a"],
        b=row["b"],
        relation=row["relation"],
        jaccard=row["jaccard"],
        jaccard_estimate=row["jaccard_estimate"],
        coverage_a=row["coverage_a"],
        coverage_b=row["coverage_b"],
        contained=row["contained"],
        passages=tuple(Passage(**(p if isinstance(p, dict) else p.asDict())) for p in row["passages"]),
    )


# -- clusters --------------------------------------------------------------------------------------------


def _large_star(edges: DataFrame) -> DataFrame:
    """Every node's larger neighbours linked to the smallest of its neighbourhood (itself included)."""
    F = _spark().functions
    both = edges.unionByName(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    low = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return (
        both.join(low, "u")
        .where(F.col("v") > F.col("u"))
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
        .distinct()
    )


def _small_star(edges: DataFrame) -> DataFrame:
    """Every node and its smaller neighbours linked to the smallest of them."""
    F = _spark().functions
    down = edges.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v")).where("u != v")
    low = down.groupBy("u").agg(F.min("v").alias("m"))
    others = down.join(low, "u").where(F.col("v") != F.col("m")).select(F.col("v").alias("u"), "m")
    return others.unionByName(low.select("u", "m")).select("u", F.col("m").alias("v")).distinct()


def _fresh(frame: DataFrame) -> DataFrame:
    """``frame`` with a plan of one node (its rows' lineage kept in the RDD, for recomputation).

    Each round of the stars refers to the previous one several times: without this, the plan of
    round k is a tree that grows like 12**k (the driver runs out of memory printing it).
    """
    return frame.sparkSession.createDataFrame(frame.rdd, frame.schema)


def connected_components(edges: DataFrame) -> DataFrame:
    """(node, component) of the graph of ``edges`` (columns u, v), a component named by its smallest node.

    Large-star and small-star alternate until every node links to its component's smallest node
    only ("Connected Components in MapReduce and Beyond", Kiveris et al., 2014): a number of rounds
    logarithmic in the components' size, each a few shuffles of the edges.
    """
    F = _spark().functions
    current = edges.select("u", "v").where("u != v").distinct().persist()
    current.count()
    while True:
        step = _fresh(_small_star(_large_star(current))).persist()
        step.count()
        current.unpersist()
        current = step
        # stars: each node links to one node, which links to none
        ends = current.select(F.col("u").alias("n"), F.lit(1).alias("out"), F.lit(0).alias("in")).unionByName(
            current.select(F.col("v").alias("n"), F.lit(0).alias("out"), F.lit(1).alias("in"))
        )
        degrees = ends.groupBy("n").agg(F.sum("out").alias("out"), F.sum("in").alias("in"))
        if not degrees.where((F.col("out") > 1) | ((F.col("out") > 0) & (F.col("in") > 0))).limit(1).count():
            break
    roots = current.select(F.col("v").alias("node"), F.col("v").alias("component")).distinct()
    return current.select(F.col("u").alias("node"), F.col("v").alias("component")).unionByName(roots)


def _guard_batches(batches: Iterable[pa.RecordBatch], settings: Settings) -> Iterator[pa.RecordBatch]:
    """The local path's chain guard in each component (whole components in each partition)."""
    import pyarrow as pa

    rows = [r for batch in batches for r in batch.to_pylist()]
    by_component: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_component.setdefault(row["component"], []).append(row)
    docs_out: list[int] = []
    clusters_out: list[int] = []
    for edges in by_component.values():
        nodes = sorted({r["x"] for r in edges} | {r["y"] for r in edges})
        words = {r["x"]: r["x_words"] for r in edges} | {r["y"]: r["y_words"] for r in edges}
        index = {d: i for i, d in enumerate(nodes)}
        # strongest first, in the report's order (Pair.sort_key)
        ordered = sorted(
            edges,
            key=lambda r: Pair(r["a"], r["b"], r["relation"], r["jaccard"], r["coverage_a"], r["coverage_b"],
                               ()).sort_key(),
        )  # fmt: skip
        found = star_clusters([words[d] for d in nodes], [(index[r["x"]], index[r["y"]]) for r in ordered])
        for members in found:
            for i in members:
                docs_out.append(nodes[i])
                clusters_out.append(nodes[members[0]])
    yield pa.RecordBatch.from_arrays(
        [pa.array(docs_out, type=pa.int64()), pa.array(clusters_out, type=pa.int64())],
        names=["doc", "cluster"],
    )


def _clusters(settings: Settings, pairs: DataFrame, words: DataFrame, partitions: int) -> DataFrame:
    """(doc, cluster): the articles of every cluster of two or more, a cluster named by its first article."""
    F = _spark().functions
    edges = pairs.where(F.greatest("coverage_a", "coverage_b") >= settings.cluster_coverage).select(
        "x", "y", "a", "b", "relation", "jaccard", "coverage_a", "coverage_b"
    )
    components = connected_components(edges.select(F.col("x").alias("u"), F.col("y").alias("v")))
    xw = words.select(F.col("doc").alias("x"), F.col("words").alias("x_words"))
    yw = words.select(F.col("doc").alias("y"), F.col("words").alias("y_words"))
    placed = (
        edges.join(components.select(F.col("node").alias("x"), "component"), "x")
        .join(xw, "x")
        .join(yw, "y")
        .repartition(partitions, "component")
    )
    return placed.mapInArrow(functools.partial(_guard_batches, settings=settings), "doc long, cluster long")


# -- the run ---------------------------------------------------------------------------------------------


@dataclass
class SparkRun:
    """The result of ``dedup report`` on Spark, as DataFrames (lazy; cached as the stages need).

    * ``pairs``: x, y (article numbers, x < y), a, b (ids, as in the report), relation, jaccard,
      jaccard_estimate, coverage_a, coverage_b, contained, passages (a list of structs);
    * ``articles``: doc (article number, input order), id, words (outside boilerplate);
    * ``clusters``: doc, cluster (the number of the cluster's first article).
    """

    settings: Settings
    spark: SparkSession
    articles: DataFrame
    pairs: DataFrame
    clusters: DataFrame
    boilerplate: dict[int, int]
    boilerplate_holders: dict[int, int]
    skipped_buckets: int
    texts: DataFrame
    #: doc, source, published, url: what the origin of a passage is told by, with the text's credits.
    metadata: DataFrame

    def passages(self) -> DataFrame:
        """One row per shared passage: a, b and the passage's fields (offsets into each text)."""
        F = _spark().functions
        return self.pairs.select("a", "b", F.posexplode("passages").alias("n", "p")).select(
            "a", "b", "n", "p.*"
        )

    def cluster_ids(self) -> DataFrame:
        """One row per clustered article: cluster (the id of its first article) and id."""
        F = _spark().functions
        ids = self.articles.select("doc", "id")
        named = ids.select(F.col("doc").alias("cluster"), F.col("id").alias("cluster_id"))
        return (
            self.clusters.join(ids, "doc")
            .join(named, "cluster")
            .select(F.col("cluster_id").alias("cluster"), "id", "doc")
        )

    def write(self, folder: str, fmt: str = "parquet") -> None:
        """Write the pairs (without passages), passages and clusters as datasets under ``folder``."""
        writer = {"parquet": "parquet", "jsonl": "json"}[fmt]
        root = folder.rstrip("/")
        getattr(self.pairs.drop("passages").write.mode("overwrite"), writer)(f"{root}/pairs")
        getattr(self.passages().write.mode("overwrite"), writer)(f"{root}/passages")
        getattr(self.cluster_ids().write.mode("overwrite"), writer)(f"{root}/clusters")

    def report(self, notices: Sequence[Notice] = (), bad_records: Sequence[BadRecord] = ()) -> Report:
        """The report, collected on the driver (for runs small enough to hold one)."""
        F = _spark().functions
        rows = self.articles.select("doc", "id", "words").orderBy("doc").collect()
        position = {r["doc"]: i for i, r in enumerate(rows)}
        ids = [r["id"] for r in rows]
        words = [int(r["words"]) for r in rows]
        pairs = [_to_pair(r.asDict(recursive=True)) for r in self.pairs.collect()]
        groups: dict[int, list[int]] = {}
        for r in self.clusters.collect():
            groups.setdefault(r["cluster"], []).append(position[r["doc"]])
        clusters = sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])
        holders = sorted(set(self.boilerplate_holders.values()))
        texts = (
            [r["text"] for r in self.texts.where(F.col("doc").isin(holders)).orderBy("doc").collect()]
            if holders
            else []
        )
        named = name_lines(texts, self.boilerplate)
        doc_of = {r["id"]: r["doc"] for r in rows}
        paired = sorted({doc_of[a] for p in pairs for a in (p.a, p.b)})
        provenance = {}
        if paired:
            found = self.texts.join(self.metadata, "doc").where(F.col("doc").isin(paired)).collect()
            for r in found:
                provenance[r["id"]] = article_provenance(
                    r["text"], source=r["source"], published=r["published"], url=r["url"]
                )
        return assemble_report(
            self.settings, ids, words, pairs, named, self.skipped_buckets, notices, bad_records,
            clusters=clusters, provenance=provenance,
        )  # fmt: skip


def run_spark(
    articles: DataFrame,
    settings: Settings | None = None,
    *,
    source: str = "the DataFrame",
    partitions: int | None = None,
    timings: dict[str, float] | None = None,
) -> SparkRun:
    """Run ``dedup report``'s stages on Spark over ``articles``.

    ``articles``: columns ``id``, ``text``, optional ``title``, ``source``, ``published``, ``url``
    (read with :func:`read_articles`, or any DataFrame: its order is the input order).
    Raises :class:`~dedup.errors.InputError` as the local runner does (a missing ``text`` column or
    value, text that is not a string, duplicate ids). With ``timings``, each stage is run to its end
    before the next starts, and its wall time recorded there (seconds, by stage name).
    """
    sql = _spark()
    F = sql.functions
    settings = settings if settings is not None else Settings()
    spark = articles.sparkSession
    if "doc" not in articles.columns or "origin" not in articles.columns:
        articles = _checked_columns(articles, "id", "text", source=source).withColumn(
            "doc", F.monotonically_increasing_id()
        )
    parts = partitions or int(spark.conf.get("spark.sql.shuffle.partitions") or 200)
    clock = [time.perf_counter()]

    def mark(stage: str, frame: DataFrame | None = None) -> DataFrame | None:
        if timings is None:
            return frame
        if frame is not None:
            frame = frame.persist()
            frame.count()
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock[0]
        clock[0] = now
        return frame

    articles = articles.persist()
    _check_articles(articles, source)
    mark("read and check")
    texts = articles.select("doc", "id", "text")
    fp1 = texts.mapInArrow(
        functools.partial(_fingerprint_batches, settings=settings, boilerplate=None), FINGERPRINT_SCHEMA
    ).persist()
    mark("fingerprint", fp1)
    learned, holders = _learn(spark, settings, fp1)
    fp = fp1
    if learned:
        keys = [int(k) for k in np.array(list(learned), dtype=np.uint64).view(np.int64)]
        held = (
            fp1.where(F.arrays_overlap("line_keys", F.array(*[F.lit(k) for k in keys])))
            .select("doc")
            .persist()
        )
        # Sent whole to every task, the affected ids filter the texts and the cached fingerprints where
        # they lie: neither is shuffled (a shuffle join would move every article's text and fingerprint
        # to swap in the few that hold a learned line).
        affected = F.broadcast(held) if held.count() <= BROADCAST_IDS else held
        again = texts.join(affected, "doc", "left_semi").mapInArrow(
            functools.partial(_fingerprint_batches, settings=settings, boilerplate=learned),
            FINGERPRINT_SCHEMA,
        )
        fp = fp1.join(affected, "doc", "left_anti").unionByName(again).persist()
        fp.count()
        held.unpersist()
    else:
        fp.count()
    mark("boilerplate")
    s = settings
    by_document, oversized = _bucket_pairs(fp, "document_buckets", s.max_bucket, parts)
    by_window, _stock_phrases = _bucket_pairs(fp, "window_buckets", s.max_window_bucket, parts)
    skipped = oversized.count()
    window_pairs = (
        by_window.groupBy("x", "y").agg(F.sum("hits").alias("hits")).where(F.col("hits") >= s.min_window_hits)
    )
    candidates = by_document.select("x", "y").unionByName(window_pairs.select("x", "y")).distinct()
    candidates = mark("candidates", candidates) or candidates
    views = fp.select("doc", "shingles", "valid", "tokens")

    def side(frame: DataFrame, name: str, columns: Sequence[str]) -> DataFrame:
        return frame.select(F.col("doc").alias(name), *[F.col(c).alias(f"{name}_{c}") for c in columns])

    cols = ["shingles", "valid", "tokens"]
    screened = (
        candidates.join(side(views, "x", cols), "x")
        .join(side(views, "y", cols), "y")
        .mapInArrow(functools.partial(_screen_batches, settings=settings), "x long, y long")
    )
    screened = mark("screen", screened) or screened
    full = texts.join(fp.select("doc", "signature"), "doc")
    vcols = ["id", "text", "signature"]
    pairs = (
        screened.join(side(full, "x", vcols), "x")
        .join(side(full, "y", vcols), "y")
        .mapInArrow(functools.partial(_verify_batches, settings=settings, boilerplate=learned), PAIR_SCHEMA)
        .persist()
    )
    mark("verify", pairs)
    words = fp.select("doc", "words")
    clusters = _clusters(settings, pairs, words, parts).persist()
    mark("clusters", clusters)
    fp1_unused = fp1 is not fp
    if fp1_unused:
        fp1.unpersist()
    return SparkRun(
        settings=settings,
        spark=spark,
        articles=articles.select("doc", "id").join(words, "doc"),
        pairs=pairs,
        clusters=clusters,
        boilerplate=learned,
        boilerplate_holders=holders,
        skipped_buckets=skipped,
        texts=texts,
        metadata=articles.select("doc", "source", "published", "url"),
    )
