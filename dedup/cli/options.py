"""Click options shared by several commands: detection settings, reading, the filter's policy and window."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import click

from dedup.cli.clean import source_names
from dedup.index import DEFAULT_REJECT, Keep
from dedup.index.results import KEEP_POLICIES
from dedup.io.records import ReadOptions
from dedup.settings import Settings

__all__ = [
    "make_read_options",
    "policy_option",
    "read_options",
    "settings_from",
    "settings_options",
    "window_option",
]

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


def policy_option(func: F) -> F:
    """``--reject CASES``: the cases that reject an article (:meth:`dedup.index.Policy.from_names`)."""
    return click.option(
        "--reject",
        "reject",
        default=DEFAULT_REJECT,
        show_default=True,
        metavar="CASES",
        help="Comma-separated cases that reject an article: near-duplicate, contained (mostly inside a "
        "stored article), containing (holds a stored article: a digest page), overlap; or none.",
    )(func)


def window_option(func: F) -> F:
    """``--window DURATION``: compare only with stored articles published that close."""
    return click.option(
        "--window",
        default=None,
        metavar="DURATION",
        help="Compare only with stored articles published within this distance (e.g. 3d, 12h).",
    )(func)


def keep_options(func: F) -> F:
    """``--keep POLICY`` and ``--source-rank NAMES``: which of two copies is kept (:func:`keep_of`)."""
    func = click.option(
        "--source-rank",
        default=None,
        metavar="NAMES",
        help="For --keep source-rank: sources from most to least preferred, comma-separated, or @FILE "
        "with one per line.",
    )(func)
    return click.option(
        "--keep",
        "keep_policy",
        type=click.Choice(KEEP_POLICIES),
        default="first",
        show_default=True,
        help="Which of two copies is kept: first (the stored one: a later copy is rejected), or a later "
        "copy that ranks first replaces the stored one: earliest published, longest, or best-ranked "
        "source (--source-rank).",
    )(func)


def keep_of(policy: str, source_rank: str | None) -> Keep:
    """The keep policy of ``--keep`` and ``--source-rank`` (a usage error when they do not fit)."""
    if policy == "source-rank":
        if not source_rank:
            raise click.UsageError("--keep source-rank needs --source-rank NAMES (or @FILE)")
        names = source_names(source_rank)
        if not names:
            raise click.UsageError("--source-rank names no source")
        return Keep(policy="source-rank", source_rank=names)
    if source_rank is not None:
        raise click.UsageError("--source-rank is used with --keep source-rank")
    return Keep(policy=policy)  # type: ignore[arg-type]
