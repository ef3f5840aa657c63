"""`camapp detect IMAGE...`: detections on still images, printed and optionally drawn."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2

from camapp.cli.common import add_model_options, open_model, positive_int
from camapp.errors import CamappError
from camapp.outputs import write_new
from camapp.quiet import captured_stderr, library_note
from camapp.render import score_text


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detect", help="detect objects in image files")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--out", metavar="DIR", help="write annotated copies here")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--input-size", type=positive_int, help="network input size (a ladder rung)")
    add_model_options(p)


def read_image(path: str):
    p = Path(path)
    if p.is_dir():
        raise CamappError(f"{p} is a folder: give image files (e.g. {p}/*.jpg)")
    if not p.is_file():
        raise CamappError(f"image not found: {p}")
    with captured_stderr() as said:  # libjpeg/libpng warnings become part of our one line
        image = cv2.imread(str(p), cv2.IMREAD_COLOR)
    note = library_note(said)
    if image is None:
        why = f" ({note})" if note else ""
        raise CamappError(f"cannot read {p}: not an image OpenCV can decode{why}")
    if note:
        print(f"camapp: warning: {p} is damaged ({note}); detecting on what decoded", file=sys.stderr)
    return image


def run(args: argparse.Namespace) -> int:
    images = [(path, read_image(path)) for path in args.images]  # fail before loading the model
    # one-shot: build only the rung it runs at
    detector = open_model(args, args.input_size, background=False)
    out_dir = Path(args.out) if args.out else None
    if out_dir:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CamappError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    results = []
    for path, image in images:
        dets = detector.detect(image)
        results.append({"image": path, "detections": dets.to_list()})
        if out_dir:
            from camapp.render import draw_detections

            # camapp names the copy: never over an input or any existing file (camapp.outputs)
            wanted = out_dir / (Path(path).stem + ".jpg")
            ok, data = cv2.imencode(".jpg", draw_detections(image, dets))
            if not ok:
                raise CamappError(f"cannot encode {wanted}")
            try:
                target = write_new(wanted, data.tobytes())
            except OSError as exc:
                raise CamappError(f"cannot write {wanted}: {exc.strerror or exc}") from None
            results[-1]["annotated"] = str(target)
            if target != wanted and not args.json:
                print(f"{wanted} exists: annotated copy written to {target}")
        if not args.json:
            print(f"{path}: {len(dets)} detection(s)")
            for d in dets.to_list():
                x0, y0, x1, y1 = d["box"]
                print(
                    f"  {d['label']:<16} {score_text(d['score']):>4}  [{x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f}]"
                )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0
