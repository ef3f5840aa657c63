// camapp browser view, the Motion box's masks (loaded after tracking.js and app.js: it draws with
// tracking.js's polygon drawing and posts with app.js's `post`). A mask is a polygon whose motion
// the gate ignores; the page keeps none of its own: the command-line text below makes them last.
"use strict";

KINDS.mask = {
  button: "draw-mask", hint: "mask-hint", command: "motion", field: "mask", polygon: true,
  start: "Click the mask's corners; double-click or click the first corner to close (Esc cancels)",
  placed: "Mask added: motion inside it is ignored",
};
let masks = { points: [], args: "" };
let motionOn = false;

// the masks on the overlay: shaded grey while the gate uses them, outlined only while it is off
painters.push((ctx, at) => {
  ctx.save();
  ctx.fillStyle = "rgba(128, 128, 128, 0.45)";
  for (const polygon of masks.points) {
    ctx.beginPath();
    polygon.map(at).forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    if (motionOn) ctx.fill();
    // grey over a dark edge: it reads on a white wall and on a dark floor
    ctx.setLineDash([]);
    ctx.lineWidth = 4;
    ctx.strokeStyle = "rgba(0, 0, 0, 0.55)";
    ctx.stroke();
    ctx.setLineDash(motionOn ? [] : [6, 4]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = "rgba(200, 200, 200, 0.95)";
    ctx.stroke();
  }
  ctx.restore();
});

function renderMasks(s) {
  masks = s.motion_masks || { points: [], args: "" };
  motionOn = !!s.motion;
  const n = masks.points.length;
  $("mask-clear").disabled = !n;
  $("mask-info").textContent = !n ? "No masks"
    : `${n} mask${n > 1 ? "s" : ""}` + (motionOn ? ": motion inside is ignored" : ", used once Detect on motion is on");
  $("mask-args").hidden = !n;
  $("mask-cli").textContent = masks.args;
  paint(); // with every status: the picture's size and place may have changed too
}

window.addEventListener("camapp-status", (e) => renderMasks(e.detail));
$("draw-mask").addEventListener("click", () => toggleDrawing("mask"));
$("mask-clear").addEventListener("click", () => post("motion", { masks: [] }).then((ok) => ok && hint("", "mask")));
