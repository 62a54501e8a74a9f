"""The ``dedup`` command line: a thin layer that reads inputs, calls the library and renders its objects.

Exit status: 0 success; 1 a check found articles that would be rejected; 2 an error (bad input,
bad settings, unusable index). Errors print one line; ``--debug`` prints the traceback too.
"""

from __future__ import annotations

import dataclasses
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dedup import __version__
from dedup.batch import default_workers
from dedup.detector import Detector
from dedup.errors import DedupError
from dedup.html import render_html
from dedup.model import Article, BadRecord, Notice
from dedup.readers import ReadOptions, stream_articles
from dedup.render import render_json, render_table
from dedup.settings import Settings

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])


def settings_options(func: F) -> F:
    """Add one ``--setting-name`` option per detection setting (defaults from :class:`Settings`)."""
    for f in reversed(dataclasses.fields(Settings)):
        name = "--" + f.name.replace("_", "-")
        kind = click.FLOAT if f.type in ("float", float) else click.INT
        func = click.option(
            name,
            f.name,
            type=kind,
            default=None,
            show_default=str(f.default),
            help=str(f.metadata.get("help", "")),
        )(func)
    return func


def settings_from(values: dict[str, Any]) -> Settings:
    """Settings from the options the user gave (the others keep their defaults)."""
    names = {f.name for f in dataclasses.fields(Settings)}
    chosen = {k: v for k, v in values.items() if k in names and v is not None}
    return Settings(**chosen)


def read_options(func: F) -> F:
    """Options shared by every command that reads articles."""
    options = [
        click.option("--id-field", default="id", show_default=True, help="JSONL/CSV field holding the id."),
        click.option(
            "--text-field", default="text", show_default=True, help="JSONL/CSV field holding the text."
        ),
        click.option(
            "--input-format",
            type=click.Choice(["auto", "jsonl", "csv", "tsv", "text"]),
            default="auto",
            show_default=True,
            help="Format of file inputs (auto: by suffix; folders always hold .txt/.md files).",
        ),
        click.option(
            "--encoding",
            "fallback_encoding",
            default="cp1252",
            show_default=True,
            help="Encoding tried for bytes that are not UTF-8 (with a warning).",
        ),
        click.option(
            "--skip-bad",
            is_flag=True,
            help="List unusable records in the output instead of stopping at the first.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_read_options(values: dict[str, Any]) -> ReadOptions:
    """ReadOptions from the command's options."""
    return ReadOptions(
        id_field=values["id_field"],
        text_field=values["text_field"],
        input_format=values["input_format"],
        fallback_encoding=values["fallback_encoding"],
        skip_bad=values["skip_bad"],
    )


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


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
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for large corpora  [default: the CPUs available]",
)
@read_options
@settings_options
def report(
    inputs: tuple[str, ...],
    fmt: str,
    output: str | None,
    limit: int | None,
    quiet: bool,
    workers: int | None,
    **values: Any,
) -> None:
    """Report which articles in INPUTS overlap, how, and exactly which passages they share.

    INPUTS are folders (every .txt/.md file below is an article, id = relative path), .txt/.md files
    (one article each), .jsonl/.csv/.tsv files, or - for JSONL on stdin.
    """
    settings = settings_from(values)
    notices: list[Notice] = []
    bad_records: list[BadRecord] = []
    articles = stream_articles(inputs, make_read_options(values), notices=notices, bad_records=bad_records)
    # The page shows the texts of the paired articles: files are read again afterwards (memory stays
    # bounded); articles from stdin are kept as they stream by.
    kept: list[Article] | None = [] if fmt == "html" and "-" in inputs else None
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
            err.print(f"[yellow]warning:[/] {notice}", markup=True, highlight=False)
    if fmt in ("json", "html"):
        if fmt == "json":
            text = render_json(result)
        else:
            texts: Iterable[Article] = (
                kept
                if kept is not None
                else stream_articles(inputs, make_read_options(values), notices=[], bad_records=[])
            )
            text = render_html(result, texts, limit=limit)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            render_table(result, Console(file=fh, width=120, force_terminal=False), limit=limit)
    else:
        render_table(result, Console(), limit=limit)


def _keeping(articles: Iterator[Article], kept: list[Article]) -> Iterator[Article]:
    for article in articles:
        kept.append(article)
        yield article


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI, turning library errors into one line and exit status 2."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="dedup", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except DedupError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"dedup: error: {exc}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(0)
