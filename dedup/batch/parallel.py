"""Running a stream of tasks in-process or on worker processes, results in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

__all__ = ["ordered"]

R = TypeVar("R")


def ordered(
    executor: Executor | None, tasks: Iterator[tuple[Callable[..., R], tuple[Any, ...]]], window: int
) -> Iterator[R]:
    """Run tasks (in-process, or on ``executor`` with at most ``window`` in flight), results in order."""
    if executor is None:
        for func, args in tasks:
            yield func(*args)
        return
    pending: list[Future[R]] = []
    for func, args in tasks:
        pending.append(executor.submit(func, *args))
        if len(pending) >= window:
            yield pending.pop(0).result()
    while pending:
        yield pending.pop(0).result()
