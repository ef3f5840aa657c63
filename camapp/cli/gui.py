"""`camapp` with no sub-command: the desktop app. Qt is imported only once we know we need it."""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from camapp.cli.common import Parser, positive_int, score
from camapp.detect import device_help
from camapp.errors import CamappError
from camapp.store.samples import expand_sample

PYQT_MISSING = (
    "PyQt6 is not installed: in your camapp clone, .venv/bin/pip install -e '.[gui]' "
    "(on Raspberry Pi OS: sudo apt install python3-pyqt6 and a venv with --system-site-packages)"
)
HEADLESS_HINT = (
    "run without a window: camapp run --headless --source SRC "
    "(add --web 8080 to watch and control it from a browser)"
)
XCB_CURSOR_MISSING = (
    "the window needs libxcb-cursor0, which is not installed: sudo apt install libxcb-cursor0 "
    "(the full list: scripts/system-deps)"
)
# Qt platforms that draw on a display server; any other (offscreen, eglfs, linuxfb, vnc, minimal)
# needs none, and the user who chose one knows what it needs
XCB, WAYLAND = "xcb", ("wayland", "wayland-egl")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="camapp",
        description="Open the camapp window (sub-commands: camapp models|detect|... --help).",
    )
    p.add_argument(
        "--source",
        help="camera index, video file, stream URL, 'picam' or sample:person|sample:bottle "
        "(default: last used, else camera 0)",
    )
    p.add_argument(
        "--model", help="catalog name, .tflite path or the device's own model file (default: the catalog default)"
    )
    p.add_argument("--device", help=device_help().replace("default: cpu", "default: last used, else cpu"))
    p.add_argument("--threads", type=positive_int, help="CPU threads (default: last used, else all cores)")
    p.add_argument("--threshold", type=score, help="minimum score 0-1 (default: last used, else 0.5)")
    p.add_argument("--reset-settings", action="store_true", help="forget remembered settings, then start")
    # Hidden aids for tests, the README screenshot and responsiveness checks.
    p.add_argument("--screenshot", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--screenshot-after", type=positive_int, default=30, help=argparse.SUPPRESS)
    p.add_argument("--measure-stalls", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    return p


def have_pyqt6() -> bool:
    """Whether PyQt6 can be imported, found without importing it (Qt lives only in camapp/gui)."""
    if "PyQt6" in sys.modules:
        return sys.modules["PyQt6"] is not None
    return importlib.util.find_spec("PyQt6") is not None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(argv or []))
    if args.reset_settings:
        from camapp.gui.paths import reset_settings

        print(f"camapp: settings reset ({reset_settings()})")
    if args.screenshot:  # a test aid that rewrites its own PNG, but never an input (camapp.outputs)
        from camapp.outputs import check_output, input_path

        check_output(args.screenshot, inputs=[input_path(args.source)], overwrite=True, what="--screenshot")
    # a sample resolves to its clip here (an unknown one is the user's mistake, said first), so the
    # app loops it and remembers a real path
    source = absolute_source(expand_sample(args.source)) if args.source else None
    if not have_pyqt6():
        raise CamappError(PYQT_MISSING)
    problem = display_problem()
    if problem:  # said before Qt starts: its xcb plugin aborts the process (exit 134) instead
        raise CamappError(problem)
    from camapp.gui.app import run
    from camapp.gui.window import GuiOptions

    options = GuiOptions(
        source=source,
        model=args.model,
        device=args.device,
        threads=args.threads,
        threshold=args.threshold,
    )
    return run(
        options,
        screenshot=args.screenshot,
        screenshot_after=args.screenshot_after,
        measure_stalls=args.measure_stalls,
    )


def absolute_source(spec: str) -> str:
    """A local file as an absolute path, so the app remembers a source that still opens when it is
    started from another folder; cameras, URLs and pipelines stay as given."""
    path = Path(spec).expanduser()
    if "://" in spec or spec.isdigit() or not path.is_file():
        return spec
    return str(path.resolve())


def display_problem(env: Mapping[str, str] | None = None) -> str | None:
    """Why Qt could not open a window here, as one line (None: it can, or we cannot tell).

    On Linux Qt draws through X11 (xcb) or Wayland. Without a display (over SSH, a Pi without a
    screen) or with a `DISPLAY` nobody answers, its xcb plugin prints a screenful and aborts;
    with a display but no libxcb-cursor0 it aborts too. Both are told apart here, before Qt loads.
    """
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    chosen = [p.split(":")[0].strip() for p in env.get("QT_QPA_PLATFORM", "").split(";") if p.strip()]
    if any(p != XCB and p not in WAYLAND for p in chosen):
        return None  # offscreen, eglfs, vnc...: no display server involved
    wanted = chosen or [*WAYLAND, XCB]  # Qt's own choice: Wayland in a Wayland session, else X11
    if env.get("WAYLAND_DISPLAY") and any(p in WAYLAND for p in wanted):
        return None
    display = env.get("DISPLAY", "")
    if XCB not in wanted or not display:
        unset = " and ".join(
            v for v, used in (("DISPLAY", XCB in wanted), ("WAYLAND_DISPLAY", wanted != [XCB])) if used
        )
        return f"no display to open the window on ({unset} not set); {HEADLESS_HINT}"
    answered = x11_answers(display)
    if answered is False:
        return f"cannot connect to the display {display!r} (DISPLAY); {HEADLESS_HINT}"
    if not _loads("libxcb-cursor.so.0"):
        return XCB_CURSOR_MISSING
    return None


def x11_answers(display: str) -> bool | None:
    """Whether an X server answers at `display` (libxcb's own connect, as Qt's xcb plugin does);
    None when libxcb itself is missing (Qt will say so)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    for attempt in range(3):  # an X server resetting after its last client left refuses briefly
        if attempt:
            time.sleep(0.2)
        conn = xcb.xcb_connect(display.encode(), None)
        try:
            if conn is not None and xcb.xcb_connection_has_error(conn) == 0:
                return True
        finally:
            if conn is not None:
                xcb.xcb_disconnect(conn)  # also frees the error object xcb returns on failure
    return False


def _loads(library: str) -> bool:
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True
