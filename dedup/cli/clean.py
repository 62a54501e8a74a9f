"""``dedup report --keep POLICY --write-kept FILE --write-removed FILE``: the deduplicated corpus.

The options, their checks, and the writing of both files at once (each into a temporary file beside
it, both renamed into place only when every record is written).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

from dedup.engine.keep import KEEP_POLICIES, KeepPolicy, plan_removals
from dedup.io.clean import CleanCounts, write_cleaned
from dedup.model import Article, Report

__all__ = ["CleanRequest", "clean_options", "clean_request", "source_names", "write_clean"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class CleanRequest:
    """What the user asked for: the policy, its source ranking, and the files to write."""

    policy: KeepPolicy
    source_rank: tuple[str, ...]
    kept: str | None
    removed: str | None


def clean_options(func: F) -> F:
    """Add ``--keep``, ``--source-rank``, ``--write-kept`` and ``--write-removed``."""
    options = [
        click.option(
            "--keep",
            "keep_policy",
            type=click.Choice(KEEP_POLICIES),
            default=None,
            help="Corpus cleaning: which article of each group of copies (near-duplicates, containment) "
            "is kept: the earliest published, the longest, the first in the input, or the best-ranked "
            "source (--source-rank). Needs --write-kept and/or --write-removed.",
        ),
        click.option(
            "--source-rank",
            default=None,
            metavar="NAMES",
            help="For --keep source-rank: sources from most to least preferred, comma-separated, or "
            "@FILE with one per line.",
        ),
        click.option(
            "--write-kept",
            type=click.Path(dir_okay=False, writable=True),
            default=None,
            help="Write the kept articles here (JSONL, in input order).",
        ),
        click.option(
            "--write-removed",
            type=click.Path(dir_okay=False, writable=True),
            default=None,
            help="Write the removed articles here (JSONL), each with the id it duplicates and why; "
            "records that could not be read (--skip-bad) go here too.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def source_names(value: str) -> tuple[str, ...]:
    """The sources of ``--source-rank``: comma-separated names, or ``@FILE`` with one per line."""
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise click.BadParameter(f"{path}: {exc.strerror or exc}", param_hint="--source-rank") from None
        names = [line.strip() for line in lines]
    else:
        names = [part.strip() for part in value.split(",")]
    return tuple(n for n in names if n)


def clean_request(values: dict[str, Any]) -> CleanRequest | None:
    """The cleaning asked for with the command's options (None: none), or a usage error."""
    policy = values.pop("keep_policy")
    rank = values.pop("source_rank")
    kept = values.pop("write_kept")
    removed = values.pop("write_removed")
    if policy is None:
        if kept or removed:
            raise click.UsageError(
                "--write-kept/--write-removed need --keep earliest|longest|first|source-rank "
                "(which article of a group of copies is kept)"
            )
        if rank is not None:
            raise click.UsageError("--source-rank is used with --keep source-rank")
        return None
    if not kept and not removed:
        raise click.UsageError("--keep needs --write-kept FILE and/or --write-removed FILE")
    if kept and removed and os.path.abspath(kept) == os.path.abspath(removed):
        raise click.UsageError("--write-kept and --write-removed must be different files")
    names: tuple[str, ...] = ()
    if policy == "source-rank":
        if not rank:
            raise click.UsageError("--keep source-rank needs --source-rank NAMES (or @FILE)")
        names = source_names(rank)
        if not names:
            raise click.UsageError("--source-rank names no source")
    elif rank is not None:
        raise click.UsageError("--source-rank is used with --keep source-rank")
    return CleanRequest(policy, names, kept, removed)


@contextmanager
def _replacing(paths: Iterable[str | None]) -> Iterator[list[TextIO | None]]:
    """Open a temporary file beside each path; on success rename each over its path, else remove them all."""
    opened: list[tuple[str, str]] = []
    with ExitStack() as stack:
        handles: list[TextIO | None] = []
        try:
            for path in paths:
                if path is None:
                    handles.append(None)
                    continue
                target = Path(path)
                try:
                    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
                except OSError as exc:
                    raise OSError(exc.errno, exc.strerror, path) from None
                opened.append((tmp, path))
                handles.append(stack.enter_context(open(fd, "w", encoding="utf-8", newline="")))
            yield handles
            stack.close()
            for tmp, path in opened:
                os.chmod(tmp, 0o666 & ~_umask())
                os.replace(tmp, path)
        except BaseException:
            stack.close()
            for tmp, _ in opened:
                Path(tmp).unlink(missing_ok=True)
            raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_clean(
    request: CleanRequest, report: Report, articles: Iterable[Article], *, id_field: str, text_field: str
) -> CleanCounts:
    """Decide what is kept and write both files (``articles``: the input read again, in order)."""
    removals = plan_removals(
        report.pairs, report.provenance, report.ids, request.policy, source_rank=request.source_rank
    )
    with _replacing([request.kept, request.removed]) as (kept, removed):
        return write_cleaned(
            articles,
            removals,
            report.bad_records,
            kept=kept,
            removed=removed,
            expected=report.documents,
            id_field=id_field,
            text_field=text_field,
        )
