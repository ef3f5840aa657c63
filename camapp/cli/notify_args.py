"""Notification options (`--notify URL`, `--notify-label`, `--notify-zone`, `--notify-cooldown`,
`--notify-name`) and the notifier they start.

Kept apart from `camapp run` so another command can offer them: `add_notify_args(parser)`, then
`start_notify(args, session)` before the source opens (a URL Apprise cannot parse, a cooldown out
of range or a zone no `--zone` defines is a one-line error, exit 2), `check_notify_labels` once
the model's labels are known, and `stop_notify` at the end (it prints the summary line). The
options become the same `NotifySettings` the desktop app and the page use, run by the same
`NotifyControl` (so the page of `camapp run --web` shows and changes them).
"""

from __future__ import annotations

import argparse
from typing import Any

from camapp.errors import CamappError
from camapp.notify.rules import MAX_COOLDOWN


def cooldown(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= MAX_COOLDOWN:
        raise argparse.ArgumentTypeError(f"{text} is out of range (0 to {MAX_COOLDOWN:g} seconds)")
    return value


def add_notify_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("notifications (needs the notify extra: .venv/bin/pip install -e '.[notify]' in your clone)")
    g.add_argument(
        "--notify",
        action="append",
        metavar="URL",
        help="send a message with a snapshot when an object appears, to this Apprise URL: ntfy://TOPIC, "
        "tgram://TOKEN/CHAT, mailto://..., pover://..., hassio://..., json://HOST/PATH (repeatable)",
    )
    g.add_argument(
        "--notify-label", action="append", metavar="LABEL", help="only objects of this class (repeatable)"
    )
    g.add_argument(
        "--notify-zone",
        action="append",
        metavar="ZONE",
        help="only objects that enter this --zone; sent when they enter it (repeatable)",
    )
    g.add_argument(
        "--notify-cooldown",
        type=cooldown,
        metavar="S",
        help="seconds of video between two messages about the same class (default 30; 0: none)",
    )
    g.add_argument(
        "--notify-name", metavar="NAME", help="the camera's name in messages (default: the source)"
    )


def start_notify(args: argparse.Namespace, session: Any) -> Any:
    """The `NotifyControl` over `session`, its notifier running with --notify; None when there
    is neither --notify nor --web (the page can start one)."""
    urls = args.notify or []
    options = ("notify_label", "notify_zone", "notify_cooldown", "notify_name")
    given = [o for o in options if getattr(args, o, None) is not None]
    if not urls and given:
        raise CamappError(f"--{given[0].replace('_', '-')} goes with --notify URL")
    zones = {z.name for z in (getattr(args, "zone", None) or ())}
    for name in args.notify_zone or ():
        if name not in zones:
            known = f" (zones: {', '.join(sorted(zones))})" if zones else " (define it with --track --zone)"
            raise CamappError(f"--notify-zone {name}: no --zone has that name{known}")
    if not urls and not getattr(args, "web", None):
        return None
    from camapp.notify.control import NotifyControl, NotifySettings
    from camapp.notify.rules import COOLDOWN

    control = NotifyControl(session)
    if urls:
        wanted = NotifySettings.make(
            True,
            urls,
            args.notify_label or (),
            args.notify_zone or (),
            COOLDOWN if args.notify_cooldown is None else args.notify_cooldown,
            args.notify_name or "",
        )
        control.apply(wanted).result()
    return control


def check_notify_labels(control: Any, names: Any) -> None:
    """Once the model is loaded: a --notify-label it cannot detect is a mistake, not silence."""
    if control is None:
        return
    control.settings.check(names)


def stop_notify(control: Any, say: Any = None, timeout: float = 5.0) -> None:
    """Send what waits (for up to `timeout` s); with `say` and a notifier that ran, print the
    summary line."""
    if control is None:
        return
    from camapp.notify import summary

    st = control.close(timeout)
    if say is not None and st is not None:
        say(summary(st))
