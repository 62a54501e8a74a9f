"""A real ``redis-server`` for the tests: started once per session on a free loopback port.

Without the ``redis-server`` program the Redis tests are skipped with the reason; with
``DEDUP_REQUIRE_REDIS=1`` (set by CI) they fail instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_names = itertools.count()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``redis-server`` on a free loopback port, without persistence; wait until it answers."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (Debian: apt-get install redis-server)")
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(folder), "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return proc, port
            except OSError:
                time.sleep(0.05)
        proc.kill()
        proc.wait()
    raise RuntimeError("redis-server did not start")


class RedisProcess:
    """A ``redis-server`` of a test's own, on a fixed loopback port, that the test stops and restarts.

    With ``aof``, every write is in its append-only file before Redis answers (``appendfsync
    always``), so that a restart, even after SIGKILL, holds every write a client was told of.
    """

    def __init__(self, folder: Path, *, aof: bool = True) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("DEDUP_REQUIRE_REDIS") == "1":
                pytest.fail("redis-server is not installed; DEDUP_REQUIRE_REDIS=1 requires it")
            pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
        self.binary = binary
        self.folder = folder
        self.aof = aof
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def url(self, prefix: str = "news", **query: object) -> str:
        extra = "".join(f"&{k}={v}" for k, v in query.items())
        return f"redis://127.0.0.1:{self.port}/0?prefix={prefix}{extra}"

    def start(self) -> None:
        """Start it on its port (the same each time) and wait until it answers (its data loaded)."""
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        )
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence,
             "--dir", str(self.folder), "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self, *, kill: bool = False) -> None:
        """Stop it: SIGKILL (``kill``) or SIGTERM (a clean shutdown); wait until it is gone."""
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(timeout=60)
        self.proc = None

    def restart(self, *, kill: bool = False) -> None:
        self.stop(kill=kill)
        self.start()


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server with AOF (``appendfsync always``) on a port of its own, for one test to stop."""
    folder = tmp_path / "redis-data"
    folder.mkdir()
    server = RedisProcess(folder)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of a private redis-server."""
    try:
        proc, port = start_redis(tmp_path_factory.mktemp("redis"))
    except FileNotFoundError as exc:
        if os.environ.get("DEDUP_REQUIRE_REDIS") == "1":
            pytest.fail(f"{exc}; DEDUP_REQUIRE_REDIS=1 requires it")
        pytest.skip(str(exc))
    yield port
    proc.terminate()
    proc.wait(timeout=30)
    assert proc.stderr is not None
    proc.stderr.close()


@pytest.fixture
def redis_url(redis_server: int) -> str:
    """A URL of an index of its own (a fresh key prefix) on the private redis-server."""
    return f"redis://127.0.0.1:{redis_server}/0?prefix=test{next(_names)}"


def start_cluster(folder: Path, nodes: int = 3) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    """A Redis Cluster of ``nodes`` primaries on loopback ports (each also uses its port + 10000)."""
    binary, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if binary is None or cli is None:
        raise FileNotFoundError("redis-server is not installed (Debian: apt-get install redis-server)")
    procs: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    try:
        while len(ports) < nodes:
            port = free_port()
            if port > 55000 or port in ports:
                continue
            node = folder / str(port)
            node.mkdir()
            procs.append(subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(node), "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                 "--cluster-node-timeout", "5000", "--loglevel", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
            ports.append(port)
        for port in ports:
            _wait_for(cli, port, ["PING"], "PONG")
        addresses = [f"127.0.0.1:{p}" for p in ports]
        subprocess.run([cli, "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        for port in ports:
            _wait_for(cli, port, ["CLUSTER", "INFO"], "cluster_state:ok")
    except BaseException:
        for proc in procs:
            proc.kill()
            proc.wait()
        raise
    return procs, ports


def _wait_for(cli: str, port: int, command: list[str], answer: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = subprocess.run([cli, "-p", str(port), *command], capture_output=True, timeout=30, check=False)
        if answer in out.stdout.decode():
            return
        time.sleep(0.1)
    raise RuntimeError(f"redis node {port} did not answer {answer!r} to {' '.join(command)}")


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[int]]:
    """The ports of a private three-node Redis Cluster."""
    try:
        procs, ports = start_cluster(tmp_path_factory.mktemp("cluster"))
    except FileNotFoundError as exc:
        if os.environ.get("DEDUP_REQUIRE_REDIS") == "1":
            pytest.fail(f"{exc}; DEDUP_REQUIRE_REDIS=1 requires it")
        pytest.skip(str(exc))
    yield ports
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)
