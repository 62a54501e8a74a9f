"""redis-py's errors as :class:`~dedup.errors.IndexStoreError` naming the store."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, Protocol, TypeVar

import redis

from dedup.errors import IndexStoreError, StoreUnavailable

__all__ = ["describe", "error_of", "redis_errors", "unreachable"]

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


def unreachable(exc: redis.RedisError) -> bool:
    """Whether ``exc`` says Redis cannot be reached for now (refused, cut, timed out, loading its data).

    Refused credentials are not: trying again does not help.
    """
    return isinstance(exc, redis.ConnectionError | redis.TimeoutError) and not isinstance(
        exc, redis.AuthenticationError
    )


def error_of(exc: redis.RedisError, location: str) -> IndexStoreError:
    """The dedup error for ``exc``: :class:`StoreUnavailable` when Redis cannot be reached for now."""
    kind = StoreUnavailable if unreachable(exc) else IndexStoreError
    return kind(f"{location}: {describe(exc)}")


def redis_errors(method: Callable[P, T]) -> Callable[P, T]:
    """Turn redis-py's errors raised by a method into :class:`IndexStoreError` naming its object.

    :class:`StoreUnavailable` (an ``IndexStoreError``) when Redis cannot be reached for now.
    """

    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except redis.RedisError as exc:
            owner: _Located = args[0]  # type: ignore[assignment]
            raise error_of(exc, owner.location) from None

    return wrapper
