"""Exit statuses and error output of the command line (README, docs/errors.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedup import Detector
from dedup.cli import main as cli
from tests.hostile import dedup, jsonl

TEXT = "The council approved the harbour bridge after a long debate that went on until the early hours."


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": TEXT}, {"id": "b", "text": TEXT}])


def test_success_is_0(corpus: Path) -> None:
    assert dedup("report", str(corpus), "-q").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "missing.jsonl"], "dedup: error: missing.jsonl: no such file\n"),
        (
            ["report", "{corpus}", "--min-passage-words", "0"],
            "dedup: error: setting min_passage_words must be ",
        ),
        (
            ["report", "{corpus}", "-o", "/nonexistent/dir/out.json"],
            "dedup: error: /nonexistent/dir/out.json: ",
        ),
        (["report", "{corpus}", "--encoding", "klingon"], "dedup: error: unknown encoding 'klingon'\n"),
        (["report", "{corpus}", "--no-such-option"], "Usage: dedup report"),
        (["check", "--index", "{missing_db}", "{corpus}"], "dedup: error: "),
    ],
    ids=["missing-input", "bad-setting", "unwritable-output", "unknown-encoding", "usage", "missing-index"],
)
def test_user_errors_are_2_and_one_line(tmp_path: Path, corpus: Path, args: list[str], message: str) -> None:
    run = dedup(*(a.format(corpus=corpus, missing_db=tmp_path / "none.db") for a in args))
    assert run.returncode == 2
    assert run.stderr.startswith(message), run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == b""


def test_debug_adds_the_traceback(tmp_path: Path) -> None:
    plain = dedup("report", str(tmp_path / "missing.jsonl"))
    assert plain.stderr.count("\n") == 1
    for run in (
        dedup("--debug", "report", str(tmp_path / "missing.jsonl")),
        dedup("report", str(tmp_path / "missing.jsonl"), env={"DEDUP_DEBUG": "1"}),
    ):
        assert run.returncode == 2
        assert "Traceback (most recent call last)" in run.stderr
        assert "dedup.errors.InputError" in run.stderr
        assert run.stderr.endswith(plain.stderr)


def test_internal_error_is_3_with_a_hint(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something impossible")

    monkeypatch.setattr(Detector, "report", broken)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["report", str(corpus), "-q"])
    assert exit_.value.code == 3
    err = capsys.readouterr().err
    assert err == (
        "dedup: internal error: RuntimeError: something impossible (this is a bug in dedup; run again "
        "with --debug for the traceback and report it)\n"
    )


def test_a_failed_run_leaves_no_half_written_output(tmp_path: Path, corpus: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("the previous report", encoding="utf-8")
    target.chmod(0o640)
    bad = jsonl(tmp_path / "bad.jsonl", ["not json"])
    run = dedup("report", str(corpus), str(bad), "--format", "json", "-o", str(target))
    assert run.returncode == 2
    assert target.read_text(encoding="utf-8") == "the previous report"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report.json")] == []
    assert dedup("report", str(corpus), "--format", "json", "-o", str(target), "-q").returncode == 0
    assert json.loads(target.read_text(encoding="utf-8"))["documents"] == 2
    assert target.stat().st_mode & 0o777 == 0o640  # replaced, with the permissions it had
