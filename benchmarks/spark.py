"""``dedup report --engine spark`` beside the local runner, on one corpus in one run.

    python -m benchmarks.spark --n 100000                 # generated corpus, local[2]
    python -m benchmarks.spark --corpus ../shared/eval/pan13-no-obfuscation/corpus.jsonl
    python -m benchmarks.spark --n 100000 --write-docs    # the figures into docs/spark.md

Both runners run as child processes on the same JSONL file; the peak resident memory of each
process tree (the Spark one: driver, JVM and Python workers) is sampled from /proc. The Spark run
times each stage (each run to its end before the next starts) and reads the bytes each stage
shuffled and the executors' CPU time from Spark's status API (its web UI on a loopback port). The
two JSON reports are compared byte for byte. A generated corpus is written by a child process of
its own (at 1,000,000 articles the generator holds about 10 GB), so that its memory is back before
the runners start; the load average (1 minute) is noted before and after each runner.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.throughput import machine, measured, run_dedup  # noqa: E402
from tests.newsgen import generate_corpus  # noqa: E402

DOCS = ROOT / "docs" / "spark.md"
BEGIN, END = "<!-- benchmarks/spark.py: begin -->", "<!-- benchmarks/spark.py: end -->"


class _StageLog(dict[str, float]):
    """Stage timings that also note Spark's shuffle bytes and CPU ns (cumulative) when each stage ends."""

    def __init__(self, ui: str, app: str) -> None:
        super().__init__()
        self.url = f"{ui}/api/v1/applications/{app}/stages"
        self.shuffled: dict[str, tuple[int, int, int]] = {}

    def totals(self) -> tuple[int, int, int]:
        with urllib.request.urlopen(self.url, timeout=60) as answer:
            stages = json.load(answer)
        write = sum(int(s.get("shuffleWriteBytes", 0)) for s in stages)
        read = sum(int(s.get("shuffleReadBytes", 0)) for s in stages)
        cpu = sum(int(s.get("executorCpuTime", 0)) for s in stages)
        return write, read, cpu

    def __setitem__(self, stage: str, seconds: float) -> None:
        super().__setitem__(stage, seconds)
        self.shuffled[stage] = self.totals()


def spark_child(corpus: Path, master: str, out: Path, figures: Path, partitions: int, memory: str) -> None:
    """The Spark run (in a child process, so that its whole tree is measured)."""
    from dedup.batch.spark import read_articles, run_spark, spark_session
    from dedup.io.render import render_json

    spark = spark_session(
        master,
        {
            "spark.ui.enabled": "true",
            "spark.ui.port": "0",
            "spark.sql.shuffle.partitions": str(partitions),
            "spark.driver.memory": memory,
            # the report is collected on the driver: about 1.4 GB of pairs at 1,000,000 articles
            "spark.driver.maxResultSize": "0",
        },
    )
    sc = spark.sparkContext
    log = _StageLog(str(sc.uiWebUrl), str(sc.applicationId))
    start = time.perf_counter()
    run = run_spark(read_articles(spark, [str(corpus)]), timings=log)
    report = run.report()
    log["report on the driver"] = (
        time.perf_counter() - start - sum(v for k, v in log.items() if k != "report on the driver")
    )
    out.write_text(render_json(report), encoding="utf-8")
    figures.write_text(json.dumps({"seconds": dict(log), "shuffled": log.shuffled}), encoding="utf-8")
    spark.stop()


def run_spark_child(corpus: Path, master: str, out: Path, partitions: int, memory: str) -> dict[str, Any]:
    figures = out.with_suffix(".figures.json")
    cmd = [sys.executable, "-m", "benchmarks.spark", "--child", str(corpus), "--master", master,
           "--out", str(out), "--partitions", str(partitions), "--driver-memory", memory]  # fmt: skip
    elapsed, peak = measured(cmd, "the Spark run")
    result: dict[str, Any] = json.loads(figures.read_text(encoding="utf-8"))
    result.update(seconds_total=elapsed, peak_rss_bytes=peak)
    return result


def write_corpus(n: int, path: Path) -> None:
    """The generated corpus of ``n`` articles (seed 1) as JSONL."""
    articles, _gold = generate_corpus(n, seed=1)
    with path.open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps({"id": a.id, "title": a.title, "text": a.text}, ensure_ascii=False) + "\n")


def loads() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def table(name: str, n: int, mb: float, local: dict[str, Any], spark: dict[str, Any], same: bool) -> str:
    gib = 1024**3
    lines = [
        f"**{name}** ({n:,} articles, {mb:,.0f} MB of JSONL), {machine()}:",
        "",
        "| runner | seconds | articles/s | peak RSS (process tree) | load average, start -> end |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| local (`dedup report`, all CPUs) | {local['seconds']:,.1f} | {n / local['seconds']:,.0f} | "
        f"{local['peak_rss_bytes'] / gib:.2f} GiB | {local['load']} |",
        f"| Spark `{spark['master']}` (`--engine spark`, {spark['partitions']} shuffle partitions, "
        f"{spark['memory']} driver) | {spark['seconds_total']:,.1f} | "
        f"{n / spark['seconds_total']:,.0f} | {spark['peak_rss_bytes'] / gib:.2f} GiB | {spark['load']} |",
        "",
        f"Reports byte-identical: **{'yes' if same else 'NO'}** "
        f"({spark['report_bytes'] / 1e6:,.1f} MB of JSON).",
        "",
        "| Spark stage | seconds | executors' CPU seconds | shuffle written | shuffle read |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    before = (0, 0, 0)
    for stage, seconds in spark["seconds"].items():
        write, read, cpu = spark["shuffled"].get(stage, before)
        wrote, took = (write - before[0]) / 2**20, (read - before[1]) / 2**20
        used = (cpu - before[2]) / 1e9
        lines.append(f"| {stage} | {seconds:,.1f} | {used:,.1f} | {wrote:,.1f} MiB | {took:,.1f} MiB |")
        before = (write, read, cpu)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20_000, help="articles to generate (default 20,000)")
    parser.add_argument("--corpus", type=Path, default=None, help="a JSONL corpus instead of a generated one")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=16, help="spark.sql.shuffle.partitions")
    parser.add_argument(
        "--driver-memory", default="6g",
        help="spark.driver.memory (in local mode the executors' memory too; default 6g)",
    )  # fmt: skip
    parser.add_argument("--skip-local", action="store_true", help="time the Spark runner only")
    parser.add_argument("--write-docs", action="store_true", help=f"put the table into {DOCS.name}")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        spark_child(
            args.child,
            args.master,
            args.out,
            args.out.with_suffix(".figures.json"),
            args.partitions,
            args.driver_memory,
        )
        return
    if args.generate is not None:
        write_corpus(args.n, args.generate)
        return
    with tempfile.TemporaryDirectory(prefix="dedup-spark-bench-") as folder:
        if args.corpus is None:
            corpus = Path(folder) / "corpus.jsonl"
            writer = [sys.executable, "-m", "benchmarks.spark", "--n", str(args.n), "--generate", str(corpus)]
            subprocess.run(writer, cwd=ROOT, check=True)
            name = "Generated news"
        else:
            corpus = args.corpus
            name = corpus.parent.name or corpus.name
        n = sum(1 for line in corpus.open("rb") if line.strip())
        mb = corpus.stat().st_size / 1e6
        before = loads()
        spark = run_spark_child(
            corpus, args.master, Path(folder) / "spark.json", args.partitions, args.driver_memory
        )
        spark.update(
            master=args.master,
            partitions=args.partitions,
            memory=args.driver_memory,
            load=f"{before} -> {loads()}",
        )
        spark["report_bytes"] = (Path(folder) / "spark.json").stat().st_size
        if args.skip_local:
            local = {"seconds": float("nan"), "peak_rss_bytes": 0, "load": ""}
            same = False
        else:
            before = loads()
            local = run_dedup(corpus, Path(folder) / "local.json", None)
            local["load"] = f"{before} -> {loads()}"
            same = (Path(folder) / "local.json").read_bytes() == (Path(folder) / "spark.json").read_bytes()
    text = table(name, n, mb, local, spark, same)
    print(text)
    if args.write_docs:
        doc = DOCS.read_text(encoding="utf-8")
        block = re.compile(re.escape(BEGIN) + r"(.*?)" + re.escape(END), re.S)
        found = block.search(doc)
        assert found is not None, f"{DOCS} has no {BEGIN} ... {END} block"
        kept = [
            part
            for part in re.split(r"\n(?=\*\*)", found.group(1).strip())
            if part and not part.startswith(f"**{name}** ({n:,} articles")
        ]
        body = "\n\n".join([*kept, text.strip()])
        DOCS.write_text(
            doc[: found.start()] + f"{BEGIN}\n{body}\n{END}" + doc[found.end() :], encoding="utf-8"
        )


if __name__ == "__main__":
    main()
