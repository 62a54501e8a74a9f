"""What an index records about itself (format, settings, window sample), and checking it on opening."""

from __future__ import annotations

import datetime as dt
import json
import os

from dedup.errors import IncompatibleIndexError, IndexStoreError, SettingsError, require
from dedup.settings import HASH_SCHEME, Settings
from dedup.stores.base import Store, is_url
from dedup.stores.sqlite import SQLiteStore

__all__ = ["DEFAULT_WINDOW_SAMPLE", "FORMAT_VERSION", "check_compatible", "index_meta", "open_store"]

#: Version of the stored data (tables, keys, tokenisation). An index of another format is refused.
#: 2: band keys stored per article and the shingles kept with it (format 1 had a table of keys).
#: 3: line keys computed from the words' hashes; band keys in a table of their own.
#: 4: lines cut at separators and long lines at sentences (the line keys of format 3 differ); band
#:    keys also in sorted run files beside the database (``NAME-keys/``), removed docs listed.
FORMAT_VERSION = 4
#: One window key in this many is stored and looked up (see the module documentation).
DEFAULT_WINDOW_SAMPLE = 4


def open_store(location: str | os.PathLike[str], *, create: bool, busy_timeout: float = 60.0) -> Store:
    """The store at ``location``: a Redis URL, else a SQLite file.

    Raises :class:`~dedup.errors.IndexStoreError` when it cannot be opened (or, without ``create``,
    does not exist).
    """
    if is_url(location):
        require("redis", extra="redis", feature="a Redis index")
        from dedup.stores.redis import RedisStore  # imports redis only when it is used

        return RedisStore(os.fspath(location), create=create)
    return SQLiteStore(location, create=create, busy_timeout=busy_timeout)


def index_meta(
    store: Store, settings: Settings | None, *, window_sample: int | None, create: bool
) -> dict[str, str]:
    """The store's index metadata, written first (with ``settings`` and ``window_sample``) when ``create``.

    Raises :class:`~dedup.errors.IndexStoreError` when the store holds no index and ``create`` is false.
    """
    meta = store.read_meta()
    if meta:
        return meta
    if not create:
        raise IndexStoreError(f"{store.location}: not a dedup index (no metadata)")
    from dedup._version import __version__

    chosen = settings if settings is not None else Settings()
    store.write_meta(
        {
            "format": str(FORMAT_VERSION),
            "dedup_version": __version__,
            "settings": json.dumps(chosen.to_dict(), sort_keys=True),
            "fingerprint": chosen.fingerprint(),
            "window_sample": str(window_sample or DEFAULT_WINDOW_SAMPLE),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )
    return store.read_meta()


def check_compatible(
    location: str, meta: dict[str, str], settings: Settings | None, window_sample: int | None
) -> Settings:
    """The settings to use with an index: its own, or ``settings`` when they agree on every signature setting.

    Raises :class:`~dedup.errors.IncompatibleIndexError` for another format, hash scheme, window
    sample or signature setting, naming each difference.
    """
    fmt = meta.get("format")
    if fmt != str(FORMAT_VERSION):
        raise IncompatibleIndexError(
            f"{location}: index format {fmt} (written by dedup {meta.get('dedup_version', '?')}); "
            f"this version reads format {FORMAT_VERSION}: rebuild the index"
        )
    stored = _meta_settings(meta, location)
    problems = []
    if window_sample is not None and str(window_sample) != meta.get("window_sample"):
        problems.append(f"window_sample: index {meta.get('window_sample')}, requested {window_sample}")
    if settings is None:
        used = stored
    else:
        wanted = settings.signature_dict()
        have = stored.signature_dict()
        for name in sorted(set(wanted) | set(have)):
            if wanted.get(name) != have.get(name):
                problems.append(f"{name}: index {have.get(name)!r}, requested {wanted.get(name)!r}")
        used = settings
    if problems:
        raise IncompatibleIndexError(
            f"{location}: built with other settings than requested ({'; '.join(problems)})"
        )
    return used


def _meta_settings(meta: dict[str, str], location: str) -> Settings:
    try:
        data = json.loads(meta["settings"])
        data.pop("fingerprint", None)
        scheme = data.pop("hash_scheme", HASH_SCHEME)
        if scheme != HASH_SCHEME:
            raise IncompatibleIndexError(
                f"{location}: built with hash scheme {scheme!r}; this version uses {HASH_SCHEME!r}"
            )
        return Settings.from_dict(data)
    except (KeyError, ValueError, TypeError, SettingsError) as exc:
        raise IncompatibleIndexError(f"{location}: unreadable settings in the index: {exc}") from None
