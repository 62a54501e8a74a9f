from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "dedup", *args], input=stdin, capture_output=True, check=False
    )


def test_table_on_examples() -> None:
    out = run("report", str(EXAMPLES), "-q")
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "7 articles, 3 pairs (1 near-duplicate, 1 containment, 1 overlap), 3 clusters" in text
    assert "We have never seen the water rise" in text


def test_json_to_file_is_the_contract(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    out = run("report", str(EXAMPLES), "--format", "json", "-o", str(target), "-q")
    assert out.returncode == 0
    assert out.stdout == b""
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["documents"] == 7
    assert set(data) >= {"documents", "settings", "pairs", "clusters"}
    for pair in data["pairs"]:
        assert set(pair) >= {"a", "b", "relation", "jaccard", "coverage_a", "coverage_b", "passages"}
        for p in pair["passages"]:
            text_a = (EXAMPLES / pair["a"]).read_text(encoding="utf-8")
            assert text_a[p["a_start"] : p["a_end"]] == p["a_text"]


def test_stdin_jsonl_and_settings_options() -> None:
    recs = [
        {"id": "x", "text": (EXAMPLES / "harbour-bridge-wire.txt").read_text()},
        {"id": "y", "text": (EXAMPLES / "harbour-bridge-reprint.txt").read_text()},
    ]
    data = "\n".join(json.dumps(r) for r in recs).encode()
    out = run("report", "-", "--format", "json", "--min-passage-words", "20", stdin=data)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["settings"]["min_passage_words"] == 20
    assert [p["relation"] for p in report["pairs"]] == ["near-duplicate"]


def test_bad_record_names_file_line_and_field(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text('{"id": "a", "text": "fine"}\n{"id": "b", "body": "no text"}\n', encoding="utf-8")
    out = run("report", str(f))
    assert out.returncode == 2
    assert out.stderr.decode().strip() == f"dedup: error: {f}, line 2, field 'text': missing"
    assert b"Traceback" not in out.stderr
    out = run("report", str(f), "--skip-bad", "--format", "json", "-q")
    assert out.returncode == 0
    report = json.loads(out.stdout)
    assert report["documents"] == 1
    assert report["bad_records"] == [{"source": str(f), "line": 2, "field": "text", "error": "missing"}]


def test_cp1252_bytes_are_decoded_with_a_warning(tmp_path: Path) -> None:
    f = tmp_path / "old.txt"
    f.write_bytes("Caf\u00e9 \u201cquoted\u201d".encode("cp1252"))
    out = run("report", str(f), "--format", "json")
    assert out.returncode == 0
    assert "not valid UTF-8" in out.stderr.decode()
    assert "decoded as cp1252" in out.stderr.decode()
    notices = json.loads(out.stdout)["notices"]
    assert notices
    assert notices[0]["source"] == str(f)


def test_invalid_setting_is_a_clear_error() -> None:
    out = run("report", str(EXAMPLES), "--window-size", "2")
    assert out.returncode == 2
    assert "window_size (2) must be larger than shingle_size (3)" in out.stderr.decode()


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "data.xml"
    f.write_text("<a/>")
    out = run("report", str(f))
    assert out.returncode == 2
    assert "--input-format" in out.stderr.decode()
    out = run("report", str(tmp_path / "nope.jsonl"))
    assert out.returncode == 2
    assert "no such file" in out.stderr.decode()


def test_every_command_has_help() -> None:
    from dedup.cli.main import cli

    for name, command in cli.commands.items():
        assert command.help, f"command {name} has no help text"
    out = run("--help")
    assert out.returncode == 0
    assert b"report" in out.stdout
