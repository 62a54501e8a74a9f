"""The pre-ingest filter as an HTTP service: a thin FastAPI layer over :class:`dedup.index.Index`.

Endpoints (JSON in and out; ``/docs`` and ``/openapi.json`` describe them):

* ``POST /check``: the decision for one article, nothing added;
* ``POST /articles``: check-and-add (200 with the decision, whether kept or rejected);
* ``POST /check/batch``, ``POST /articles/batch``: the same for a list, in order;
* ``GET /articles/{id}``, ``DELETE /articles/{id}``: a stored article, or remove it (404 if absent);
* ``GET /stats``: sizes, settings and versions; ``GET /health``: 200 when the index answers.

Articles are the JSON objects ``dedup filter`` reads (``id``, ``text``; ``title``, ``source``,
``published``, ``url``), checked by the same code. Errors are JSON, ``{"error": message, "status":
code, "details": [...]}``: 400 malformed JSON, 401 a missing or wrong bearer token, 404 unknown id
or path, 413 a body over ``max_request_bytes``, an article over ``max_article_chars`` or a batch
over ``max_batch``, 415 a body that is not ``application/json``, 422 missing or invalid fields,
503 the index cannot be reached. A refused request changes nothing.

The index is not shared between threads: one call at a time runs in a worker thread while the
event loop keeps accepting requests. Run several processes (``dedup serve --workers N``, or
several replicas behind a load balancer) on a Redis index to use more cores; on shutdown
(SIGTERM, SIGINT) the server stops accepting connections and finishes every request it has
accepted (each article it answered for is committed) before it closes the index.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict, dataclass
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Body, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from dedup._version import __version__
from dedup.errors import DedupError, IndexStoreError, InputError
from dedup.index import DEFAULT_REJECT, Index, Policy, parse_duration, parse_published
from dedup.index.stream import decide, read_article
from dedup.io.records import ReadOptions
from dedup.model import Article

__all__ = ["ENV_CONFIG", "NoDelayH11Protocol", "ServiceSettings", "create_app"]

#: Environment variable through which ``dedup serve --workers N`` hands its settings to each worker.
ENV_CONFIG = "DEDUP_SERVE_CONFIG"

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSettings:
    """What ``dedup serve`` is told: the index, the policy and the limits."""

    #: A SQLite path or a Redis URL.
    index: str
    #: Largest request body accepted (bytes).
    max_request_bytes: int = 16 * 1024 * 1024
    #: Longest article text accepted (characters).
    max_article_chars: int = 1_000_000
    #: Most articles in one batch request.
    max_batch: int = 1000
    #: Bearer token required on every endpoint but ``/health`` and the docs (None: no token).
    token: str | None = None
    #: Rejection cases, as ``dedup filter --reject`` takes them.
    reject: str = DEFAULT_REJECT
    #: Default time window (``3d``...), None for none.
    window: str | None = None
    #: Create the index (with default settings) if it is missing.
    create: bool = False

    def to_json(self) -> str:
        """The settings as JSON (to hand them to worker processes)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServiceSettings:
        """Settings from :meth:`to_json`."""
        return cls(**json.loads(text))


# -- request bodies (documented in the OpenAPI schema; checked again by dedup.io.readers) --------------

_Meta = StrictStr | StrictInt | StrictFloat | None


class ArticleIn(BaseModel):
    """An article: ``id`` and ``text``, optionally ``title``, ``source``, ``published``, ``url``."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"id": "a1", "text": "Full text of the article...",
                                         "published": "2024-11-20T10:00:00Z"}]},
    )  # fmt: skip

    id: StrictStr | StrictInt = Field(description="Unique id of the article (a string or an integer).")
    text: StrictStr = Field(description="The article's text; passages are reported as offsets into it.")
    title: _Meta = None
    source: _Meta = None
    published: _Meta = Field(
        None, description="ISO 8601, RFC 2822 or seconds since the epoch; used by the time window."
    )
    url: _Meta = None


# -- errors ---------------------------------------------------------------------------------------

WindowQuery = Annotated[
    str | None, Query(description="Compare only with stored articles published within this distance (3d).")
]
IdPath = Annotated[str, Path(description="The article's id.")]


class ApiError(Exception):
    """An error answered as JSON with a status code."""

    def __init__(self, status: int, message: str, details: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = list(details)


def _error_response(
    status: int, message: str, details: Sequence[dict[str, Any]] = (), headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": message, "status": status}
    if details:
        body["details"] = list(details)
    return JSONResponse(body, status_code=status, headers=headers)


def _field(loc: Sequence[str | int]) -> str:
    parts = [p for p in loc if p != "body"]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


class BodyLimit:
    """Refuse a body that is not JSON (415) or is over ``limit`` bytes (413) before the app reads it.

    A declared ``Content-Length`` over the limit is refused at once; a chunked body is counted as it
    arrives. The rest of the body is read and dropped (up to 16 times the limit) so that the client
    receives the answer rather than a reset connection.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["method"] in ("POST", "PUT", "PATCH"):
            kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if kind != b"application/json" and not kind.endswith(b"+json"):
                await self._refuse(
                    receive, send, 0, 415, "send the body as JSON (Content-Type: application/json)"
                )
                return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(receive, send, 0, 413, self._over)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._refuse(receive, send, received, 413, self._over)

    @property
    def _over(self) -> str:
        return f"request body over the limit of {self.limit:,} bytes (max_request_bytes)"

    async def _refuse(self, receive: Receive, send: Send, received: int, status: int, error: str) -> None:
        more = True
        while more and received <= 16 * self.limit:
            message = await receive()
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            more = message.get("more_body", False)
        await _error_response(status, error)({"type": "http"}, receive, send)


class _TooLarge(Exception):
    pass


# -- the application ------------------------------------------------------------------------------


def create_app(settings: ServiceSettings) -> FastAPI:
    """The FastAPI application serving the index named by ``settings``."""
    policy = Policy.from_names(settings.reject.split(","))
    window = parse_duration(settings.window) if settings.window else None
    options = ReadOptions()
    limiter = anyio.CapacityLimiter(1)
    state: dict[str, Index] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["index"] = Index.open(settings.index, create=settings.create, policy=policy, window=window)
        try:
            yield
        finally:
            async with limiter:  # let a call that is still running finish first
                state.pop("index").close()

    async def call(func: Callable[[Index], T]) -> T:
        """Run ``func(index)`` in a worker thread, one call at a time."""
        index = state["index"]
        return await anyio.to_thread.run_sync(func, index, limiter=limiter)

    app = FastAPI(
        title="dedup",
        version=__version__,
        summary="Pre-ingest filter for news articles: is this article new, or a reprint of one we hold?",
        lifespan=lifespan,
    )

    # -- errors -----------------------------------------------------------------------------------

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc.status, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        bad_json = [e for e in errors if e.get("type") == "json_invalid"]
        if bad_json:
            ctx = bad_json[0].get("ctx", {})
            return _error_response(400, f"malformed JSON: {ctx.get('error', 'cannot parse the body')}")
        details = [{"field": _field(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in errors]
        first = details[0] if details else {"field": "body", "message": "invalid"}
        return _error_response(422, f"field {first['field']!r}: {first['message']}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(IndexStoreError)
    async def store_error(_: Request, exc: IndexStoreError) -> JSONResponse:
        return _error_response(503, str(exc))

    @app.exception_handler(DedupError)
    async def dedup_error(_: Request, exc: DedupError) -> JSONResponse:
        return _error_response(422 if isinstance(exc, InputError) else 500, str(exc))

    # -- authentication ---------------------------------------------------------------------------

    def authorize(request: Request) -> None:
        if settings.token is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), settings.token.encode()
        ):
            raise HTTPException(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": 'Bearer realm="dedup"'}
            )

    # -- conversion -------------------------------------------------------------------------------

    def article_of(body: ArticleIn, where: str) -> Article:
        record = body.model_dump()
        if len(body.text) > settings.max_article_chars:
            raise ApiError(
                413,
                f"{where}field 'text': {len(body.text):,} characters, over the limit of "
                f"{settings.max_article_chars:,} (max_article_chars)",
            )
        try:
            article = read_article(record, options, source="request", line=None)
            if article.published:  # a blank date too is refused here (the filter reads it as none)
                parse_published(article.published)
            return article
        except InputError as exc:
            name = exc.field or "published"
            raise ApiError(
                422, f"{where}field {name!r}: {exc.reason}", [{"field": name, "message": exc.reason}]
            ) from None

    def articles_of(bodies: list[ArticleIn]) -> list[Article]:
        if len(bodies) > settings.max_batch:
            raise ApiError(413, f"{len(bodies):,} articles in one batch, over the limit of "
                                f"{settings.max_batch:,} (max_batch)")  # fmt: skip
        return [article_of(b, f"articles[{n}]: ") for n, b in enumerate(bodies)]

    def span(text: str | None) -> Any:
        if text is None:
            return None
        try:
            return parse_duration(text)
        except DedupError as exc:
            raise ApiError(422, f"parameter 'window': {exc}") from None

    def checked(index: Index, article: Article, when: Any, add: bool) -> dict[str, Any]:
        return decide(index, article, add=add, window=when).to_dict()

    def batch(index: Index, articles: list[Article], when: Any, add: bool) -> list[dict[str, Any]]:
        return [checked(index, a, when, add) for a in articles]

    # -- endpoints --------------------------------------------------------------------------------

    @app.get("/health", tags=["service"])
    async def health() -> dict[str, Any]:
        """200 when the index answers (no token needed)."""
        meta = await call(lambda index: index.store.read_meta())
        return {"status": "ok", "format": meta.get("format"), "dedup_version": __version__}

    @app.post("/check", tags=["filter"])
    async def check(request: Request, article: ArticleIn, window: WindowQuery = None) -> dict[str, Any]:
        """The decision for one article; nothing is added."""
        authorize(request)
        item, when = article_of(article, ""), span(window)
        return await call(lambda index: checked(index, item, when, False))

    @app.post("/articles", tags=["filter"])
    async def add(request: Request, article: ArticleIn, window: WindowQuery = None) -> dict[str, Any]:
        """Check-and-add: the decision, and the article stored if it is kept (atomically)."""
        authorize(request)
        item, when = article_of(article, ""), span(window)
        return await call(lambda index: checked(index, item, when, True))

    @app.post("/check/batch", tags=["filter"])
    async def check_batch(
        request: Request, articles: Annotated[list[ArticleIn], Body()], window: WindowQuery = None
    ) -> list[dict[str, Any]]:
        """Decisions for a list of articles, in order; nothing is added."""
        authorize(request)
        items, when = articles_of(articles), span(window)
        return await call(lambda index: batch(index, items, when, False))

    @app.post("/articles/batch", tags=["filter"])
    async def add_batch(
        request: Request, articles: Annotated[list[ArticleIn], Body()], window: WindowQuery = None
    ) -> list[dict[str, Any]]:
        """Check-and-add a list of articles, in order (a later copy of an earlier one is rejected)."""
        authorize(request)
        items, when = articles_of(articles), span(window)
        return await call(lambda index: batch(index, items, when, True))

    @app.get("/articles/{article_id:path}", tags=["articles"])
    async def get(request: Request, article_id: IdPath) -> dict[str, Any]:
        """A stored article: its text, metadata and when it was added."""
        authorize(request)
        stored = await call(lambda index: index.get(article_id))
        if stored is None:
            raise ApiError(404, f"no article {article_id!r} in the index")
        return stored.to_dict()

    @app.delete("/articles/{article_id:path}", tags=["articles"])
    async def delete(request: Request, article_id: IdPath) -> dict[str, Any]:
        """Remove a stored article (its keys and line statistics too)."""
        authorize(request)
        if not await call(lambda index: index.remove(article_id)):
            raise ApiError(404, f"no article {article_id!r} in the index")
        return {"id": article_id, "removed": True}

    @app.get("/stats", tags=["service"])
    async def stats(request: Request) -> dict[str, Any]:
        """Sizes, settings and versions of the index."""
        authorize(request)
        return await call(lambda index: index.stats().to_dict())

    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    return app


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with ``TCP_NODELAY`` on every connection.

    With ``--workers N`` uvicorn binds the listening socket itself, without naming the TCP protocol,
    and asyncio then leaves Nagle's algorithm on for the connections: a response written in two
    pieces waits for the client's delayed acknowledgement, about 40 ms per request.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Turn Nagle's algorithm off, then set the connection up as uvicorn does."""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def app_from_env() -> FastAPI:
    """The application for a worker process started by ``dedup serve --workers N``."""
    text = os.environ.get(ENV_CONFIG)
    if not text:
        raise DedupError(f"{ENV_CONFIG} is not set (start the service with `dedup serve`)")
    return create_app(ServiceSettings.from_json(text))
