"""Starting the window where it cannot open (cli/display.py): `workstation gui` and
`./scripts/start` on a machine without a display say so in one sentence, with what to
do instead (a desktop session, `xvfb-run -a`, the command line), and exit 1 — never
Qt's own abort (SIGABRT, exit 134, naming `xcb-cursor0` as the cause)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.display import (
    display_problem,
    missing_libraries,
    no_display_message,
    x_display_reachable,
)
from tests.conftest import ROOT, require_tool

WORKSTATION = Path(sys.executable).parent / "workstation"
HEADLESS_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                   reason="X11/Wayland checks are for Linux")


def headless_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This environment without any display (and without the tests' offscreen Qt)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE",
                        "WORKSTATION_START_COMMAND")}
    env["WORKSTATION_HOME"] = str(tmp_path / "ws")
    env.update(extra)
    return env


def free_display_number() -> int:
    """An X display number nobody serves here."""
    number = 917
    while os.path.exists(f"/tmp/.X11-unix/X{number}") or x_display_reachable(f":{number}"):
        number += 1
    return number


def assert_one_plain_refusal(result: subprocess.CompletedProcess[str], tmp_path: Path) -> str:
    assert result.returncode == 1, result.stderr
    assert "Aborted" not in result.stderr and "Traceback" not in result.stderr
    assert "qt.qpa" not in result.stderr and "xcb-cursor0" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.startswith("workstation: error: the desktop window cannot open: ")
    assert "xvfb-run -a" in message and "--help" in message
    assert not (tmp_path / "ws").exists()  # nothing was opened or created
    return message


@HEADLESS_ONLY
def test_gui_without_a_display_says_so_and_exits_1(tmp_path: Path) -> None:
    if not WORKSTATION.exists():
        pytest.skip(f"no {WORKSTATION} (the project is not installed in this environment)")
    result = subprocess.run([str(WORKSTATION), "gui"], capture_output=True, text=True,
                            env=headless_env(tmp_path), cwd=tmp_path, timeout=120,
                            stdin=subprocess.DEVNULL)
    message = assert_one_plain_refusal(result, tmp_path)
    assert "there is no display to open the window on" in message
    assert f"`{WORKSTATION} --help`" in message  # the program as it was started
    assert f"xvfb-run -a {WORKSTATION} gui" in message
    assert result.stdout == ""


@HEADLESS_ONLY
def test_gui_with_a_display_that_does_not_answer(tmp_path: Path) -> None:
    number = free_display_number()
    result = subprocess.run([sys.executable, "-m", "cli", "gui"], capture_output=True,
                            text=True, env=headless_env(tmp_path, DISPLAY=f":{number}"),
                            cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL)
    message = assert_one_plain_refusal(result, tmp_path)
    assert f"the display :{number} (the DISPLAY environment variable) does not answer" in message


@HEADLESS_ONLY
def test_start_script_without_a_display(tmp_path: Path) -> None:
    """`./scripts/start`: its bootstrap is one line when there is nothing to do, then the
    same refusal, naming the start script for xvfb-run."""
    bootstrap = subprocess.run([str(ROOT / "scripts" / "bootstrap"), "--check"],
                               capture_output=True, text=True, timeout=120)
    if bootstrap.returncode != 0:
        pytest.skip("scripts/bootstrap has work to do here (it would install, not start)")
    assert bootstrap.stdout == "" and bootstrap.stderr == ""  # --check only tells
    result = subprocess.run(["./scripts/start"], capture_output=True, text=True,
                            env=headless_env(tmp_path), cwd=ROOT, timeout=300,
                            stdin=subprocess.DEVNULL)
    assert result.stdout.splitlines()[-1:] == ["bootstrap: up to date"]
    message = assert_one_plain_refusal(result, tmp_path)
    assert "`xvfb-run -a ./scripts/start`" in message


@HEADLESS_ONLY
def test_what_counts_as_a_display() -> None:
    nothing: dict[str, str] = {}
    assert "DISPLAY and WAYLAND_DISPLAY are not set" in (display_problem(nothing) or "")
    # Platforms that need no display server are trusted as chosen.
    for platform in ("offscreen", "minimal", "vnc:size=800x600", "eglfs"):
        assert display_problem({"QT_QPA_PLATFORM": platform}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland",
                            "QT_QPA_PLATFORM": "wayland"}) is None
    # Asking for X11 or Wayland explicitly with neither there.
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}) is not None
    assert display_problem({"QT_QPA_PLATFORM": "wayland;xcb"}) is not None
    # Windows and macOS have their own window systems.
    assert display_problem(nothing, platform="win32") is None
    assert display_problem(nothing, platform="darwin") is None


def test_missing_libraries_are_named_with_their_package() -> None:
    absent = {"libnot-a-real-library-aw.so.7": "libnot-a-real-library7"}
    assert missing_libraries(absent) == absent
    assert missing_libraries({"libc.so.6": "libc6"}) == {}


def test_the_message_for_missing_libraries_says_how_to_install_them() -> None:
    problem = ("the window needs system libraries that are missing (libxcb-cursor.so.0); "
               "install them with `sudo apt-get install libxcb-cursor0` (or run "
               "./scripts/bootstrap as root)")
    message = no_display_message(problem, {})
    assert "sudo apt-get install libxcb-cursor0" in message
    assert "xvfb-run" not in message  # a virtual display would not help
    assert message.endswith("--help`.")


@HEADLESS_ONLY
def test_a_running_x_server_is_a_display(tmp_path: Path) -> None:
    xvfb = require_tool("Xvfb")
    # -displayfd: Xvfb picks a free display and writes its number once it accepts
    # connections (no waiting on a timer).
    with subprocess.Popen([xvfb, "-displayfd", "1", "-nolisten", "tcp", "-screen", "0",
                           "1024x768x24"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True) as server:
        try:
            assert server.stdout is not None
            number = int(server.stdout.readline())
            assert x_display_reachable(f":{number}") is True
            env = {"DISPLAY": f":{number}"}
            if missing_libraries():
                assert "sudo apt-get install" in (display_problem(env) or "")
            else:
                assert display_problem(env) is None
        finally:
            server.terminate()


def test_display_names_not_checked_are_left_to_qt() -> None:
    assert x_display_reachable("/private/tmp/com.apple.launchd.x/org.xquartz:0") is None
