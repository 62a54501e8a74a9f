"""Decoding bytes to text without losing any, and the checks every article's text passes.

Byte-order marks, UTF-16 told by its NUL bytes, UTF-8, then a fallback encoding (cp1252 by default,
then latin-1, which never fails), with a :class:`~dedup.model.Notice` for every guess. A text is
refused when it is binary data; lone surrogates are replaced without moving an offset.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

from dedup.errors import InputError
from dedup.model import Notice

__all__ = [
    "BINARY_SHARE",
    "Emit",
    "check_text",
    "decode",
    "replace_surrogates",
    "utf16_without_bom",
    "wide_bom",
]

Emit = Callable[[Notice], None]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``data`` looks like UTF-16 text without a byte-order mark.

    UTF-16 text in a Latin script has a NUL byte in every other position; no UTF-8 text does.
    """
    sample = data[:4096]
    if len(data) % 2 or len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) >= 0.9 * half and even.count(0) <= 0.1 * half:
        return "utf-16-le"
    if even.count(0) >= 0.9 * half and odd.count(0) <= 0.1 * half:
        return "utf-16-be"
    return None


def wide_bom(data: bytes) -> bool:
    """Whether ``data`` starts with a UTF-16 or UTF-32 byte-order mark."""
    return any(data.startswith(bom) for bom, enc in _BOMS if enc != "utf-8-sig")


def decode(
    data: bytes, *, source: str, line: int | None = None, fallback: str = "cp1252"
) -> tuple[str, Notice | None]:
    """Decode bytes: a BOM's encoding, else UTF-16 told by its NUL bytes, else UTF-8, else ``fallback``.

    latin-1, which decodes any bytes, is the last resort.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), None
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"starts with a {encoding} byte-order mark but is not {encoding}: {exc.reason}",
                    source=source,
                    line=line,
                ) from None
    utf16 = utf16_without_bom(data)
    if utf16 is not None:
        try:
            return data.decode(utf16), Notice(
                f"no byte-order mark, but NUL bytes in every other position: decoded as {utf16}",
                source=source,
                line=line,
            )
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    for encoding in (fallback, "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, Notice(
            f"not valid UTF-8 (first bad byte at offset {first_bad}); decoded as {encoding}",
            source=source,
            line=line,
        )
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


#: Control characters other than white space (tab, newlines, form feed); NUL included.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
#: The ASCII characters that are not control characters (white space included).
_ASCII_PLAIN = bytes([*range(0x09, 0x0E), *range(0x20, 0x7F)])
#: A text is binary data when at least this share of its first characters (and at least 4 of them) are
#: control characters.
BINARY_SHARE = 0.1
_BINARY_SAMPLE = 1 << 16
_BINARY_MIN = 4


def check_text(
    text: str, *, source: str, line: int | None = None, field: str | None = None, emit: Emit | None = None
) -> str:
    r"""Check an article's text: binary data is an InputError; lone surrogates become U+FFFD.

    A lone surrogate (a JSON escape such as ``\ud800`` that is half of a pair) is not a character and
    cannot be written out as UTF-8; U+FFFD takes its place, so every offset stays the same.

    Control characters below the binary share (a stray NUL byte) are kept, with a notice: they separate
    words like white space does.
    """
    if text.isascii() and not text.encode("ascii").translate(None, _ASCII_PLAIN):
        return text  # the common case, in one pass: no control character, no surrogate
    if _CONTROLS.search(text) is not None:
        sample = text[:_BINARY_SAMPLE]
        controls = len(_CONTROLS.findall(sample))
        share = controls / len(sample)
        if share >= BINARY_SHARE and controls >= _BINARY_MIN:
            raise InputError(
                f"binary data, not text ({share:.0%} of the first {len(sample):,} characters are control "
                "characters such as NUL)",
                source=source,
                line=line,
                field=field,
            )
        if emit is not None:
            found = _CONTROLS.findall(text)
            nul = found.count("\x00")
            emit(
                Notice(
                    _in_field(
                        field,
                        f"{len(found)} control character(s) ({nul} NUL) kept; they separate words",
                    ),
                    source=source,
                    line=line,
                )
            )
    return replace_surrogates(text, source=source, line=line, field=field, emit=emit)


def _in_field(field: str | None, message: str) -> str:
    return f"field {field!r}: {message}" if field is not None else message


def replace_surrogates(
    value: str, *, source: str, line: int | None, field: str | None, emit: Emit | None
) -> str:
    """``value`` with every lone surrogate replaced by U+FFFD (one character for one: offsets unchanged)."""
    first = _SURROGATES.search(value)
    if first is None:
        return value
    if emit is not None:
        count = len(_SURROGATES.findall(value))
        emit(
            Notice(
                _in_field(
                    field,
                    f"{count} lone surrogate(s) (first \\u{ord(first.group()):04x} at offset "
                    f"{first.start()}) replaced by U+FFFD (offsets unchanged)",
                ),
                source=source,
                line=line,
            )
        )
    return _SURROGATES.sub("\ufffd", value)
