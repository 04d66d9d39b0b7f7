"""The argument parser and the commands, fuzzed with Hypothesis: argv made of the real
subcommand names and options (read from the parser itself) with random, huge and garbage
values.  Every run ends with exit status 0, 1 or 2 and one-line errors — never an
exception, never a traceback.  Run in-process against a real workspace; derandomized
and bounded, so every run tries the same examples."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import build_parser, main
from tests.imagegen import make_image
from workstation.workspace import Workspace

#: Left out: the window, OCR's worker processes (slow, tested on their own).
SKIPPED = {("gui",), ("ocr",)}
#: Commands that would ask for a passphrase on the terminal: given an unset variable.
ASKS = {("key", "init"), ("key", "rotate"), ("key", "smtp-password"), ("pack", "build"),
        ("pack", "send")}
UNSET = "WS_FUZZ_NEVER_SET"

NASTY = ["1", "0", "-1", "#1", "01", "1-3", "3-1", "1-100000000", "99999999999999999999",
         "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e9", "nan",
         "inf", "0x10", "٣", "²", "garbage", "2026-13-45T99:00", "9999-12-31T23:59:59-01:00",
         "0001-01-01T00:00:00+01:00", "\x1b[2J", "a\nimported #999 x", "\u202egnp.exe",
         "\udcff", "x" * 5000, "9" * 5000, "-", "--", "=", "%s%n", "'; DROP TABLE captures;--",
         "https://www.tiktok.com/@x/video/1", "tiktok", "analyst", "ocr_jobs", "max_file_mb"]


def _commands(parser: argparse.ArgumentParser,
              path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], list[str]]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        options = [o for a in parser._actions for o in a.option_strings
                   if o not in ("-h", "--help", "--workspace")]
        yield path, options
        return
    for name, child in subs[0].choices.items():
        yield from _commands(child, (*path, name))


COMMANDS = [(path, options) for path, options in _commands(build_parser())
            if path not in SKIPPED]


def _harmless(value: str) -> bool:
    """Never an absolute path, the current folder or a parent (``import .`` would import
    the folder), and never a NUL character, which no shell can pass in an argument.  A
    pure function of the value, so the examples are the same on every run."""
    return value.strip(" ./") != "" and not value.startswith(("/", "~")) \
        and ".." not in value and "\x00" not in value


VALUES = st.one_of(st.sampled_from(NASTY), st.text(max_size=24),
                   st.integers(-(1 << 70), 1 << 70).map(str)).filter(_harmless)


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    path, options = draw(st.sampled_from(COMMANDS))
    argv = list(path)
    for _ in range(draw(st.integers(0, 4))):
        if options and draw(st.booleans()):
            argv.append(draw(st.sampled_from(options)))
        argv.append(draw(VALUES))
    if path in ASKS:
        argv += ["--passphrase-env", UNSET]
    return argv


@pytest.fixture(scope="module")
def fuzz_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fuzz")
    image = base / "one.png"
    image.write_bytes(make_image(seed=7))
    with Workspace.open(base / "ws") as ws:
        ws.intake.import_file(image)
    (base / "cwd").mkdir()
    return base


def _run(argv: list[str]) -> tuple[int, str]:
    err, stdin = io.StringIO(), sys.stdin
    sys.stdin = io.StringIO("")  # a prompt reading standard input gets nothing
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
                status = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = stdin
    return status, err.getvalue()


@settings(max_examples=500, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(argv=argvs())
def _fuzz(fuzz_ws: Path, argv: list[str]) -> None:
    status, err = _run(["--workspace", str(fuzz_ws / "ws"), *argv])
    assert status in (0, 1, 2), (argv, status, err)
    assert "Traceback" not in err, (argv, err)
    assert "workstation: error: unexpected" not in err, (argv, err)  # the last-resort catch
    if "workstation: error: " in err:  # an error is one line
        line = err[err.index("workstation: error: "):]
        assert line.count("\n") <= 1, (argv, err)
    if status == 2:
        assert "error:" in err, (argv, err)


def test_fuzzed_arguments_end_in_0_1_or_2_without_a_traceback(
        fuzz_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(fuzz_ws / "cwd")  # what a command writes lands here
    monkeypatch.delenv(UNSET, raising=False)
    monkeypatch.setenv("WORKSTATION_SECRET_BACKEND", "file")
    _fuzz(fuzz_ws)


@pytest.mark.parametrize("argv", [
    ["show", "99999999999999999999"], ["links", "99999999999999999999"],
    ["similar", "99999999999999999999"], ["indicators", "99999999999999999999"],
    ["audit", "--capture", "99999999999999999999"], ["show", "9223372036854775808"],
    ["search", "advert", "--limit", "9223372036854775808"], ["search", "x", "--limit", "-5"],
    ["edit", "1", "--captured-at", "garbage"],
    ["edit", "1", "--captured-at", "9999-12-31T23:59:59-01:00"],
    ["import", "x.png", "--captured-at", "garbage"], ["ocr", "--jobs", "100000"],
    ["ocr", "--jobs", "0"], ["pack", "build", "--contact", "1", "--captures", "1-100000000",
                             "-o", "out.age"],
    ["contact", "verify", "99999999999999999999"], ["status", "a\nimported #999 x"],
])
def test_values_that_crashed_are_usage_errors(fuzz_ws: Path, argv: list[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(fuzz_ws / "cwd")
    status, err = _run(["--workspace", str(fuzz_ws / "ws"), *argv])
    assert status == 2, (status, err)
    assert "Traceback" not in err
    last = err.splitlines()[-1]  # after argparse's usage line: the one error line
    assert last.startswith("workstation") and ": error: " in last
    assert [line for line in err.splitlines() if ": error: " in line] == [last]
    assert not any(line.startswith("imported") for line in err.splitlines())  # not forged
