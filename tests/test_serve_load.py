"""``dedup serve`` under a short bounded load: the benchmark's checks, without its figures.

The same run as ``python -m benchmarks.serve_load`` (a real server process on a loopback port, a
SQLite index, concurrent clients mixing new articles, reprints, checks, reads, malformed JSON,
oversized bodies, wrong tokens and slow clients), shorter: 24 clients, 4 of them slow, a warm-up
of 150 stored articles, then 20 seconds. It must end with no 5xx, every answer the status its kind
expects and every error in JSON, the index holding exactly the articles the clients were told were
stored (each once, none told rejected, every article a rejection cited), a clean integrity check,
and every reprint of an article stored before it was sent rejected. Memory is not judged here: the
server's bounded caches take longer than this run to fill (the benchmark warms up until 4,000
articles are stored, then checks that memory stays within 10%); latency is not judged anywhere in
the tests.
"""

from __future__ import annotations

import signal
from pathlib import Path

from benchmarks.serve_load import EXPECTED, LoadSettings, markdown, run_load


def test_a_short_load_loses_nothing_and_decides_nothing_twice(tmp_path: Path) -> None:
    settings = LoadSettings(clients=24, slow=4, warmup=150, seconds=20, check_memory=False, seed=3)
    result = run_load(settings, tmp_path)
    print(markdown(result))
    assert result.problems == []
    assert result.server_exit in (0, -signal.SIGTERM)
    assert set(result.requests) == set(EXPECTED)  # every kind of request was sent and answered
    assert dict(result.statuses.keys()) == EXPECTED  # one status per kind, the expected one
    told_stored = [t.id for t in result.told if t.stored]
    assert result.stored == len(told_stored) > 100
    assert result.duplicates_checked > 20
    assert result.server_errors == 0
