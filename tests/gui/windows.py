"""The main window as the GUI tests open it: settings from the test's own folder (see conftest),
recordings under its tmp_path, started on `source`."""

from __future__ import annotations

from pathlib import Path

from camapp.gui.settings import Settings
from camapp.gui.window import GuiOptions, MainWindow

WAIT = 90_000  # ms: the first start builds and times every rung on 2 busy cores


def open_window(
    qtbot, source: str | None, tmp_path: Path, *, size: tuple[int, int] | None = None, **options
) -> MainWindow:
    w = MainWindow(Settings(), GuiOptions(source=source, **options))
    w.output_override = tmp_path / "out"
    qtbot.addWidget(w)
    w.show()
    if size is not None:
        w.resize(*size)
    w.start()
    return w
