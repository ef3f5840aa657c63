"""Notifications and MQTT in the app: a Services dialog, a live state in the status bar, settings.

The dialog's two tabs hold what `camapp run --notify ...` and `--mqtt ...` take; "Apply" hands
them to the same controls the command line and the browser view use (`NotifyControl`,
`MqttControl`), which work on their own threads: the GUI thread never waits for Apprise or a
broker, and a refusal comes back as a signal with its one line. What applied is remembered in the
settings and started again with the app. The broker password is kept only when "Remember" is
ticked (the settings file is then made readable by its owner only) and is never shown back.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, fields, replace
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from camapp.errors import CamappError
from camapp.mqtt.control import PASSWORD_ENV, PREFIX, MqttControl, MqttSettings
from camapp.notify.control import NotifyControl, NotifySettings
from camapp.notify.rules import COOLDOWN, MAX_COOLDOWN

REFRESH_MS = 500


@dataclass(frozen=True)
class ServiceChoices:
    """What the dialog remembers (`notify/...` and `mqtt/...` in the settings file)."""

    notify_on: bool = False
    notify_urls: str = ""  # one per line
    notify_labels: str = ""
    notify_zones: str = ""
    notify_cooldown: float = COOLDOWN
    mqtt_on: bool = False
    mqtt_url: str = ""
    mqtt_user: str = ""
    mqtt_remember: bool = False  # the password is stored only then
    mqtt_authenticated: bool = False  # the broker was given a password (kept only with remember)
    mqtt_name: str = ""
    mqtt_prefix: str = PREFIX
    mqtt_discovery: bool = True
    mqtt_ca: str = ""


def _key(name: str) -> str:
    return name.replace("_", "/", 1)  # notify_urls -> notify/urls


def load_choices(settings: Any) -> tuple[ServiceChoices, str | None]:
    """The remembered choices, and the remembered password (None when there is none)."""
    default = ServiceChoices()
    choices = ServiceChoices(
        **{
            f.name: settings._get(_key(f.name), getattr(default, f.name), type(getattr(default, f.name)))
            for f in fields(ServiceChoices)
        }
    )
    password = settings._get("mqtt/password", None, str) if choices.mqtt_remember else None
    return choices, password


def save_choices(settings: Any, choices: ServiceChoices, password: str | None) -> None:
    """Write the choices; a file holding a secret (a remembered password, or notification URLs:
    Apprise URLs carry tokens) is made readable by its owner only, before and after the write."""
    secret = bool(choices.mqtt_remember and password) or bool(choices.notify_urls.strip())
    if secret:
        _owner_only(settings.path)  # an existing file: closed before the secret is written into it
    for f in fields(ServiceChoices):
        settings._set(_key(f.name), getattr(choices, f.name))
    if choices.mqtt_remember and password:
        settings._set("mqtt/password", password)
    else:
        settings._q.remove("mqtt/password")
    settings.sync()
    if secret:
        _owner_only(settings.path)


def _owner_only(path: Any) -> None:
    with contextlib.suppress(OSError):  # no file yet, or not ours to change: nothing more to do
        os.chmod(path, 0o600)


def notify_settings(c: ServiceChoices) -> NotifySettings:
    """The command line's parsing of the tab (a `FieldError` names what is wrong)."""
    return NotifySettings.make(c.notify_on, c.notify_urls, c.notify_labels, c.notify_zones, c.notify_cooldown)


def mqtt_settings(c: ServiceChoices, password: str | None, labels: Any, record_dir: Any) -> MqttSettings:
    return MqttSettings(
        on=c.mqtt_on,
        url=c.mqtt_url,
        user=c.mqtt_user,
        password=password or None,
        name=c.mqtt_name,
        prefix=c.mqtt_prefix,
        discovery=c.mqtt_discovery,
        ca=c.mqtt_ca or None,
        labels=tuple(labels) or ("person",),
        record_dir=str(record_dir),
    )


class ServicesDialog(QDialog):
    """The two tabs. Not modal: the video goes on while it is open."""

    def __init__(self, choices: ServiceChoices, has_password: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Notifications and MQTT")
        self.setModal(False)
        self.tabs = QTabWidget()
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs)

        # Notifications
        page = QWidget()
        form = QFormLayout(page)
        self.notify_on = QCheckBox("Send a message when an object appears")
        self.notify_urls = QPlainTextEdit()
        self.notify_urls.setPlaceholderText("One Apprise URL per line:\nntfy://TOPIC\ntgram://TOKEN/CHAT\njson://HOST/PATH")
        self.notify_urls.setFixedHeight(80)
        self.notify_labels = QLineEdit()
        self.notify_labels.setPlaceholderText("any class (e.g. person, car)")
        self.notify_zones = QLineEdit()
        self.notify_zones.setPlaceholderText("anywhere (zone names, e.g. zone)")
        self.notify_cooldown = QDoubleSpinBox()
        self.notify_cooldown.setRange(0, MAX_COOLDOWN)
        self.notify_cooldown.setDecimals(0)
        self.notify_cooldown.setSuffix(" s")
        self.notify_cooldown.setToolTip("Seconds between two messages about the same class (0: none)")
        self.notify_apply = QPushButton("Apply")
        self.notify_test = QPushButton("Send test")
        self.notify_test.setToolTip("Send a test message to the URLs above now")
        self.notify_state = QLabel("notifications off")
        self.notify_state.setWordWrap(True)
        self.notify_error = QLabel("")
        self.notify_error.setStyleSheet("color: #c62828;")
        self.notify_error.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.notify_apply)
        buttons.addWidget(self.notify_test)
        buttons.addStretch(1)
        form.addRow(self.notify_on)
        form.addRow("URLs", self.notify_urls)
        form.addRow("Labels", self.notify_labels)
        form.addRow("Zones", self.notify_zones)
        form.addRow("Cooldown", self.notify_cooldown)
        form.addRow(buttons)
        form.addRow("State", self.notify_state)
        form.addRow(self.notify_error)
        self.tabs.addTab(page, "Notifications")

        # MQTT
        page = QWidget()
        form = QFormLayout(page)
        self.mqtt_on = QCheckBox("Publish to an MQTT broker (Home Assistant)")
        self.mqtt_url = QLineEdit()
        self.mqtt_url.setPlaceholderText("mqtt://host:1883 or mqtts://host:8883")
        self.mqtt_user = QLineEdit()
        self.mqtt_password = QLineEdit()
        self.mqtt_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.mqtt_remember = QCheckBox("Remember the password (stored in the settings file)")
        self.mqtt_name = QLineEdit()
        self.mqtt_name.setPlaceholderText("this computer's name")
        self.mqtt_prefix = QLineEdit()
        self.mqtt_prefix.setPlaceholderText(PREFIX)
        self.mqtt_discovery = QCheckBox("Home Assistant discovery")
        self.mqtt_ca = QLineEdit()
        self.mqtt_ca.setPlaceholderText("with mqtts://: the CA certificate (PEM)")
        self.mqtt_ca_browse = QPushButton("…")
        self.mqtt_ca_browse.clicked.connect(self._pick_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.mqtt_ca, 1)
        ca_row.addWidget(self.mqtt_ca_browse)
        self.mqtt_apply = QPushButton("Apply")
        self.mqtt_state = QLabel("MQTT off")
        self.mqtt_state.setWordWrap(True)
        self.mqtt_error = QLabel("")
        self.mqtt_error.setStyleSheet("color: #c62828;")
        self.mqtt_error.setWordWrap(True)
        form.addRow(self.mqtt_on)
        form.addRow("Broker", self.mqtt_url)
        form.addRow("User", self.mqtt_user)
        form.addRow("Password", self.mqtt_password)
        form.addRow(self.mqtt_remember)
        form.addRow("Camera name", self.mqtt_name)
        form.addRow("Topic prefix", self.mqtt_prefix)
        form.addRow(self.mqtt_discovery)
        form.addRow("CA file", ca_row)
        apply_row = QHBoxLayout()
        apply_row.addWidget(self.mqtt_apply)
        apply_row.addStretch(1)
        form.addRow(apply_row)
        form.addRow("Connection", self.mqtt_state)
        form.addRow(self.mqtt_error)
        self.tabs.addTab(page, "MQTT")
        self.show_choices(choices, has_password)
        self.resize(520, 440)

    def show_choices(self, c: ServiceChoices, has_password: bool) -> None:
        self.notify_on.setChecked(c.notify_on)
        self.notify_urls.setPlainText(c.notify_urls)
        self.notify_labels.setText(c.notify_labels)
        self.notify_zones.setText(c.notify_zones)
        self.notify_cooldown.setValue(c.notify_cooldown)
        self.mqtt_on.setChecked(c.mqtt_on)
        self.mqtt_url.setText(c.mqtt_url)
        self.mqtt_user.setText(c.mqtt_user)
        self.mqtt_password.clear()
        self.show_password_set(has_password)
        self.mqtt_remember.setChecked(c.mqtt_remember)
        self.mqtt_name.setText(c.mqtt_name)
        self.mqtt_prefix.setText(c.mqtt_prefix)
        self.mqtt_discovery.setChecked(c.mqtt_discovery)
        self.mqtt_ca.setText(c.mqtt_ca)

    def show_password_set(self, has_password: bool) -> None:
        self.mqtt_password.setPlaceholderText(
            "set (leave empty to keep it)" if has_password else "none, or $CAMAPP_MQTT_PASSWORD"
        )

    def choices(self) -> ServiceChoices:
        return ServiceChoices(
            notify_on=self.notify_on.isChecked(),
            notify_urls=self.notify_urls.toPlainText().strip(),
            notify_labels=self.notify_labels.text().strip(),
            notify_zones=self.notify_zones.text().strip(),
            notify_cooldown=float(self.notify_cooldown.value()),
            mqtt_on=self.mqtt_on.isChecked(),
            mqtt_url=self.mqtt_url.text().strip(),
            mqtt_user=self.mqtt_user.text().strip(),
            mqtt_remember=self.mqtt_remember.isChecked(),
            mqtt_name=self.mqtt_name.text().strip(),
            mqtt_prefix=self.mqtt_prefix.text().strip() or PREFIX,
            mqtt_discovery=self.mqtt_discovery.isChecked(),
            mqtt_ca=self.mqtt_ca.text().strip(),
        )

    def _pick_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CA certificate", "", "PEM (*.pem *.crt);;All files (*)")
        if path:
            self.mqtt_ca.setText(path)


class _Done(QObject):
    """Futures finish on the controls' threads; this hands their outcome to the GUI thread."""

    finished = pyqtSignal(str, object, str)  # what ("notify", "mqtt", "test"), the result, error line


class ServicesControls:
    """Owns both controls for `window` (needs `settings`, `session`, `status`, `state_label`,
    `output_dir()`): the dialog, the status bar's button that opens it, and the settings."""

    def __init__(self, window: Any) -> None:
        self.window = window
        core = window.session.core
        self.notify = NotifyControl(core)
        self.mqtt = MqttControl(core)
        self.choices, self._password = load_choices(window.settings)
        self._applied = self.choices  # what the controls run (or were asked to) now
        self._busy: dict[str, str] = {}  # what -> the text shown until its future is done
        self._errors: dict[str, str] = {}  # what -> the last refusal, for a dialog opened later
        self._pending_notify: ServiceChoices | None = None
        self._pending_mqtt: tuple[ServiceChoices, str | None] | None = None
        self._done = _Done()
        self._done.finished.connect(self._finished)
        self.dialog: ServicesDialog | None = None
        self.button = QPushButton("")
        self.button.setFlat(True)
        self.button.setToolTip("Notifications and MQTT (Ctrl+,)")
        self.button.clicked.connect(self.open)
        window.status.addPermanentWidget(self.button)
        self._shortcut = QShortcut(QKeySequence("Ctrl+,"), window, activated=self.open)
        self.timer = QTimer(window)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self._start(self.choices)
        self.refresh()

    # --- applying -------------------------------------------------------------------------------
    def _start(self, c: ServiceChoices) -> None:
        """The remembered choices, at start (a refusal is said in the status line)."""
        try:
            if c.notify_on:
                self._watch("notify", self.notify.apply(notify_settings(c)))
        except CamappError as exc:  # a settings file edited by hand
            self._refused("notify", str(exc))
        if c.mqtt_on and c.mqtt_authenticated and self._password is None and not os.environ.get(PASSWORD_ENV):
            # connecting without it would only be refused: say what is missing instead
            self._refused("mqtt", "the broker's password was not remembered: type it in Notifications and MQTT (Ctrl+,)")
        elif c.mqtt_on:
            self._watch("mqtt", self.mqtt.apply(self._mqtt_settings(c, self._password)))

    def _mqtt_settings(self, c: ServiceChoices, password: str | None) -> MqttSettings:
        w = self.window
        return mqtt_settings(c, password, w.settings.classes or ["person"], w.output_dir())

    def _watch(self, what: str, future: Any, busy: str = "applying…") -> None:
        self._busy["notify" if what == "test" else what] = busy

        def done(f: Any) -> None:
            exc = None if f.cancelled() else f.exception()
            result = None if exc is not None or f.cancelled() else f.result()
            self._done.finished.emit(what, result, str(exc) if exc is not None else "")

        future.add_done_callback(done)

    def apply_notify(self) -> None:
        d = self._dialog()
        c = replace(self._applied, **{k: v for k, v in vars(d.choices()).items() if k.startswith("notify_")})
        try:
            settings = notify_settings(c)
        except CamappError as exc:
            self._refused("notify", str(exc))
            return
        self._pending_notify = c
        d.notify_error.setText("")
        self._watch("notify", self.notify.apply(settings))

    def test_notify(self) -> None:
        d = self._dialog()
        try:
            settings = notify_settings(replace(d.choices(), notify_on=False))
        except CamappError as exc:
            self._refused("notify", str(exc))
            return
        self._watch("test", self.notify.test(settings), "sending a test…")
        self.refresh()

    def apply_mqtt(self) -> None:
        d = self._dialog()
        c = replace(self._applied, **{k: v for k, v in vars(d.choices()).items() if k.startswith("mqtt_")})
        typed = d.mqtt_password.text()
        password = typed or self._password
        if c.mqtt_on and not c.mqtt_url:
            self._refused("mqtt", "--mqtt: give the broker, mqtt://[user@]host[:port] or mqtts://...")
            return
        self._pending_mqtt = (c, password)
        d.mqtt_password.clear()
        d.mqtt_error.setText("")
        self._watch("mqtt", self.mqtt.apply(self._mqtt_settings(c, password)))
        self.refresh()

    def _finished(self, what: str, result: Any, error: str) -> None:
        """On the GUI thread: remember what applied, or say why not."""
        say = self.window.state_label.setText
        self._busy.pop("notify" if what == "test" else what, None)
        if what == "test":
            say(f"Notifications {result}" if not error else f"Notifications test failed: {error}")
            if self.dialog is not None:
                self.dialog.notify_error.setText(error)
            self.refresh()
            return
        if error:
            self._refused(what, error)
            return
        self._errors.pop(what, None)
        if what == "notify":
            pending = self._pending_notify
            if pending is not None:
                self._applied = replace(self._applied, **{
                    k: v for k, v in vars(pending).items() if k.startswith("notify_")
                })
                self._pending_notify = None
                say("Notifications " + ("on" if pending.notify_on else "off"))
        else:
            if self._pending_mqtt is not None:
                c, self._password = self._pending_mqtt
                mqtt = {k: v for k, v in vars(c).items() if k.startswith("mqtt_")}
                self._applied = replace(self._applied, **{**mqtt, "mqtt_authenticated": bool(self._password)})
                self._pending_mqtt = None
                say("MQTT " + ("on" if c.mqtt_on else "off"))
                if self.dialog is not None:
                    self.dialog.show_password_set(bool(self._password))
        save_choices(self.window.settings, self._applied, self._password)
        self.refresh()

    def _refused(self, what: str, error: str) -> None:
        name = "Notifications" if what == "notify" else "MQTT"
        self.window.state_label.setText(f"{name} not changed: {error}")
        self._errors[what] = error  # the dialog shows it when it opens, if it is not open yet
        if self.dialog is not None:
            (self.dialog.notify_error if what == "notify" else self.dialog.mqtt_error).setText(error)
        self.refresh()

    # --- showing --------------------------------------------------------------------------------
    def _dialog(self) -> ServicesDialog:
        if self.dialog is None:
            d = ServicesDialog(self._applied, bool(self._password), self.window)
            d.notify_apply.clicked.connect(self.apply_notify)
            d.notify_test.clicked.connect(self.test_notify)
            d.mqtt_apply.clicked.connect(self.apply_mqtt)
            d.notify_error.setText(self._errors.get("notify", ""))
            d.mqtt_error.setText(self._errors.get("mqtt", ""))
            self.dialog = d
        return self.dialog

    def open(self) -> None:
        d = self._dialog()
        d.show()
        d.raise_()
        self.refresh()

    def refresh(self) -> None:
        """The live state (cheap: counters read under the controls' locks, no network)."""
        n, m = self.notify.status(), self.mqtt.status()
        mqtt_text = {"connected": "connected", "off": "off"}.get(m["state"], m["state"])
        self.button.setText(f"MQTT: {mqtt_text} · Notify: {n['targets'] if n['on'] else 'off'}")
        self.button.setToolTip(f"{m['text']}\n{n['text']}\nNotifications and MQTT (Ctrl+,)")
        d = self.dialog
        if d is not None:
            d.notify_state.setText(
                self._busy.get("notify") or n["text"] + (f" · {n['test']}" if n["test"] else "")
            )
            extra = f" · {m['sent']} sent, {m['dropped']} dropped" if m["on"] else ""
            d.mqtt_state.setText(self._busy.get("mqtt") or m["text"] + extra)

    def close(self, timeout: float = 3.0) -> None:
        """Stop both at once (`offline` to the broker, what waits to the services): bounded."""
        self.timer.stop()
        threads = [
            threading.Thread(target=c.close, args=(timeout,), daemon=True) for c in (self.notify, self.mqtt)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout + 2.0)
