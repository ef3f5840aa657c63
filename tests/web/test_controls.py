"""Every control on the page, driven over HTTP against `camapp run --web` with the real model."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
from web.client import Figures, Mjpeg, Web


def test_the_page_and_its_files_are_served_without_a_cdn(served: Web) -> None:
    pages = [("/", "text/html"), ("/app.js", "text/javascript"), ("/tracking.js", "text/javascript")]
    for path, kind in [*pages, ("/style.css", "text/css")]:
        code, body, headers = served.request("GET", path)
        assert code == 200 and headers["Content-Type"].startswith(kind)
        assert b"http://" not in body and b"https://" not in body  # works offline on a LAN
    assert "default-src 'self'" in headers["Content-Security-Policy"]


def test_mjpeg_stream_yields_jpegs_that_decode_and_change(served: Web) -> None:
    viewer = Mjpeg(served)
    try:
        first = viewer.image()
        assert first.shape == (432, 768, 3)  # the clip's own size
        later = [viewer.image() for _ in range(10)]
    finally:
        viewer.close()
    assert max(float(np.abs(img.astype(int) - first.astype(int)).mean()) for img in later) > 1.0


def test_figures_stream_updates(served: Web) -> None:
    figures = Figures(served)
    try:
        first = figures.next()
        deadline = time.monotonic() + 10
        while (s := figures.next())["frames"] <= first["frames"]:
            assert time.monotonic() < deadline, "the figures never moved"
    finally:
        figures.close()
    for key in ("capture_fps", "inference_fps", "infer_ms", "latency_ms", "dropped", "input_size", "auto"):
        assert key in s
    assert s["inference_fps"] > 0 and s["infer_ms"] > 0
    assert s["recording"]["on"] is False


def test_input_size_rungs_and_auto(served: Web) -> None:
    ladder = [r["size"] for r in served.status()["ladder"]]
    assert len(ladder) > 2
    small = min(ladder)
    assert served.post("input-size", {"size": small})["auto"] is False
    s = served.wait_status(lambda s: s["input_size"] == small)
    ms = {r["size"]: r["ms"] for r in s["ladder"]}
    assert ms[small] is not None and ms[small] > 0  # measured on this machine, shown on the slider
    assert "not available" in served.post("input-size", {"size": small + 1}, expect=400)
    s = served.post("input-size", {"size": "auto", "target_fps": 7})
    assert s["auto"] is True and s["target_fps"] == 7
    served.post("input-size", {"size": max(ladder)})
    s = served.wait_status(lambda s: s["input_size"] == max(ladder))
    assert s["auto"] is False


def test_threshold_and_class_filter(served: Web) -> None:
    assert served.post("threshold", {"value": 0.35})["threshold"] == 0.35
    assert served.post("classes", {"labels": ["person", "dog"]})["classes"] == ["dog", "person"]
    assert "unknown class" in served.post("classes", {"labels": ["unicorn"]}, expect=400)
    assert served.post("classes", {"labels": []})["classes"] is None
    assert served.post("threshold", {"value": 0.5})["threshold"] == 0.5


def test_pause_holds_the_frame_count_and_resume_moves_it(served: Web) -> None:
    assert served.post("pause", {"on": True})["paused"] is True
    time.sleep(0.5)
    frames = served.status()["frames"]
    time.sleep(1.0)
    assert served.status()["frames"] == frames
    viewer = Mjpeg(served)  # a new viewer still sees the last frame while paused
    try:
        assert viewer.image().shape == (432, 768, 3)
    finally:
        viewer.close()
    assert served.post("pause", {"on": False})["paused"] is False
    served.wait_status(lambda s: s["frames"] > frames)


def test_snapshot_lands_in_the_record_folder_and_downloads(served: Web) -> None:
    s = served.post("snapshot", {})
    assert s["snapshot"]
    name = Path(s["snapshot"]).relative_to(served.folder).as_posix()  # type: ignore[attr-defined]
    listed = {f["name"]: f for f in served.files()}
    assert listed[name]["kind"] == "image" and listed[name]["size"] > 1000
    code, body, _ = served.request("GET", served.with_key(f"/files/{name}"))
    assert code == 200
    assert cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR).shape == (432, 768, 3)


def test_a_recording_started_from_the_web_plays(served: Web) -> None:
    s = served.post("record", {"on": True})
    assert s["recording"]["on"] is True
    served.wait_status(lambda s: s["recording"]["frames"] >= 20, timeout=30)
    s = served.post("record", {"on": False})
    assert s["recording"]["on"] is False
    videos = [f for f in served.files() if f["kind"] == "video" and not f["name"].startswith("events/")]
    assert videos, served.files()
    newest = videos[0]
    code, body, headers = served.request("GET", served.with_key(f"/files/{newest['name']}"))
    assert code == 200 and len(body) == newest["size"]
    # a range request, as the page's <video> element makes
    code, part, headers = served.request(
        "GET", served.with_key(f"/files/{newest['name']}"), headers={"Range": "bytes=0-99"}
    )
    assert code == 206 and len(part) == 100
    path = served.folder / newest["name"]  # type: ignore[attr-defined]
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    assert n >= 20


def test_event_recording_on_and_off(served: Web) -> None:
    s = served.post("events", {"on": True, "classes": ["person"]})
    assert s["events"]["on"] is True and s["events"]["classes"] == ["person"]
    assert "unknown class" in served.post("events", {"on": True, "classes": ["unicorn"]}, expect=400)
    assert served.status()["events"]["on"] is True  # a refused change keeps what ran
    s = served.post("events", {"on": False})
    assert s["events"]["on"] is False


def test_detect_off_stops_inference_while_the_video_goes_on_and_on_resumes(served: Web) -> None:
    assert served.post("detect", {"on": False})["detect"] is False
    time.sleep(2.5)  # the inference rate covers the last 2 s
    frames = served.status()["frames"]
    time.sleep(1.0)
    s = served.status()
    assert s["frames"] > frames and s["inference_fps"] == 0 and s["detect"] is False
    assert "'on' must be" in served.post("detect", {"on": "maybe"}, expect=400)
    assert served.post("detect", {"on": True})["detect"] is True
    served.wait_status(lambda s: s["inference_fps"] > 0)


def test_without_a_secret_only_loopback_host_names_get_in(served: Web) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: refused, reads and controls."""
    code, body, _ = served.request("GET", "/api/status", headers={"Host": "rebind.example:80"})
    assert code == 403 and body == b"forbidden: unknown host\n"
    code, body, _ = served.request(
        "POST",
        "/api/pause",
        b'{"on": true}',
        {"Host": "rebind.example", "Content-Type": "application/json", "X-Camapp-Key": ""},
    )
    assert code == 403 and served.status()["paused"] is False
    code, _, _ = served.request("GET", "/api/status", headers={"Host": f"localhost:{served.port}"})
    assert code == 200


def test_a_cross_origin_form_post_is_refused(served: Web) -> None:
    """What a foreign page can send without a preflight: no custom header, its own Origin."""
    code, body, _ = served.request(
        "POST",
        "/api/record",
        b'{"on": true}',
        {"Content-Type": "text/plain", "Origin": "http://evil.example"},
    )
    assert code == 403 and body.decode().count("\n") == 1
    assert served.status()["recording"]["on"] is False


def test_a_viewer_that_never_reads_holds_about_one_frame_and_others_go_on(served: Web) -> None:
    import socket

    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect((served.host, served.port))
    stuck.sendall(f"GET /video.mjpg HTTP/1.1\r\nHost: {served.host}:{served.port}\r\n\r\n".encode())
    viewer = Mjpeg(served)
    try:
        sizes = [len(viewer.next()) for _ in range(40)]  # ~4 s at the clip's 10 fps: the stuck
        web = served.status()["web"]  # one's kernel buffers are full long before
    finally:
        viewer.close()
        stuck.close()
    assert web["viewers"] >= 2
    # user space holds what is left of one write: below the 16 KiB mark plus one part
    assert 0 < web["max_buffered"] <= 16 * 1024 + max(sizes) + 200, (web, max(sizes))
