"""The bad-input matrix (docs/errors.md): every case through the CLI and through the library.

Each case checks what the user sees (exit status, one line naming file, line and field; or a notice)
and that no article is lost: every input record is a document of the report or a bad record.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dedup import Article, Detector, InputError
from dedup.io.readers import iter_articles, read_corpus
from dedup.io.records import ReadOptions
from tests.conftest import EVAL
from tests.hostile import assert_exact, dedup, jsonl, library, report_json, without_dac_override, words

# A wire story and its reprint: the body is shared, headline and footer differ.
BODY = (
    "The city council approved the new harbour bridge on Tuesday after a debate that lasted most of "
    "the night. The bridge will carry two tram lines and a cycle path across the river, and the first "
    "piles are due to be driven next spring. Opponents said the cost had doubled since the plan was "
    "first presented, while the mayor called the vote a turning point for the eastern districts."
)


def two(tmp_path: Path, text_a: str, text_b: str, name: str = "in.jsonl") -> Path:
    return jsonl(tmp_path / name, [{"id": "a", "text": text_a}, {"id": "b", "text": text_b}])


# -- empty, blank, punctuation, short -------------------------------------------------------------------


def test_empty_text_file_is_an_article_with_nothing_to_compare(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "story.txt").write_text(BODY, encoding="utf-8")
    run = dedup("report", str(tmp_path / "empty.txt"), str(tmp_path / "story.txt"), "--format", "json")
    assert run.returncode == 0
    data = run.json()
    assert data["documents"] == 2
    assert data["pairs"] == []
    assert any(
        "'empty.txt'" in n["message"] and "cannot share a passage" in n["message"] for n in data["notices"]
    )
    report, notices = library([tmp_path / "empty.txt", tmp_path / "story.txt"])
    assert report.ids == ("empty.txt", "story.txt")
    assert any("'empty.txt'" in n for n in notices)


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.csv"])
def test_empty_record_file_reads_no_article_with_a_notice(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    run = dedup("report", str(path), "--format", "json")
    assert run.returncode == 0
    assert run.json()["documents"] == 0
    assert f"warning: {path}: holds no" in run.stderr
    corpus = read_corpus([path])
    assert corpus.articles == []
    assert [n.source for n in corpus.notices] == [str(path)]


def test_blank_punctuation_digits_and_short_texts(tmp_path: Path) -> None:
    digits = " ".join(str(n) for n in range(1000, 1030))
    ten = "the quick brown fox jumps over the lazy dog again"
    records = [
        {"id": "empty", "text": ""},
        {"id": "blank", "text": "   \n\t \r\n  "},
        {"id": "punct", "text": "!!! ... ??? --- *** (((" * 20},
        {"id": "digits-1", "text": digits},
        {"id": "digits-2", "text": digits},
        {"id": "ten-1", "text": ten},  # ten words: shorter than one window of 12
        {"id": "ten-2", "text": ten},
        {"id": "five-1", "text": "one two three four five"},
        {"id": "five-2", "text": "one two three four five"},
    ]
    path = jsonl(tmp_path / "in.jsonl", records)
    data = report_json(str(path))
    report, notices = library([path])
    for pairs in (data["pairs"], [p.to_dict() for p in report.pairs]):
        found = {(p["a"], p["b"]): p["relation"] for p in pairs}
        # digits are words; a text shorter than one window still matches its copy
        assert found == {("digits-1", "digits-2"): "near-duplicate", ("ten-1", "ten-2"): "near-duplicate"}
    assert data["documents"] == report.documents == len(records)
    short = [n["message"] for n in data["notices"] if "cannot share a passage" in n["message"]]
    assert len(short) == 1
    for ident in ("empty", "blank", "punct", "five-1", "five-2"):
        assert f"'{ident}'" in short[0]
    assert "'digits-1'" not in short[0]
    assert any(short[0] in n for n in notices)


# -- very long texts ------------------------------------------------------------------------------------


def test_20_mb_article_with_a_shared_passage(tmp_path: Path) -> None:
    quote = " ".join(words(120, seed=99))
    filler = words(3_600_000, seed=7)
    lines = [" ".join(filler[i : i + 60]) for i in range(0, len(filler), 60)]
    middle = len(lines) // 2
    big = "\n".join([*lines[:middle], quote, *lines[middle:]])
    assert len(big) > 20_000_000
    small = " ".join(words(150, seed=3)) + "\n" + quote + "\n" + " ".join(words(150, seed=4))
    path = two(tmp_path, big, small)
    data = report_json(str(path))
    assert data["documents"] == 2
    [pair] = data["pairs"]
    assert_exact(pair, big, small)
    start = big.index(quote)
    assert any(p["a_start"] <= start + 10 and p["a_end"] >= start + len(quote) - 10 for p in pair["passages"])
    found = Detector().compare(Article("a", big), Article("b", small))
    assert found is not None
    assert_exact(found, big, small)


def test_1_mb_single_line(tmp_path: Path) -> None:
    line = " ".join(words(170_000, seed=11))
    assert len(line) > 1_000_000
    assert "\n" not in line
    edited = line.replace(" ", "  ", 500)[:-5000] + " trimmed"
    path = two(tmp_path, line, edited)
    data = report_json(str(path))
    [pair] = data["pairs"]
    assert pair["relation"] == "near-duplicate"
    assert_exact(pair, line, edited)
    report, _ = library([path])
    assert [p.relation for p in report.pairs] == ["near-duplicate"]


# -- bytes: binary, encodings, NUL ----------------------------------------------------------------------


def test_binary_file_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "story.txt").write_text(BODY, encoding="utf-8")
    (folder / "photo.txt").write_bytes(random.Random(1).randbytes(5000))
    run = dedup("report", str(folder))
    assert run.returncode == 2
    assert run.stderr.startswith(f"dedup: error: {folder / 'photo.txt'}: binary data, not text")
    assert run.stderr.count("\n") == 1
    data = report_json(str(folder), "--skip-bad")
    assert data["documents"] == 1
    assert [(b["source"], b["error"][:17]) for b in data["bad_records"]] == [
        (str(folder / "photo.txt"), "binary data, not ")
    ]
    with pytest.raises(InputError, match="binary data") as err:
        read_corpus([folder])
    assert err.value.source == str(folder / "photo.txt")
    corpus = read_corpus([folder], ReadOptions(skip_bad=True))
    assert [a.id for a in corpus.articles] == ["story.txt"]
    assert len(corpus.bad_records) == 1


def test_binary_text_field_in_jsonl_names_line_and_field(tmp_path: Path) -> None:
    junk = "".join(chr(c) for c in random.Random(2).choices(range(0, 32), k=400))
    path = jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY}, {"id": "b", "text": junk}])
    run = dedup("report", str(path))
    assert run.returncode == 2
    assert run.stderr.startswith(f"dedup: error: {path}, line 2, field 'text': binary data, not text")
    data = report_json(str(path), "--skip-bad")
    assert data["documents"] + len(data["bad_records"]) == 2
    with pytest.raises(InputError) as err:
        read_corpus([path])
    assert (err.value.line, err.value.field) == (2, "text")


def test_invalid_utf8_is_decoded_with_the_fallback_and_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "cafe.txt"
    path.write_bytes(BODY.encode() + b" Caf\xe9 cr\xe8me \x93quoted\x94.")
    run = dedup("report", str(path), "--format", "json")
    assert run.returncode == 0
    assert "not valid UTF-8 (first bad byte at offset" in run.stderr
    assert "decoded as cp1252" in run.stderr
    [article] = read_corpus([path]).articles
    assert article.text.endswith(" Café crème “quoted”.")
    latin = read_corpus([path], ReadOptions(fallback_encoding="latin-1")).articles[0]
    assert latin.text.endswith(" Café crème \x93quoted\x94.")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-8-sig", "utf-32"])
def test_byte_order_marks_in_text_jsonl_and_csv(tmp_path: Path, encoding: str) -> None:
    def encode(text: str) -> bytes:
        if encoding == "utf-16-le-bom":
            return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
        if encoding == "utf-16-be-bom":
            return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
        return text.encode(encoding)

    text = "Ünïcødé — “quoted” " + BODY
    (tmp_path / "a.txt").write_bytes(encode(text))
    records = [{"id": "x", "text": text}, {"id": "y", "text": text.replace("Tuesday", "Monday")}]
    (tmp_path / "b.jsonl").write_bytes(encode("\n".join(json.dumps(r, ensure_ascii=False) for r in records)))
    csv_text = 'id,text\r\nc1,"' + text + '"\r\n'
    (tmp_path / "c.csv").write_bytes(encode(csv_text))
    inputs = [tmp_path / "a.txt", tmp_path / "b.jsonl", tmp_path / "c.csv"]
    corpus = read_corpus(inputs)
    assert [a.text for a in corpus.articles] == [text, text, records[1]["text"], text]
    assert corpus.notices == []
    data = report_json(*map(str, inputs))
    assert data["documents"] == 4
    assert len(data["pairs"]) == 6  # all four are copies of each other


def test_utf16_without_byte_order_mark_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(BODY.encode("utf-16-le"))
    [article] = read_corpus([path]).articles
    assert article.text == BODY
    run = dedup("report", str(path), "--format", "json")
    assert run.returncode == 0
    assert "no byte-order mark, but NUL bytes in every other position: decoded as utf-16-le" in run.stderr


def test_cp1252_files_of_the_clough_corpus() -> None:
    raw = EVAL / "clough" / "raw"
    if not raw.is_dir():
        pytest.skip(f"Clough corpus not found at {raw}")
    reference = {
        r["id"]: r["text"]
        for r in map(json.loads, (EVAL / "clough" / "corpus.jsonl").read_text(encoding="utf-8").splitlines())
    }
    corpus = read_corpus([raw])
    assert len(corpus.articles) == len(list(raw.iterdir())) == 100
    for article in corpus.articles:
        # the text as read keeps its CRLF line ends; otherwise it is the decoded reference text
        assert article.text.replace("\r\n", "\n").strip() == reference[article.id].strip(), article.id
    fallback = [n for n in corpus.notices if "decoded as cp1252" in n.message]
    assert len(fallback) >= 17
    assert "“" in "".join(a.text for a in corpus.articles)  # cp1252 curly quotes, not mojibake
    data = report_json(str(raw))
    assert data["documents"] == 100
    assert sum("decoded as cp1252" in n["message"] for n in data["notices"]) == len(fallback)


def test_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "nul.txt"
    path.write_bytes(BODY.encode().replace(b" the ", b" the\x00", 3))
    [article] = read_corpus([path]).articles
    assert article.text.count("\x00") == 3
    run = dedup("report", str(path), "--format", "json")
    assert run.returncode == 0
    assert "3 control character(s) (3 NUL) kept; they separate words" in run.stderr
    # escaped in JSON: a valid string, kept as it is
    other = jsonl(tmp_path / "in.jsonl", [{"id": "j", "text": BODY.replace(" the ", " the\x00", 3)}])
    data = report_json(str(path), str(other))
    [pair] = data["pairs"]
    assert pair["relation"] == "near-duplicate"
    # a raw NUL inside a JSON line is not JSON
    raw = tmp_path / "raw.jsonl"
    raw.write_bytes(b'{"id": "r", "text": "a\x00b"}\n')
    run = dedup("report", str(raw))
    assert run.returncode == 2
    assert run.stderr.startswith(f"dedup: error: {raw}, line 1: malformed JSON: Invalid control character")


# -- JSONL records --------------------------------------------------------------------------------------

BAD_LINES = [
    ('{"id": "t1", "text": "truncated', "malformed JSON: Unterminated string", None),
    ('{"id": "t2", "text": "x"} trailing', "malformed JSON: Extra data", None),
    ("[" * 100_000, "malformed JSON: nested too deeply", None),
    ('{"id": ' + "9" * 5000 + ', "text": "x"}', "malformed JSON: Exceeds the limit", None),
    ("[1, 2]", "expected a JSON object, got an array", None),
    ('"just a string"', "expected a JSON object, got a string", None),
    ("42", "expected a JSON object, got a number (42)", None),
    ("null", "expected a JSON object, got null", None),
    ('{"text": "no id"}', "missing", "id"),
    ('{"id": "m2"}', "missing", "text"),
    ('{"id": "m3", "text": null}', "missing", "text"),
    ('{"id": "m4", "text": 12}', "must be a string, got a number (12)", "text"),
    ('{"id": "m5", "text": ["a"]}', "must be a string, got an array", "text"),
    ('{"id": 1.5, "text": "x"}', "must be a string or an integer, got a number (1.5)", "id"),
    ('{"id": true, "text": "x"}', "must be a string or an integer, got a boolean (true)", "id"),
    ('{"id": "  ", "text": "x"}', "is empty", "id"),
    ('{"id": "\\ud800", "text": "x"}', "holds a lone surrogate (\\ud800), which is not a character", "id"),
    ('{"id": "d1", "text": "x", "text": "y"}', "appears more than once in the object", "text"),
    ('{"id": "m6", "text": "x", "title": {"a": 1}}', "must be a string, got an object", "title"),
]


@pytest.mark.parametrize(("line", "error", "field"), BAD_LINES, ids=[e for _, e, _ in BAD_LINES])
def test_bad_jsonl_line(tmp_path: Path, line: str, error: str, field: str | None) -> None:
    path = jsonl(tmp_path / "in.jsonl", [{"id": "good", "text": BODY}, line, {"id": "after", "text": BODY}])
    run = dedup("report", str(path))
    assert run.returncode == 2
    where = f"{path}, line 2" + (f", field {field!r}" if field else "")
    assert run.stderr.startswith(f"dedup: error: {where}: {error}"), run.stderr
    assert run.stderr.count("\n") == 1
    with pytest.raises(InputError) as err:
        read_corpus([path])
    assert (err.value.source, err.value.line, err.value.field) == (str(path), 2, field)
    assert err.value.reason.startswith(error)
    # --skip-bad: the record is listed, nothing is lost
    data = report_json(str(path), "--skip-bad")
    assert data["documents"] == 2
    [bad] = data["bad_records"]
    assert (bad["source"], bad["line"], bad["field"]) == (str(path), 2, field)
    corpus = read_corpus([path], ReadOptions(skip_bad=True))
    assert [a.id for a in corpus.articles] == ["good", "after"]
    assert [(b.line, b.field) for b in corpus.bad_records] == [(2, field)]


def test_every_record_is_an_article_or_a_bad_record(tmp_path: Path) -> None:
    lines: list[dict[str, object] | str] = [{"id": f"ok{n}", "text": BODY + f" {n}"} for n in range(5)]
    lines += [line for line, _, _ in BAD_LINES]
    lines += [{"id": "ok0", "text": "a duplicate id"}]
    random.Random(4).shuffle(lines)
    path = jsonl(tmp_path / "in.jsonl", lines)
    data = report_json(str(path), "--skip-bad")
    assert data["documents"] + len(data["bad_records"]) == len(lines)
    assert sorted(b["line"] for b in data["bad_records"]) == sorted(
        {b["line"] for b in data["bad_records"]}
    )  # each line at most once


def test_lone_surrogates_in_text_become_replacement_characters(tmp_path: Path) -> None:
    text = BODY + " \\ud83d truncated emoji"
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": BODY})[:-2]
        + ' \\ud83d truncated emoji"}\n'
        + json.dumps({"id": "b", "text": BODY})
        + "\n",
        encoding="utf-8",
    )
    corpus = read_corpus([path])
    a = corpus.articles[0]
    assert a.text == BODY + " \ufffd truncated emoji"
    assert len(a.text) == len(text) - len("\\ud83d") + 1
    assert "lone surrogate(s) (first \\ud83d at offset" in str(corpus.notices[0])
    data = report_json(str(path))
    assert [p["relation"] for p in data["pairs"]] == ["near-duplicate"]


def test_duplicate_ids_in_one_file_and_across_files(tmp_path: Path) -> None:
    one = jsonl(tmp_path / "one.jsonl", [{"id": "a", "text": BODY}, {"id": "b", "text": BODY}])
    two_ = jsonl(tmp_path / "two.jsonl", [{"id": "c", "text": BODY}, {"id": "a", "text": "again"}])
    run = dedup("report", str(one), str(two_))
    assert run.returncode == 2
    assert run.stderr.strip() == f"dedup: error: {two_}:2: duplicate id 'a' (first seen at {one}:1)"
    data = report_json(str(one), str(two_), "--skip-bad")
    assert data["documents"] == 3
    assert [(b["source"], b["line"], b["field"]) for b in data["bad_records"]] == [(str(two_), 2, "id")]
    with pytest.raises(InputError, match="duplicate id 'a'"):
        read_corpus([one, two_])
    with pytest.raises(InputError, match="duplicate id 'a'"):
        Detector().report([Article("a", BODY), Article("a", BODY)])


def test_library_refuses_non_string_fields() -> None:
    with pytest.raises(InputError, match="field 'id': must be a string, got int"):
        Article(5, BODY)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="field 'text': must be a string, got NoneType"):
        Article("a", None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="field 'title': must be a string, got bytes"):
        Article("a", BODY, title=b"x")  # type: ignore[arg-type]


# -- CSV ------------------------------------------------------------------------------------------------

BAD_CSV = [
    ("ident,body\n1,x\n", 1, "no 'id' column (columns: ident, body)"),
    ("id,text,text\n1,x,y\n", 1, "column 'text' appears more than once in the header"),
    (
        'id,text\n1,"unterminated\n2,x\n',
        2,
        "malformed CSV in the record starting here: unexpected end of data",
    ),
    ('id,text\n1,"a"b"\n', 2, "malformed CSV in the record starting here: ',' expected after '\"'"),
    ("id,text\n1,x\n2\n", 3, "has 1 fields, the header has 2"),
    ("id,text\n1,x\n2,y,z\n", 3, "has 3 fields, the header has 2"),
]


@pytest.mark.parametrize(("content", "line", "error"), BAD_CSV, ids=[e[:40] for _, _, e in BAD_CSV])
def test_bad_csv(tmp_path: Path, content: str, line: int, error: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(content, encoding="utf-8")
    run = dedup("report", str(path))
    assert run.returncode == 2
    assert run.stderr.startswith(f"dedup: error: {path}, line {line}: {error}"), run.stderr
    with pytest.raises(InputError) as err:
        read_corpus([path])
    assert (err.value.line, err.value.reason[: len(error)]) == (line, error)


def test_ragged_csv_rows_with_skip_bad(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(f'id,text\n1,"{BODY}"\n2\n3,"{BODY}",extra\n4,"{BODY} 4"\n', encoding="utf-8")
    data = report_json(str(path), "--skip-bad")
    assert data["documents"] == 2
    assert [(b["line"], b["error"]) for b in data["bad_records"]] == [
        (3, "has 1 fields, the header has 2"),
        (4, "has 3 fields, the header has 2"),
    ]
    corpus = read_corpus([path], ReadOptions(skip_bad=True))
    assert [a.id for a in corpus.articles] == ["1", "4"]


# -- folders --------------------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(BODY, encoding="utf-8")
    (root / "sub" / "b.txt").write_text("REPRINT\n" + BODY, encoding="utf-8")
    return root


def test_unreadable_entries_that_stop_even_root(folder: Path) -> None:
    """A socket and a FIFO named .txt: unreadable for any user, and a FIFO must never block the run."""
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock.txt"))
    os.mkfifo(folder / "pipe.txt")
    try:
        run = dedup("report", str(folder), timeout=60)
        assert run.returncode == 2
        assert (
            run.stderr.strip()
            == f"dedup: error: {folder / 'pipe.txt'}: not a regular file (a named pipe); not read"
        )
        data = report_json(str(folder), "--skip-bad")
        assert data["documents"] == 2
        assert sorted((b["source"], b["error"]) for b in data["bad_records"]) == [
            (str(folder / "pipe.txt"), "not a regular file (a named pipe); not read"),
            (str(folder / "sock.txt"), "cannot read: No such device or address"),
        ]
        corpus = read_corpus([folder], ReadOptions(skip_bad=True))
        assert [a.id for a in corpus.articles] == ["a.txt", "sub/b.txt"]
        assert len(corpus.bad_records) == 2
    finally:
        sock.close()


LIBRARY_READ = """
import sys
from dedup import InputError
from dedup.io.readers import read_corpus
from dedup.io.records import ReadOptions
try:
    read_corpus([sys.argv[1]])
except InputError as exc:
    print(exc.source, exc.reason, sep="|")
corpus = read_corpus([sys.argv[1]], ReadOptions(skip_bad=True))
print([a.id for a in corpus.articles], [b.error for b in corpus.bad_records], sep="|")
"""


def test_file_without_read_permission(folder: Path) -> None:
    """chmod 000 stops every user but root.

    As root, the CLI and the library run in a child without the capabilities that let root read any
    file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so they see what any user sees.
    """
    secret = folder / "secret.txt"
    secret.write_text(BODY, encoding="utf-8")
    secret.chmod(0)
    preexec = without_dac_override if os.geteuid() == 0 else None
    probe = subprocess.run(["cat", str(secret)], capture_output=True, check=False, preexec_fn=preexec)
    if probe.returncode == 0:
        pytest.skip("running as root, and dropping CAP_DAC_OVERRIDE does not stop reads here")

    def child(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, *args], capture_output=True, check=False, timeout=300, preexec_fn=preexec
        )

    run = child("-m", "dedup", "report", str(folder))
    assert run.returncode == 2
    assert run.stderr.decode() == f"dedup: error: {secret}: cannot read: Permission denied\n"
    run = child("-m", "dedup", "report", str(folder), "--skip-bad", "--format", "json", "-q")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["documents"] == 2
    assert [(b["source"], b["error"]) for b in data["bad_records"]] == [
        (str(secret), "cannot read: Permission denied")
    ]
    run = child("-c", LIBRARY_READ, str(folder))
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().splitlines() == [
        f"{secret}|cannot read: Permission denied",
        "['a.txt', 'sub/b.txt']|['cannot read: Permission denied']",
    ]


def test_symbolic_link_loops_and_broken_links(folder: Path) -> None:
    (folder / "sub" / "up").symlink_to("..")  # a folder loop: followed once, never again
    (folder / "outside").symlink_to(folder / "sub")  # a second way to the same folder: read twice
    (folder / "self.txt").symlink_to("self.txt")  # a file link loop
    (folder / "gone.txt").symlink_to("missing.txt")  # a broken link
    run = dedup("report", str(folder), "--format", "json", timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().endswith(f"{folder / 'gone.txt'}: a broken symbolic link; not read")
    data = report_json(str(folder), "--skip-bad")
    assert data["documents"] == 3  # a.txt, outside/b.txt, sub/b.txt
    assert sorted((b["source"], b["error"]) for b in data["bad_records"]) == [
        (str(folder / "gone.txt"), "a broken symbolic link; not read"),
        (str(folder / "self.txt"), "a symbolic link loop; not read"),
    ]
    notices = [n["message"] for n in data["notices"]]
    assert "symbolic link loop (leads back to a folder above it); not followed" in notices
    corpus = read_corpus([folder], ReadOptions(skip_bad=True))
    assert [a.id for a in corpus.articles] == ["a.txt", "outside/b.txt", "sub/b.txt"]


def test_file_that_vanishes_after_the_folder_was_listed(folder: Path) -> None:
    (folder / "z.txt").write_text(BODY, encoding="utf-8")
    items: Iterator[object] = iter_articles([folder])
    first = next(items)
    assert isinstance(first, Article)
    assert first.id == "a.txt"
    (folder / "z.txt").unlink()  # listed already; gone before it is read
    with pytest.raises(InputError, match="vanished after the folder was listed") as err:
        list(items)
    assert err.value.source == str(folder / "z.txt")
    (folder / "z.txt").write_text(BODY, encoding="utf-8")
    items = iter_articles([folder], ReadOptions(skip_bad=True))
    next(items)
    (folder / "z.txt").unlink()
    rest = list(items)
    assert [getattr(r, "id", None) or getattr(r, "error", None) for r in rest] == [
        "sub/b.txt",
        "vanished after the folder was listed",
    ]


def _delete_while_reading(root: Path, names: list[str], delay: float) -> tuple[dict[str, Any], list[str]]:
    """Run ``dedup report ROOT --skip-bad`` while deleting ``names`` (last first) after ``delay``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", "report", str(root), "--skip-bad", "--format", "json", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deleted: list[str] = []

    def delete() -> None:
        time.sleep(delay)
        for name in reversed(names):
            if proc.poll() is not None:
                return
            (root / name).unlink()
            deleted.append(name)
            time.sleep(0.002)

    thread = threading.Thread(target=delete)
    thread.start()
    out, err = proc.communicate(timeout=600)
    thread.join()
    assert b"Traceback" not in err, err
    assert proc.returncode == 0, err
    data: dict[str, Any] = json.loads(out)
    return data, deleted


def test_files_vanishing_while_the_cli_reads_a_folder(tmp_path: Path) -> None:
    """Files deleted while `dedup report` walks the folder: each is read or reported, none crashes it."""
    for attempt in range(6):
        root = tmp_path / f"run{attempt}"
        root.mkdir()
        names = [f"{n:05d}.txt" for n in range(1000)]
        for n, name in enumerate(names):
            (root / name).write_text(f"{BODY} {n}", encoding="utf-8")
        # deleting all takes over 2 s, from the last name back: started at once, it is still going when
        # the folder is listed (however fast the start-up), and meets the reader coming the other way
        data, deleted = _delete_while_reading(root, names, delay=0.4 * attempt)
        vanished = [b for b in data["bad_records"] if b["error"] == "vanished after the folder was listed"]
        assert len(vanished) == len(data["bad_records"])
        assert {Path(b["source"]).name for b in vanished} <= set(deleted)
        # read, vanished, or deleted before the listing: never counted twice, never lost silently
        assert len(names) - len(deleted) <= data["documents"] <= len(names) - len(vanished)
        if vanished:
            return
    pytest.fail("no file vanished between listing and reading in 6 attempts")


# -- scripts, right-to-left, combining marks ------------------------------------------------------------

SCRIPTS = {
    "cyrillic": (
        "Министр обороны России провёл переговоры с командующим армией Пакистана в Москве. Стороны "
        "договорились о расширении военного сотрудничества и проведении совместных учений в следующем "
        "году. По словам министра, соглашение станет важным шагом к укреплению связей между странами."
    ),
    "arabic": (
        "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في العاصمة يضم أكثر من مئتي سرير. وقال الوزير إن "
        "المستشفى سيخدم سكان المناطق الشمالية الذين كانوا يسافرون لساعات طويلة للحصول على العلاج. ومن "
        "المتوقع أن يبدأ المستشفى استقبال المرضى في بداية الشهر المقبل."
    ),
    "chinese": (
        "国家统计局今天发布的数据显示，今年第三季度全国经济增长百分之四点九，高于市场预期。消费和投资对"
        "经济增长的贡献明显增加，出口保持稳定。专家表示，下一阶段需要继续扩大内需，稳定就业。"
    ),
    "japanese": (
        "気象庁によりますと、大型の台風十号は今夜遅くに九州南部に上陸する見込みです。土砂災害や河川の"
        "氾濫に厳重な警戒が必要です。交通機関にも大きな影響が出るおそれがあります。"
    ),
    "mixed": (
        "Президент заявил: «Мы продолжим реформы». 北京的代表团 arrived on Monday for talks on trade, "
        "and the Минфин said 改革 would go on. The delegation left after three days of talks in Москва."
    ),
    "hebrew-rtl-marks": (
        "ראש הממשלה נפגש היום עם נשיא צרפת בירושלים\u200f ודן בהסכם הסחר החדש בין שתי המדינות.\u200f "
        "השניים הסכימו להקים ועדה משותפת \u202bשתבחן את הדרכים\u202c להגדלת ההשקעות ההדדיות בשנה הבאה."
    ),
    "combining-nfd": unicodedata.normalize(
        "NFD",
        "Thủ tướng Chính phủ đã ký quyết định phê duyệt dự án đường cao tốc Bắc Nam phía Đông giai đoạn "
        "hai với tổng vốn đầu tư hơn một trăm nghìn tỷ đồng, dự kiến hoàn thành vào năm hai nghìn "
        "không trăm hai mươi lăm.",
    ),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_other_scripts_are_matched_with_exact_offsets(tmp_path: Path, script: str) -> None:
    body = SCRIPTS[script]
    text_a = "Headline one\n\n" + body
    # the reprint: another headline, the body (precomposed where the original is decomposed), a footer
    text_b = "Another headline entirely\n\n" + unicodedata.normalize("NFC", body) + "\n\nRead more: elsewhere"
    path = two(tmp_path, text_a, text_b)
    data = report_json(str(path))
    [pair] = data["pairs"]
    assert pair["relation"] in ("near-duplicate", "containment"), pair
    assert_exact(pair, text_a, text_b)
    assert min(pair["coverage_a"], pair["coverage_b"]) > 0.6
    found = Detector().compare(Article("a", text_a), Article("b", text_b))
    assert found is not None
    assert_exact(found, text_a, text_b)
    assert found.relation == pair["relation"]


@pytest.mark.parametrize("headline", [False, True])
def test_copies_of_a_one_line_article_are_not_boilerplate(tmp_path: Path, headline: bool) -> None:
    """JSONL texts often have no line breaks: the one line is the article, however many copies there are."""
    records = [
        {"id": f"c{n}", "text": (f"Headline number {n}\n\n" if headline else "") + BODY} for n in range(4)
    ]
    path = jsonl(tmp_path / "in.jsonl", records)
    data = report_json(str(path))
    assert data["boilerplate"] == []
    assert len(data["pairs"]) == 6
    assert {p["relation"] for p in data["pairs"]} == {"near-duplicate"}


def test_bad_lines_through_dedup_filter(tmp_path: Path) -> None:
    """The filter decides every line: kept, rejected or an error record naming line and field."""
    lines: list[dict[str, object] | str] = [{"id": "first", "text": BODY}]
    lines += [line for line, _, _ in BAD_LINES]
    lines += [{"id": "reprint", "text": "REPRINTED\n" + BODY}, {"id": "last", "text": "A different story."}]
    source = jsonl(tmp_path / "in.jsonl", lines)
    decisions = tmp_path / "decisions.jsonl"
    run = dedup(
        "filter", "--index", str(tmp_path / "idx.db"), "--decisions", str(decisions), "-q",
        stdin=source.read_bytes(),
    )  # fmt: skip
    assert run.returncode == 2  # some lines were unusable; all the others were decided
    records = [json.loads(x) for x in decisions.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == list(range(1, len(lines) + 1))
    by_line = {r["line"]: r for r in records}
    for n, (_, error, field) in enumerate(BAD_LINES, 2):
        assert by_line[n]["action"] == "error"
        assert by_line[n]["error"].startswith(error), (by_line[n], error)
        assert by_line[n].get("field") == field
    assert by_line[1]["action"] == "keep"
    assert by_line[len(lines) - 1]["action"] == "reject"  # the reprint
    assert by_line[len(lines)]["action"] == "keep"
    kept = [json.loads(x)["id"] for x in run.stdout.decode().splitlines()]
    assert kept == ["first", "last"]


def test_index_refuses_lone_surrogates_from_the_library(tmp_path: Path) -> None:
    """Readers never produce them; an Article built in Python can. The index says so and stays sound."""
    from dedup import Index

    with Index.create(tmp_path / "idx.db") as index:
        assert index.check_and_add(Article("ok", BODY)).stored
        with pytest.raises(InputError, match=r"field 'text': holds a lone surrogate \(\\udc00 at offset 4\)"):
            index.check_and_add(Article("t", "text\udc00" + BODY))
        with pytest.raises(InputError, match="field 'id': holds a lone surrogate"):
            index.add(Article("\ud800", BODY))
        assert index.ids() == ["ok"]
        assert index.integrity_check() == []
