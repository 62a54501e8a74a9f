"""``dedup serve``: the real server process, spoken to over HTTP (SQLite and Redis indexes)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dedup import Article, Index
from tests.newsgen import stories
from tests.redis_server import free_port
from tests.test_filter_cli import DEDUP
from tests.test_index import tass_reprint
from tests.test_store_redis import assert_seed_decisions

TOKEN = "test-token-0123456789abcdef"


class Service:
    """A running ``dedup serve`` process."""

    def __init__(
        self, index: str, tmp_path: Path, *args: str, token: str | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.port = free_port()
        self.token = token
        self.host = host
        command = [
            *DEDUP,
            "serve",
            "--index",
            index,
            "--host",
            host,
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *args,
        ]
        if token is not None:
            token_file = tmp_path / "token"
            token_file.write_text(token + "\n", encoding="utf-8")
            command += ["--token-file", str(token_file)]
        self.log = tmp_path / f"serve-{self.port}.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.request("GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("dedup serve did not start: " + self.log.read_text(errors="replace"))
            time.sleep(0.1)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            sent = {"Content-Type": "application/json"} if method in ("POST", "PUT") else {}
            if token or self.token:
                sent["Authorization"] = f"Bearer {token or self.token}"
            sent.update(headers or {})
            data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            payload = response.read()
            kind = response.getheader("content-type", "")
            return response.status, json.loads(payload) if "json" in kind else payload.decode()
        finally:
            conn.close()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the server; its exit status (uvicorn re-raises the signal once it has shut down)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=120)


STOPPED = (0, -signal.SIGTERM, -signal.SIGINT, 130)


@pytest.fixture
def redis_service(tmp_path: Path, redis_url: str) -> Iterator[tuple[Service, str]]:
    Index.create(redis_url).close()
    service = Service(redis_url, tmp_path, token=TOKEN)
    yield service, redis_url
    service.stop()


def article(a: Article, **extra: Any) -> dict[str, Any]:
    return {"id": a.id, "text": a.text, **extra}


# -- the seed scenario --------------------------------------------------------------------------------


def test_seed_scenario_through_http(redis_service: tuple[Service, str], seed_articles: list[Article]) -> None:
    service, url = redis_service
    decisions = []
    for a in seed_articles:
        status, decision = service.request("POST", "/articles", article(a))
        assert status == 200, decision
        decisions.append(decision)
    assert all(d["stored"] for d in decisions)
    assert_seed_decisions(decisions, seed_articles)
    texts = {a.id: a.text for a in seed_articles}

    reprint = {"id": "wire-pakistan", "text": tass_reprint(texts["pakistan-tass"])}
    status, checked = service.request("POST", "/check", reprint)
    assert status == 200
    status, decision = service.request("POST", "/articles", reprint)
    assert status == 200
    assert checked == decision
    assert decision["action"] == "reject"
    assert decision["relation"] == "near-duplicate"
    assert decision["matches"][0]["id"] == "pakistan-tass"
    assert not decision["stored"]
    status, stored = service.request("GET", "/articles/pakistan-tass")
    assert status == 200
    assert stored["text"] == texts["pakistan-tass"]
    status, stats = service.request("GET", "/stats")
    assert status == 200
    assert stats["articles"] == 8
    assert stats["location"] == url
    with Index.open(url) as index:
        assert index.ids() == [a.id for a in seed_articles]


# -- the other endpoints, on the default SQLite store -------------------------------------------------


def test_batches_get_and_delete_on_sqlite(tmp_path: Path, seed_articles: list[Article]) -> None:
    db = tmp_path / "news.db"
    service = Service(str(db), tmp_path, "--create")
    try:
        first, second = seed_articles[0], seed_articles[1]
        copy = {"id": "copy", "text": first.text}
        status, decisions = service.request("POST", "/check/batch", [article(first), copy])
        assert status == 200
        assert [d["action"] for d in decisions] == ["keep", "keep"]  # checks add nothing
        status, decisions = service.request(
            "POST", "/articles/batch", [article(first), copy, article(second)]
        )
        assert status == 200
        assert [(d["id"], d["action"], d["relation"]) for d in decisions] == [
            (first.id, "keep", None), ("copy", "reject", "near-duplicate"), (second.id, "keep", None)
        ]  # fmt: skip
        status, stored = service.request("GET", f"/articles/{first.id}")
        assert (status, stored["id"], stored["text"]) == (200, first.id, first.text)
        assert service.request("DELETE", f"/articles/{first.id}") == (200, {"id": first.id, "removed": True})
        status, error = service.request("DELETE", f"/articles/{first.id}")
        assert status == 404
        assert error["error"] == f"no article {first.id!r} in the index"
        assert service.request("GET", f"/articles/{first.id}")[0] == 404
        status, decision = service.request("POST", "/articles?window=3d", {"id": 7, "text": first.text})
        assert (status, decision["id"], decision["action"]) == (200, "7", "keep")
        status, error = service.request("POST", "/check?window=soon", copy)
        assert status == 422
        assert "window" in error["error"]
        # ids may hold slashes (relative paths)
        status, _ = service.request("POST", "/articles", {"id": "2024/11/a.txt", "text": "x " * 50})
        assert service.request("GET", "/articles/2024/11/a.txt")[1]["id"] == "2024/11/a.txt"
        status, docs = service.request("GET", "/openapi.json")
        assert status == 200
        assert {"/check", "/articles", "/articles/batch", "/check/batch", "/stats", "/health"} <= set(
            docs["paths"]
        )
        status, page = service.request("GET", "/docs")
        assert status == 200
        assert "swagger" in page.lower()
    finally:
        assert service.stop() in STOPPED
    with Index.open(db) as index:
        assert sorted(index.ids()) == sorted([second.id, "7", "2024/11/a.txt"])
    assert f"on http://127.0.0.1:{service.port} " in service.log.read_text()  # loopback unless told otherwise


# -- bad requests -------------------------------------------------------------------------------------


def test_bad_requests_get_the_right_status_and_change_nothing(
    redis_service: tuple[Service, str], seed_articles: list[Article]
) -> None:
    service, url = redis_service
    good = article(seed_articles[0])
    assert service.request("POST", "/articles", good)[0] == 200

    def state() -> tuple[Any, ...]:
        with Index.open(url) as index:
            stats = index.stats()
            return tuple(index.ids()), stats.keys, stats.lines

    before = state()
    fresh = article(seed_articles[1])
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("malformed JSON", {"raw": b'{"id": "x", "text": "unterminated'}, 400, "malformed JSON"),
        ("not JSON at all", {"raw": b"id=x&text=y", "headers": {"Content-Type": "text/plain"}}, 415,
         "Content-Type: application/json"),
        ("missing text", {"body": {"id": "x"}}, 422, "field 'text'"),
        ("text not a string", {"body": {"id": "x", "text": 42}}, 422, "field 'text'"),
        ("empty id", {"body": {"id": " ", "text": "words " * 20}}, 422, "field 'id': is empty"),
        ("a list instead of an object", {"body": [fresh]}, 422, "body"),
        ("bad date", {"body": {**fresh, "published": "next tuesday"}}, 422, "field 'published'"),
        ("50 MB body", {"raw": b'{"id": "big", "text": "' + b"a" * (50 * 1024 * 1024) + b'"}'}, 413,
         "max_request_bytes"),
        ("article too long", {"body": {"id": "long", "text": "word " * 300_000}}, 413, "max_article_chars"),
        ("wrong token", {"body": fresh, "token": "not-the-token-at-all"}, 401, "bearer token"),
    ]  # fmt: skip
    for name, kwargs, status, message in cases:
        got, error = service.request("POST", "/articles", **kwargs)
        assert got == status, (name, error)
        assert error["status"] == status
        assert message in error["error"], (name, error)
        assert state() == before, name
    # a batch with one bad article is refused whole
    dated = {**fresh, "id": "z", "published": "x"}
    for batch, status in (([fresh, {"id": "y"}], 422), ([fresh] * 1001, 413), ([fresh, dated], 422)):
        got, error = service.request("POST", "/articles/batch", batch)
        assert got == status, error
        assert state() == before
    # no token at all, and the wrong scheme
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=60)
    conn.request("GET", "/stats")
    response = conn.getresponse()
    assert response.status == 401
    assert response.getheader("www-authenticate", "").startswith("Bearer")
    response.read()
    conn.close()
    assert service.request("GET", "/stats", headers={"Authorization": f"Basic {TOKEN}"})[0] == 401
    assert service.request("GET", "/no/such/path")[0] == 404
    # health needs no token
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=60)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200
    conn.close()
    assert state() == before
    # and the service still works
    status, decision = service.request("POST", "/articles", fresh)
    assert (status, decision["action"]) == (200, "keep")


def test_serve_help() -> None:
    out = subprocess.run([*DEDUP, "serve", "--help"], capture_output=True, timeout=120, check=False)
    assert out.returncode == 0
    help_text = out.stdout.decode()
    for option in ("--index", "--host", "--port", "--workers", "--token-file", "--max-request-bytes"):
        assert option in help_text
    assert "127.0.0.1" in help_text


def test_bad_index_is_an_error_before_serving(tmp_path: Path, redis_url: str) -> None:
    out = subprocess.run([*DEDUP, "serve", "--index", redis_url, "--port", str(free_port())],
                         capture_output=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 2
    assert "no such index" in out.stderr.decode()
    short = tmp_path / "token"
    short.write_text("abc", encoding="utf-8")
    out = subprocess.run([*DEDUP, "serve", "--index", str(tmp_path / "x.db"), "--create", "--token-file",
                          str(short)], capture_output=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 2
    assert "at least 16 characters" in out.stderr.decode()


# -- shutdown and several workers ---------------------------------------------------------------------


def test_graceful_shutdown_loses_no_accepted_article(tmp_path: Path, redis_url: str) -> None:
    Index.create(redis_url).close()
    service = Service(redis_url, tmp_path, "--workers", "2")
    feed = stories(400, seed=31, prefix="sd")
    answered: dict[str, int] = {}
    lock = threading.Lock()
    counter = iter(range(len(feed)))

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=120)
        try:
            feed_until_refused(conn)
        finally:
            conn.close()

    def feed_until_refused(conn: http.client.HTTPConnection) -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            a = feed[n]
            try:
                conn.request("POST", "/articles", body=json.dumps(article(a)),
                             headers={"Content-Type": "application/json"})  # fmt: skip
                response = conn.getresponse()
                body = json.loads(response.read())
            except (OSError, http.client.HTTPException, ValueError):
                return  # the server has stopped accepting
            with lock:
                answered[a.id] = response.status
                assert body["stored"] is (body["action"] == "keep")

    threads = [threading.Thread(target=client) for _ in range(6)]
    for t in threads:
        t.start()
    while len(answered) < 40:
        time.sleep(0.02)
    assert service.stop(signal.SIGTERM) in STOPPED
    for t in threads:
        t.join(timeout=120)
    assert set(answered.values()) == {200}
    assert 40 <= len(answered) < len(feed)
    with Index.open(redis_url) as index:
        stored = set(index.ids())
        assert index.integrity_check() == []
    # every article the service answered for is stored, and nothing else
    assert stored == set(answered)
    log = service.log.read_text()
    assert "Traceback" not in log


def test_env_token(tmp_path: Path, redis_url: str) -> None:
    Index.create(redis_url).close()
    os.environ["DEDUP_TOKEN"] = TOKEN
    try:
        service = Service(redis_url, tmp_path)
    finally:
        del os.environ["DEDUP_TOKEN"]
    try:
        assert service.request("GET", "/stats")[0] == 401
        assert service.request("GET", "/stats", token=TOKEN)[0] == 200
        assert service.request("GET", "/openapi.json")[0] == 401  # the docs too
        status, docs = service.request("GET", "/openapi.json", token=TOKEN)
        assert status == 200
        assert docs["info"]["title"] == "dedup"
        assert docs["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    finally:
        assert service.stop(signal.SIGINT) in STOPPED
