"""Can the desktop window open here?  Checked by ``workstation gui`` before Qt starts.

Without a display, Qt aborts the process (SIGABRT, exit 134) with its own message,
which on a server names the wrong cause (``xcb-cursor0 ... is needed``).  These
checks are cheap (environment variables, one socket connection, loading the
libraries Qt's X11 plugin links to) and answer with one sentence that says what
to do instead: a desktop session, a virtual display (``xvfb-run``), or the CLI.

No Qt here: this runs before ``PySide6`` is imported.
"""

from __future__ import annotations

import ctypes
import os
import re
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

#: The shared libraries Qt's X11 platform plugin (``libqxcb.so``) links to that the
#: PySide6 wheel does not bundle, and the Debian package of each.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
_WAYLAND = re.compile(r"wayland(-\w+)?")
_LIBRARIES = "the window needs system libraries that are missing"
_X_DISPLAY = re.compile(r"(?:(?P<proto>[a-z]+)/)?(?P<host>[^:/]*):(?P<number>\d+)(?:\.\d+)?")


def missing_libraries(libraries: Mapping[str, str] = XCB_LIBRARIES) -> dict[str, str]:
    """Those of ``libraries`` (shared object name -> Debian package) that cannot be loaded."""
    missing = {}
    for soname, package in libraries.items():
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing[soname] = package
    return missing


def x_display_reachable(display: str, timeout: float = 3.0) -> bool | None:
    """Whether an X server answers on ``display`` (``:0``, ``localhost:10.0``):
    ``None`` where the name is of a form not checked here."""
    match = _X_DISPLAY.fullmatch(display)
    if match is None:
        return None
    number = int(match["number"])
    if match["host"] in ("", "unix") or match["proto"] == "unix":
        path = f"/tmp/.X11-unix/X{number}"
        # The socket file, then Linux's abstract socket of the same name.
        for address in (path, "\0" + path) if sys.platform.startswith("linux") else (path,):
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                    conn.settimeout(timeout)
                    conn.connect(address)
                return True
            except OSError:
                continue
        return False
    try:
        with socket.create_connection((match["host"], 6000 + number), timeout=timeout):
            return True
    except OSError:
        return False


def _platforms(env: Mapping[str, str]) -> list[str]:
    """The Qt platform plugins Qt would try, in order (``QT_QPA_PLATFORM`` may list
    several, ``wayland;xcb``, each with ``:options``)."""
    chosen = [name.split(":", 1)[0].strip()
              for name in env.get("QT_QPA_PLATFORM", "").split(";")]
    chosen = [name for name in chosen if name]
    if chosen:
        return chosen
    if env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"):
        return ["wayland", "xcb"]
    return ["xcb"]


def _xcb_problem(display: str) -> str | None:
    if not display:
        return None  # said once, with Wayland's, by the caller
    if x_display_reachable(display) is False:
        return (f"the display {display} (the DISPLAY environment variable) does not answer: "
                "no X server is running there")
    missing = missing_libraries()
    if missing:
        packages = " ".join(sorted(set(missing.values())))
        return (f"{_LIBRARIES} ({', '.join(missing)}); install them with "
                f"`sudo apt-get install {packages}` (or run ./scripts/bootstrap as root)")
    return None


def display_problem(env: Mapping[str, str] | None = None,
                    platform: str = sys.platform) -> str | None:
    """Why the window cannot open here, as the start of a sentence; ``None`` when it
    can (or where this cannot be told: not Linux/BSD, a platform such as
    ``offscreen`` or ``vnc`` chosen in ``QT_QPA_PLATFORM``)."""
    env = os.environ if env is None else env
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None  # Windows and macOS have their own window systems
    display = env.get("DISPLAY", "").strip()
    wayland = env.get("WAYLAND_DISPLAY", "").strip()
    problems = []
    for name in _platforms(env):
        if name == "xcb":
            problem = _xcb_problem(display)
            if problem is None and display:
                return None
        elif _WAYLAND.fullmatch(name):
            if wayland:
                return None
            problem = None
        else:  # offscreen, minimal, vnc, eglfs, linuxfb ...: they need no display server
            return None
        if problem:
            problems.append(problem)
    if problems:
        return problems[0]
    if wayland and not display:
        return None  # a Wayland session: Qt's own choice of plugin is left to it
    return "there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set)"


def start_command(env: Mapping[str, str] | None = None, argv0: str | None = None) -> str:
    """How the analyst started the window: ``./scripts/start`` (it says so in
    ``WORKSTATION_START_COMMAND``), else the ``workstation`` program as typed + ``gui``."""
    env = os.environ if env is None else env
    if env.get("WORKSTATION_START_COMMAND"):
        return env["WORKSTATION_START_COMMAND"]
    return f"{cli_command(argv0)} gui"


def cli_command(argv0: str | None = None) -> str:
    """The ``workstation`` program as it was typed (``.venv/bin/workstation``), or its
    name when started otherwise (``python -m cli``, the ``workstation-gui`` launcher)."""
    program = Path(argv0 if argv0 is not None else sys.argv[0])
    if program.name == "workstation-gui":
        program = program.with_name("workstation")
    return str(program) if program.name == "workstation" else "workstation"


def no_display_message(problem: str, env: Mapping[str, str] | None = None) -> str:
    """The one message ``workstation gui`` prints instead of starting."""
    env = os.environ if env is None else env
    cli = f"use the command line instead: `{cli_command()} --help`"
    if problem.startswith(_LIBRARIES):
        return f"workstation: error: the desktop window cannot open: {problem}; or {cli}."
    return (f"workstation: error: the desktop window cannot open: {problem}. "
            "Start it from a desktop session, or under a virtual display with "
            f"`xvfb-run -a {start_command(env)}`, or {cli}.")


__all__ = ["XCB_LIBRARIES", "cli_command", "display_problem", "missing_libraries",
           "no_display_message", "start_command", "x_display_reachable"]
