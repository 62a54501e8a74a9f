"""The index's write lock in Redis, fenced, with a thread that renews it while it is held.

As SQLite's ``BEGIN IMMEDIATE``:

1. *acquire*: a script sets ``{P}:lock`` to a fresh token from ``{P}:fence`` (``INCR``) with an
   expiry (``lock_timeout``), only if no one holds it; it also returns the generation. A waiting
   writer retries with a short, growing, jittered pause, up to ``lock_wait``.
2. the holder buffers its writes; its *commit* script checks that ``{P}:lock`` still holds its token
   before it writes anything, and releases the lock (see :mod:`dedup.stores.redis.transaction`).
   A writer whose lock expired (a process paused longer than the expiry, a network partition) has
   its commit refused: the fence.

A thread renews the lock every ``lock_timeout / 3`` while it is held, so a long verification does
not lose it; a paused or dead process stops renewing, and its lock expires.
"""

from __future__ import annotations

import random
import threading
import time
from contextlib import suppress

import redis

from dedup.errors import IndexStoreError
from dedup.stores.redis.errors import redis_errors
from dedup.stores.redis.layout import Keys
from dedup.stores.redis.scripts import Scripts

__all__ = ["WriteLock"]


class WriteLock:
    """The write lock of one index, as one store object takes it (one holder at a time)."""

    def __init__(self, keys: Keys, scripts: Scripts, *, timeout: float, wait: float, location: str) -> None:
        self.keys = keys
        self.scripts = scripts
        #: Seconds the lock lasts unless renewed; seconds a writer waits for it.
        self.timeout = timeout
        self.wait = wait
        self.location = location
        #: The token while this object holds the lock (the renewer extends it), else None.
        self._token: int | None = None
        self._renewer: threading.Thread | None = None
        self._wake = threading.Event()
        self._closed = False

    @redis_errors
    def acquire(self) -> tuple[int, int]:
        """Wait for the lock and take it: its token and the index's generation when taken.

        Raises :class:`IndexStoreError` after ``wait`` seconds.
        """
        ttl = int(self.timeout * 1000)
        deadline = time.monotonic() + self.wait
        pause = 0.0002
        keys = [self.keys.lock, self.keys.fence, self.keys.gen]
        while True:
            token, left, generation = (int(x) for x in self.scripts.acquire(keys=keys, args=[ttl]))
            if token:
                break
            if time.monotonic() >= deadline:
                raise IndexStoreError(
                    f"{self.location}: waited {self.wait:g} s for the write lock that another "
                    "writer holds (a writer that died releases it within lock_timeout)"
                )
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 1.5, 0.005, max(left, 1) / 1000)
        self._token = token
        self._start_renewer()
        return token, generation

    def released(self) -> None:
        """The lock was released (by a commit): stop renewing it."""
        self._token = None

    def release(self, token: int) -> None:
        """Give the lock up without committing (best effort: otherwise it expires by itself)."""
        self._token = None
        with suppress(redis.RedisError):
            self.scripts.release(keys=[self.keys.lock], args=[token])

    def _start_renewer(self) -> None:
        if self._renewer is not None and self._renewer.is_alive():
            return
        self._renewer = threading.Thread(target=self._renew, name="dedup-redis-lock", daemon=True)
        self._renewer.start()

    def _renew(self) -> None:
        """Extend the lock while this object holds it (stops when it is closed)."""
        ttl = int(self.timeout * 1000)
        while not self._closed:
            self._wake.wait(self.timeout / 3)
            token = self._token
            if token is None or self._closed:
                continue
            with suppress(redis.RedisError):  # otherwise the commit's fence decides
                self.scripts.extend(keys=[self.keys.lock], args=[token, ttl])

    def close(self) -> None:
        """Stop the renewer."""
        self._closed = True
        self._wake.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
