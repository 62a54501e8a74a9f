"""Folding the write-ahead log into the database file off the committing path: a background checkpointer.

SQLite, by default, checkpoints in the connection that commits: the commit that takes the log past
``wal_autocheckpoint`` pages (1,000) copies every page of the log into the database file and syncs
both files before it returns, which makes one decision in some twenty-five slow. SQLite's own
advice (https://www.sqlite.org/wal.html, "Automatic Checkpoint"): turn the automatic checkpoint
off and run checkpoints in a separate thread. The store does that:

* the writing connection runs with ``PRAGMA wal_autocheckpoint = 0`` and ``journal_size_limit =
  0`` (the log file is cut back to what it holds when the log restarts, so its size tells how many
  frames were written since: 32 bytes of header and ``page_size + 24`` bytes a frame);
* after each commit, :meth:`Checkpointer.committed` looks at that size (one ``stat``); once
  ``pages`` frames were written since the last checkpoint began (SQLite's own threshold, 1,000
  pages by default), it wakes a thread that runs ``PRAGMA wal_checkpoint(PASSIVE)`` on a
  connection of its own: the log is synced, its pages copied into the file, the file synced, as
  the automatic checkpoint did, at the same pace; a commit never waits for it. A passive checkpoint
  copies the frames committed when it began; while commits came in meanwhile, the thread runs
  another (each shorter than the last), so that the whole log is in the file and the next commit
  restarts the log from its beginning;
* **the bound**: when the log has not restarted for ``limit`` frames (4 x ``pages``: a commit came
  in during each of the thread's checkpoints, or the thread fell behind), the committing connection
  checkpoints itself once, after its commit, while this process writes nothing else; the thread
  has usually copied most of the log already, so this costs the last few commits' pages, and the
  next commit restarts the log. The log file thus stays under about ``limit`` pages plus one
  transaction, whatever the thread's scheduling. (A forked child has no thread: it checkpoints
  every ``pages`` frames in the committing connection, as SQLite did.)
* errors: SQLite ignores a failed automatic checkpoint; here the failure of a checkpoint (in the
  thread or inline) is kept and raised, as an :class:`~dedup.errors.IndexStoreError`, by the next
  write transaction before it writes anything (a commit that returned has stored its article).

Durability is SQLite's with ``synchronous = NORMAL``: a killed process loses nothing it committed
(the log is in the operating system's cache; a checkpoint killed half-way is redone from the log
when the index is next opened); a power cut loses the commits made since the log was last synced,
which a checkpoint does when it begins: at most ``pages`` frames, as before, while the thread keeps
up, and at most ``limit`` frames when it falls behind.

Several processes on one index each run their own thread; their checkpoints take turns (a passive
checkpoint that finds another one running does nothing and reports it). A reader that holds an old
snapshot for long keeps any checkpoint from finishing and the log from restarting (SQLite's
"checkpoint starvation"): the log then grows while the reader lasts, checkpointed by the committing
connection every ``pages`` frames, as before.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import nullcontext
from pathlib import Path

from dedup.errors import IndexStoreError
from dedup.stores.sqlite.errors import store_error

__all__ = ["Checkpointer"]

#: Bytes of the log file's header, and a frame's header (the page follows it).
WAL_HEADER = 32
FRAME_HEADER = 24
#: Checkpoints a thread runs in a row while commits keep coming in during each.
ROUNDS = 8


class Checkpointer:
    """Checkpoints of one writing connection's index, in a thread of their own (see the module).

    ``pages``: frames written since the last checkpoint after which the thread is woken;
    ``limit``: frames after which the committing connection checkpoints itself.
    """

    def __init__(self, path: Path, location: str, *, pages: int, page_size: int, busy_timeout: float) -> None:
        self.path = path
        self.location = location
        self.pages = max(pages, 1)
        self.limit = 4 * self.pages
        self._wal = str(path) + "-wal"
        self._frame = page_size + FRAME_HEADER
        self._busy_timeout = busy_timeout
        #: Frames in the log when the last checkpoint began (0 once the log restarted).
        self._base = 0
        #: Frames in the log at the committing connection's last checkpoint (0 once the log restarted).
        self._inline_at = 0
        self._lock = threading.Lock()  # one checkpoint of this process at a time
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        #: The failure of the last checkpoint, until a write transaction raises it.
        self.error: IndexStoreError | None = None
        #: Checkpoints run by the thread and by the committing connection (for tests and benchmarks).
        self.in_thread = 0
        self.inline = 0

    def frames(self) -> int:
        """Frames written to the log since it last restarted (from the size of the log file)."""
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return 0
        return max(0, (size - WAL_HEADER) // self._frame)

    def committed(self, db: sqlite3.Connection) -> None:
        """After a write transaction of ``db`` committed: wake the thread, or checkpoint here."""
        frames = self.frames()
        if frames < max(self._base, self._inline_at):
            self._base = self._inline_at = 0  # the log restarted
        if frames >= max(self.limit, self._inline_at + self.pages):
            # the log has not restarted for ``limit`` frames (a commit came in during each of the
            # thread's checkpoints, or it fell behind): checkpoint here, after this commit, while this
            # process writes nothing else, so that the next commit restarts the log; usually the thread
            # has copied most of it already. Not again before ``pages`` more frames (a reader holding
            # an old snapshot keeps the log from restarting whatever is done)
            self._inline(db)
            self._inline_at = frames
            return
        if frames - self._base < self.pages:
            return
        if os.getpid() != self._pid:  # a forked child has no thread: checkpoint as SQLite would
            self._inline(db)
            return
        if self._thread is None or not self._thread.is_alive():
            self._stop = False
            self._thread = threading.Thread(target=self._run, name="dedup-checkpoint", daemon=True)
            try:
                self._thread.start()
            except RuntimeError:  # no thread to be had: checkpoint here, the commit stands
                self._thread = None
                self._inline(db)
                return
        self._wake.set()

    def raise_error(self) -> None:
        """Raise the failure of the last checkpoint, once (called before a write transaction writes)."""
        error, self.error = self.error, None
        if error is not None:
            raise error

    def stop(self) -> None:
        """End the thread (after the checkpoint it is running, if any)."""
        thread = self._thread
        if thread is None or os.getpid() != self._pid:
            return
        self._stop = True
        self._wake.set()
        thread.join()
        self._thread = None

    # -- checkpoints ---------------------------------------------------------------------------------

    def _checkpoint(self, db: sqlite3.Connection) -> tuple[int, int, int]:
        """One passive checkpoint: (busy, frames in the log, frames in the file now)."""
        # in a forked child the lock may have been copied held by the parent's thread, which is not there
        with self._lock if os.getpid() == self._pid else nullcontext():
            busy, log, done = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self._base = max(int(log), 0)
        return int(busy), int(log), int(done)

    def _inline(self, db: sqlite3.Connection) -> None:
        try:
            self._checkpoint(db)
            self.inline += 1
        except sqlite3.Error as exc:
            self.error = self._error(exc)

    def _run(self) -> None:
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
            db.execute("PRAGMA synchronous = NORMAL")  # the log synced before copying, the file after
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stop:
                    return
                for _ in range(ROUNDS):
                    busy, log, done = self._checkpoint(db)
                    self.in_thread += 1
                    # another process is checkpointing, or a reader holds older frames: try later
                    if busy or log < 0 or done < log:
                        break
                    if self.frames() <= log or self._stop:
                        break  # everything committed is in the file: the next commit restarts the log
        except sqlite3.Error as exc:
            self.error = self._error(exc)
        finally:
            if db is not None:
                db.close()

    def _error(self, exc: sqlite3.Error) -> IndexStoreError:
        err = store_error(self.location, exc)
        return IndexStoreError(f"{err} (while folding the write-ahead log into the file)")
