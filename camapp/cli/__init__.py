"""`camapp` command line: one module per sub-command, listed explicitly below.

Every user mistake surfaces as `CamappError`, printed as one line with exit code 2.
`camapp` with no sub-command (or only options such as `--source`) opens the desktop app.
"""

from __future__ import annotations

# Only built-in modules, so that the `camapp` command reaches `main`, which makes Ctrl-C one line,
# as early as it can: everything else is imported inside it. `_signal` is the C module under
# `signal`, which would first import enum, functools and collections (0.1 s on a loaded machine).
import _signal as signal
import sys

TYPE_CHECKING = False  # not typing's: importing typing alone took 0.1 s on a loaded machine
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

# sub-command -> module under camapp.cli with `add_parser(subparsers)` and `run(args) -> int`
COMMANDS: dict[str, str] = {
    "models": "camapp.cli.models",
    "samples": "camapp.cli.samples",
    "detect": "camapp.cli.detect",
    "devices": "camapp.cli.devices",
    "eval": "camapp.cli.eval",
    "run": "camapp.cli.run",
    "bench": "camapp.cli.bench",
    "record": "camapp.cli.record",
    "events": "camapp.cli.events",
    "bench-track": "camapp.cli.bench_track",
    "bench-motion": "camapp.cli.bench_motion",
}
GUI_MODULE = "camapp.cli.gui"


def build_parser() -> argparse.ArgumentParser:
    import argparse
    from importlib import import_module

    from camapp import __version__
    from camapp.cli.common import Parser

    app_usage = import_module(GUI_MODULE).build_parser().format_usage().replace("usage: ", "  ")
    parser = Parser(
        prog="camapp",
        description="Real-time camera object detection. With no command, opens the desktop app.",
        epilog=f"desktop app (no COMMAND):\n{app_usage}  see 'camapp --source X --help' for its options",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"camapp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        import_module(module).add_parser(sub)
    return parser


def _interrupt(_signum: int, _frame: object) -> None:
    """The first Ctrl-C stops camapp; more while it cleans up (recordings finalize) are ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; Ctrl-C stops it with one line (exit 130) from its first moment, also when a
    shell script started camapp in the background with SIGINT ignored (`camapp run` then stops as
    it would later: its own handler takes over once it runs)."""
    previous = None
    try:
        if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.default_int_handler):
            previous = signal.signal(signal.SIGINT, _interrupt)
    except ValueError:  # not the main thread (a test, an embedding program): theirs to handle
        pass
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        from importlib import import_module

        from camapp.errors import CamappError
    except KeyboardInterrupt:
        print("camapp: interrupted", file=sys.stderr)
        return 130
    try:
        if not args_list or (
            args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version")
        ):
            return int(import_module(GUI_MODULE).main(args_list) or 0)
        parser = build_parser()
        args = parser.parse_args(args_list)
        return int(import_module(COMMANDS[args.command]).run(args) or 0)
    except CamappError as exc:
        print(f"camapp: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("camapp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
