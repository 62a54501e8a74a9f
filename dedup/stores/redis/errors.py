"""redis-py's errors as :class:`~dedup.errors.IndexStoreError` naming the store."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, Protocol, TypeVar

import redis

from dedup.errors import IndexStoreError

__all__ = ["describe", "redis_errors"]

P = ParamSpec("P")
T = TypeVar("T")


class _Located(Protocol):
    location: str


def describe(exc: redis.RedisError) -> str:
    """What went wrong, in words."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return f"cannot reach Redis: {text}"
    if isinstance(exc, redis.AuthenticationError):
        return f"Redis refused the credentials: {text}"
    return f"Redis error: {text}"


def redis_errors(method: Callable[P, T]) -> Callable[P, T]:
    """Turn redis-py's errors raised by a method into :class:`IndexStoreError` naming its object."""

    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except redis.RedisError as exc:
            owner: _Located = args[0]  # type: ignore[assignment]
            raise IndexStoreError(f"{owner.location}: {describe(exc)}") from None

    return wrapper
