"""Options several commands share, so they read the same everywhere."""

from __future__ import annotations

import argparse
import difflib
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from camapp.detect import device_help, device_kinds

T = TypeVar("T", int, float)
SCHEDULES = ("auto", "latency", "throughput")

if TYPE_CHECKING:
    from camapp.detect import Detector


# Python 3.14's argparse suggests a close choice itself (`suggest_on_error`); before it, difflib does.
SUGGESTS = "suggest_on_error" in inspect.signature(argparse.ArgumentParser).parameters


class Parser(argparse.ArgumentParser):
    """argparse whose usage mistakes read like every other camapp error: one line, exit 2.

    A mistyped option or choice gets a "did you mean" (`--recrod` -> `--record`), and an option
    the sub-command does not know is reported by that sub-command, pointing at its own help.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if SUGGESTS:
            kwargs.setdefault("suggest_on_error", True)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"camapp: error: {message} (see '{self.prog} --help')\n")

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            chosen = self.chosen(parsed)
            chosen.error(unrecognized(extras, chosen))
        return parsed

    def chosen(self, parsed: argparse.Namespace) -> argparse.ArgumentParser:
        """The (sub-)sub-command's parser that `parsed` went through (this one if none)."""
        for action in self._actions:  # argparse offers no public way to walk sub-commands
            if isinstance(action, argparse._SubParsersAction):
                sub = action.choices.get(getattr(parsed, action.dest, None) or "")
                if sub is not None:
                    return sub.chosen(parsed) if isinstance(sub, Parser) else sub
        return self

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if SUGGESTS or action.choices is None or value in action.choices:
            super()._check_value(action, value)
            return
        choices = ", ".join(map(repr, action.choices))
        maybe = close(str(value), [str(c) for c in action.choices])
        hint = f"; did you mean {maybe!r}?" if maybe else ""
        raise argparse.ArgumentError(action, f"invalid choice: {value!r}{hint} (choose from {choices})")


def close(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate `word` most likely mistypes, if one is close enough."""
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def unrecognized(extras: Sequence[str], parser: argparse.ArgumentParser) -> str:
    """argparse's "unrecognized arguments" with a "did you mean" for each mistyped option."""
    options = [s for a in parser._actions for s in a.option_strings if s.startswith("--")]
    found = [(w, close(w.split("=", 1)[0], options)) for w in extras if w.startswith("--")]
    hints = [f"did you mean {m}?" if len(found) == 1 else f"{w}: did you mean {m}?" for w, m in found if m]
    return f"unrecognized arguments: {' '.join(extras)}" + ("; " + "; ".join(hints) if hints else "")


def add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument(
        "--model",
        help="catalog name or path to a .tflite SSD model, or to a model in the device's own format "
        "(see --device) (default: catalog default)",
    )
    g.add_argument("--labels", help="label file for --model PATH (default: labelmap.txt beside it)")
    g.add_argument("--device", default="cpu", help=device_help())
    g.add_argument(
        "--no-fallback",
        action="store_true",
        help=f"with --device {' or '.join(k.name for k in device_kinds() if k.fallback)}: "
        "fail (exit 2) instead of falling back to the CPU",
    )
    g.add_argument("--threads", type=positive_int, help="CPU threads (default: all cores)")
    g.add_argument("--threshold", type=score, default=0.5, help="minimum score, 0-1 (default 0.5)")
    g.add_argument("--classes", type=class_list, help="only these labels, e.g. person,car")
    g.add_argument("--max-detections", type=positive_int, help="raise the model's detection cap")


def add_schedule_option(g: Any) -> None:
    g.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="auto",
        help="latency: every thread on each frame; throughput: one 1-thread interpreter per thread "
        "(at most one per core), each on its own frames (more frames/s, each one slower); "
        "auto (default): throughput for files read with --no-realtime, latency otherwise",
    )


def lanes_for(args: argparse.Namespace, realtime: bool) -> int:
    """Frame-parallel lanes for `--schedule` (`camapp.session.loader.lanes_for`)."""
    from camapp.session.loader import lanes_for as lanes

    return lanes(getattr(args, "schedule", "latency"), args.device, args.threads, realtime)


def model_spec(args: argparse.Namespace, input_size: int | None, **extra: Any) -> Any:
    """The `ModelSpec` the shared model options ask for."""
    from camapp.session import ModelSpec

    return ModelSpec(
        args.model,
        labels=args.labels,
        device=args.device,
        fallback=not args.no_fallback,
        threads=args.threads,
        max_detections=args.max_detections,
        input_size=input_size,
        schedule=getattr(args, "schedule", "latency"),
        **extra,
    )


def open_model(args: argparse.Namespace, input_size: int | None, lanes: int = 1, **extra: Any) -> Detector:
    """The detector the shared model options ask for: one fixed input size, or the whole ladder;
    with `lanes` > 1, that many single-thread detectors (`camapp.detect.lanes.Lanes`)."""
    from camapp.session.loader import load_detector

    spec = model_spec(args, input_size, background=bool(extra.pop("background", False)))
    return load_detector(spec, threshold=args.threshold, classes=args.classes, lanes=lanes, **extra)


def _positive(text: str, parse: Callable[[str], T], what: str) -> T:
    try:
        value = parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if not value > 0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def positive_int(text: str) -> int:
    return _positive(text, int, "a whole number")


def positive_float(text: str) -> float:
    return _positive(text, float, "a number")


def score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1")
    return value


def csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def class_list(text: str) -> list[str]:
    """`person,dog` for --classes / --record-on: an empty list ("" or ",,") is a usage error."""
    names = csv(text)
    if not names:
        raise argparse.ArgumentTypeError(f"{text!r} names no class: give labels such as person,dog")
    return names
