"""`camapp eval --dataset DIR`: COCO mAP and speed at every input size (rung)."""

from __future__ import annotations

import argparse
import json
import sys

from camapp.cli.common import positive_int
from camapp.detect import device_help
from camapp.errors import CamappError


def sizes_list(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of sizes") from None
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(f"{text!r} must list positive sizes, e.g. 300,240,176")
    return sizes


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="COCO mAP and inference time per input size")
    p.add_argument("--dataset", required=True, metavar="DIR", help="folder with images/ and instances.json")
    p.add_argument("--sizes", type=sizes_list, help="input sizes, e.g. 300,272,240 (default: the ladder)")
    p.add_argument("--json", action="store_true", help='print {"results": [...]} instead of a table')
    p.add_argument("--max-detections", type=positive_int, help="raise the model's detection cap")
    p.add_argument("--model", help="catalog name or path to a .tflite SSD model (default: catalog default)")
    p.add_argument("--labels", help="label file for --model PATH (default: labelmap.txt beside it)")
    p.add_argument("--device", default="cpu", help=device_help())
    p.add_argument("--threads", type=positive_int, help="CPU threads (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from camapp.detect import open_detector
    from camapp.eval import as_json, evaluate, load_dataset

    dataset = load_dataset(args.dataset)  # fail before loading the model
    options = {"input_sizes": args.sizes, "input_size": args.sizes[0]} if args.sizes else {}
    detector = open_detector(
        args.model,
        labels=args.labels,
        device=args.device,
        threads=args.threads,
        max_detections=args.max_detections,
        threshold=0.0,
        **options,
    )
    if not detector.names:
        raise CamappError("the model has no label file: eval matches classes to COCO categories by name")
    try:
        results = evaluate(detector, dataset, args.sizes, progress=not args.quiet and sys.stderr.isatty())
    finally:
        detector.close()
    if args.json:
        print(json.dumps(as_json(results), indent=2))
        return 0
    n = len(dataset.annotations["images"])
    print(
        f"{dataset.root}: {n} images, {detector.threads} thread(s), max detections {args.max_detections or 'model'}"
    )
    print(f"{'input':>5}  {'mAP':>5}  {'AP50':>5}  {'ms':>6}")
    for r in results:
        print(f"{r.input_size:>5}  {r.map * 100:>5.1f}  {r.map50 * 100:>5.1f}  {r.ms:>6.1f}")
    return 0
