"""The two values every stage passes around: a captured `Frame` and its `Detections`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class Frame:
    """One captured image, stamped by its source.

    `timestamp` is `time.monotonic()` at capture, so latency can be measured end to end.
    `media_time` is the position in a file (seconds) when the source has one; recorders use it
    so a 10 fps clip is written at 10 fps even when processed faster than real time.
    """

    image: np.ndarray
    timestamp: float
    index: int
    media_time: float | None = None

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


@dataclass(frozen=True, eq=False)
class Detections:
    """Boxes (xyxy, source pixels), scores and class ids as parallel numpy arrays.

    `names` maps a class id to its label (index = id); it travels with the detections so any
    stage can print a label without knowing which model produced them.
    `track_ids` (int, one per box) is set once a tracker has followed the boxes across frames;
    `predicted` (bool, one per box) marks boxes that come from the tracker's motion prediction
    rather than a fresh detection. Both are None when no tracker ran.
    """

    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    names: Sequence[str] = field(default=(), repr=False)
    track_ids: np.ndarray | None = None
    predicted: np.ndarray | None = None

    def __post_init__(self) -> None:
        boxes = np.array(self.boxes, dtype=np.float32)  # a copy: freezing must not touch the caller's
        if boxes.size == 0:
            boxes = boxes.reshape(0, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"boxes must have shape (N, 4), got {boxes.shape}")
        scores = np.array(self.scores, dtype=np.float32).reshape(-1)
        class_ids = np.array(self.class_ids, dtype=np.int32).reshape(-1)
        n = len(boxes)
        if len(scores) != n or len(class_ids) != n:
            raise ValueError(
                f"boxes, scores and class_ids differ in length: {n}, {len(scores)}, {len(class_ids)}"
            )
        if n and not np.all(np.isfinite(boxes)):
            raise ValueError("boxes contain NaN or infinity")
        if n and np.any(boxes[:, 2:] < boxes[:, :2]):
            raise ValueError("boxes must be xyxy with x1 >= x0 and y1 >= y0")
        arrays = {"boxes": boxes, "scores": scores, "class_ids": class_ids}
        if self.track_ids is not None:
            arrays["track_ids"] = np.array(self.track_ids, dtype=np.int64).reshape(-1)
        if self.predicted is not None:
            if self.track_ids is None:
                raise ValueError("predicted boxes come from a tracker: give track_ids too")
            arrays["predicted"] = np.array(self.predicted, dtype=bool).reshape(-1)
        for name in ("track_ids", "predicted"):
            if name in arrays and len(arrays[name]) != n:
                raise ValueError(f"{name} has {len(arrays[name])} entries for {n} boxes")
        for name, value in arrays.items():
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "names", tuple(self.names))

    @classmethod
    def of_arrays(
        cls,
        boxes: np.ndarray,
        scores: np.ndarray,
        class_ids: np.ndarray,
        names: Sequence[str],
        track_ids: np.ndarray | None = None,
        predicted: np.ndarray | None = None,
    ) -> Detections:
        """Without the constructor's copies and checks, which cost more than a tracker's whole
        step on a few boxes: for arrays that already are what it makes (float32 (N, 4) xyxy
        boxes, float32 scores, int32 class ids, int64 track ids, bool predicted, N each, e.g.
        taken from another `Detections`). They are made read-only here."""
        out = object.__new__(cls)
        for name, value in (
            ("boxes", boxes),
            ("scores", scores),
            ("class_ids", class_ids),
            ("track_ids", track_ids),
            ("predicted", predicted),
        ):
            if value is not None and value.flags.writeable:
                value.flags.writeable = False
            object.__setattr__(out, name, value)
        object.__setattr__(out, "names", tuple(names))
        return out

    @classmethod
    def empty(cls, names: Sequence[str] = ()) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32), names)

    def __len__(self) -> int:
        return len(self.scores)

    def __getitem__(self, index: Any) -> Detections:
        """Filter with a boolean mask, an index array or a slice; always returns `Detections`."""
        if isinstance(index, (int, np.integer)):
            index = slice(int(index), int(index) + 1 or None)
        tracks = None if self.track_ids is None else self.track_ids[index]
        predicted = None if self.predicted is None else self.predicted[index]
        return Detections(
            self.boxes[index], self.scores[index], self.class_ids[index], self.names, tracks, predicted
        )

    def label(self, i: int) -> str:
        cid = int(self.class_ids[i])
        return self.names[cid] if 0 <= cid < len(self.names) else str(cid)

    @property
    def labels(self) -> list[str]:
        return [self.label(i) for i in range(len(self))]

    def track_id(self, i: int) -> int | None:
        return None if self.track_ids is None else int(self.track_ids[i])

    def is_predicted(self, i: int) -> bool:
        return bool(self.predicted is not None and self.predicted[i])

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-ready dicts, the one shape `detect --json` and the detection log share.

        Tracked boxes add `track_id`, and `predicted: true` when the tracker predicted them.
        """
        rows = []
        for i in range(len(self)):
            row: dict[str, Any] = {
                "label": self.label(i),
                "class_id": int(self.class_ids[i]),
                "score": round(float(self.scores[i]), 4),
                "box": [round(float(v), 1) for v in self.boxes[i]],
            }
            if self.track_ids is not None:
                row["track_id"] = int(self.track_ids[i])
            if self.is_predicted(i):
                row["predicted"] = True
            rows.append(row)
        return rows
