"""Redis URLs: what the store takes from one, and the client it connects with.

``redis://[:password@]host:port/db?prefix=news`` (``rediss://`` for TLS, ``unix:///path/redis.sock?db=0``
for a socket; ``cluster=yes`` for a Redis Cluster, the URL naming any node). The query may also set
``lock_timeout`` (seconds, default 10) and ``lock_wait`` (seconds a writer waits for the lock,
default 60); other query parameters go to redis-py (``socket_timeout``, ``health_check_interval``...).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from dedup.errors import IndexStoreError, SettingsError
from dedup.stores.redis.layout import DEFAULT_PREFIX

__all__ = ["RedisURL", "close", "connect"]


@dataclass(frozen=True, slots=True)
class RedisURL:
    """A store's URL, read."""

    prefix: str
    #: Seconds the write lock lasts unless renewed.
    lock_timeout: float
    #: Seconds a writer waits for the lock before giving up.
    lock_wait: float
    cluster: bool
    #: The URL for messages: scheme, host, port, path, ``db``, ``prefix`` (no credentials).
    location: str
    #: The URL for redis-py: credentials and its own parameters kept, the store's removed.
    target: str

    @classmethod
    def parse(
        cls,
        url: str,
        *,
        prefix: str | None = None,
        lock_timeout: float | None = None,
        lock_wait: float | None = None,
    ) -> RedisURL:
        """Read ``url``; the keyword arguments, when given, win over its query.

        Raises :class:`SettingsError` for a bad prefix, ``lock_timeout`` or ``lock_wait``.
        """
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        named = query.pop("prefix", DEFAULT_PREFIX)
        prefix = prefix if prefix is not None else named
        if lock_timeout is None:
            lock_timeout = _seconds(query, "lock_timeout", 10.0)
        if lock_wait is None:
            lock_wait = _seconds(query, "lock_wait", 60.0)
        query.pop("lock_timeout", None)
        query.pop("lock_wait", None)
        cluster = query.pop("cluster", "no").lower() in ("1", "yes", "true")
        if not prefix or len(prefix) > 200 or any(c in prefix for c in "{}\n\r\t "):
            raise SettingsError(
                f"Redis key prefix {prefix!r}: use 1 to 200 characters without braces or white space"
            )
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        shown = {"prefix": prefix} | {k: v for k, v in query.items() if k == "db"}
        if cluster:
            shown["cluster"] = "yes"
        return cls(
            prefix=prefix,
            lock_timeout=lock_timeout,
            lock_wait=lock_wait,
            cluster=cluster,
            location=urlunsplit((parts.scheme, netloc, parts.path, urlencode(shown), "")),
            target=urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), "")),
        )


def _seconds(query: dict[str, str], name: str, default: float) -> float:
    """A number of seconds from the query, or ``default``."""
    text = query.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"Redis URL parameter {name}={text!r}: not a number of seconds") from None
    if not 0.1 <= value <= 86400:
        raise SettingsError(f"Redis URL parameter {name}={text!r}: use 0.1 to 86400 seconds")
    return value


def connect(url: RedisURL) -> redis.Redis:
    """A client for ``url`` (not connected yet); :class:`IndexStoreError` if redis-py cannot read it."""
    try:
        # the URL may set other timeouts (its query wins)
        if url.cluster:
            # a Redis Cluster: the URL names any node; the index's keys share one slot
            client: redis.Redis = RedisCluster.from_url(  # type: ignore[assignment]
                url.target, socket_timeout=60.0, socket_connect_timeout=10.0
            )
            return client
        # redis-py never sends a command twice: a commit whose reply was lost may have been applied,
        # and only the store's caller, which knows what it wrote, can tell (see dedup.index.retry)
        return redis.Redis.from_url(
            url.target, socket_timeout=60.0, socket_connect_timeout=10.0, retry=Retry(NoBackoff(), 0)
        )
    except ValueError as exc:
        raise IndexStoreError(f"{url.location}: cannot read the Redis URL: {exc}") from None


def close(client: redis.Redis) -> None:
    """Close a client and its connections."""
    if isinstance(client, RedisCluster):
        # redis-py's RedisCluster.close() leaves the node pools of a client made by from_url open
        # (their Redis objects do not own their pools): disconnect them here
        manager = client.nodes_manager
        nodes = {id(n): n for n in [*manager.startup_nodes.values(), *manager.nodes_cache.values()]}
        for node in nodes.values():
            if node.redis_connection is not None:
                node.redis_connection.connection_pool.disconnect()
    client.close()
