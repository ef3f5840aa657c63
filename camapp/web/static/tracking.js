// camapp browser view, the Tracking box (loaded before app.js, whose $, post, say and status it uses).
"use strict";

// -- tracking: the Tracking box, and a line or a zone drawn with the mouse on the video ----------
// Points are fractions (0-1) of the picture's natural size, whatever size CSS gives the <img>.
let drawing = null; // null, or { kind: "line" | "zone", points: [[x, y], ...], hover: [x, y] | null }
const CLOSE_PX = 12; // a zone closes on a click this near its first corner
const SAME_PX = 4; // a click this near the last corner adds none (the clicks of a double-click)

function imageBox() {
  // the picture on screen: the <img> scaled by CSS, letterboxed inside its box (object-fit: contain)
  const img = $("video");
  const r = img.getBoundingClientRect();
  const nw = img.naturalWidth, nh = img.naturalHeight;
  if (!nw || !nh || !r.width || !r.height) return null;
  const scale = Math.min(r.width / nw, r.height / nh);
  const w = nw * scale, h = nh * scale;
  return { left: r.left + (r.width - w) / 2, top: r.top + (r.height - h) / 2, width: w, height: h };
}

function toImage(e) {
  const b = imageBox();
  if (!b) return null;
  const clamp = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
  return [clamp((e.clientX - b.left) / b.width), clamp((e.clientY - b.top) / b.height)];
}

function apart(p, q) { // screen pixels between two image points
  const b = imageBox();
  return b ? Math.hypot((p[0] - q[0]) * b.width, (p[1] - q[1]) * b.height) : 0;
}

function paint() {
  const canvas = $("overlay");
  const r = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(r.width * dpr);
  canvas.height = Math.round(r.height * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, r.width, r.height);
  const b = imageBox();
  if (!drawing || !b) return;
  const at = ([x, y]) => [b.left - r.left + x * b.width, b.top - r.top + y * b.height];
  const pts = [...drawing.points, ...(drawing.hover ? [drawing.hover] : [])].map(at);
  if (!pts.length) return;
  ctx.lineWidth = 2; // white and dashed while drawing; the video then draws it in its own colours
  ctx.setLineDash([8, 5]);
  ctx.strokeStyle = "#fff";
  ctx.fillStyle = "rgba(255, 255, 255, 0.15)";
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  if (drawing.kind === "zone" && pts.length > 2) { ctx.closePath(); ctx.fill(); }
  ctx.stroke();
  ctx.fillStyle = "#fff";
  drawing.points.map(at).forEach(([x, y], i) => {
    ctx.beginPath();
    ctx.arc(x, y, i === 0 && drawing.kind === "zone" ? 6 : 4, 0, 2 * Math.PI);
    ctx.fill();
  });
}

function hint(text) { $("track-hint").textContent = text || ""; }

function startDrawing(kind) {
  if (!imageBox()) { say("no video yet to draw on"); return; }
  drawing = { kind, points: [], hover: null };
  $("stage").classList.add("drawing");
  hint(kind === "line"
    ? "Drag across the video to place the counting line (Esc cancels)"
    : "Click the zone's corners; double-click or click the first corner to close (Esc cancels)");
  renderTracking((status && status.tracking) || {});
  paint();
}

function stopDrawing(text) {
  drawing = null;
  $("stage").classList.remove("drawing");
  hint(text);
  renderTracking((status && status.tracking) || {});
  paint();
}

async function place(kind, points) {
  const keep = drawing;
  if (await post("tracking", { [kind]: points })) {
    stopDrawing(kind === "line" ? "Line placed: its counts show below" : "Zone placed: who is inside shows below");
  } else if (drawing === keep) { // refused (the message shows under the video): draw it again
    drawing.points = [];
    drawing.hover = null;
    paint();
  }
}

function closeZone() {
  if (drawing.points.length < 3) { hint("A zone needs at least 3 corners"); return; }
  place("zone", drawing.points);
}

function wireDrawing() {
  const stage = $("stage");
  stage.addEventListener("pointerdown", (e) => {
    if (!drawing || e.button !== 0) return;
    const p = toImage(e);
    if (!p) return;
    e.preventDefault();
    if (drawing.kind === "line") {
      drawing.points = [p];
      drawing.hover = p;
      stage.setPointerCapture(e.pointerId);
    } else if (drawing.points.length >= 3 && apart(p, drawing.points[0]) < CLOSE_PX) {
      closeZone();
    } else if (!drawing.points.length || apart(p, drawing.points[drawing.points.length - 1]) >= SAME_PX) {
      drawing.points.push(p);
    }
    paint();
  });
  stage.addEventListener("pointermove", (e) => {
    if (!drawing || (drawing.kind === "line" && !drawing.points.length)) return;
    drawing.hover = toImage(e);
    paint();
  });
  stage.addEventListener("pointerup", (e) => {
    if (!drawing || drawing.kind !== "line" || !drawing.points.length) return;
    const end = toImage(e) || drawing.hover;
    if (apart(drawing.points[0], end) < 10) {
      drawing.points = [];
      drawing.hover = null;
      hint("Drag further: press, move across the video, release");
      paint();
      return;
    }
    drawing.points.push(end);
    drawing.hover = null;
    place("line", drawing.points);
  });
  stage.addEventListener("dblclick", (e) => {
    if (drawing && drawing.kind === "zone") { e.preventDefault(); closeZone(); }
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && drawing) stopDrawing(""); });
  window.addEventListener("resize", paint);
  $("draw-line").addEventListener("click", () => (drawing && drawing.kind === "line" ? stopDrawing("") : startDrawing("line")));
  $("draw-zone").addEventListener("click", () => (drawing && drawing.kind === "zone" ? stopDrawing("") : startDrawing("zone")));
  $("track-clear").addEventListener("click", () => post("tracking", { line: null, zone: null }).then((ok) => ok && hint("")));
  $("track").addEventListener("change", (e) => post("tracking", { on: e.target.checked }));
  $("trails").addEventListener("change", (e) => post("tracking", { trail: e.target.checked }));
}

function renderTracking(t) {
  $("track").checked = !!t.on;
  $("trails").checked = (t.trail || 0) > 0;
  for (const id of ["trails", "draw-line", "draw-zone"]) $(id).disabled = !t.on;
  $("track-clear").disabled = !t.on || (!t.line && !t.zone);
  if (!t.on && drawing) stopDrawing("");
  $("draw-line").classList.toggle("active", !!drawing && drawing.kind === "line");
  $("draw-zone").classList.toggle("active", !!drawing && drawing.kind === "zone");
  const rows = [];
  const row = (name, text, region) => {
    const tr = document.createElement("tr");
    tr.append(Object.assign(document.createElement("th"), { textContent: name }),
      Object.assign(document.createElement("td"), { textContent: text }));
    if (region) tr.dataset.region = region;
    rows.push(tr);
  };
  if (t.on) {
    const seen = Object.entries(t.distinct || {}).sort((a, b) => b[1] - a[1]);
    row("objects", seen.length ? seen.map(([label, n]) => `${n} ${label}`).join(" · ") : "none yet");
    for (const [name, counts] of Object.entries(t.counts || {})) {
      const each = Object.entries(counts).map(([what, n]) => `${n} ${what}`);
      row(name === "line" ? "line" : `line ${name}`, each.length ? each.join(" · ") : "no crossings yet", name);
    }
    for (const [name, z] of Object.entries(t.occupancy || {})) {
      // visits count once the object has left again; the dwell is their mean
      const dwell = z.dwell === null || z.dwell === undefined ? "" : `, ${z.dwell.toFixed(1)} s on average`;
      row(name === "zone" ? "zone" : `zone ${name}`, `${z.inside} inside now · ${z.visits} visits ended${dwell}`, name);
    }
    const from = [];
    if (t.others && t.others.length) from.push(`${t.others.join(", ")} (kept by Clear)`);
    if (t.detect_every > 1) from.push(`detector on 1 frame in ${t.detect_every}`);
    if (t.roi) from.push(`detection region ${t.roi.map((v) => v.toFixed(2)).join(",")}`);
    if (from.length) row("camapp run", from.join(" · "));
  } else if (t.roi) {
    row("camapp run", `detection region ${t.roi.map((v) => v.toFixed(2)).join(",")}`);
  }
  $("track-counts").replaceChildren(...rows);
}
