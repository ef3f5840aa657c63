"""Settings -> a running notifier, for every front-end: `camapp run`, the desktop app, the page.

`NotifySettings` is what a user chooses (the `--notify*` options, the app's dialog, the page's
form); `NotifyControl` starts, changes and stops the `Notifier` for it on a session that is
already running. Its commands run on one worker thread of its own and return a `Future`, so
the GUI thread never waits for Apprise (its import, a URL check, a test message, a channel
sending what it still holds); the command line waits on the future instead.

Apprise URLs carry tokens and passwords: `status()` and `options()` show them only in Apprise's
privacy form (`json://127.0.0.1:8000/hook`, `tgram://1...Z/`), never as given.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from camapp.errors import FieldError
from camapp.jobs import SerialJobs
from camapp.notify.rules import COOLDOWN, MAX_COOLDOWN, Rules

TEST_TITLE = "camapp test"
TEST_BODY = "A test message from camapp's notification settings."


def words(text: str | Iterable[str]) -> tuple[str, ...]:
    """The names or URLs in a text box (one per line, or separated by commas or spaces), in order,
    without repeats; a list passes through cleaned the same way."""
    items = text.replace(",", " ").split() if isinstance(text, str) else [str(t).strip() for t in text]
    return tuple(dict.fromkeys(i for i in items if i))


@dataclass(frozen=True)
class NotifySettings:
    """What to notify and where. `on` False keeps the rest (the app remembers it switched off)."""

    on: bool = False
    urls: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    cooldown: float = COOLDOWN
    name: str = ""  # the camera's name in messages; "" = the source's description

    @classmethod
    def make(
        cls,
        on: bool,
        urls: str | Iterable[str] = (),
        labels: str | Iterable[str] = (),
        zones: str | Iterable[str] = (),
        cooldown: float = COOLDOWN,
        name: str = "",
    ) -> NotifySettings:
        """Settings with their shape checked (a `FieldError` naming the option: no URL while on,
        a cooldown out of range); whether Apprise knows each URL is `check()`'s."""
        try:
            rules = Rules.make(words(labels), words(zones), cooldown)  # the rules' own bounds
        except ValueError:
            raise FieldError(
                "notify-cooldown", f"{cooldown:g} is out of range (0 to {MAX_COOLDOWN:g} seconds)"
            ) from None
        s = cls(bool(on), words(urls), words(labels), words(zones), rules.cooldown, name.strip())
        if s.on and not s.urls:
            raise FieldError("notify", "give one notification URL or more (ntfy://TOPIC, json://HOST/PATH...)")
        return s

    def rules(self) -> Rules:
        return Rules.make(self.labels, self.zones, self.cooldown)

    def check(self, names: Iterable[str] | None = None) -> None:
        """Every URL is one Apprise understands and, once the model is known (`names`), every
        label a class it detects: else a one-line `CamappError` (the URL shown by its scheme)."""
        from camapp.notify.channel import check_url

        for url in self.urls:
            check_url(url)
        known = {n for n in names or () if n}
        for label in self.labels:
            if known and label not in known:
                raise FieldError("notify-label", "the model has no such class", label)


class NotifyControl:
    """The notifier of one session, started, changed and stopped live. Thread-safe."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.settings = NotifySettings()
        self.last_test = ""  # the last test's result line
        self._notifier: Any = None
        self._final: dict[str, Any] | None = None  # the last notifier's counts once it stopped
        self._redacted: dict[str, str] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()  # a test still running skips the URLs it has not tried
        self._jobs = SerialJobs("camapp-notify-control")

    # -- commands: each returns at once, its Future tells how it went ----------------------------
    def apply(self, settings: NotifySettings) -> Future:
        """Run `settings` (replacing what runs); the Future fails with the one-line reason and
        then nothing changed."""
        return self._jobs.submit(self._apply, settings)

    def test(self, settings: NotifySettings | None = None) -> Future:
        """Send a test message to each URL of `settings` (default: the running ones) now; the
        Future's result is one line: where it went, or why not."""
        return self._jobs.submit(self._test, settings or self.settings)

    def close(self, timeout: float = 5.0) -> dict[str, Any] | None:
        """Stop (what waits is sent for up to `timeout` s); the counts of the notifier that ran
        last, or None if none ever ran. Blocks: for the end of a run or of the app (a test
        running then finishes the URL it is sending to, up to Apprise's socket timeouts, and
        skips the rest)."""
        self._closing.set()
        self._jobs.close()
        self._closing.clear()  # a control used again after closing works as before
        self._replace(None, timeout)
        return self._final

    def _apply(self, settings: NotifySettings) -> NotifySettings:
        info = getattr(self.session, "info", None)
        settings.check(info.names if info is not None else None)
        self._remember(settings.urls)
        new = None
        if settings.on:
            from camapp.notify.watch import Notifier

            new = Notifier(self.session, settings.urls, settings.rules(), camera=settings.name)
        self.settings = settings
        self._replace(new, 2.0)
        return settings

    def _replace(self, new: Any, timeout: float) -> None:
        with self._lock:
            old, self._notifier = self._notifier, new
        if old is not None:
            old.close(timeout)
            self._final = old.status()
        if new is not None:
            self._final = None

    def _remember(self, urls: Iterable[str]) -> None:
        from camapp.notify.channel import redacted

        for url in urls:
            if url not in self._redacted:
                self._redacted[url] = redacted(url)

    def _test(self, settings: NotifySettings) -> str:
        from camapp.notify.channel import send_once

        if not settings.urls:
            self.last_test = "test: no notification URL to send to"
            return self.last_test
        settings.check()
        self._remember(settings.urls)
        failed = []
        for url in settings.urls:
            why = "not sent: closing" if self._closing.is_set() else send_once(url, TEST_TITLE, TEST_BODY)
            if why:
                failed.append(f"{self._redacted[url]}: {why}")
        n = len(settings.urls)
        if not failed:
            self.last_test = f"test: sent to {n} of {n}"
        else:
            self.last_test = f"test: sent to {n - len(failed)} of {n}; " + "; ".join(failed)
        return self.last_test

    # -- what the front-ends show ------------------------------------------------------------------
    def urls(self) -> list[str]:
        """The chosen URLs in their privacy form."""
        return [self._redacted.get(u, u.split("://", 1)[0] + "://…") for u in self.settings.urls]

    def status(self) -> dict[str, Any]:
        """On/off, the targets (redacted), labels, zones, cooldown; objects notified, messages
        sent and failed in all, a target that is down and why; the last test; one line of text."""
        s = self.settings
        with self._lock:
            notifier = self._notifier
        st = notifier.status() if notifier is not None else self._final
        channels = st["channels"] if st else []
        out = {
            "on": notifier is not None,
            "targets": len(s.urls),
            "urls": self.urls(),
            "labels": list(s.labels),
            "zones": list(s.zones),
            "cooldown": s.cooldown,
            "name": s.name,
            "notified": st["notified"] if st else 0,
            "sent": sum(c["sent"] for c in channels),
            "failed": sum(c["failed"] for c in channels),
            "dropped": sum(c["dropped"] for c in channels),
            "down": [f"{c['url']}: {c['error']}" for c in channels if c["down"]],
            "test": self.last_test,
        }
        out["text"] = describe(out)
        return out

    def options(self) -> list[str]:
        """The `camapp run` options for these settings, URLs in their privacy form ([] when off)."""
        s = self.settings
        if not s.on:
            return []
        out: list[str] = []
        for url in self.urls():
            out += ["--notify", url]
        for label in s.labels:
            out += ["--notify-label", label]
        for zone in s.zones:
            out += ["--notify-zone", zone]
        if s.cooldown != COOLDOWN:
            out += ["--notify-cooldown", f"{s.cooldown:g}"]
        if s.name:
            out += ["--notify-name", s.name]
        return out


def describe(st: dict[str, Any]) -> str:
    """One line for a status bar: off, or targets and counts, and a target that is down."""
    if not st["on"]:
        return "notifications off"
    text = f"{st['targets']} target{'' if st['targets'] == 1 else 's'}: {st['sent']} sent"
    if st["failed"]:
        text += f", {st['failed']} failed"
    if st["down"]:
        text += f"; cannot send to {st['down'][0]}"
    return text
