"""`camapp` with no sub-command: the desktop app. Qt is imported only once we know we need it."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

from camapp.cli.common import Parser, positive_int, score
from camapp.detect import device_help
from camapp.errors import CamappError
from camapp.store.samples import expand_sample

PYQT_MISSING = (
    "PyQt6 is not installed: pip install 'camapp[gui]' "
    "(on Raspberry Pi OS: sudo apt install python3-pyqt6 and a venv with --system-site-packages)"
)


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
