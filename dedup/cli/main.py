"""The ``dedup`` command line: a thin layer that reads inputs, calls the library and renders its objects.

Exit status: 0 success; 1 a check found articles that would be rejected; 2 an error the user can fix
(bad input, bad settings, unusable index, a file that cannot be read or written); 3 an internal error
(a bug); 130 interrupted. Errors print one line on stderr, never a traceback; ``--debug`` (or
``DEDUP_DEBUG=1``) prints the traceback too.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from dedup._version import __version__
from dedup.batch.local import default_workers
from dedup.cli.clean import clean_options, clean_request, write_clean
from dedup.cli.filter import check, filter_command, index_group
from dedup.cli.options import make_read_options, read_options, settings_from, settings_options
from dedup.cli.serve import serve
from dedup.detector import Detector
from dedup.errors import DedupError
from dedup.io.html import render_html
from dedup.io.readers import stream_articles
from dedup.io.render import render_json, render_table
from dedup.model import Article, BadRecord, Notice
from dedup.settings import Settings

__all__ = ["EXIT_ERROR", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "cli", "main", "write_output"]

#: Exit status of an error the user can fix: bad input or settings, an unusable index, an I/O error.
EXIT_ERROR = 2
#: Exit status of an internal error (a bug in dedup).
EXIT_INTERNAL = 3
#: Exit status after Ctrl-C.
EXIT_INTERRUPTED = 130


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def warn(console: Console, message: object) -> None:
    """One warning line on stderr (the message is printed as it is, never read as rich markup)."""
    console.print(Text.assemble(("warning: ", "yellow"), str(message)), soft_wrap=True)


def _new_file_mode(target: Path) -> int:
    """The mode ``open(target, "w")`` would give: the existing file's, else 0o666 less the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def write_output(path: str, write: Callable[[TextIO], object]) -> None:
    """Write a file all at once: into a temporary file beside it, renamed over it when complete.

    A run that fails half-way (disk full, Ctrl-C) leaves any earlier file as it was, never half a file.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, path) from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
        os.chmod(tmp, _new_file_mode(target))
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, path) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on stderr (articles/s), or nothing with ``--quiet``."""
    if quiet:
        yield None
        return
    console = _stderr()
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        tasks: dict[str, Any] = {}
        units = {"fingerprint": "articles", "boilerplate": "articles", "candidates": "partitions"}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None, rate="")
            task = bar.tasks[tasks[stage]]
            speed = task.speed
            rate = f"{speed:,.0f} {units.get(stage, 'pairs')}/s" if speed else ""
            bar.update(tasks[stage], completed=done, total=total or None, rate=rate)

        yield update


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="dedup")
@click.option("--debug", is_flag=True, help="Print the full traceback on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Find reprints, containment and overlapping reports in news articles, with the passages they share."""
    ctx.obj = {"debug": debug}


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "html"]),
    default="table",
    show_default=True,
    help="Output format (html: one self-contained page with the passages side by side).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file.")
@click.option(
    "--limit", type=click.IntRange(min=0), default=None, help="Show at most this many pairs (table, html)."
)
@click.option(
    "--all-pairs",
    is_flag=True,
    help="List every pair. By default a pair whose passages all lie in a passage cluster of more than 10 "
    "articles is left out (one pair per member of the cluster is kept; the JSON counts the others in "
    "pairs_omitted), so that a passage shared by N articles adds N, not N*N, to the output.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for large corpora  [default: the CPUs available]",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="local: processes on this machine; spark: Apache Spark (JSONL or Parquet inputs, any path "
    "Spark reads; needs the 'spark' extra). See docs/spark.md.",
)
@click.option(
    "--master",
    default="local[*]",
    show_default=True,
    help="Spark master (local[N], spark://HOST:PORT, yarn).",
)
@click.option(
    "--spark-conf", "spark_conf", multiple=True, metavar="KEY=VALUE", help="A Spark setting (repeatable)."
)
@click.option(
    "--dataset",
    type=str,
    default=None,
    metavar="FOLDER",
    help="--engine spark: write pairs, passages and clusters as datasets under FOLDER (any path Spark "
    "writes) instead of a report.",
)
@click.option(
    "--dataset-format",
    type=click.Choice(["parquet", "jsonl"]),
    default="parquet",
    show_default=True,
    help="Format of the --dataset files.",
)
@clean_options
@read_options
@settings_options
def report(
    inputs: tuple[str, ...],
    fmt: str,
    output: str | None,
    limit: int | None,
    all_pairs: bool,
    quiet: bool,
    workers: int | None,
    engine: str,
    master: str | None,
    spark_conf: tuple[str, ...],
    dataset: str | None,
    dataset_format: str,
    **values: Any,
) -> None:
    """Report which articles in INPUTS overlap, how, and exactly which passages they share.

    INPUTS are folders (every .txt/.md file below is an article, id = relative path), .txt/.md files
    (one article each), .jsonl/.csv/.tsv files, or - for JSONL on stdin. With --engine spark: JSONL
    and Parquet files or folders.
    """
    cleaning = clean_request(values)
    settings = settings_from(values)
    if engine == "spark":
        if cleaning is not None:
            raise click.UsageError("--keep and --write-kept/--write-removed run with the local engine only")
        _report_on_spark(inputs, settings, values, fmt, output, limit, quiet, master, spark_conf,
                         dataset, dataset_format, all_pairs)  # fmt: skip
        return
    if dataset is not None:
        raise click.UsageError("--dataset needs --engine spark")
    notices: list[Notice] = []
    bad_records: list[BadRecord] = []
    articles = stream_articles(inputs, make_read_options(values), notices=notices, bad_records=bad_records)
    # The page shows the texts of the paired articles and cleaning writes every article: files are read
    # again afterwards (memory stays bounded); articles from stdin are kept as they stream by.
    again = fmt == "html" or cleaning is not None
    kept: list[Article] | None = [] if again and "-" in inputs else None
    if kept is not None:
        articles = _keeping(articles, kept)
    with progress_bar(quiet) as progress:
        result = Detector(settings).report(
            articles,
            workers=workers if workers is not None else default_workers(),
            progress=progress,
            notices=notices,
            bad_records=bad_records,
        )
    if not quiet:
        err = _stderr()
        for notice in notices:
            warn(err, notice)

    def read_again() -> Iterable[Article]:
        if kept is not None:
            return kept
        return stream_articles(inputs, make_read_options(values), notices=[], bad_records=[])

    if cleaning is not None:
        counts = write_clean(
            cleaning, result, read_again(), id_field=values["id_field"], text_field=values["text_field"]
        )
        if not quiet:
            _stderr().print(
                Text(
                    f"kept {counts.kept:,} articles"
                    + (f" ({cleaning.kept})" if cleaning.kept else "")
                    + f", removed {counts.removed:,} copies"
                    + (f" and {counts.unreadable:,} unreadable records" if counts.unreadable else "")
                    + (f" ({cleaning.removed})" if cleaning.removed else "")
                ),
                soft_wrap=True,
            )
    if fmt in ("json", "html"):
        if fmt == "json":
            text = render_json(result, all_pairs=all_pairs)
        else:
            text = render_html(result, read_again(), limit=limit, all_pairs=all_pairs)
        if output:
            write_output(output, lambda fh: fh.write(text))
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(text.encode("utf-8"))
            sys.stdout.flush()
        return
    if output:
        write_output(
            output,
            lambda fh: render_table(
                result, Console(file=fh, width=120, force_terminal=False), limit=limit, all_pairs=all_pairs
            ),
        )
    else:
        render_table(result, Console(), limit=limit, all_pairs=all_pairs)


def _report_on_spark(
    inputs: tuple[str, ...],
    settings: Settings,
    values: dict[str, Any],
    fmt: str,
    output: str | None,
    limit: int | None,
    quiet: bool,
    master: str | None,
    spark_conf: tuple[str, ...],
    dataset: str | None,
    dataset_format: str,
    all_pairs: bool,
) -> None:
    from dedup.batch.spark import read_articles, run_spark, spark_session

    conf = {}
    for item in spark_conf:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--spark-conf")
        conf[key.strip()] = value
    if "-" in inputs:
        raise click.UsageError("--engine spark reads files or folders, not standard input")
    options = make_read_options(values)
    spark = spark_session(master, conf)
    try:
        bad_records: list[BadRecord] = []
        articles = read_articles(
            spark,
            inputs,
            id_field=options.id_field,
            text_field=options.text_field,
            skip_bad=options.skip_bad,
            bad_records=bad_records,
        )
        run = run_spark(articles, settings, source=", ".join(inputs))
        if dataset is not None:
            run.write(dataset, dataset_format)
            return
        result = run.report(bad_records=bad_records)
    finally:
        spark.stop()
    if fmt == "json":
        text = render_json(result, all_pairs=all_pairs)
    elif fmt == "html":
        texts = stream_articles(inputs, options, notices=[], bad_records=[])
        text = render_html(result, texts, limit=limit, all_pairs=all_pairs)
    else:
        if output:
            write_output(
                output,
                lambda fh: render_table(
                    result,
                    Console(file=fh, width=120, force_terminal=False),
                    limit=limit,
                    all_pairs=all_pairs,
                ),
            )
        else:
            render_table(result, Console(), limit=limit, all_pairs=all_pairs)
        return
    if output:
        write_output(output, lambda fh: fh.write(text))
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()


def _keeping(articles: Iterator[Article], kept: list[Article]) -> Iterator[Article]:
    for article in articles:
        kept.append(article)
        yield article


def _fail(message: str, status: int, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    click.echo(f"dedup: {message}", err=True)
    sys.exit(status)


def _os_error(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename is not None else ""
    return f"error: {where}{exc.strerror or exc}"


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI; errors become one line on stderr and an exit status.

    0 success, 1 a check found rejects, 2 an error the user can fix, 3 an internal error (a bug),
    130 interrupted. ``--debug`` or ``DEDUP_DEBUG=1`` adds the traceback.
    """
    args = list(argv if argv is not None else sys.argv[1:])
    debug = "--debug" in args or os.environ.get("DEDUP_DEBUG", "") not in ("", "0")
    for stream in (sys.stdout, sys.stderr):
        # an id or a passage the terminal's encoding cannot show is escaped, not a crash
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        status = cli.main(args=args, prog_name="dedup", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        if debug:
            traceback.print_exc()
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except DedupError as exc:
        _fail(f"error: {exc}", EXIT_ERROR, debug)
    except OSError as exc:  # an output file that cannot be written, a full disk...
        _fail(_os_error(exc), EXIT_ERROR, debug)
    except MemoryError:
        _fail("error: out of memory", EXIT_ERROR, debug)
    except Exception as exc:
        _fail(
            f"internal error: {type(exc).__name__}: {exc} (this is a bug in dedup; run again with --debug "
            "for the traceback and report it)",
            EXIT_INTERNAL,
            debug,
        )
    if isinstance(status, int) and status:
        sys.exit(status)


for command in (index_group, check, filter_command, serve):
    cli.add_command(command)
