// camapp browser view: live video (MJPEG), figures (Server-Sent Events), controls (POST + key header).
// Signed in by an HttpOnly cookie the server sets (from `/?key=` or the sign-in form): this script
// never holds the key, and no video, figures or download URL carries it.
"use strict";

const $ = (id) => document.getElementById(id);
let status = null;
let figures = null;
let lastRecording = null;
let lastSnapshot = null;

// the server sends a wrong `/?key=` back here with this mark, to say so on the sign-in form
const wrongKey = location.hash === "#wrong-key";
if (wrongKey) history.replaceState(null, "", location.pathname + location.search);

function say(text) { $("message").textContent = text || ""; }

async function post(command, body) {
  let resp;
  try {
    resp = await fetch(`/api/${command}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Camapp-Key": "" }, // empty: the cookie signs in
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
  } catch (e) { say("the camera is not reachable"); return false; }
  if (!resp.ok) { say((await resp.text()).trim()); return false; }
  say("");
  render(await resp.json());
  return true;
}

function fmt(v, digits, unit) { return v === null || v === undefined ? "–" : `${Number(v).toFixed(digits)} ${unit}`; }
function clock(s) { s = Math.floor(s || 0); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`; }
function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MB`;
  return `${(n / (1 << 30)).toFixed(2)} GB`;
}

function render(s) {
  status = s;
  $("source").textContent = `${s.source || ""} · ${s.device || ""}`;
  const rec = s.recording || {};
  $("state").textContent = rec.on ? `recording ${clock(rec.elapsed)}` : (s.paused ? "paused" : s.state);
  $("state").className = "badge " + (rec.on ? "recording" : s.state);
  $("warning").textContent = s.warning || s.message || "";
  $("f-capture").textContent = fmt(s.capture_fps, 1, "fps");
  $("f-inference").textContent = s.detect === false ? "detection off" : fmt(s.inference_fps, 1, "fps");
  $("detect").checked = s.detect !== false;
  $("f-infer").textContent = fmt(s.infer_ms, 1, "ms");
  $("f-latency").textContent = fmt(s.latency_ms, 0, "ms");
  $("f-dropped").textContent = `${s.dropped}`;
  const motion = s.motion;  // with the motion gate: on/off, frames detected and skipped
  $("r-motion").hidden = !motion;
  $("motion").checked = !!motion;
  if (motion) $("f-motion").textContent = `${motion.moving ? "on" : "off"} · ${motion.detected} detected, ${motion.skipped} skipped`;
  $("f-size").textContent = `${s.input_size} px`;
  $("f-auto").textContent = s.auto ? `on, target ${s.target_fps || "source"} fps` : "off";
  $("f-recording").textContent = rec.on ? `${clock(rec.elapsed)} · ${rec.frames} frames` : "off";
  $("f-viewers").textContent = s.web ? `${s.web.viewers} (≤ ${s.web.fps_cap} fps)` : "–";
  $("f-objects").textContent = (s.objects || []).map((o) => o.track_id == null ? o.label : `${o.label} #${o.track_id}`).join(", ") || "none";
  // input size: the slider runs from the smallest rung (left) to the largest (right)
  const ladder = [...(s.ladder || [])].sort((a, b) => a.size - b.size);
  const slider = $("size-slider");
  slider.max = String(Math.max(0, ladder.length - 1));
  const at = ladder.findIndex((r) => r.size === s.input_size);
  if (document.activeElement !== slider && at >= 0) slider.value = String(at);
  slider.disabled = s.auto || ladder.length < 2;
  const regions = ladder.some((r) => r.zoom);  // a fixed-input device: the slider picks the inference region
  $("size-legend").textContent = regions ? "Inference region (digital zoom)" : "Input size";
  $("auto").disabled = regions;
  const current = ladder.find((r) => r.size === s.input_size);
  $("size-label").textContent = (current ? rungText(current) : `${s.input_size} px`) + (s.auto ? " (auto)" : "");
  $("rungs").replaceChildren(...ladder.map((r) => {
    const span = document.createElement("span");
    const ms = Object.assign(document.createElement("small"), { textContent: r.ms ? `${r.ms.toFixed(0)} ms` : "–" });
    span.append(r.zoom ? `${r.zoom}×` : String(r.size), ms);  // the rung, and under it its time measured on this machine
    if (r.size === s.input_size) span.className = "current";
    return span;
  }));
  $("auto").checked = !!s.auto;
  if (document.activeElement !== $("target-fps") && s.target_fps) $("target-fps").value = s.target_fps;
  if (document.activeElement !== $("threshold")) $("threshold").value = s.threshold;
  $("threshold-value").textContent = `${Math.round(Number(s.threshold) * 100)}%`;  // percent, as the app and recordings show scores
  if (document.activeElement !== $("classes")) $("classes").value = (s.classes || []).join(",");
  if ($("labels").childElementCount !== (s.labels || []).length) {
    $("labels").replaceChildren(...(s.labels || []).map((l) => Object.assign(document.createElement("option"), { value: l })));
  }
  $("pause").textContent = s.paused ? "Resume" : "Pause";
  $("record").textContent = rec.on ? (rec.mine ? "Stop recording" : "Recording (camapp run)") : "Record";
  $("record").classList.toggle("on", !!rec.on);
  $("record").disabled = !!rec.on && !rec.mine;
  const ev = s.events || {};
  $("events").checked = !!ev.on;
  $("events").disabled = !!ev.on && !ev.mine;
  if (ev.on && document.activeElement !== $("events-classes")) $("events-classes").value = (ev.classes || []).join(",");
  if (lastRecording !== null && lastRecording !== !!rec.on) loadFiles();
  if (lastSnapshot !== null && lastSnapshot !== s.snapshot) loadFiles();
  lastRecording = !!rec.on;
  lastSnapshot = s.snapshot;
  renderTracking(s.tracking || {});
  window.dispatchEvent(new CustomEvent("camapp-status", { detail: s }));  // the Events panel listens
}

async function loadFiles() {
  const resp = await fetch("/api/files");
  if (!resp.ok) return;
  const data = await resp.json();
  $("folder").textContent = data.folder;
  const rows = data.files.map((f) => {
    const tr = document.createElement("tr");
    const when = new Date(f.mtime * 1000).toLocaleString();
    const url = `/files/${f.name.split("/").map(encodeURIComponent).join("/")}`;
    const name = Object.assign(document.createElement("td"), { textContent: f.name });
    const size = Object.assign(document.createElement("td"), { textContent: bytes(f.size) });
    const time = Object.assign(document.createElement("td"), { textContent: when });
    const actions = document.createElement("td");
    actions.append(Object.assign(document.createElement("a"), { href: url + "?download=1", textContent: "download" }));
    if (f.kind === "video" && f.name.endsWith(".mp4")) {
      const play = Object.assign(document.createElement("button"), { type: "button", textContent: "play", className: "small" });
      play.addEventListener("click", () => { const p = $("player"); p.hidden = false; p.src = url; p.play().catch(() => {}); });
      actions.append(" ", play);
    } else if (f.kind === "image") {
      actions.append(" ", Object.assign(document.createElement("a"), { href: url, textContent: "view", target: "_blank" }));
    }
    tr.append(name, size, time, actions);
    tr.dataset.name = f.name;
    return tr;
  });
  $("files").tBodies[0].replaceChildren(...rows);
}

function connect() {
  $("video").src = "/video.mjpg";
  if (figures) figures.close();
  figures = new EventSource("/api/figures");
  figures.onmessage = (e) => render(JSON.parse(e.data));
  figures.onerror = () => { $("state").textContent = "reconnecting…"; };
  loadFiles();
}

// a rung in words: the network's input size, or on a fixed-input device the region it sees
function rungText(r) {
  return r.zoom ? (r.zoom === 1 ? "whole frame" : `central 1/${r.zoom} (${r.zoom}× zoom)`) : `${r.size} px`;
}

function wire() {
  const slider = $("size-slider");
  slider.addEventListener("change", () => {
    const ladder = [...(status.ladder || [])].sort((a, b) => a.size - b.size);
    const rung = ladder[Number(slider.value)];
    if (rung) post("input-size", { size: rung.size });
  });
  slider.addEventListener("input", () => {
    const ladder = [...(status.ladder || [])].sort((a, b) => a.size - b.size);
    const rung = ladder[Number(slider.value)];
    if (rung) $("size-label").textContent = rungText(rung) + (rung.ms ? ` · ${rung.ms.toFixed(1)} ms measured` : "");
  });
  $("auto").addEventListener("change", (e) => {
    if (e.target.checked) post("input-size", { size: "auto", target_fps: Number($("target-fps").value) || null });
    else post("input-size", { size: status.input_size });
  });
  $("target-fps").addEventListener("change", () => {
    if ($("auto").checked) post("input-size", { size: "auto", target_fps: Number($("target-fps").value) || null });
  });
  $("threshold").addEventListener("change", (e) => post("threshold", { value: Number(e.target.value) }));
  $("motion").addEventListener("change", (e) => post("motion", { on: e.target.checked }));
  $("detect").addEventListener("change", (e) => post("detect", { on: e.target.checked }));
  const classes = () => $("classes").value.split(",").map((c) => c.trim()).filter(Boolean);
  $("classes-apply").addEventListener("click", () => post("classes", { labels: classes() }));
  $("classes").addEventListener("keydown", (e) => { if (e.key === "Enter") post("classes", { labels: classes() }); });
  $("pause").addEventListener("click", () => post("pause", { on: !status.paused }));
  $("record").addEventListener("click", () => post("record", { on: !(status.recording || {}).on }));
  $("snapshot").addEventListener("click", () => post("snapshot", {}));
  $("events").addEventListener("change", (e) => post("events", {
    on: e.target.checked,
    classes: $("events-classes").value.split(",").map((c) => c.trim()).filter(Boolean),
  }));
  $("refresh").addEventListener("click", loadFiles);
  wireDrawing();
  $("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    const resp = await fetch("/api/signin", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Camapp-Key": $("login-key").value },
      body: "{}",
      credentials: "same-origin",
    }).catch(() => null);
    $("login-key").value = "";
    if (resp && resp.ok) { start(); return; }
    $("login-error").textContent = !resp ? "the camera is not reachable"
      : resp.status === 401 ? "wrong key or password" : (await resp.text()).trim();
  });
}

async function start() {
  const resp = await fetch("/api/status").catch(() => null);
  if (resp && (resp.status === 401 || resp.status === 429)) {
    $("login").hidden = false;
    $("main").hidden = true;
    $("recordings").hidden = true;
    $("events-panel").hidden = true;
    $("login-error").textContent = resp.status === 429 ? (await resp.text()).trim() : wrongKey ? "wrong key or password" : "";
    return;
  }
  $("login").hidden = true;
  $("main").hidden = false;
  $("recordings").hidden = false;
  $("events-panel").hidden = false;
  if (resp && resp.ok) render(await resp.json());
  connect();
}

wire();
start();
