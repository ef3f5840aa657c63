// camapp browser view, Events panel: the session's event history (GET /api/events), newest first,
// filtered by label, zone and day, paged by id; a click plays the event's clip from its offset, or
// without one the continuous recording's file from the event's start (the server's `play`); an
// event with neither says why (`note`: the clip deleted by the disk cap, the segment still recording).
// New events appear live: app.js passes on every status, and the panel reloads its first page when
// the history's count or the objects in view change.
"use strict";

(() => {
  const el = (id) => document.getElementById(id);
  let before = null;      // the page shown: events older than this id (null: the newest)
  let nextBefore = null;  // the next older page
  let seen = null;        // the status signature the shown page was loaded for
  let loading = false;
  let again = null;       // a timer that reloads a first page showing events still in view

  function when(t) { return new Date(t * 1000).toLocaleString(); }
  function secs(d) { return d === null || d === undefined ? "in view" : `${d.toFixed(1)} s`; }

  function options(select, values, first) {
    const keep = select.value;
    select.replaceChildren(Object.assign(document.createElement("option"), { value: "", textContent: first }),
      ...values.map((v) => Object.assign(document.createElement("option"), { value: v, textContent: v })));
    select.value = values.includes(keep) ? keep : "";
  }

  function play(e, li) {
    const player = el("event-player");
    document.querySelectorAll("#event-list li.playing").forEach((x) => x.classList.remove("playing"));
    li.classList.add("playing");
    const offset = e.play.offset || 0;
    player.hidden = false;
    player.dataset.event = String(e.id);
    player.dataset.kind = e.play.kind;
    delete player.dataset.startedAt;
    // the media fragment starts the video at the event; currentTime too, for players that ignore it
    player.src = `${e.play.url}#t=${offset.toFixed(3)}`;
    player.addEventListener("loadedmetadata", () => {
      if (Math.abs(player.currentTime - offset) > 0.1) player.currentTime = offset;
    }, { once: true });
    player.addEventListener("playing", () => { player.dataset.startedAt = String(player.currentTime); }, { once: true });
    player.play().catch(() => {});
    const into = e.play.kind === "clip" ? "the clip" : "the recording";
    el("ev-playing").textContent = `${e.label} · ${when(e.started)} · from ${offset.toFixed(1)} s into ${into}`;
  }

  function item(e) {
    const li = document.createElement("li");
    li.dataset.id = String(e.id);
    const thumb = e.crop || e.snapshot;
    if (thumb) li.append(Object.assign(document.createElement("img"), { src: thumb, alt: `${e.label} ${e.id}`, loading: "lazy" }));
    else li.append(Object.assign(document.createElement("div"), { className: "small", textContent: e.ended === null ? "in view…" : "no snapshot" }));
    const what = Object.assign(document.createElement("div"), { className: "what",
      textContent: e.track_id === null ? e.label : `${e.label} #${e.track_id}` });
    const meta = Object.assign(document.createElement("div"), { className: "small",
      textContent: `${when(e.started)} · ${secs(e.duration)}` });
    const zones = Object.assign(document.createElement("div"), { className: "small zones",
      textContent: [...e.zones, ...e.lines].join(", ") || "–" });
    li.append(what, meta, zones);
    if (e.play) {
      li.title = e.play.kind === "clip" ? "play the clip from this event" : "play the recording from this event";
      li.addEventListener("click", () => play(e, li));
    } else {
      li.title = e.note || "no clip shows this event";
      li.classList.add("noclip");
      if (e.note && (e.ended !== null || e.recording)) li.append(Object.assign(document.createElement("div"), { className: "small note", textContent: e.note }));
    }
    return li;
  }

  async function load(page) {
    if (loading) return;
    loading = true;
    before = page === undefined ? before : page;
    const q = new URLSearchParams();
    for (const [key, id] of [["label", "ev-label"], ["zone", "ev-zone"], ["day", "ev-day"]]) {
      if (el(id).value) q.set(key, el(id).value);
    }
    if (before !== null) q.set("before", String(before));
    try {
      const resp = await fetch(`/api/events?${q}`, { credentials: "same-origin" });
      const data = await resp.json().catch(() => ({ error: `the server answered ${resp.status}` }));
      if (!resp.ok) {
        el("ev-message").textContent = data.error || `the server answered ${resp.status}`;
        el("event-list").replaceChildren();
        return;
      }
      options(el("ev-label"), data.labels, "all");
      options(el("ev-zone"), data.zones, "any");
      nextBefore = data.next_before;
      el("ev-older").disabled = nextBefore === null;
      el("ev-newest").disabled = before === null;
      el("ev-message").textContent = data.events.length ? "" : "no events";
      el("event-list").replaceChildren(...data.events.map(item));
      // the history stores an end (and its snapshot) a moment after the status says it: a page
      // with events still in view looks again until they have ended
      clearTimeout(again);
      if (before === null && data.events.some((e) => e.ended === null)) again = setTimeout(() => load(), 2000);
      // a segment still recording becomes playable once it closes: a page that shows one looks again
      else if (data.events.some((e) => !e.play && e.recording && !e.recording_gone)) again = setTimeout(() => load(), 5000);
    } catch (err) {
      el("ev-message").textContent = "the camera is not reachable";
    } finally {
      loading = false;
    }
  }

  window.addEventListener("camapp-status", (ev) => {
    const s = ev.detail || {};
    const h = s.history || {};
    const sig = `${h.saved}|${(s.objects || []).map((o) => o.id).join(",")}`;
    if (sig === seen) return;
    const first = seen === null;
    seen = sig;
    if (first || before === null) load();  // a page further back stays as it is
  });
  for (const id of ["ev-label", "ev-zone", "ev-day"]) el(id).addEventListener("change", () => load(null));
  el("ev-newest").addEventListener("click", () => load(null));
  el("ev-older").addEventListener("click", () => { if (nextBefore !== null) load(nextBefore); });
  el("event-filters").addEventListener("submit", (e) => e.preventDefault());
})();
