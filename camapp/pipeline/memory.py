"""Memory by frame size: how many frames a queue may hold, and what a run needs against what the
machine has.

A 4K frame is 25 MB in BGR: a queue of 8 of them is 200 MB, nothing at 640x360 (0.7 MB each).
So the pipeline's waiting frames are bounded in bytes as well as in count, and a run whose
source is too large for the machine says so at its start instead of being killed later.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

MB = 1024 * 1024
# Frames waiting to be handed on with predicted boxes, or for a lossless consumer: at most this
# many bytes of them (and never fewer than one frame).
WAITING_BYTES = 64 * MB
# What a run needs, fitted to peak RSS measured on `camapp run --headless --track --loop` with
# --record and --record-on (docs/reliability.md): 397 MB at 768x432 with both recordings, 490 MB
# at 3840x2160 without, 947 MB with both. The interpreter, OpenCV, PyAV, the model's rungs and
# the tracker; the decoder and the frames in flight between capture, inference and delivery;
# each recorder its H.264 encoder (117 MB at 4K alone), its queue and its drawing.
BASE_BYTES = 375 * MB
DECODER_FRAMES = 6.0  # YUV frames
IN_FLIGHT_FRAMES = 3.5  # BGR frames
ENCODER_FRAMES = 18.4  # YUV frames per recorder


def frames_within(frame_bytes: int, budget: int, most: int) -> int:
    """How many frames of `frame_bytes` fit in `budget`: at least 1, at most `most`."""
    if frame_bytes <= 0:
        return most
    return max(1, min(most, budget // frame_bytes))


def needed_bytes(size: tuple[int, int], encoders: int) -> int:
    """What a run on frames of `size` (width, height) with `encoders` video recorders needs."""
    w, h = size
    bgr = w * h * 3
    yuv = w * h * 3 // 2
    return int(BASE_BYTES + DECODER_FRAMES * yuv + IN_FLIGHT_FRAMES * bgr + ENCODER_FRAMES * yuv * encoders)


def machine_bytes() -> int | None:
    """The memory this process may use: the machine's, or a container's or service's cgroup
    limit when lower (systemd MemoryMax=, docker --memory). None when it cannot be read."""
    found: list[int] = []
    with contextlib.suppress(OSError, ValueError):
        found.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        with contextlib.suppress(OSError, ValueError):
            text = Path(limit).read_text().strip()
            if text.isdigit() and int(text) < 1 << 60:  # "max" or a huge number: no limit
                found.append(int(text))
    return min(found) if found else None


def memory_warning(size: tuple[int, int] | None, encoders: int, have: int | None = None) -> str | None:
    """One line when a run on frames of `size` needs more memory than the machine has, else None."""
    if size is None:
        return None
    have = machine_bytes() if have is None else have
    need = needed_bytes(size, encoders)
    if have is None or need <= have:
        return None
    w, h = size
    what = f"{encoders} recording{'s' if encoders != 1 else ''}" if encoders else "no recording"
    return (
        f"a {w}x{h} source with {what} needs about {need // MB} MB and this machine has {have // MB} MB;"
        " it may run out of memory: use a smaller camera mode (--width/--height) or fewer recordings"
    )
