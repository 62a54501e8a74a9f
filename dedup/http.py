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
503 the index cannot be reached, 500 a bug (the traceback goes to the server's log). A refused
request changes nothing.

With a token, every path but ``/health`` (the docs too) answers 401 unless the request carries
``Authorization: Bearer TOKEN``; the check comes first, before the body is looked at, and compares
digests of the two in constant time. No CORS headers are sent unless origins are named
(``cors_origins``).

The index is not shared between threads: one call at a time runs in a worker thread while the
event loop keeps accepting requests. Run several processes (``dedup serve --workers N``, or
several replicas behind a load balancer) on a Redis index to use more cores; on shutdown
(SIGTERM, SIGINT) the server stops accepting connections and finishes every request it has
accepted (each article it answered for is committed) before it closes the index.
"""

from __future__ import annotations

import asyncio
import hashlib
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
from fastapi import Body, FastAPI, Path, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from dedup._version import __version__
from dedup.errors import DedupError, IndexStoreError, InputError, StoreUnavailable
from dedup.index import (
    DEFAULT_REJECT,
    DURATION_PATTERN,
    Index,
    Keep,
    Policy,
    parse_duration,
    parse_published,
)
from dedup.index.retry import Retry
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
    #: Bearer token required on every path but ``/health`` (None: no token).
    token: str | None = None
    #: Rejection cases, as ``dedup filter --reject`` takes them.
    reject: str = DEFAULT_REJECT
    #: Default time window (``3d``...), None for none.
    window: str | None = None
    #: Create the index (with default settings) if it is missing.
    create: bool = False
    #: Origins allowed to call the service from a browser (CORS); none by default.
    cors_origins: tuple[str, ...] = ()
    #: Which of two copies is kept, as ``dedup filter --keep`` takes it, and the sources in order
    #: for ``source-rank``.
    keep: str = "first"
    source_rank: tuple[str, ...] = ()
    #: Seconds a request waits for a Redis index that cannot be reached before it gets 503 (0: none).
    redis_retry: float = 0.0

    def to_json(self) -> str:
        """The settings as JSON (to hand them to worker processes)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServiceSettings:
        """Settings from :meth:`to_json`."""
        fields = json.loads(text)
        tuples = {name: tuple(fields.get(name, ())) for name in ("cors_origins", "source_rank")}
        return cls(**{**fields, **tuples})


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


class FieldError(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="Where: 'text', 'articles[3].id', 'body'...")
    message: str


class ErrorOut(BaseModel):
    """Every error: a message, the status, and the invalid fields when there are several."""

    error: str = Field(description="What is wrong, in one sentence.")
    status: int
    details: list[FieldError] | None = Field(None, description="The invalid fields (422).")


_WHEN = {
    400: "The body is not valid JSON.",
    401: "A token is required and the request lacks `Authorization: Bearer TOKEN` or has another.",
    404: "No such article.",
    413: "The body, an article's text or a batch is over its limit.",
    415: "The body is not `Content-Type: application/json`.",
    422: "A field is missing or invalid.",
    503: "The index cannot be reached.",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an endpoint that may answer these error statuses (for the OpenAPI schema)."""
    return {code: {"model": ErrorOut, "description": _WHEN[code]} for code in codes}


WindowQuery = Annotated[
    str | None,
    Query(
        description="Compare only with stored articles published within this distance (3d).",
        json_schema_extra={"pattern": DURATION_PATTERN},  # shown; parse_duration checks it
    ),
]
IdPath = Annotated[str, Path(description="The article's id.")]


class _AnyText(Convertor[str]):
    """A path parameter that may hold anything, line breaks too (as an id may); ``path`` stops at one."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("anything", _AnyText())


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


def _token_digest(token: bytes) -> bytes:
    return hashlib.sha256(token).digest()


def _field(loc: Sequence[str | int]) -> str:
    parts = [p for p in loc if p != "body"]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


class Gate:
    """What every request passes before the app reads it: the token (401), then the body (415, 413).

    With a token, a request to any path but ``/health`` without ``Authorization: Bearer TOKEN`` is
    refused first; the two are compared as SHA-256 digests with :func:`hmac.compare_digest`, so the
    time taken tells nothing of the token, not even its length. Then the body of a request to an
    endpoint that takes one must be JSON (415), and no larger than ``limit`` bytes (413): a declared
    ``Content-Length`` over the limit is refused at once; a chunked body is counted as it arrives.
    Whatever is refused, the rest of the body is read and dropped (up to 16 times the limit) so
    that the client receives the answer rather than a reset connection.
    """

    def __init__(self, app: ASGIApp, limit: int, token: str | None, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.limit = limit
        self.digest = None if token is None else _token_digest(token.encode())
        self.routes = routes

    def _authorized(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        if self.digest is None or scope["path"] == "/health":
            return True
        scheme, _, given = headers.get(b"authorization", b"").partition(b" ")
        # both sides digested: compare_digest is constant-time only for inputs of equal length
        right = hmac.compare_digest(_token_digest(given.strip()), self.digest)
        return scheme.lower() == b"bearer" and right

    def _route(self, scope: Scope) -> bool | set[str]:
        """True if an endpoint answers this request, else the methods answered on its path (maybe none)."""
        methods: set[str] = set()
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return True
            if match is Match.PARTIAL:
                methods |= getattr(route, "methods", None) or set()
        return methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if not self._authorized(scope, headers):
            await self._refuse(
                receive, send, 0, 401, "missing or wrong bearer token",
                {"WWW-Authenticate": 'Bearer realm="dedup"'},
            )  # fmt: skip
            return
        route = self._route(scope)
        if route is not True and route:  # every method of the path in Allow (Starlette names one route's)
            listed = ", ".join(sorted(route))
            await self._refuse(
                receive, send, 0, 405, f"method {scope['method']} not allowed here (allowed: {listed})",
                {"Allow": listed},
            )  # fmt: skip
            return
        if route is True and scope["method"] in ("POST", "PUT", "PATCH"):
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

    async def _refuse(
        self,
        receive: Receive,
        send: Send,
        received: int,
        status: int,
        error: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        more = True
        while more and received <= 16 * self.limit:
            message = await receive()
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            more = message.get("more_body", False)
        await _error_response(status, error, headers=headers)({"type": "http"}, receive, send)


class _TooLarge(Exception):
    pass


class _Cors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight request answered in JSON like every other error."""

    def preflight_response(self, request_headers: Any) -> Response:
        """Starlette's answer, or a JSON error naming what was refused."""
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode()
        allowed = {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}
        return _error_response(400, f"{refused} (this service allows CORS requests from its "
                                    f"--cors-origin list only)", headers=allowed)  # fmt: skip


# -- the application ------------------------------------------------------------------------------


def create_app(settings: ServiceSettings) -> FastAPI:
    """The FastAPI application serving the index named by ``settings``."""
    policy = Policy.from_names(settings.reject.split(","))
    window = parse_duration(settings.window) if settings.window else None
    keep = Keep(policy=settings.keep, source_rank=settings.source_rank)  # type: ignore[arg-type]
    retry = Retry(settings.redis_retry)
    options = ReadOptions()
    limiter = anyio.CapacityLimiter(1)
    state: dict[str, Index] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["index"] = Index.open(
            settings.index, create=settings.create, policy=policy, window=window, keep=keep
        )
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
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":  # the router's: no such path
            message = f"no endpoint at {request.url.path!r} (the endpoints are listed at /docs)"
        return _error_response(exc.status_code, message, headers=dict(exc.headers or {}))

    @app.exception_handler(IndexStoreError)
    async def store_error(_: Request, exc: IndexStoreError) -> JSONResponse:
        message = str(exc)
        if isinstance(exc, StoreUnavailable) and exc.in_flight is not None:
            message += (
                " (the article was being stored as the index went away and may have been: sent "
                "again, it is then rejected as already-stored)"
            )
        return _error_response(503, message)

    @app.exception_handler(DedupError)
    async def dedup_error(_: Request, exc: DedupError) -> JSONResponse:
        return _error_response(422 if isinstance(exc, InputError) else 500, str(exc))

    @app.exception_handler(Exception)
    async def bug(_: Request, exc: Exception) -> JSONResponse:
        # answered in JSON like every error; the server then logs the traceback
        return _error_response(
            500, f"internal error ({type(exc).__name__}): a bug in dedup, see the server's log"
        )

    # -- authentication (checked by Gate; declared here for the OpenAPI schema) ------------------

    bearer = HTTPBearer(auto_error=False, description="The token given to `dedup serve`.")
    secured = [Security(bearer)] if settings.token is not None else []
    auth = (401,) if settings.token is not None else ()

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
        if add:  # waits up to redis_retry seconds for an index that cannot be reached
            return retry.check_and_add(index, article, window=when).to_dict()
        return retry.call(lambda: decide(index, article, add=False, window=when)).to_dict()

    def batch(index: Index, articles: list[Article], when: Any, add: bool) -> list[dict[str, Any]]:
        return [checked(index, a, when, add) for a in articles]

    # -- endpoints --------------------------------------------------------------------------------

    @app.get("/health", tags=["service"], responses=_errors(503))
    async def health() -> dict[str, Any]:
        """200 when the index answers (no token needed)."""
        meta = await call(lambda index: index.store.read_meta())
        return {"status": "ok", "format": meta.get("format"), "dedup_version": __version__}

    @app.post(
        "/check", tags=["filter"], responses=_errors(400, *auth, 413, 415, 422, 503), dependencies=secured
    )
    async def check(article: ArticleIn, window: WindowQuery = None) -> dict[str, Any]:
        """The decision for one article; nothing is added."""
        item, when = article_of(article, ""), span(window)
        return await call(lambda index: checked(index, item, when, False))

    @app.post(
        "/articles", tags=["filter"], responses=_errors(400, *auth, 413, 415, 422, 503), dependencies=secured
    )
    async def add(article: ArticleIn, window: WindowQuery = None) -> dict[str, Any]:
        """Check-and-add: the decision, and the article stored if it is kept (atomically)."""
        item, when = article_of(article, ""), span(window)
        return await call(lambda index: checked(index, item, when, True))

    @app.post(
        "/check/batch",
        tags=["filter"],
        responses=_errors(400, *auth, 413, 415, 422, 503),
        dependencies=secured,
    )
    async def check_batch(
        articles: Annotated[list[ArticleIn], Body()], window: WindowQuery = None
    ) -> list[dict[str, Any]]:
        """Decisions for a list of articles, in order; nothing is added."""
        items, when = articles_of(articles), span(window)
        return await call(lambda index: batch(index, items, when, False))

    @app.post(
        "/articles/batch",
        tags=["filter"],
        responses=_errors(400, *auth, 413, 415, 422, 503),
        dependencies=secured,
    )
    async def add_batch(
        articles: Annotated[list[ArticleIn], Body()], window: WindowQuery = None
    ) -> list[dict[str, Any]]:
        """Check-and-add a list of articles, in order (a later copy of an earlier one is rejected)."""
        items, when = articles_of(articles), span(window)
        return await call(lambda index: batch(index, items, when, True))

    @app.get("/articles/{article_id:anything}", tags=["articles"], responses=_errors(*auth, 404, 503),
             dependencies=secured)  # fmt: skip
    async def get(article_id: IdPath) -> dict[str, Any]:
        """A stored article: its text, metadata and when it was added."""
        stored = await call(lambda index: index.get(article_id))
        if stored is None:
            raise ApiError(404, f"no article {article_id!r} in the index")
        return stored.to_dict()

    @app.delete("/articles/{article_id:anything}", tags=["articles"], responses=_errors(*auth, 404, 503),
                dependencies=secured)  # fmt: skip
    async def delete(article_id: IdPath) -> dict[str, Any]:
        """Remove a stored article (its keys and line statistics too)."""
        if not await call(lambda index: index.remove(article_id)):
            raise ApiError(404, f"no article {article_id!r} in the index")
        return {"id": article_id, "removed": True}

    @app.get("/stats", tags=["service"], responses=_errors(*auth, 503), dependencies=secured)
    async def stats() -> dict[str, Any]:
        """Sizes, settings and versions of the index."""
        return await call(lambda index: index.stats().to_dict())

    app.add_middleware(Gate, limit=settings.max_request_bytes, token=settings.token, routes=app.router.routes)
    if settings.cors_origins:  # outside the gate: a browser's preflight request carries no token
        app.add_middleware(
            _Cors,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
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
