"""``dedup report`` on a standalone Spark cluster of separate JVMs: the same report, even losing a worker.

The fixture starts a master and two one-core workers on loopback ports (tests/spark_cluster.py); the
driver is this test process. The last test kills a worker JVM and its executor in the middle of a
run: Spark retries the lost tasks on the other worker and the report is unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dedup.io.render import render_json
from tests.spark_cluster import TEST_CONF, StandaloneCluster
from tests.test_spark import generated, local_report, write_jsonl

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="module")
def cluster_spark(spark_cluster: StandaloneCluster) -> Iterator[SparkSession]:
    from dedup.batch.spark import spark_session

    conf = dict(TEST_CONF)
    conf["spark.task.maxFailures"] = "8"
    session = spark_session(spark_cluster.url, conf)
    yield session
    session.stop()


def test_a_report_on_two_worker_jvms_equals_the_local_report(
    cluster_spark: SparkSession, spark_cluster: StandaloneCluster, tmp_path: Path
) -> None:
    from dedup.batch.spark import read_articles, run_spark

    path = write_jsonl(tmp_path / "c.jsonl", generated(200))
    sc = cluster_spark.sparkContext
    report = run_spark(read_articles(cluster_spark, [str(path)])).report()
    assert render_json(report) == render_json(local_report(path))
    # the two workers' executors ran it: two block managers besides the driver's
    assert sc._jsc.sc().getExecutorMemoryStatus().size() == 3


def test_a_worker_killed_mid_run_still_gives_the_same_report(
    cluster_spark: SparkSession, spark_cluster: StandaloneCluster, tmp_path: Path
) -> None:
    from dedup.batch.spark import read_articles, run_spark

    path = write_jsonl(tmp_path / "c.jsonl", generated(200))
    expected = render_json(local_report(path))
    sc = cluster_spark.sparkContext
    tracker = sc.statusTracker()
    sc.setJobGroup("dedup-kill", "a run that loses a worker")
    killed = threading.Event()
    stop = threading.Event()

    def kill_once_candidates_are_shuffled() -> None:
        # after the fingerprints are cached and shuffled on both workers, at a running stage
        while not stop.is_set():
            jobs = tracker.getJobIdsForGroup("dedup-kill")
            if len(jobs) >= 6 and tracker.getActiveStageIds():
                spark_cluster.kill_worker(0)
                killed.set()
                return
            stop.wait(0.05)

    watcher = threading.Thread(target=kill_once_candidates_are_shuffled, daemon=True)
    watcher.start()
    try:
        report = run_spark(read_articles(cluster_spark, [str(path)])).report()
    finally:
        stop.set()
        watcher.join()
    assert killed.is_set(), "the run ended before the worker could be killed"
    assert spark_cluster.workers[0].poll() is not None
    assert render_json(report) == expected
