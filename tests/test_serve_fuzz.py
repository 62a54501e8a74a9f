"""``dedup serve`` under a schema-driven fuzzer: Schemathesis, from the service's own OpenAPI document.

A real ``dedup serve`` process (uvicorn on a free loopback port, a real SQLite index, a bearer
token) is sent the requests Schemathesis derives from ``/openapi.json`` for every endpoint: the
schema's examples, its boundary values (the coverage phase), random requests that fit the schema
and requests that do not (negative data: wrong types, missing fields, undeclared methods, bodies
that are not JSON), then sequences of calls linked through their results (stateful: an article
added, then fetched, deleted, fetched again). Every answer must be below 500, conform to the
schema (documented status, content type and body), and every error must be a JSON body
``{"error", "status"}`` with a readable message and the status it is sent with.

One of Schemathesis's checks is off: ``positive_data_acceptance`` (a request that fits the schema
must be accepted). The service refuses, with 422, some values the schema cannot describe: text
that is binary data (control characters), dates that are not ISO 8601, RFC 2822 or a number, and
the like. Those refusals are still checked: a 4xx with a JSON error naming the field.
``allow_header_conformance`` is off for ``/articles/batch`` alone: ``GET /articles/batch`` fetches
the article whose id is ``batch`` (ids may hold anything), so the server rightly lists GET and
DELETE there beside POST. ``ensure_resource_availability`` is off in the stateful phase: ``POST
/articles`` answers 200 whether it stored the article or rejected it as a copy, and a rejected one
is rightly absent afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case

from dedup.http import ServiceSettings, create_app
from tests.test_serve import TOKEN, Service

AUTH = {"Authorization": f"Bearer {TOKEN}"}
# small limits, so that generated bodies, texts and batches cross them
LIMITS = {"max-request-bytes": 65536, "max-article-chars": 20000, "max-batch": 20}
EXAMPLES = 60  # per endpoint, in the fuzzing phase
CONFIG = schemathesis.Config.from_dict(
    {
        "headers": AUTH,
        "generation": {"max-examples": EXAMPLES, "database": "none"},
        "checks": {
            "positive_data_acceptance": {"enabled": False},
            "ensure_resource_availability": {"enabled": False},
            # a request wrong in two ways is refused for the first one found: a batch over the
            # limit (413) whatever its window says
            "negative_data_rejection": {"expected-statuses": [400, 401, 404, 405, 413, 415, 422]},
        },
        "operations": [
            {"include-path": "/articles/batch", "checks": {"allow_header_conformance": {"enabled": False}}}
        ],
    }
)
# The document the service serves with these settings (the app is built, no index is opened); the
# first test checks the running server serves exactly this one.
DOCUMENT = create_app(
    ServiceSettings(index="-", token=TOKEN, max_request_bytes=65536, max_article_chars=20000, max_batch=20)
).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("fuzz")
    options = [f"--{name}={value}" for name, value in LIMITS.items()]
    service = Service(str(tmp / "fuzz.db"), tmp, "--create", *options, token=TOKEN)
    yield service
    service.stop()
    log = service.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-5000:]


def base(service: Service) -> str:
    return f"http://127.0.0.1:{service.port}"


def test_the_server_serves_the_fuzzed_schema(service: Service) -> None:
    status, served = service.request("GET", "/openapi.json")
    assert status == 200
    assert served == json.loads(json.dumps(DOCUMENT))
    operations = {(m.upper(), p) for p, methods in DOCUMENT["paths"].items() for m in methods}
    assert operations == {
        ("POST", "/check"), ("POST", "/articles"), ("POST", "/check/batch"), ("POST", "/articles/batch"),
        ("GET", "/articles/{article_id}"), ("DELETE", "/articles/{article_id}"), ("GET", "/stats"),
        ("GET", "/health"),
    }  # fmt: skip


def assert_json_error(status: int, content_type: str, body: bytes, request: str) -> None:
    """An error is JSON: a non-empty message, the status it is sent with, and nothing else but details."""
    assert content_type.startswith("application/json"), (request, status, content_type, body[:300])
    error: Any = json.loads(body)
    assert isinstance(error, dict), (request, error)
    assert set(error) <= {"error", "status", "details"}, (request, error)
    assert error["status"] == status, (request, error)
    assert isinstance(error["error"], str), (request, error)
    assert len(error["error"].strip()) >= 10, (request, error)  # a sentence, not a bare code
    for detail in error.get("details", []):
        assert set(detail) == {"field", "message"}, (request, error)


@schema.parametrize()
def test_every_endpoint_under_fuzz(case: Case[Any], service: Service) -> None:
    response = case.call_and_validate(base_url=base(service), headers=AUTH, timeout=60)
    if response.status_code >= 400:
        assert_json_error(
            response.status_code,
            response.headers.get("content-type", [""])[0],
            response.content,
            f"{case.method} {case.formatted_path}",
        )


def test_call_sequences_under_fuzz(service: Service) -> None:
    checked: list[int] = []

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"base_url": base(service), "headers": AUTH, "timeout": 60}

        def validate_response(self, response: Any, case: Case[Any], *args: Any, **kwargs: Any) -> None:
            super().validate_response(response, case, *args, **kwargs)
            if response.status_code >= 400:
                assert_json_error(
                    response.status_code,
                    response.headers.get("content-type", [""])[0],
                    response.content,
                    f"{case.method} {case.formatted_path}",
                )
            checked.append(response.status_code)

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=25, stateful_step_count=8, deadline=None, database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )  # fmt: skip
    assert len(checked) >= 25
    assert {200, 404} <= set(checked)  # sequences reached stored articles and absent ones


# -- what the fuzzer found, pinned ------------------------------------------------------------------------


def test_what_the_fuzzer_found_stays_fixed(service: Service) -> None:
    def call(method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        status, answer = service.request(method, path, body, **kwargs)
        if status >= 400:
            assert_json_error(status, "application/json", json.dumps(answer).encode(), f"{method} {path}")
        return status, answer

    # a date no datetime can show was stored, and GET /stats then failed with a 500
    status, error = call("POST", "/articles", {"id": "late", "text": "words " * 30, "published": 1e16})
    assert (status, error["details"][0]["field"]) == (422, "published")
    assert "out of range" in error["error"]
    assert call("GET", "/stats")[0] == 200
    # ?window=nan and ?window=inf were 500s
    for window in ("nan", "inf", "1e3", ""):
        status, error = call("POST", f"/check?window={window}", {"id": "w", "text": "words " * 30})
        assert status == 422, window
        assert error["error"].startswith("parameter 'window': cannot read duration"), error
    # an undeclared method on a path with a body that is not JSON: 405 naming every method, not 415
    for method in ("PUT", "PATCH", "OPTIONS"):
        status, error = call(method, "/articles/a1", raw=b"x", headers={"Content-Type": "text/plain"})
        assert status == 405, (method, error)
        assert error["error"] == f"method {method} not allowed here (allowed: DELETE, GET)"
    status, error = call("PUT", "/health", raw=b"x", headers={"Content-Type": "text/plain"})
    assert (status, error["error"]) == (405, "method PUT not allowed here (allowed: GET)")
    # a POST without a body or its type: 415 in JSON
    assert call("POST", "/check", raw=b"", headers={"Content-Type": ""})[0] == 415
    # the router's own 404 said only "Not Found"
    status, error = call("GET", "/nowhere")
    assert (status, error["error"]) == (404, "no endpoint at '/nowhere' (the endpoints are listed at /docs)")
    # an id with a line break could be stored but not fetched nor removed (404 from the router)
    status, decision = call("POST", "/articles", {"id": "two\nlines", "text": "other words " * 30})
    assert (status, decision["action"]) == (200, "keep")
    status, stored = call("GET", "/articles/two%0Alines")
    assert (status, stored["id"]) == (200, "two\nlines")
    assert call("DELETE", "/articles/two%0Alines") == (200, {"id": "two\nlines", "removed": True})
    assert call("GET", "/articles/two%0Alines")[0] == 404
