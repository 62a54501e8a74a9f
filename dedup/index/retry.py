"""Going on while the store's server is away for a while: calls that wait for it, for a bounded time.

A networked store (Redis) raises :class:`~dedup.errors.StoreUnavailable` when its server cannot be
reached: stopped, restarting, still loading its data, cut off. :class:`Retry` calls again with a
growing, jittered pause (0.1 s doubling up to 2 s) until the call succeeds or ``seconds`` have passed
since the first failure of this outage; then it raises the last error, saying how long it tried.

A check-and-add whose commit was sent as the server went away may have been applied or not.
:meth:`Retry.check_and_add` finds out before anything else once the server answers
(:meth:`Index.settle <dedup.index.Index.settle>`): an article stored by that commit is reported
kept, as it was, and is not decided a second time; one that was not stored is decided again. Each
article thus gets exactly one decision, the one an uninterrupted run would give it.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from typing import TypeVar

from dedup.errors import StoreUnavailable
from dedup.index.index import Index, InFlight
from dedup.index.results import Decision
from dedup.model import Article

__all__ = ["DEFAULT_RETRY_SECONDS", "Retry"]

T = TypeVar("T")

#: Seconds ``dedup filter`` waits for an unreachable store before it gives up (``--redis-retry``).
DEFAULT_RETRY_SECONDS = 30.0


class Retry:
    """Calls that wait out an unreachable store for up to ``seconds`` per outage.

    ``say`` receives one line when an outage begins and one when it ends (what ``dedup filter``
    prints on stderr). ``seconds=0`` gives up at the first failure.
    """

    def __init__(
        self,
        seconds: float = DEFAULT_RETRY_SECONDS,
        *,
        say: Callable[[str], None] | None = None,
        first: float = 0.1,
        longest: float = 2.0,
    ) -> None:
        self.seconds = seconds
        self.say = say
        self.first = first
        self.longest = longest
        #: Outages waited out, and the seconds they lasted (as this object saw them).
        self.outages = 0
        self.waited = 0.0

    def call(self, what: Callable[[], T], *, doing: str = "") -> T:
        """``what()``, called again while it raises :class:`StoreUnavailable`, for up to ``seconds``.

        ``doing`` says what was being done, in the lines said (``"at input line 12"``).
        """
        return self._loop(lambda _: what(), doing)

    def check_and_add(
        self, index: Index, article: Article, *, window: dt.timedelta | None = None, doing: str = ""
    ) -> Decision:
        """:meth:`Index.check_and_add`, waiting out an unreachable store; one decision per article.

        Raises the last :class:`StoreUnavailable` when the store is still away after ``seconds``;
        its ``in_flight`` is set when the article may have been stored by a commit cut off then.
        """
        pending: list[InFlight] = []

        def attempt(error: StoreUnavailable | None) -> Decision:
            if error is not None and isinstance(error.in_flight, InFlight):
                pending[:] = [error.in_flight]
            if pending:
                settled = index.settle(pending[0])
                if settled is not None:
                    return settled
                pending.clear()  # not applied: decide again
            return index.check_and_add(article, window=window)

        try:
            return self._loop(attempt, doing)
        except StoreUnavailable as exc:
            if pending and exc.in_flight is None:
                exc.in_flight = pending[0]
            raise

    def _loop(self, what: Callable[[StoreUnavailable | None], T], doing: str) -> T:
        error: StoreUnavailable | None = None
        started = 0.0
        pause = self.first
        while True:
            try:
                result = what(error)
            except StoreUnavailable as exc:
                now = time.monotonic()
                if error is None:
                    started = now
                    if self.say is not None and self.seconds > 0:
                        self.say(f"{exc}{_at(doing)}; retrying for up to {self.seconds:g} s")
                error = exc
                left = started + self.seconds - now
                if left <= 0:
                    self.waited += now - started
                    gave_up = StoreUnavailable(
                        f"{exc} (tried again for {now - started:.0f} s)" if self.seconds > 0 else str(exc)
                    )
                    gave_up.in_flight = exc.in_flight
                    raise gave_up from exc
                time.sleep(min(pause * (0.5 + random.random()), left))
                pause = min(pause * 2, self.longest)
                continue
            if error is not None:
                lasted = time.monotonic() - started
                self.outages += 1
                self.waited += lasted
                if self.say is not None:
                    self.say(f"the store answers again after {lasted:.1f} s; going on{_at(doing)}")
            return result


def _at(doing: str) -> str:
    return f" ({doing})" if doing else ""
