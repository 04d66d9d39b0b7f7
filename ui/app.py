"""Start the desktop application: ``main(workspace, argv)``.

Opens the workspace (a clear dialog, never a traceback, when it cannot be
opened — in use by another window, written by a newer version ...), asks the
analyst's name on first start, shows the main window, and then (first start, no
agency keys yet) offers to create the agency's keys.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
import threading

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QInputDialog, QProgressDialog, QWidget

from ui.common.background import Background
from ui.common.errors import install_excepthook, message_for, show_error_blocking
from ui.common.gcpolicy import favour_gui_thread, settle_heap, warm_up
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.common.theme import follow_system
from ui.common.unlock import unlock_workspace
from ui.main.backfill import RegionBackfill
from ui.main.mainwindow import MainWindow
from ui.setup.wizard import show_first_start
from workstation import __version__
from workstation.errors import WorkstationError
from workstation.logs import setup_logging
from workstation.progress import Progress
from workstation.resources import resources_dir
from workstation.workspace import Workspace

log = logging.getLogger(__name__)


def app_icon() -> QIcon:
    """The application's icon (``workstation/resources/icons/analyst-workstation.svg``)."""
    return QIcon(str(resources_dir() / "icons" / "analyst-workstation.svg"))


def application(argv: list[str] | None = None) -> QApplication:
    """The ``QApplication`` (created once, high-DPI aware, following the system theme)."""
    existing = QCoreApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setOrganizationName("analyst-workstation")
    QCoreApplication.setApplicationName("Analyst Workstation")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    QGuiApplication.setDesktopFileName("analyst-workstation")
    app.setWindowIcon(app_icon())
    follow_system(app)
    return app


def upgrade_with_progress(workspace: str | None, parent: QWidget | None = None) -> None:
    """If the workspace's database needs upgrading, do it on a worker thread behind a
    busy dialog (rebuilding the search index takes seconds per 100,000 captures).

    The one write made before a :class:`Session` (and its task manager) exists; it
    is not cancellable: each migration is one transaction and a half-done one is
    rolled back anyway.  Errors are raised here, as ``Session.open`` would raise them.
    """
    upgrade = Workspace.pending_upgrade(workspace)
    if upgrade is None:
        return
    log.info("upgrading the workspace database from version %d to %d", *upgrade)
    dialog = QProgressDialog(
        f"Upgrading the workspace database from version {upgrade[0]} to {upgrade[1]}.\n"
        "This is done once, and can take a minute on a large workspace.", "", 0, 0, parent)
    dialog.setWindowTitle("Analyst Workstation")
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    outcome: list[BaseException | None] = []
    reports: list[Progress] = []  # appended by the worker, read by the GUI's timer

    def work() -> None:
        try:
            Workspace.open(workspace, progress=reports.append).close()
            outcome.append(None)
        except BaseException as exc:  # handed to the GUI thread below
            outcome.append(exc)

    worker = threading.Thread(target=work, name="workspace-upgrade", daemon=True)
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(50)

    def polled() -> None:
        if reports and reports[-1].total:  # the captures' derived data, updated in batches
            latest = reports[-1]
            dialog.setMaximum(latest.total)
            dialog.setValue(latest.done)
            dialog.setLabelText(f"Upgrading the workspace database: updating what was read "
                                f"from each capture ({latest.done:,} of {latest.total:,}).")
        if not worker.is_alive():
            loop.quit()

    poll.timeout.connect(polled)
    dialog.show()
    worker.start()
    poll.start()
    loop.exec()
    poll.stop()
    dialog.close()
    if outcome and outcome[0] is not None:
        raise outcome[0]


def open_session(workspace: str | None, parent: QWidget | None = None) -> Session | None:
    """Open the workspace (upgrading it first, see :func:`upgrade_with_progress`), or
    explain in a dialog why it cannot be opened.

    An encrypted workspace whose key this process and the OS keyring lack is unlocked
    first (:func:`ui.common.unlock.unlock_workspace`); cancelling that opens nothing."""
    try:
        if not unlock_workspace(workspace, parent):
            return None
        upgrade_with_progress(workspace, parent)
        new = not Workspace.exists(workspace)  # the window's first start makes one
        session = Session.open(workspace)
        if new:
            log.info("created a new workspace at %s", Workspace.resolve(workspace))
        return session
    except WorkstationError as exc:
        show_error_blocking(parent, "Cannot open the workspace", message_for(exc))
    except Exception as exc:  # a bug: still no traceback for the analyst
        log.error("opening the workspace failed")  # message_for logs the traceback
        show_error_blocking(parent, "Cannot open the workspace", message_for(exc))
    return None


def ask_analyst_name(session: Session, parent: QWidget | None = None) -> str | None:
    """On first start, ask the analyst's name; ``None`` when known already or not given."""
    if session.analyst_known():
        return None
    try:
        default = getpass.getuser()
    except Exception:
        default = ""
    name, ok = QInputDialog.getText(
        parent, "Welcome to Analyst Workstation",
        "Your name — it is recorded in the audit trail with every change you make:",
        text=default)
    return name.strip() if ok and name.strip() else None


def start_workspace(workspace: str | None, prefs: Preferences) -> str | None:
    """The workspace to open: ``workspace`` (``--workspace``) when given; else ``None``
    (the core's default) when ``$WORKSTATION_HOME`` is set; else the folder chosen in
    Settings for the next start, if any."""
    if workspace:
        return workspace
    if os.environ.get("WORKSTATION_HOME"):
        return None
    return prefs.workspace_location or None


def launch(session: Session, prefs: Preferences) -> MainWindow:
    """Show the main window on ``session``, then (see :mod:`ui.common.gcpolicy`) import
    the OCR modules in the background, freeze the start-up heap, and keep it
    settled after every task."""
    window = MainWindow(session, prefs)
    window.setWindowIcon(app_icon())
    window.show()
    favour_gui_thread()

    def warmed(_result: object) -> None:
        settle_heap()

    warming = Background(1, window)
    warming.call(warm_up, warmed)
    # Captures imported before crop-proof repost hashes existed get them now, on the
    # writer in short batches between the analyst's work, with progress and cancel
    # (nothing to do, and done at once, otherwise); closing the window stops it.
    RegionBackfill(window.ops, parent=window).start()
    session.tasks.taskFinished.connect(lambda _task: settle_heap(young_first=True))
    return window


def main(workspace: str | None = None, argv: list[str] | None = None,
         prefs: Preferences | None = None) -> int:
    """Run the desktop app on ``workspace`` (default: see :func:`start_workspace`).

    Returns the process exit code (0, or 1 when the workspace cannot be opened).
    """
    setup_logging("gui")  # workstation/logs.py: the file the error dialogs name
    log.info("starting Analyst Workstation %s", __version__)
    app = application(argv)
    install_excepthook()
    prefs = prefs or Preferences()
    session = open_session(start_workspace(workspace, prefs))
    if session is None:
        return 1
    try:
        first_start = not session.analyst_known()
        window = launch(session, prefs)
        if first_start:  # the guided setup (ui/setup): name, issuer, keys, OCR, folder;
            # each step checked and stored through the writer, the optional ones skippable
            show_first_start(session, window.ops, prefs, passphrases=window.passphrases,
                             notify=window.notify, parent=window)
        quit_after = os.environ.get("WORKSTATION_GUI_QUIT_AFTER_MS", "")
        if quit_after.isdigit():  # smoke tests of the bundle: start, show, close
            QTimer.singleShot(int(quit_after), window.close)
        code = app.exec()
    finally:
        session.close()
    return int(code)
