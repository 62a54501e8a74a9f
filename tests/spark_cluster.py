"""A real Apache Spark for the tests: local mode, and a standalone cluster of separate JVMs.

The standalone cluster is a master and workers, each its own ``java`` process started from the jars
that the ``pyspark`` package ships, on loopback ports only; the tests start it and stop it. Each
worker offers one core, so a job on two workers runs on two executor JVMs at once.

Without ``pyspark`` or ``java`` the Spark tests are skipped with the reason; with
``DEDUP_REQUIRE_SPARK=1`` (set by CI) they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.redis_server import free_port

#: Memory of each worker (what its executors may use) and of each executor JVM.
WORKER_MEMORY = "1200m"
EXECUTOR_MEMORY = "800m"


def require_spark() -> None:
    """Skip (or, with ``DEDUP_REQUIRE_SPARK=1``, fail) when pyspark or java is missing."""
    problem = None
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        problem = f"{exc.name} is not installed (pip install -e '.[spark]')"
    if problem is None and java() is None:
        problem = "java is not installed (Spark needs Java 17 or later: openjdk-17-jre-headless)"
    if problem is not None:
        if os.environ.get("DEDUP_REQUIRE_SPARK") == "1":
            pytest.fail(f"{problem}; DEDUP_REQUIRE_SPARK=1 requires it")
        pytest.skip(problem)


def java() -> str | None:
    """The ``java`` program Spark would use (``JAVA_HOME`` first)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def spark_home() -> Path:
    """The Spark distribution inside the ``pyspark`` package (its ``jars`` folder)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def scala_version() -> str:
    """The Scala version Spark's jars were built for (from ``spark-core_2.13-*.jar``)."""
    for jar in (spark_home() / "jars").glob("spark-core_*.jar"):
        return jar.name.split("_")[1].split("-")[0]
    raise RuntimeError(f"no spark-core jar in {spark_home() / 'jars'}")


def _children(pid: int) -> list[int]:
    """Every descendant of process ``pid`` (from /proc)."""
    out: list[int] = []
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@dataclass
class StandaloneCluster:
    """A Spark standalone master and its workers, each a JVM of its own on 127.0.0.1."""

    folder: Path
    master: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["SPARK_HOME"] = str(spark_home())
        env["SPARK_LOCAL_IP"] = "127.0.0.1"  # bind every service of these JVMs to loopback
        # what bin/load-spark-env.sh would set: the worker's launcher of executors needs it
        env["SPARK_SCALA_VERSION"] = scala_version()
        return env

    def _java(self, main: str, args: list[str], log: Path, heap: str) -> subprocess.Popen[bytes]:
        binary = java()
        assert binary is not None
        classpath = str(spark_home() / "jars" / "*")
        with log.open("wb") as out:
            return subprocess.Popen(
                [binary, f"-Xmx{heap}", "-cp", classpath, main, *args],
                stdout=out, stderr=subprocess.STDOUT, env=self._env(), cwd=self.folder,
            )  # fmt: skip

    def _wait(self, proc: subprocess.Popen[bytes], log: Path, text: str, what: str) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if text in log.read_text(errors="replace"):
                return
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{what} did not start; its log ({log}):\n{tail}")

    def start(self, workers: int = 2) -> None:
        """Start the master, then ``workers`` workers of one core each; wait until all have registered."""
        self.port = free_port()
        log = self.folder / "master.log"
        self.master = self._java(
            "org.apache.spark.deploy.master.Master",
            ["--host", "127.0.0.1", "--port", str(self.port), "--webui-port", str(free_port())],
            log,
            "256m",
        )
        self._wait(self.master, log, "I have been elected leader", "the Spark master")
        for n in range(workers):
            work = self.folder / f"worker{n}"
            work.mkdir(exist_ok=True)
            wlog = self.folder / f"worker{n}.log"
            proc = self._java(
                "org.apache.spark.deploy.worker.Worker",
                [self.url, "--host", "127.0.0.1", "--port", str(free_port()),
                 "--webui-port", str(free_port()), "--cores", "1", "--memory", WORKER_MEMORY,
                 "--work-dir", str(work)],
                wlog,
                "256m",
            )  # fmt: skip
            self.workers.append(proc)
            self._wait(proc, wlog, "Successfully registered with master", f"Spark worker {n}")

    def kill_worker(self, n: int) -> None:
        """Kill worker ``n`` and the executor JVMs it started, at once (SIGKILL): a machine lost."""
        proc = self.workers[n]
        for pid in [proc.pid, *_children(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        """Stop the workers (and their executors), then the master."""
        for proc in self.workers:
            if proc.poll() is None:
                children = _children(proc.pid)
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                for pid in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        if self.master is not None and self.master.poll() is None:
            self.master.terminate()
            try:
                self.master.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.master.kill()
                self.master.wait()


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
    """A private standalone Spark cluster: a master and two one-core workers, separate JVMs."""
    require_spark()
    cluster = StandaloneCluster(tmp_path_factory.mktemp("spark-cluster"))
    try:
        cluster.start(workers=2)
        yield cluster
    finally:
        cluster.stop()


#: What a test's Spark session is given: loopback only, no web UI, few shuffle partitions.
TEST_CONF = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.executor.memory": EXECUTOR_MEMORY,
}
