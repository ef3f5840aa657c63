// camapp browser view, the Tracking box (loaded before app.js, whose $, post, say and status it uses).
"use strict";

// -- drawing on the video: a line or a polygon (a zone here, a motion mask in motion.js) ---------
// Points are fractions (0-1) of the picture's natural size, whatever size CSS gives the <img>.
let drawing = null; // null, or { kind: a key of KINDS, points: [[x, y], ...], hover: [x, y] | null }
const CLOSE_PX = 12; // a polygon closes on a click this near its first corner
const SAME_PX = 4; // a click this near the last corner adds none (the clicks of a double-click)
// what each drawing is: its button, where its hints go, the control its points are posted to
// (as the body's `field`), and what to say; motion.js adds "mask"
const KINDS = {
  line: {
    button: "draw-line", hint: "track-hint", command: "tracking", field: "line", polygon: false,
    start: "Drag across the video to place the counting line (Esc cancels)",
    placed: "Line placed: its counts show below",
  },
  zone: {
    button: "draw-zone", hint: "track-hint", command: "tracking", field: "zone", polygon: true,
    start: "Click the zone's corners; double-click or click the first corner to close (Esc cancels)",
    placed: "Zone placed: who is inside shows below",
  },
};
const painters = []; // more to draw on the overlay: (ctx, at) => ..., with `at` mapping 0-1 points

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
  if (!b) return;
  const at = ([x, y]) => [b.left - r.left + x * b.width, b.top - r.top + y * b.height];
  for (const draw of painters) draw(ctx, at);
  if (!drawing) return;
  const pts = [...drawing.points, ...(drawing.hover ? [drawing.hover] : [])].map(at);
  if (!pts.length) return;
  ctx.lineWidth = 2; // white and dashed while drawing; the video then draws it in its own colours
  ctx.setLineDash([8, 5]);
  ctx.strokeStyle = "#fff";
  ctx.fillStyle = "rgba(255, 255, 255, 0.15)";
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  if (KINDS[drawing.kind].polygon && pts.length > 2) { ctx.closePath(); ctx.fill(); }
  ctx.stroke();
  ctx.fillStyle = "#fff";
  drawing.points.map(at).forEach(([x, y], i) => {
    ctx.beginPath();
    ctx.arc(x, y, i === 0 && KINDS[drawing.kind].polygon ? 6 : 4, 0, 2 * Math.PI);
    ctx.fill();
  });
}

function hint(text, kind) { $(KINDS[kind || "line"].hint).textContent = text || ""; }

function marked() { // the button of the drawing under way shows pressed
  for (const [kind, k] of Object.entries(KINDS)) $(k.button).classList.toggle("active", !!drawing && drawing.kind === kind);
}

function startDrawing(kind) {
  if (!imageBox()) { say("no video yet to draw on"); return; }
  if (drawing) hint("", drawing.kind);
  drawing = { kind, points: [], hover: null };
  $("stage").classList.add("drawing");
  hint(KINDS[kind].start, kind);
  marked();
  paint();
}

function stopDrawing(text) {
  const kind = drawing ? drawing.kind : "line";
  drawing = null;
  $("stage").classList.remove("drawing");
  hint(text, kind);
  marked();
  paint();
}

function toggleDrawing(kind) { return drawing && drawing.kind === kind ? stopDrawing("") : startDrawing(kind); }

async function place(kind, points) {
  const keep = drawing;
  const k = KINDS[kind];
  if (await post(k.command, { [k.field]: points })) {
    stopDrawing(k.placed);
  } else if (drawing === keep) { // refused (the message shows under the video): draw it again
    drawing.points = [];
    drawing.hover = null;
    paint();
  }
}

function closePolygon() {
  if (drawing.points.length < 3) { hint(`A ${drawing.kind} needs at least 3 corners`, drawing.kind); return; }
  place(drawing.kind, drawing.points);
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
      closePolygon();
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
    if (drawing && KINDS[drawing.kind].polygon) { e.preventDefault(); closePolygon(); }
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && drawing) stopDrawing(""); });
  window.addEventListener("resize", paint);
  $("draw-line").addEventListener("click", () => toggleDrawing("line"));
  $("draw-zone").addEventListener("click", () => toggleDrawing("zone"));
  $("track-clear").addEventListener("click", () => post("tracking", { line: null, zone: null }).then((ok) => ok && hint("")));
  $("track").addEventListener("change", (e) => post("tracking", { on: e.target.checked }));
  $("trails").addEventListener("change", (e) => post("tracking", { trail: e.target.checked }));
}

function renderTracking(t) {
  $("track").checked = !!t.on;
  $("trails").checked = (t.trail || 0) > 0;
  for (const id of ["trails", "draw-line", "draw-zone"]) $(id).disabled = !t.on;
  $("track-clear").disabled = !t.on || (!t.line && !t.zone);
  if (!t.on && drawing && KINDS[drawing.kind].command === "tracking") stopDrawing("");
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
