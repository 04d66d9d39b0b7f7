"""The application's log file: what ran, what went wrong, never a secret.

:func:`setup_logging` (called by the CLI's entry point and the desktop app) sends
the process's log records to a rotating file, ``<app>.log`` (1 MB, five old
copies kept) in the per-user log folder
(``~/.local/state/analyst-workstation/log`` on Linux) or ``$WORKSTATION_LOG_DIR``.
The folder is made private (0700) and the file is created 0600: it names
captures, contacts and file paths.

Every record passes a :class:`RedactingFilter` first, which replaces anything
secret with ``[REDACTED]``: age secret keys (``AGE-SECRET-KEY-1…``), minisign
secret keys, the values after ``password=`` / ``passphrase=`` (or ``:``), and
the literal values registered with :func:`redact_value` / :func:`redact_env` —
the CLI registers the variables named by ``--passphrase-env`` and
``--password-env`` — in the message, its arguments and the traceback alike.

Uncaught exceptions, in the main thread (``sys.excepthook``) and in other
threads (``threading.excepthook``), are logged with their traceback before the
previous hook runs.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import Any

LOG_DIR_ENV = "WORKSTATION_LOG_DIR"
#: The per-user folder name (platformdirs), as for the workspace.
APP_DIR_NAME = "analyst-workstation"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
REDACTED = "[REDACTED]"
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"

log = logging.getLogger(__name__)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # age X25519 identities (bech32, upper case) and plugin identities.
    (re.compile(r"AGE-(?:PLUGIN-[A-Z0-9]+-|SECRET-KEY-)1[0-9A-Za-z]+", re.IGNORECASE),
     REDACTED),
    # minisign secret keys: base64 of "Ed" + KDF ("Sc" or none) + "B2" + ...
    (re.compile(r"RW(?:RTY0|QAAE)Iy[A-Za-z0-9+/]{20,}={0,2}"), REDACTED),
    # password=..., passphrase: ..., "password": "..."
    (re.compile(r"""(?ix)
        ((?<![a-z0-9])(?:pass(?:word|phrase|wd)|pwd|secret[_-]?key)["']?\s*[=:]\s*)
        ("[^"]*"|'[^']*'|[^\s,;&)}\]]+)"""), r"\1" + REDACTED),
)

_values: set[str] = set()
_values_lock = threading.Lock()


def redact_value(value: str | None) -> None:
    """Never write ``value`` (a passphrase, a password) to the log from now on."""
    if value and value.strip():
        with _values_lock:
            _values.add(value)


def redact_env(*names: str | None) -> None:
    """Never write the values of these environment variables to the log."""
    for name in names:
        if name:
            redact_value(os.environ.get(name))


def redact(text: str) -> str:
    """``text`` with every secret replaced by ``[REDACTED]``."""
    with _values_lock:
        values = sorted(_values, key=len, reverse=True)  # longest first: no partial leftovers
    for value in values:
        if value in text:
            text = text.replace(value, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record so its message, traceback and stack carry no secret."""

    def __init__(self) -> None:
        super().__init__()
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep what can be shown
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A :class:`RotatingFileHandler` whose files are created readable by their owner only."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # an older file made with a looser umask
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def log_dir() -> Path:
    """``$WORKSTATION_LOG_DIR``, else the per-user log folder."""
    env = os.environ.get(LOG_DIR_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_DIR_NAME, appauthor=False))


def log_file(app: str) -> Path:
    """Where :func:`setup_logging` (``app``) writes."""
    return log_dir() / f"{app}.log"


_handler: PrivateRotatingFileHandler | None = None


def current_log_file() -> Path | None:
    """The file this process logs to, or ``None`` before :func:`setup_logging`."""
    return None if _handler is None else Path(_handler.baseFilename)


def setup_logging(app: str, level: int = logging.INFO) -> Path | None:
    """Log this process (``app``: ``cli``, ``gui``) to its rotating, private, redacted
    file and log uncaught exceptions.  Idempotent; a second ``app`` replaces the first.

    Returns the log file, or ``None`` when it cannot be written (the program runs on:
    a read-only home must not stop the analyst).
    """
    global _handler
    path = log_file(app)
    root = logging.getLogger()
    if _handler is not None and _handler.baseFilename == os.path.abspath(path):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES,
                                             backupCount=BACKUP_COUNT, encoding="utf-8")
    except OSError as exc:
        print(f"warning: cannot write the log file {path}: {exc}", file=sys.stderr)
        return None
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    _handler = handler
    install_excepthooks()
    return path


_MARK = "_workstation_logs_hook"


def install_excepthooks() -> None:
    """Log uncaught exceptions (main thread and other threads), then run the hook
    that was in place before (Python's prints the traceback)."""
    if not getattr(sys.excepthook, _MARK, False):
        previous = sys.excepthook

        def excepthook(kind: type[BaseException], exc: BaseException,
                       tb: TracebackType | None) -> None:
            if not issubclass(kind, KeyboardInterrupt):
                logging.getLogger("workstation.crash").critical(
                    "uncaught exception", exc_info=(kind, exc, tb))
            previous(kind, exc, tb)

        _mark(excepthook)
        sys.excepthook = excepthook
    if not getattr(threading.excepthook, _MARK, False):
        previous_thread = threading.excepthook

        def thread_excepthook(args: Any) -> None:
            if args.exc_type is not SystemExit:
                name = args.thread.name if args.thread is not None else "?"
                logging.getLogger("workstation.crash").critical(
                    "uncaught exception in thread %s", name,
                    exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
            previous_thread(args)

        _mark(thread_excepthook)
        threading.excepthook = thread_excepthook


def _mark(hook: Callable[..., None]) -> None:
    setattr(hook, _MARK, True)
