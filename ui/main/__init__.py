"""The main window: its menus and shortcuts, the intake flow (import, paste, drop,
screen region, watched folder, OCR) and the status strip."""
