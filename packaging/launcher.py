"""Entry point of the PyInstaller bundle.

``analyst-workstation`` with no arguments opens the window; with arguments it is
the ``workstation`` command line.  In the bundle, Tesseract's language data is
the copy shipped beside the program unless ``TESSDATA_PREFIX`` says otherwise.
"""

from __future__ import annotations

import os
import sys


def _bundled_tessdata() -> None:
    base = getattr(sys, "_MEIPASS", None)
    if base and not os.environ.get("TESSDATA_PREFIX"):
        tessdata = os.path.join(base, "tessdata")
        if os.path.isdir(tessdata):
            os.environ["TESSDATA_PREFIX"] = tessdata


def main() -> None:
    import multiprocessing

    multiprocessing.freeze_support()  # OCR worker processes re-enter this program
    _bundled_tessdata()
    from cli.main import main as cli_main

    sys.exit(cli_main(sys.argv[1:] or ["gui"]))


if __name__ == "__main__":
    main()
