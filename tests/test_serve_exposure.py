"""``dedup serve`` exposed: the token on every route, the token kept out of logs, CORS, the bind warning.

Real server processes on loopback addresses only (127.0.0.1, and 127.0.0.2, which is loopback
too); the warning for a non-loopback address is checked through the command's option handling,
which prints it before the index is opened, with an index that does not exist so that nothing is
ever bound.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dedup import Index
from dedup.cli.serve import exposure_warning
from tests.newsgen import stories
from tests.test_filter_cli import DEDUP
from tests.test_serve import STOPPED, TOKEN, Service

ROUTES = [
    ("POST", "/check"),
    ("POST", "/articles"),
    ("POST", "/check/batch"),
    ("POST", "/articles/batch"),
    ("GET", "/articles/a1"),
    ("DELETE", "/articles/a1"),
    ("GET", "/stats"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/redoc"),
    ("GET", "/no/such/path"),
    ("PUT", "/stats"),
]


def raw(
    service: Service, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request exactly as given (no token added); status, headers (lower-case names), body."""
    conn = http.client.HTTPConnection(service.host, service.port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Service]:
    service = Service(str(tmp_path / "g.db"), tmp_path, "--create", "--log-level", "debug", token=TOKEN)
    yield service
    service.stop()


def test_every_route_but_health_needs_the_token(guarded: Service) -> None:
    article = json.dumps({"id": "a1", "text": "words of an article " * 20}).encode()
    wrong = {
        "no header": {},
        "another token": {"Authorization": "Bearer another-token-0123456789"},
        "a prefix of the token": {"Authorization": f"Bearer {TOKEN[:-1]}"},
        "the token and more": {"Authorization": f"Bearer {TOKEN}x"},
        "the token in upper case": {"Authorization": f"Bearer {TOKEN.upper()}"},
        "another scheme": {"Authorization": f"Basic {TOKEN}"},
        "no scheme": {"Authorization": TOKEN},
        "an empty bearer": {"Authorization": "Bearer "},
    }
    bodies: list[tuple[str, bytes | None, str]] = [
        ("an article", article, "application/json"),
        ("malformed JSON", b'{"id": ', "application/json"),
        ("not JSON", b"id=a1", "text/plain"),
    ]
    big = [("an oversized body", b"[" + b"1," * 9_000_000 + b"1]", "application/json")]
    for method, path in ROUTES:
        for name, headers in wrong.items():
            sent_bodies = bodies + (big if name == "no header" else [])
            for body_name, body, kind in (
                sent_bodies if method in ("POST", "PUT") else [("no body", None, "")]
            ):
                sent = {**headers, **({"Content-Type": kind} if body is not None else {})}
                status, got, payload = raw(guarded, method, path, sent, body)
                where = (method, path, name, body_name)
                assert status == 401, (where, payload[:200])
                assert got["content-type"] == "application/json", where
                assert json.loads(payload) == {"error": "missing or wrong bearer token", "status": 401}, where
                assert got["www-authenticate"] == 'Bearer realm="dedup"', where
    # with the token, none of them is a 401
    for method, path in ROUTES:
        body = article if method in ("POST", "PUT") else None
        status, _, payload = raw(
            guarded,
            method,
            path,
            {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            body,
        )
        assert status != 401, (method, path, payload[:200])
    # and /health needs none
    status, _, payload = raw(guarded, "GET", "/health", {})
    assert status == 200, payload
    assert json.loads(payload)["status"] == "ok"


def test_a_refused_request_changes_nothing(guarded: Service, tmp_path: Path) -> None:
    feed = stories(3, seed=5, prefix="t")
    refused = {"Authorization": "Bearer nope-nope-nope-nope", "Content-Type": "application/json"}
    for a in feed:
        body = json.dumps({"id": a.id, "text": a.text}).encode()
        assert raw(guarded, "POST", "/articles", refused, body)[0] == 401
    status, _, _ = raw(guarded, "DELETE", "/articles/x", {})
    assert status == 401
    assert guarded.stop() in STOPPED
    with Index.open(tmp_path / "g.db") as index:
        assert len(index) == 0


def test_the_token_is_never_logged(tmp_path: Path) -> None:
    # every log uvicorn and dedup write, at the most verbose level, with the token in use
    service = Service(str(tmp_path / "l.db"), tmp_path, "--create", "--log-level", "debug", token=TOKEN)
    other = "wrong-token-ABCDEFGHIJKLMNOP"
    try:
        cmdline = Path(f"/proc/{service.proc.pid}/cmdline").read_bytes()
        assert TOKEN.encode() not in cmdline  # read from a file, never on the command line
        feed = stories(4, seed=9, prefix="log")
        seen: list[int] = []
        for a in feed:
            seen.append(service.request("POST", "/articles", {"id": a.id, "text": a.text})[0])
        seen.append(service.request("POST", "/articles", {"id": "copy", "text": feed[0].text})[0])
        seen.append(service.request("POST", "/check", raw=b'{"id": "x", "text": ')[0])
        seen.append(service.request("POST", "/check", {"id": "x"})[0])
        seen.append(service.request("POST", "/check?window=soon", {"id": "x", "text": "y"})[0])
        seen.append(service.request("GET", f"/articles/{feed[0].id}")[0])
        seen.append(service.request("GET", "/articles/absent")[0])
        seen.append(service.request("DELETE", f"/articles/{feed[1].id}")[0])
        seen.append(service.request("GET", "/stats")[0])
        seen.append(service.request("GET", "/openapi.json")[0])
        seen.append(service.request("GET", "/stats", token=other)[0])
        seen.append(service.request("POST", "/articles", {"id": "z", "text": "q"}, token=other)[0])
        seen.append(service.request("GET", "/stats", headers={"Authorization": f"Basic {TOKEN}"})[0])
        assert sorted(set(seen)) == [200, 400, 401, 404, 422]
    finally:
        assert service.stop(signal.SIGINT) in STOPPED
    log = service.log.read_text(errors="replace")
    assert '"POST /articles HTTP/1.1" 200' in log  # the access log was on
    assert '"GET /stats HTTP/1.1" 401' in log
    assert TOKEN not in log
    assert other not in log  # nor the wrong ones tried


def test_no_cors_headers_unless_asked(tmp_path: Path) -> None:
    preflight = {
        "Origin": "https://news.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    service = Service(str(tmp_path / "c.db"), tmp_path, "--create", token=TOKEN)
    try:
        status, headers, payload = raw(service, "OPTIONS", "/articles", preflight)
        assert not [h for h in headers if h.startswith("access-control-")], headers
        assert status in (401, 405), payload  # refused, in JSON
        assert json.loads(payload)["status"] == status
        for token in (TOKEN, None):
            sent = {
                "Origin": "https://news.example",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            }
            for path in ("/stats", "/health"):
                status, headers, _ = raw(service, "GET", path, sent)
                assert not [h for h in headers if h.startswith("access-control-")], (path, headers)
    finally:
        service.stop()


def test_cors_for_the_origins_named(tmp_path: Path) -> None:
    allowed = "https://news.example"
    service = Service(str(tmp_path / "c.db"), tmp_path, "--create", "--cors-origin", allowed,
                      "--cors-origin", "http://localhost:3000", token=TOKEN)  # fmt: skip
    try:
        ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
        status, headers, _ = raw(service, "OPTIONS", "/articles", {"Origin": allowed, **ask})
        assert status == 200
        assert headers["access-control-allow-origin"] == allowed
        assert "authorization" in headers["access-control-allow-headers"].lower()
        assert "POST" in headers["access-control-allow-methods"]
        status, headers, payload = raw(
            service, "OPTIONS", "/articles", {"Origin": "https://evil.example", **ask}
        )
        assert status == 400
        assert "access-control-allow-origin" not in headers
        error = json.loads(payload)
        assert error["status"] == 400
        assert "Disallowed CORS origin" in error["error"]
        # the page still needs the token; the answer carries the header, so the page can read the 401
        status, headers, _ = raw(service, "GET", "/stats", {"Origin": allowed})
        assert (status, headers["access-control-allow-origin"]) == (401, allowed)
        status, headers, _ = raw(
            service, "GET", "/stats", {"Origin": allowed, "Authorization": f"Bearer {TOKEN}"}
        )
        assert (status, headers["access-control-allow-origin"]) == (200, allowed)
        status, headers, _ = raw(service, "GET", "/stats", {"Origin": "https://evil.example",
                                                            "Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        assert status == 200
        assert "access-control-allow-origin" not in headers
    finally:
        service.stop()
    out = subprocess.run([*DEDUP, "serve", "--index", str(tmp_path / "c.db"), "--cors-origin",
                          "news.example/feed"], capture_output=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 2
    assert "--cors-origin 'news.example/feed': an origin is scheme://host[:port]" in out.stderr.decode()


# -- the warning for an address other machines can reach -------------------------------------------------


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "[::]", "192.0.2.10", "10.1.2.3", "fe80::1", "2001:db8::1"]
)
def test_a_reachable_address_without_a_token_is_warned_of(host: str) -> None:
    warning = exposure_warning(host, None)
    assert warning is not None
    assert warning.startswith(
        f"warning: listening on {host}, which other machines may reach, without a token"
    )
    assert "--token-file" in warning
    assert exposure_warning(host, TOKEN) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "127.255.0.9", "::1", "[::1]", "localhost"])
def test_a_loopback_address_is_not_warned_of(host: str) -> None:
    assert exposure_warning(host, None) is None


def run_serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    environ = {k: v for k, v in os.environ.items() if k != "DEDUP_TOKEN"}
    return subprocess.run([*DEDUP, "serve", *args], capture_output=True, timeout=120, check=False,
                          env={**environ, **(env or {})})  # fmt: skip


def test_the_command_warns_before_it_opens_anything(tmp_path: Path) -> None:
    # a missing index stops the command before it binds: the warning is printed first
    missing = str(tmp_path / "missing.db")
    out = run_serve("--index", missing, "--host", "0.0.0.0", "--port", "1")
    lines = out.stderr.decode().splitlines()
    assert out.returncode == 2
    assert lines[0].startswith(
        "warning: listening on 0.0.0.0, which other machines may reach, without a token"
    )
    assert "no such index" in lines[1] or "missing.db" in lines[1], lines
    # a token silences it; so does a loopback address
    out = run_serve("--index", missing, "--host", "0.0.0.0", "--port", "1", env={"DEDUP_TOKEN": TOKEN})
    assert (out.returncode, "warning" in out.stderr.decode()) == (2, False)
    out = run_serve("--index", missing, "--host", "127.0.0.2", "--port", "1")
    assert (out.returncode, "warning" in out.stderr.decode()) == (2, False)


def test_serving_on_another_loopback_address(tmp_path: Path) -> None:
    service = Service(str(tmp_path / "lo.db"), tmp_path, "--create", host="127.0.0.2")
    try:
        status, body = service.request("GET", "/health")
        assert (status, body["status"]) == (200, "ok")
    finally:
        service.stop()
    log = service.log.read_text()
    assert f"on http://127.0.0.2:{service.port} " in log
    assert "warning" not in log
