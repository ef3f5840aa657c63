"""COCO mAP of the detector at each input size (rung), with pycocotools.

This is how the ladder's accuracy figures are produced: every image of a COCO-format dataset
(`images/` + `instances.json`) goes through `detector.detect` at threshold 0 (all detections the
post-process op emits), and pycocotools scores them against the official annotations.
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2

from camapp.errors import CamappError
from camapp.text import read_text


@dataclass(frozen=True)
class Dataset:
    """A COCO-format dataset: the parsed annotation file and where its images are."""

    root: Path
    images_dir: Path
    annotations: dict[str, Any]

    @property
    def categories(self) -> dict[str, int]:
        """Category name -> COCO category id."""
        return {c["name"]: int(c["id"]) for c in self.annotations["categories"]}


@dataclass(frozen=True)
class RungResult:
    input_size: int
    map: float  # mAP@[.5:.95] as a fraction
    map50: float
    ms: float  # median invoke time per image


def load_dataset(path: str | Path) -> Dataset:
    """Check the layout up front so a wrong path is one line, not a pycocotools traceback."""
    root = Path(path)
    if not root.exists():
        raise CamappError(f"dataset not found: {root}")
    if not root.is_dir():
        raise CamappError(f"dataset must be a folder with images/ and instances.json: {root}")
    ann_path, images_dir = root / "instances.json", root / "images"
    if not ann_path.is_file():
        raise CamappError(f"no instances.json in {root} (expected COCO-format annotations)")
    if not images_dir.is_dir():
        raise CamappError(f"no images/ folder in {root}")
    try:
        annotations = json.loads(read_text(ann_path))  # a BOM or CRLF is fine
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CamappError(f"cannot read {ann_path}: {exc}") from None
    if not isinstance(annotations, dict) or not all(
        isinstance(annotations.get(k), list) for k in ("images", "annotations", "categories")
    ):
        raise CamappError(f"{ann_path} is not COCO instances JSON (needs images, annotations, categories)")
    if not annotations["images"]:
        raise CamappError(f"{ann_path} lists no images")
    missing = [
        im["file_name"] for im in annotations["images"] if not (images_dir / im["file_name"]).is_file()
    ]
    if missing:
        raise CamappError(f"{len(missing)} image(s) listed in {ann_path} are missing, e.g. {missing[0]}")
    return Dataset(root, images_dir, annotations)


def category_ids(names: Sequence[str], dataset: Dataset) -> dict[int, int]:
    """Model class id -> COCO category id, matched by label name.

    For the COCO SSD models this is k -> k+1 (the 90-id space keeps COCO's gaps); matching by
    name keeps that honest and drops the `???` placeholders.
    """
    by_name = dataset.categories
    mapping = {k: by_name[n] for k, n in enumerate(names) if n in by_name}
    if len(mapping) < len(by_name) / 2:
        raise CamappError(
            f"the model's labels match only {len(mapping)} of the {len(by_name)} dataset categories"
        )
    return mapping


def _score(dataset: Dataset, results: list[dict[str, Any]]) -> tuple[float, float]:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if not results:
        return 0.0, 0.0
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools narrates every step
        gt = COCO()
        gt.dataset = dataset.annotations
        gt.createIndex()
        dt = gt.loadRes(results)
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[0]), float(ev.stats[1])


def evaluate(
    detector: Any, dataset: Dataset, sizes: Sequence[int] | None = None, *, progress: bool = True
) -> list[RungResult]:
    """mAP, AP50 and median invoke ms of `detector` at each of `sizes` (default: all its rungs)."""
    from tqdm import tqdm

    cats = category_ids(detector.names, dataset)
    images = [(im, dataset.images_dir / im["file_name"]) for im in dataset.annotations["images"]]
    sizes = list(sizes or detector.input_sizes)
    detector.threshold = 0.0
    detector.classes = None
    if hasattr(detector, "prepare"):
        detector.prepare(sizes)  # no rung is timed while others are still being built
    out = []
    bar = tqdm(total=len(sizes) * len(images), disable=not progress, unit="img", leave=False)
    with bar:
        for size in sizes:
            detector.set_input_size(size)
            bar.set_description(f"input {size}")
            results: list[dict[str, Any]] = []
            times = []
            for info, path in images:
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if image is None:
                    raise CamappError(f"cannot read {path}: not an image OpenCV can decode")
                dets = detector.detect(image)
                times.append(detector.last_invoke_ms)
                for box, score, cid in zip(dets.boxes, dets.scores, dets.class_ids):
                    if int(cid) not in cats:
                        continue
                    x0, y0, x1, y1 = (float(v) for v in box)
                    results.append(
                        {
                            "image_id": info["id"],
                            "category_id": cats[int(cid)],
                            "bbox": [x0, y0, x1 - x0, y1 - y0],
                            "score": float(score),
                        }
                    )
                bar.update()
            mean_ap, ap50 = _score(dataset, results)
            out.append(RungResult(size, mean_ap, ap50, statistics.median(times)))
    return out


def as_json(results: Sequence[RungResult]) -> dict[str, Any]:
    return {"results": [asdict(r) for r in results]}
