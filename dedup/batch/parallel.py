"""Running a stream of tasks in-process or on worker processes, results in order."""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

__all__ = ["ordered", "release_memory"]

R = TypeVar("R")


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return None
    trim: Callable[[int], int] | None = getattr(libc, "malloc_trim", None)
    return trim


def release_memory() -> None:
    """Give the heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    A stage frees its arrays when it ends, but glibc keeps most of them: arrays below its mmap
    threshold, which rises to 32 MB once a larger array is freed, are carved from the heap, and a heap
    is given back only from its top. Without this a worker stays at the high-water mark of its
    largest task, and the parent at that of its largest stage, for the rest of the run (about 0.1 GB
    of a 100,000-article report's peak).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _released(func: Callable[..., R], *args: Any) -> R:
    """``func(*args)``, then the memory it freed given back (in the process that ran it)."""
    try:
        return func(*args)
    finally:
        release_memory()


def ordered(
    executor: Executor | None, tasks: Iterator[tuple[Callable[..., R], tuple[Any, ...]]], window: int
) -> Iterator[R]:
    """Run tasks (in-process, or on ``executor`` with at most ``window`` in flight), results in order."""
    if executor is None:
        for func, args in tasks:
            yield _released(func, *args)
        return
    pending: list[Future[R]] = []
    for func, args in tasks:
        pending.append(executor.submit(_released, func, *args))
        if len(pending) >= window:
            yield pending.pop(0).result()
    while pending:
        yield pending.pop(0).result()
