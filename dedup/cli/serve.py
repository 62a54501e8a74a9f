"""``dedup serve``: the pre-ingest filter as an HTTP service (see :mod:`dedup.http`)."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from pathlib import Path

import click

from dedup.cli.options import keep_of, keep_options
from dedup.errors import SettingsError, require
from dedup.index import DEFAULT_REJECT, Index, Policy, parse_duration

__all__ = ["exposure_warning", "serve"]


def _loopback(host: str) -> bool:
    """Whether every address ``host`` stands for is this machine's loopback (a name is looked up)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(found) and all(ipaddress.ip_address(str(info[4][0])).is_loopback for info in found)


def exposure_warning(host: str, token: str | None) -> str | None:
    """The warning to print before serving on ``host`` without a token, None if none is needed.

    Only a loopback address (127.0.0.0/8, ::1, or a name standing for them alone) keeps other
    machines out; on any other, without a token, whoever can connect can read, add and remove
    articles.
    """
    if token is not None or _loopback(host):
        return None
    return (
        f"warning: listening on {host}, which other machines may reach, without a token: anyone who "
        "can connect can read, add and remove articles (set --token-file or DEDUP_TOKEN)"
    )


_ORIGIN = re.compile(r"https?://[^/\s?#]+")


@click.command("serve")
@click.option("--index", "index_path", required=True, help="The index: a SQLite file or a redis:// URL.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port.")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Server processes (use several with a Redis index, or a SQLite one on this machine).",
)
@click.option(
    "--token-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Require 'Authorization: Bearer TOKEN' with the token in this file (or set DEDUP_TOKEN).",
)
@click.option(
    "--max-request-bytes",
    type=click.IntRange(1024),
    default=16 * 1024 * 1024,
    show_default=True,
    help="Largest request body; larger ones get 413.",
)
@click.option(
    "--max-article-chars",
    type=click.IntRange(1),
    default=1_000_000,
    show_default=True,
    help="Longest article text; longer ones get 413.",
)
@click.option(
    "--max-batch", type=click.IntRange(1), default=1000, show_default=True, help="Most articles per batch."
)
@click.option(
    "--reject",
    default=DEFAULT_REJECT,
    show_default=True,
    metavar="CASES",
    help="Cases that reject an article: near-duplicate, contained, containing, overlap; or none.",
)
@click.option("--window", default=None, metavar="DURATION", help="Default time window (e.g. 3d).")
@keep_options
@click.option(
    "--redis-retry",
    "retry_seconds",
    type=click.FloatRange(min=0, max=3600),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a request waits for a Redis index that cannot be reached before it gets 503.",
)
@click.option("--create", is_flag=True, help="Create the index with default settings if it is missing.")
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from this origin (https://host[:port]) call the service; repeat for more. "
    "None by default: no CORS headers are sent.",
)
@click.option(
    "--graceful-timeout",
    type=click.FloatRange(0),
    default=30.0,
    show_default=True,
    help="Seconds to finish accepted requests on shutdown.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
def serve(
    index_path: str,
    host: str,
    port: int,
    workers: int,
    token_file: str | None,
    max_request_bytes: int,
    max_article_chars: int,
    max_batch: int,
    reject: str,
    window: str | None,
    keep_policy: str,
    source_rank: str | None,
    retry_seconds: float,
    create: bool,
    cors_origins: tuple[str, ...],
    graceful_timeout: float,
    log_level: str,
) -> None:
    """Serve the index over HTTP: POST /check, POST /articles, GET|DELETE /articles/ID, GET /stats.

    Binds to the loopback address unless --host says otherwise. API documentation is served at
    /docs (and /openapi.json). SIGTERM or Ctrl-C stops accepting connections and finishes the
    requests already accepted before the index is closed.
    """
    require("fastapi", extra="serve", feature="dedup serve")
    require("uvicorn", extra="serve", feature="dedup serve")
    import uvicorn

    from dedup.http import ENV_CONFIG, NoDelayH11Protocol, ServiceSettings, create_app

    Policy.from_names(reject.split(","))
    if window:
        parse_duration(window)
    keep = keep_of(keep_policy, source_rank)
    token = (
        Path(token_file).read_text(encoding="utf-8").strip() if token_file else os.environ.get("DEDUP_TOKEN")
    )
    if token is not None and len(token) < 16:
        raise SettingsError("the bearer token must be at least 16 characters long")
    for origin in cors_origins:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise SettingsError(f"--cors-origin {origin!r}: an origin is scheme://host[:port] (or *)")
    warning = exposure_warning(host, token)
    if warning:
        click.echo(warning, err=True)
    settings = ServiceSettings(
        index=index_path,
        max_request_bytes=max_request_bytes,
        max_article_chars=max_article_chars,
        max_batch=max_batch,
        token=token,
        reject=reject,
        window=window,
        create=create,
        cors_origins=cors_origins,
        keep=keep.policy,
        source_rank=keep.source_rank,
        redis_retry=retry_seconds,
    )
    common = {
        "http": NoDelayH11Protocol,
        "host": host,
        "port": port,
        "log_level": log_level,
        "timeout_graceful_shutdown": graceful_timeout,
        "server_header": False,
    }
    # open the index once now, so that a bad index is a one-line error before the server starts
    with Index.open(index_path, create=create) as index:
        location = index.store.location
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"dedup serve: {location} on http://{shown}:{port} ({workers} worker(s); API docs at /docs)", err=True
    )
    if workers == 1:
        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
    else:
        os.environ[ENV_CONFIG] = settings.to_json()
        uvicorn.run("dedup.http:app_from_env", factory=True, workers=workers, **common)  # type: ignore[arg-type]
