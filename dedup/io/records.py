"""Records to articles, checked the same way wherever they come in.

One decoded JSON object or CSV row becomes an :class:`~dedup.model.Article`, or an
:class:`~dedup.errors.InputError` that names the source, line and field. Shared by the readers, the
filter's stream and the HTTP service, so that an article is checked the same way wherever it comes in.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from typing import Any, Literal

from dedup.errors import InputError
from dedup.io.decode import _SURROGATES, Emit, check_text, replace_surrogates
from dedup.model import Article

__all__ = ["META_FIELDS", "InputFormat", "JsonObject", "ReadOptions", "parse_json", "parse_record"]

InputFormat = Literal["auto", "jsonl", "csv", "tsv", "text"]

META_FIELDS = ("title", "source", "published", "url")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadOptions:
    """How to read inputs."""

    id_field: str = "id"
    text_field: str = "text"
    input_format: InputFormat = "auto"
    #: Encoding tried when bytes are not valid UTF-8 (latin-1 is the last resort).
    fallback_encoding: str = "cp1252"
    #: Collect unusable records as BadRecord instead of stopping at the first.
    skip_bad: bool = False

    def __post_init__(self) -> None:
        """Check the fallback encoding exists."""
        try:
            codecs.lookup(self.fallback_encoding)
        except LookupError:
            raise InputError(f"unknown encoding {self.fallback_encoding!r}") from None


def _kind_of(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words ("an array", "null")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({json.dumps(value)})"
    if isinstance(value, int | float):
        return f"a number ({value!r})" if len(repr(value)) <= 20 else "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _scalar(value: Any, *, name: str, source: str, line: int | None, emit: Emit | None = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return replace_surrogates(value, source=source, line=line, field=name, emit=emit)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"must be a string, got {_kind_of(value)}", source=source, line=line, field=name)
    return str(value)


class JsonObject(dict[str, Any]):
    """A decoded JSON object that remembers the keys it held more than once (the last value wins)."""

    duplicates: frozenset[str] = frozenset()


def _json_object(pairs: list[tuple[str, Any]]) -> JsonObject:
    out = JsonObject(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        out.duplicates = frozenset(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_json_object)


def parse_json(line: str, *, source: str, line_number: int | None) -> Any:
    """Decode one JSON text, turning every way it can fail into an :class:`InputError`."""
    try:
        return _DECODER.decode(line)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON: {exc.msg} (column {exc.colno})", source=source, line=line_number
        ) from None
    except RecursionError:
        raise InputError("malformed JSON: nested too deeply", source=source, line=line_number) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise InputError(f"malformed JSON: {exc}", source=source, line=line_number) from None


def parse_record(
    record: Any, options: ReadOptions, *, source: str, line: int | None, emit: Emit | None = None
) -> Article:
    """Turn one decoded record (a JSON object or CSV row) into an Article, or raise InputError.

    The text is checked with :func:`check_text` (``emit`` receives its notices).
    """
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got {_kind_of(record)}", source=source, line=line)
    if isinstance(record, JsonObject) and record.duplicates:
        used = {options.id_field, options.text_field, *META_FIELDS}
        for name in sorted(record.duplicates & used):
            raise InputError("appears more than once in the object", source=source, line=line, field=name)
    raw_id = record.get(options.id_field)
    if raw_id is None:
        raise InputError("missing", source=source, line=line, field=options.id_field)
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise InputError(
            f"must be a string or an integer, got {_kind_of(raw_id)}",
            source=source,
            line=line,
            field=options.id_field,
        )
    article_id = str(raw_id)
    if not article_id.strip():
        raise InputError("is empty", source=source, line=line, field=options.id_field)
    bad = _SURROGATES.search(article_id)
    if bad is not None:
        raise InputError(
            f"holds a lone surrogate (\\u{ord(bad.group()):04x}), which is not a character",
            source=source,
            line=line,
            field=options.id_field,
        )
    text = record.get(options.text_field)
    if text is None:
        raise InputError("missing", source=source, line=line, field=options.text_field)
    if not isinstance(text, str):
        raise InputError(
            f"must be a string, got {_kind_of(text)}", source=source, line=line, field=options.text_field
        )
    text = check_text(text, source=source, line=line, field=options.text_field, emit=emit)
    meta = {
        name: _scalar(record.get(name), name=name, source=source, line=line, emit=emit)
        for name in META_FIELDS
    }
    origin = f"{source}:{line}" if line is not None else source
    return Article(id=article_id, text=text, origin=origin, **meta)
