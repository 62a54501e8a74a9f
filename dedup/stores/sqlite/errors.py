"""SQLite's errors as :class:`~dedup.errors.IndexStoreError`, naming the index and saying what went wrong."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from dedup.errors import IndexStoreError

__all__ = ["store_error", "translated"]


class _Located(Protocol):
    location: str


def store_error(location: str, exc: sqlite3.Error) -> IndexStoreError:
    """An :class:`IndexStoreError` naming the index and saying, in words, what went wrong."""
    text = str(exc)
    code = getattr(exc, "sqlite_errorname", "") or ""
    if "readonly" in text or code.startswith("SQLITE_READONLY"):
        what = "the index is read-only (the file or its folder cannot be written): nothing was stored"
    elif code.startswith("SQLITE_FULL") or "disk is full" in text:
        what = "disk full: the last change was not stored (what was stored before is intact)"
    elif code.startswith("SQLITE_BUSY") or "locked" in text:
        what = "another process kept the index locked for longer than the busy timeout"
    elif code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text:
        what = f"the index file is damaged ({text}): restore it from a backup or rebuild it"
    elif code.startswith("SQLITE_IOERR") or "I/O error" in text:
        what = f"disk I/O error ({text})"
    elif code.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        what = f"cannot open the index or its journal ({text})"
    else:
        what = text
    return IndexStoreError(f"{location}: {what}")


F = TypeVar("F", bound=Callable[..., Any])


def translated(method: F) -> F:
    """Turn SQLite's exceptions raised by ``method`` into :class:`IndexStoreError`."""

    @functools.wraps(method)
    def wrapper(self: _Located, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise store_error(self.location, exc) from exc

    return cast(F, wrapper)
