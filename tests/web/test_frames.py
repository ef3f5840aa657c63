"""The MJPEG broadcaster on real frames of the shared clip: encode once, newest frame, no backlog."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

import cv2
import numpy as np
import pytest
from conftest import PERSON_CLIP, need

from camapp.pipeline.consumer import Result
from camapp.pipeline.stats import Stats
from camapp.track.base import TrackInfo
from camapp.track.regions import Line, Zone
from camapp.types import Detections, Frame
from camapp.web.frames import MjpegBroadcaster, encode_jpeg


@pytest.fixture(scope="module")
def results() -> list[Result]:
    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    out = []
    for i in range(12):
        ok, image = cap.read()
        assert ok
        dets = Detections([[10, 10, 200, 300]], [0.9], [0], names=("person",))
        out.append(Result(Frame(image, float(i), i), dets, Stats()))
    cap.release()
    return out


class Counting:
    """The real encoder, counted, with the thread each call ran on."""

    def __init__(self) -> None:
        self.calls = 0
        self.threads: set[str] = set()

    def __call__(self, result: Result, quality: int) -> bytes:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        return encode_jpeg(result, quality)


def test_encode_jpeg_draws_the_boxes_and_decodes(results: list[Result]) -> None:
    img = cv2.imdecode(np.frombuffer(encode_jpeg(results[0]), np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == results[0].frame.image.shape
    plain = cv2.imdecode(
        np.frombuffer(cv2.imencode(".jpg", results[0].frame.image)[1].tobytes(), np.uint8), cv2.IMREAD_COLOR
    )
    assert np.abs(img[10:300, 10:12].astype(int) - plain[10:300, 10:12].astype(int)).mean() > 20  # the box


def test_encode_jpeg_draws_the_tracking_line_and_zone(results: list[Result]) -> None:
    """With tracking the video shows the counting line and the zone (render.draw_tracks), as the
    recordings do: the page's drawn line is then on the picture every viewer gets."""
    line, zone = Line.parse("door:0.1,0.7,0.9,0.7"), Zone.parse("desk:0.6,0.1,0.9,0.1,0.9,0.4,0.6,0.4")
    tracked = dataclasses.replace(results[0], track=TrackInfo(lines=(line,), zones=(zone,)))
    plain, drawn = (
        cv2.imdecode(np.frombuffer(encode_jpeg(r), np.uint8), cv2.IMREAD_COLOR).astype(int)
        for r in (results[0], tracked)
    )
    h, w = plain.shape[:2]
    y, x = round(0.7 * h), round(0.75 * w)  # on the line, away from its label and the box
    assert np.abs(drawn[y - 1 : y + 2, x - 20 : x + 20] - plain[y - 1 : y + 2, x - 20 : x + 20]).mean() > 40
    y, x = round(0.25 * h), round(0.9 * w)  # the zone's right edge
    assert np.abs(drawn[y - 10 : y + 10, x - 1 : x + 2] - plain[y - 10 : y + 10, x - 1 : x + 2]).mean() > 20
    assert np.abs(drawn[h - 40 :, : w // 2] - plain[h - 40 :, : w // 2]).mean() < 1  # no heads-up line


def test_rejects_a_rate_that_is_not_positive() -> None:
    with pytest.raises(ValueError):
        MjpegBroadcaster(fps=0)


def test_each_frame_is_encoded_once_for_all_viewers_on_one_thread(results: list[Result]) -> None:
    enc = Counting()
    b = MjpegBroadcaster(fps=1000, encode=enc)

    async def main() -> list[list[bytes]]:
        b.start(asyncio.get_running_loop())
        for r in results[:3]:
            b.offer(r)  # nobody watches: nothing is encoded
        await asyncio.sleep(0.3)
        assert enc.calls == 0
        gens = [b.frames() for _ in range(5)]
        got: list[list[bytes]] = [[] for _ in gens]
        for r in results[3:9]:
            b.offer(r)
            for g, bucket in zip(gens, got):
                bucket.append(await asyncio.wait_for(g.__anext__(), 5))
        for g in gens:
            await g.aclose()
        return got

    try:
        got = asyncio.run(main())
    finally:
        b.stop()
    assert enc.calls == b.encoded
    assert enc.threads == {"camapp-web-jpeg"}
    # 6 frames offered while watched: one encode each, shared by the five viewers as the very
    # same bytes object (a viewer that joins with an up-to-date JPEG waiting costs no encode)
    assert enc.calls == 6
    for i in range(len(got[0])):
        assert all(bucket[i] is got[0][i] for bucket in got)
    assert b.viewers == 0


def test_the_rate_cap_holds_whatever_the_offer_rate(results: list[Result]) -> None:
    b = MjpegBroadcaster(fps=5)

    async def main() -> int:
        b.start(asyncio.get_running_loop())
        viewer = b.frames()
        task = asyncio.create_task(viewer.__anext__())
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        i = 0
        while loop.time() - t0 < 1.0:
            b.offer(results[i % len(results)])
            i += 1
            await asyncio.sleep(0.005)
        await task
        await viewer.aclose()
        return i

    try:
        offered = asyncio.run(main())
    finally:
        b.stop()
    assert offered > 50
    assert 1 <= b.encoded <= 5 + 2  # 5 fps for about a second


def test_a_viewer_that_does_not_read_holds_one_frame_and_takes_the_newest(results: list[Result]) -> None:
    b = MjpegBroadcaster(fps=1000)

    async def main() -> tuple[bytes, bytes, list[bytes]]:
        b.start(asyncio.get_running_loop())
        stuck, live = b.frames(), b.frames()
        b.offer(results[0])
        first_stuck = await asyncio.wait_for(stuck.__anext__(), 5)
        seen = [await asyncio.wait_for(live.__anext__(), 5)]
        for r in results[1:10]:  # the stuck viewer reads none of these
            b.offer(r)
            seen.append(await asyncio.wait_for(live.__anext__(), 5))
        later = await asyncio.wait_for(stuck.__anext__(), 5)
        await stuck.aclose()
        await live.aclose()
        return first_stuck, later, seen

    try:
        first_stuck, later, seen = asyncio.run(main())
    finally:
        b.stop()
    assert len(seen) == 10 and len({id(s) for s in seen}) == 10  # the live viewer got every frame
    assert later is seen[-1]  # the stuck one skipped to the newest, nothing queued for it
    assert b.skipped >= 8
