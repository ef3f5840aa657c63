// camapp browser view, Settings panel: notifications and MQTT of the running camapp.
// The forms POST to /api/notify, /api/notify-test and /api/mqtt; the server checks them with the
// command line's own parsers and answers a refusal with one line, shown under the form. Secrets are
// write-only: the notification URLs come back redacted and the password never (an empty field
// keeps the one set). The state (connected, retrying, sent, failed) follows every status app.js
// passes on; a form the user is editing is not overwritten until it is applied.
"use strict";

(() => {
  const el = (id) => document.getElementById(id);
  const dirty = { notify: false, mqtt: false };
  const list = (text) => text.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean);

  async function send(command, body, error, applies) {
    let resp;
    try {
      resp = await fetch(`/api/${command}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Camapp-Key": "" }, // the cookie signs in
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (e) { error.textContent = "the camera is not reachable"; return false; }
    if (!resp.ok) { error.textContent = (await resp.text()).trim(); return false; }
    error.textContent = "";
    fill(await resp.json(), applies);
    return true;
  }

  function notifyBody() {
    const urls = list(el("n-urls").value);
    return {
      on: el("n-on").checked,
      urls: urls.length ? urls : null,  // empty: keep the URLs set
      labels: list(el("n-labels").value),
      zones: list(el("n-zones").value),
      cooldown: Number(el("n-cooldown").value),
    };
  }

  function mqttBody() {
    const password = el("m-password").value;
    return {
      on: el("m-on").checked,
      url: el("m-url").value.trim(),
      user: el("m-user").value.trim(),
      password: password ? password : null,  // empty: keep the password set
      name: el("m-name").value.trim(),
      prefix: el("m-prefix").value.trim(),
      discovery: el("m-discovery").checked,
      ca: el("m-ca").value.trim(),
    };
  }

  function fill(s, applied) {
    const n = s.notify, m = s.mqtt;
    if (!n || !m) return;
    el("settings-panel").hidden = false;
    if (applied) { dirty.notify = dirty.mqtt = false; }  // what the server runs now fills the forms
    if (!dirty.notify) {
      el("n-on").checked = n.on;
      el("n-urls").value = "";
      el("n-urls").placeholder = n.urls.length ? "leave empty to keep the URLs below" : "ntfy://TOPIC\njson://HOST/PATH";
      el("n-labels").value = n.labels.join(",");
      el("n-zones").value = n.zones.join(",");
      el("n-cooldown").value = n.cooldown;
    }
    el("n-current").textContent = n.urls.length ? `set: ${n.urls.join(", ")}` : "no URL set";
    el("n-state").textContent = n.text + (n.test ? ` · ${n.test}` : "");
    el("n-state").className = "small" + (n.on ? " on" : "");
    if (!dirty.mqtt) {
      el("m-on").checked = m.on;
      el("m-url").value = m.url;
      el("m-user").value = m.user;
      el("m-password").value = "";
      el("m-name").value = m.name;
      el("m-prefix").value = m.prefix;
      el("m-discovery").checked = m.discovery;
      el("m-ca").value = m.ca;
    }
    el("m-password").placeholder = m.password_set ? "set (leave empty to keep it)" : "none";
    el("m-state").textContent = m.text + (m.on ? ` · ${m.sent} sent, ${m.dropped} dropped` : "");
    el("m-state").className = `small ${m.state}`;
    el("s-command").textContent = s.command ? `camapp run --headless … ${s.command}` : "–";
  }

  function wire() {
    el("notify-form").addEventListener("input", () => { dirty.notify = true; });
    el("mqtt-form").addEventListener("input", () => { dirty.mqtt = true; });
    el("notify-form").addEventListener("submit", (e) => {
      e.preventDefault();
      send("notify", notifyBody(), el("n-error"), true);
    });
    el("n-test").addEventListener("click", () => {
      el("n-state").textContent = "sending a test…";
      send("notify-test", { urls: notifyBody().urls }, el("n-error"), false);
    });
    el("mqtt-form").addEventListener("submit", (e) => {
      e.preventDefault();
      send("mqtt", mqttBody(), el("m-error"), true);
    });
    window.addEventListener("camapp-status", (e) => fill(e.detail, false));
  }

  wire();
})();
