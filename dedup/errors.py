"""Exceptions raised by dedup.

Every error the library raises on purpose derives from :class:`DedupError`, so a caller can catch
one class::

    DedupError
    ├── InputError        an input file, line, record or field is unusable
    ├── SettingsError     a setting is out of range, or two settings do not fit together
    ├── MissingExtra      a feature needs an optional dependency that is not installed
    └── IndexStoreError   a persistent index cannot be opened, read or written
        ├── IncompatibleIndexError   the index was built with other settings or another format
        ├── StoreUnavailable         the store's server cannot be reached for now (retry later)
        └── WriteConflict            an optimistic write found its reads changed (retried inside)

The command line catches :class:`DedupError`, prints its message on one line and exits with status 2.
"""

from __future__ import annotations

__all__ = [
    "DedupError",
    "IncompatibleIndexError",
    "IndexStoreError",
    "InputError",
    "MissingExtra",
    "SettingsError",
    "StoreUnavailable",
    "WriteConflict",
]


class DedupError(Exception):
    """Root of every error raised by dedup on purpose."""


class InputError(DedupError):
    """An input is unusable; the message names the source, and the line and field where known."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.source is not None:
            where = self.source
            if self.line is not None:
                where += f", line {self.line}"
        if self.field is not None:
            where += f"{', ' if where else ''}field {self.field!r}"
        return f"{where}: {self.reason}" if where else self.reason


class SettingsError(DedupError):
    """A setting is out of range or inconsistent with another."""


class MissingExtra(DedupError):
    """A feature needs an optional dependency (a pip extra) that is not installed."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the '{extra}' extra ({module} is not installed): pip install 'dedup[{extra}]'"
        )
        self.extra = extra


def require(module: str, *, extra: str, feature: str) -> None:
    """Raise :class:`MissingExtra` unless ``module`` can be imported."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtra(feature, extra, module)


class IndexStoreError(DedupError):
    """A persistent index cannot be opened, read or written."""


class IncompatibleIndexError(IndexStoreError):
    """The index was built with different detection settings or an unsupported format version."""


class StoreUnavailable(IndexStoreError):
    """The store's server cannot be reached for now; the same call may succeed once it is back.

    A connection refused or cut, a timeout, a server still loading its data.

    A write whose commit was sent when the connection failed may or may not have been applied: the
    caller that knows what it wrote finds out once the server answers again (``dedup filter`` does:
    :class:`dedup.index.retry.Retry`).
    """

    #: When a commit was sent as the server stopped answering: what the index needs to find out
    #: whether it was applied (:meth:`dedup.index.Index.settle`); None otherwise.
    in_flight: object | None = None


class WriteConflict(IndexStoreError):
    """An optimistic write transaction found that what it read had changed; it wrote nothing.

    :meth:`dedup.index.Index.check_and_add` catches it and decides again under the write lock; it
    does not reach a caller of the index.
    """
