"""The pre-ingest filter on the command line: ``dedup index ...``, ``dedup check`` and ``dedup filter``.

Exit status: 0 success (``check``: every article is new); 1 ``check`` found an article that would be
rejected, ``index remove`` did not find an id, or ``index check`` found problems; 2 an error (an
unusable index or input; for ``filter``, some input lines were error records, the others were all
decided).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO, Any

import click

from dedup.cli.options import (
    keep_of,
    keep_options,
    policy_option,
    settings_from,
    settings_options,
    window_option,
)
from dedup.errors import DedupError, InputError
from dedup.index import DEFAULT_WINDOW_SAMPLE, Index, Keep, Policy, parse_duration
from dedup.index.retry import DEFAULT_RETRY_SECONDS, Retry
from dedup.index.stream import STDIN, Outcome, error_record, filter_lines
from dedup.io.readers import iter_articles
from dedup.io.records import ReadOptions
from dedup.io.render import json_text
from dedup.model import Article, BadRecord, Notice

__all__ = ["check", "filter_command", "index_group"]


def _open(
    path: str, reject: str, window: str | None, *, create: bool = False, keep: Keep | None = None
) -> Index:
    """Open the index with the policy and window options (checked before anything is created)."""
    policy = Policy.from_names(reject.split(","))
    span = parse_duration(window) if window else None
    return Index.open(path, create=create, policy=policy, window=span, keep=keep)


def _say(message: str) -> None:
    click.echo(message, err=True)


def _warn(notice: Notice) -> None:
    _say(f"warning: {notice}")


def _json_line(data: dict[str, Any]) -> bytes:
    return (json_text(data) + "\n").encode("utf-8")


class _Progress:
    """A status line on stderr every ``every`` seconds, and a summary at the end."""

    def __init__(self, label: str, *, quiet: bool, every: float = 5.0) -> None:
        self.label = label
        self.quiet = quiet
        self.every = every
        self.start = time.monotonic()
        self.last = self.start
        self.counts = {"kept": 0, "rejected": 0, "errors": 0}

    def count(self, what: str) -> None:
        self.counts[what] += 1
        now = time.monotonic()
        if not self.quiet and now - self.last >= self.every:
            self.last = now
            _say(self.line())

    def line(self) -> str:
        total = sum(self.counts.values())
        rate = total / max(time.monotonic() - self.start, 1e-9)
        c = self.counts
        return (
            f"dedup {self.label}: {total:,} article{'' if total == 1 else 's'} ({c['kept']:,} kept, "
            f"{c['rejected']:,} rejected, {c['errors']:,} errors), {rate:,.0f}/s"
        )


# -- dedup index ... ----------------------------------------------------------------------------------


@click.group("index")
def index_group() -> None:
    """Create and maintain a persistent index of articles.

    PATH is a SQLite file, or a Redis URL shared by many workers (redis://host:port/db?prefix=news).
    """


@index_group.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--window-sample",
    type=click.IntRange(1, 1024),
    default=DEFAULT_WINDOW_SAMPLE,
    show_default=True,
    help="Store one window key in N (a smaller index that may miss overlaps resting on few windows).",
)
@settings_options
def create(path: str, window_sample: int, **values: Any) -> None:
    """Create an empty index at PATH with the given detection settings."""
    settings = settings_from(values)
    with Index.create(path, settings, window_sample=window_sample) as index:
        click.echo(f"created {path} (settings {index.settings.fingerprint()})")


@index_group.command("add")
@click.argument("path", type=click.Path(dir_okay=False))
@click.argument("inputs", nargs=-1, required=True)
@click.option("--id-field", default="id", show_default=True, help="JSONL/CSV field holding the id.")
@click.option("--text-field", default="text", show_default=True, help="JSONL/CSV field holding the text.")
@click.option(
    "--skip-bad", is_flag=True, help="Report unusable records and go on (exit status 2 at the end)."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def add(
    path: str, inputs: tuple[str, ...], id_field: str, text_field: str, skip_bad: bool, quiet: bool
) -> None:
    """Store every article of INPUTS in the index at PATH, without checking them (loading an archive).

    Ids already stored are skipped. To keep duplicates out, use ``dedup filter`` instead.
    """
    options = ReadOptions(id_field=id_field, text_field=text_field, skip_bad=skip_bad)
    bad: list[BadRecord] = []

    def articles() -> Iterator[Article]:
        for item in iter_articles(inputs, options, emit=lambda n: None if quiet else _say(f"warning: {n}")):
            if isinstance(item, BadRecord):
                bad.append(item)
                where = item.source + (f", line {item.line}" if item.line is not None else "")
                _say(f"dedup: error: {where}: {item.error}")
                continue
            yield item

    start = time.monotonic()

    def progress(done: int) -> None:
        if not quiet:
            _say(f"dedup index add: {done:,} articles, {done / (time.monotonic() - start):,.0f}/s")

    with Index.open(path) as index:
        result = index.add_many(articles(), progress=progress)
    click.echo(f"added {result.added}, already stored {len(result.already_stored)}")
    if bad:
        _say(f"dedup: {len(bad)} unusable record(s) not added")
        sys.exit(2)


@index_group.command("stats")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(path: str, as_json: bool) -> None:
    """Size, settings and versions of the index at PATH."""
    with Index.open(path) as index:
        data = index.stats().to_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        if key == "settings":
            continue
        click.echo(f"{key:18} {value}")
    click.echo(f"{'settings':18} " + ", ".join(f"{k}={v}" for k, v in data["settings"].items()))


@index_group.command("get")
@click.argument("path", type=click.Path(dir_okay=False))
@click.argument("ids", nargs=-1, required=True)
def get(path: str, ids: tuple[str, ...]) -> None:
    """Print the stored articles with these IDS as JSON lines (exit status 1 if one is missing)."""
    missing = []
    with Index.open(path) as index:
        for article_id in ids:
            stored = index.get(article_id)
            if stored is None:
                missing.append(article_id)
            else:
                click.echo(json_text(stored.to_dict()))
    if missing:
        _say("not found: " + ", ".join(missing))
        sys.exit(1)


@index_group.command("remove")
@click.argument("path", type=click.Path(dir_okay=False))
@click.argument("ids", nargs=-1, required=True)
def remove(path: str, ids: tuple[str, ...]) -> None:
    """Remove the articles with these IDS (exit status 1 if one was not stored)."""
    with Index.open(path) as index:
        missing = [article_id for article_id in ids if not index.remove(article_id)]
    click.echo(f"removed {len(ids) - len(missing)}")
    if missing:
        _say("not found: " + ", ".join(missing))
        sys.exit(1)


@index_group.command("prune")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--older-than", required=True, metavar="DURATION", help="Age, e.g. 30d, 12h, 2w.")
def prune(path: str, older_than: str) -> None:
    """Remove articles published (or, without a date, added) more than DURATION ago."""
    with Index.open(path) as index:
        removed = index.prune(older_than=parse_duration(older_than))
    click.echo(f"removed {removed}")


@index_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def check_index(path: str, as_json: bool) -> None:
    """Check that the index at PATH is sound (exit status 1 if it is not).

    The file itself (SQLite), then whether the stored articles, their band keys and the line
    statistics agree with each other. Reads every stored article.
    """
    with Index.open(path) as index:
        location = index.store.location
        problems = index.integrity_check()
        articles = len(index) if not problems else None
    if as_json:
        click.echo(json.dumps({"location": location, "sound": not problems, "problems": problems}, indent=2))
    elif problems:
        for problem in problems:
            click.echo(problem)
        _say(f"{location}: {len(problems)} problem(s) found")
    else:
        click.echo(f"{location}: sound ({articles} articles)")
    if problems:
        sys.exit(1)


# -- dedup check --------------------------------------------------------------------------------------


@click.command("check")
@click.option(
    "--index",
    "index_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The index: a SQLite file or a redis:// URL.",
)
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file.")
@click.option("--id-field", default="id", show_default=True, help="JSONL/CSV field holding the id.")
@click.option("--text-field", default="text", show_default=True, help="JSONL/CSV field holding the text.")
@click.option("--skip-bad", is_flag=True, help="Write an error line for unusable records and go on.")
@policy_option
@window_option
@keep_options
def check(
    index_path: str,
    inputs: tuple[str, ...],
    output: str | None,
    id_field: str,
    text_field: str,
    skip_bad: bool,
    reject: str,
    window: str | None,
    keep_policy: str,
    source_rank: str | None,
) -> None:
    """Decide about each article of INPUTS against the index, adding nothing: one JSON line each.

    Exit status: 0 if every article is new, 1 if any would be rejected, 2 on an error.
    Articles of INPUTS are not compared with each other, only with the index.
    """
    options = ReadOptions(id_field=id_field, text_field=text_field, skip_bad=skip_bad)
    rejected = errors = 0
    with ExitStack() as stack:
        out: IO[bytes] = stack.enter_context(open(output, "wb")) if output else sys.stdout.buffer
        keep = keep_of(keep_policy, source_rank)
        index = stack.enter_context(_open(index_path, reject, window, keep=keep))
        for item in iter_articles(inputs, options, emit=_warn):
            if isinstance(item, BadRecord):
                errors += 1
                out.write(_json_line(error_record(item.error, line=item.line, source=item.source)))
                continue
            try:
                decision = index.check(item)
            except InputError as exc:
                if not skip_bad:
                    raise
                errors += 1
                out.write(_json_line(error_record(str(exc), article_id=item.id, source=item.origin)))
                continue
            rejected += decision.rejected
            out.write(_json_line(decision.to_dict()))
    if errors:
        sys.exit(2)
    if rejected:
        sys.exit(1)


# -- dedup filter -------------------------------------------------------------------------------------


def _open_for_filter(
    path: str, reject: str, window: str | None, *, create: bool, quiet: bool, keep: Keep
) -> Index:
    """Open (or create) the filter's index; bad options stop the run before the index is created."""
    Policy.from_names(reject.split(","))
    if window:
        parse_duration(window)
    if not Index.exists(path):
        if not create:
            raise DedupError(f"{path}: no such index")
        if not quiet:
            _say(f"dedup filter: creating {path} with default settings")
    return _open(path, reject, window, create=create, keep=keep)


def _appending(stack: ExitStack, path: str | None) -> IO[bytes] | None:
    """``path`` opened to append to, closed with ``stack``; None without a path."""
    return stack.enter_context(open(path, "ab")) if path else None


class _Outputs:
    """Where ``dedup filter`` writes each line (kept to stdout) and its record."""

    def __init__(
        self,
        stack: ExitStack,
        *,
        decisions: str | None,
        rejects: str | None,
        errors: str | None,
        replaced: str | None,
        quiet: bool,
    ) -> None:
        self.decisions = _appending(stack, decisions)
        self.replaced = _appending(stack, replaced)
        self.lines: dict[str, IO[bytes] | None] = {
            "kept": sys.stdout.buffer,
            "rejected": _appending(stack, rejects),
            "error": _appending(stack, errors),
        }
        # an error goes to stderr when it is written nowhere else
        self.say_errors = not quiet and errors is None and decisions is None

    def write(self, outcome: Outcome) -> None:
        """Write the line where it belongs, then its record; each at once (the index has committed it)."""
        target = self.lines[outcome.kind]
        if target is not None:
            target.write(outcome.text + b"\n")
            target.flush()
        record = outcome.record()
        if outcome.kind == "error" and self.say_errors:
            _say(f"dedup: error: {STDIN}, line {outcome.line}: {record['error']}")
        if self.decisions is not None:
            self.decisions.write(_json_line(record))
            self.decisions.flush()
        if self.replaced is not None and outcome.decision is not None and outcome.decision.replaced:
            for gone in outcome.decision.replaced:
                self.replaced.write(
                    _json_line({**gone.stored.to_dict(), "dedup_replaced": gone.removal.to_dict()})
                )
            self.replaced.flush()


@click.command("filter")
@click.option(
    "--index",
    "index_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The index: a SQLite file or a redis:// URL.",
)
@click.option(
    "--decisions",
    type=click.Path(dir_okay=False, writable=True),
    help="Write one decision line per input line.",
)
@click.option("--rejects", type=click.Path(dir_okay=False, writable=True), help="Write rejected lines here.")
@click.option(
    "--errors",
    type=click.Path(dir_okay=False, writable=True),
    help="Write unusable input lines here, unchanged.",
)
@click.option(
    "--replaced",
    type=click.Path(dir_okay=False, writable=True),
    help="Write here the stored articles that a later copy replaced (--keep), each with why.",
)
@click.option("--id-field", default="id", show_default=True, help="JSON field holding the id.")
@click.option("--text-field", default="text", show_default=True, help="JSON field holding the text.")
@click.option(
    "--encoding",
    "fallback_encoding",
    default="cp1252",
    show_default=True,
    help="Encoding tried for lines that are not UTF-8 (with a warning).",
)
@click.option(
    "--create/--no-create", default=True, show_default=True, help="Create the index if it is missing."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.option(
    "--progress-every", type=click.FloatRange(min=0.1), default=5.0, show_default=True, help="Seconds."
)
@click.option(
    "--redis-retry",
    "retry_seconds",
    type=click.FloatRange(min=0, max=86400),
    default=DEFAULT_RETRY_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="While a Redis index cannot be reached, try again for this long before stopping (exit 2).",
)
@policy_option
@window_option
@keep_options
def filter_command(
    index_path: str,
    decisions: str | None,
    rejects: str | None,
    errors: str | None,
    replaced: str | None,
    id_field: str,
    text_field: str,
    fallback_encoding: str,
    create: bool,
    quiet: bool,
    progress_every: float,
    retry_seconds: float,
    reject: str,
    window: str | None,
    keep_policy: str,
    source_rank: str | None,
) -> None:
    """Keep duplicates out of a JSONL stream: read articles on stdin, check-and-add each in order.

    Kept lines go to stdout unchanged; rejected lines to --rejects; unusable lines to --errors; one
    decision per input line to --decisions ({"id", "action", "relation", "reason", "stored",
    "matches", "line"}). Every input line ends up in exactly one of kept, rejected or error. An id
    already stored is rejected with relation "already-stored", so a re-run adds nothing twice.

    With --keep earliest|longest|source-rank, a copy of a stored article that the policy ranks
    first is kept and replaces it: its decision lists the replaced articles ("replaced": id, why),
    and --replaced gets each replaced article as stored, with why.

    While a Redis index cannot be reached, the filter says so on stderr and tries again for
    --redis-retry seconds, then goes on where it was; an article whose commit was cut off is
    decided once, as if nothing had happened. If Redis stays away, it stops (exit status 2) naming
    the first input line without a decision: run again from there.
    """
    options = ReadOptions(id_field=id_field, text_field=text_field, fallback_encoding=fallback_encoding)
    keep = keep_of(keep_policy, source_rank)
    progress = _Progress("filter", quiet=quiet, every=progress_every)
    retry = Retry(retry_seconds, say=lambda line: _say(f"dedup filter: {line}"))
    with ExitStack() as stack:
        opened = retry.call(
            lambda: _open_for_filter(index_path, reject, window, create=create, quiet=quiet, keep=keep),
            doing="opening the index",
        )
        index = stack.enter_context(opened)
        out = _Outputs(
            stack, decisions=decisions, rejects=rejects, errors=errors, replaced=replaced, quiet=quiet
        )
        for outcome in filter_lines(index, sys.stdin.buffer, options, emit=_warn, retry=retry):
            out.write(outcome)
            progress.count("errors" if outcome.kind == "error" else outcome.kind)
    if not quiet:
        _say(progress.line())
    if progress.counts["errors"]:
        if not quiet:
            _say(f"dedup filter: {progress.counts['errors']} input line(s) could not be used")
        sys.exit(2)
