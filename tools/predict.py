"""Run a trained model on your own point clouds: PLY, LAS / LAZ, text (.txt .xyz .csv .pts), .npy / .npz, a
Pointcept scene folder or .pth dict, with the config's own test-time path (pointcept_csp/engines/predictor.py).

    python tools/predict.py --config-file exp/s3dis/ft/config.py --weight exp/s3dis/ft/model/model_best.pth \\
        scan.ply room.laz points.txt --out predictions/

Semantic segmentation writes per input `<stem>.labels.npy` (one class id per point, in the file's order),
`<stem>.pred.ply` (the points coloured by class, with a `label` property) and, on request, `<stem>.labels.txt`
(x y z label) and `<stem>.probs.npy` (float16 class probabilities); `legend.txt` lists class ids, names and colours;
each input prints its class shares, and `--labels` scores mIoU / OA against ground truth. Classification prints the
top-k classes per input and writes them to `predictions.json`. A file that cannot be read or predicted is reported
and skipped; the run ends with a summary and exits 1 if any input failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

import pointcept_csp  # noqa: F401  (registers the plugin before anything is built)
from pointcept_csp import host
from pointcept_csp.datasets.palettes import palette_for
from pointcept_csp.datasets.readers import PointCloudError, read_points
from pointcept_csp.engines.predictor import (
    SceneSegmenter,
    classify,
    complete_features,
    feature_keys,
    normal_orientation,
    task_of,
)
from pointcept_csp.engines.testers import load_trained_model
from pointcept_csp.utils.device import default_device
from pointcept_csp.utils.metrics import intersection_and_union, segmentation_scores
from pointcept_csp.utils.normals import ORIENTATIONS
from pointcept_csp.utils.options import parse_options


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="point cloud files or Pointcept scene folders")
    parser.add_argument("--config-file", required=True)
    parser.add_argument("--weight", required=True, help="a trained checkpoint (model_best.pth / model_last.pth)")
    parser.add_argument("--out", default="predictions", help="output folder (default: ./predictions)")
    parser.add_argument("--options", nargs="+", default=[], help="config overrides, key=value")
    parser.add_argument("--columns", nargs="+", help="names of a text / .npy file's columns in order, _ skips one")
    parser.add_argument(
        "--fill-color", nargs=3, type=float, metavar=("R", "G", "B"), help="colour for colourless files"
    )
    parser.add_argument("--normal-k", type=int, default=16, help="neighbours for normal estimation (default 16)")
    parser.add_argument(
        "--normal-orientation",
        choices=ORIENTATIONS,
        help="sign of estimated normals: inward (to the centroid), outward, up (+z); default: the config's "
        "normal_orientation, else outward for classification and inward for scenes",
    )
    parser.add_argument("--labels", nargs="+", help="ground-truth labels, one file per input (.npy or text)")
    parser.add_argument("--ignore-index", type=int, default=-1, help="label of unannotated points (default -1)")
    parser.add_argument("--save-txt", action="store_true", help="also write x y z label as text")
    parser.add_argument("--save-probs", action="store_true", help="also write per-class probabilities")
    parser.add_argument("--topk", type=int, help="classes reported per object (classification; default 5)")
    parser.add_argument(
        "--max-points", type=int, help="run larger scans as overlapping slabs of about this many points"
    )
    parser.add_argument("--device", default="auto", help="auto (CUDA when available), cuda or cpu")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.inputs):
        parser.error(f"--labels needs one file per input: {len(args.inputs)} inputs, {len(args.labels)} label files")
    return args


def read_labels(path: str, count: int) -> np.ndarray:
    if not os.path.isfile(path):
        raise PointCloudError(f"{path}: no such label file")
    labels = np.load(path) if path.endswith(".npy") else np.loadtxt(path, ndmin=1)
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    if len(labels) != count:
        raise PointCloudError(f"{path}: {len(labels)} labels for a scan of {count} points")
    return labels


def write_ply(path: str, coord: np.ndarray, labels: np.ndarray, colors: np.ndarray) -> None:
    from plyfile import PlyData, PlyElement

    vertex = np.empty(
        len(coord), dtype=[(c, "f8") for c in "xyz"] + [(c, "u1") for c in ("red", "green", "blue")] + [("label", "i4")]
    )
    for i, c in enumerate("xyz"):
        vertex[c] = coord[:, i]
    for i, c in enumerate(("red", "green", "blue")):
        vertex[c] = colors[labels, i]
    vertex["label"] = labels
    PlyData([PlyElement.describe(vertex, "vertex")]).write(path)


def stem_of(path: str) -> str:
    return os.path.splitext(os.path.basename(os.path.normpath(path)))[0]


def output_stems(paths: list[str]) -> dict[str, str]:
    """Each input's output name: its stem, or its file name where two inputs share a stem (scan.las, scan.txt)."""
    stems = [stem_of(p) for p in paths]
    return {p: s if stems.count(s) == 1 else os.path.basename(os.path.normpath(p)) for p, s in zip(paths, stems)}


def segment_file(args, index, path, stem, cfg, segmenter, names, palette, progress) -> dict:
    cloud = read_points(path, args.columns)
    orientation = args.normal_orientation or normal_orientation(cfg)
    notes = complete_features(path, cloud, feature_keys(cfg), args.fill_color, args.normal_k, orientation)
    labels = read_labels(args.labels[index], len(cloud["coord"])) if args.labels else None
    probs = segmenter.predict(cloud, on_fragment=progress)
    pred = probs.argmax(1).astype(np.int32)
    stem = os.path.join(args.out, stem)
    np.save(stem + ".labels.npy", pred)
    write_ply(stem + ".pred.ply", cloud["coord"], pred, np.asarray(palette, dtype=np.uint8))
    if args.save_txt:
        np.savetxt(stem + ".labels.txt", np.column_stack([cloud["coord"], pred]), fmt="%.6f %.6f %.6f %d")
    if args.save_probs:
        np.save(stem + ".probs.npy", probs.astype(np.float16))
    shares = np.bincount(pred, minlength=len(names)) / len(pred)
    result = dict(points=len(pred), notes=notes, shares={names[c]: float(shares[c]) for c in np.flatnonzero(shares)})
    if labels is not None:
        counts = intersection_and_union(pred, labels, len(names), args.ignore_index)
        present = counts[1] > 0  # classes in the prediction or the ground truth
        scores = segmentation_scores(*counts)
        result.update(mIoU=float(np.mean(np.asarray(scores["iou_class"])[present])), OA=scores["allAcc"])
    return result


def classify_file(args, path, cfg, model, device, names) -> dict:
    cloud = read_points(path, args.columns)
    orientation = args.normal_orientation or normal_orientation(cfg)
    notes = complete_features(path, cloud, feature_keys(cfg), args.fill_color, args.normal_k, orientation)
    probs = classify(cfg, model, device, cloud)
    top = np.argsort(-probs)[: args.topk or 5]
    return dict(notes=notes, topk=[dict(cls=names[c], id=int(c), prob=float(probs[c])) for c in top])


def report(path: str, result: dict, task: str) -> None:
    for note in result["notes"]:
        print(f"  {note}")
    if task == "cls":
        print(f"{path}: " + ", ".join(f"{t['cls']} {t['prob']:.3f}" for t in result["topk"]))
        return
    print(f"{path}: {result['points']} points")
    for name, share in sorted(result["shares"].items(), key=lambda item: -item[1]):
        print(f"  {name:<20s} {100 * share:6.2f} %")
    if "mIoU" in result:
        print(f"  against the labels: mIoU {100 * result['mIoU']:.2f} (classes present), OA {100 * result['OA']:.2f}")


def load(args):
    """The config, its task, the device and the trained model; a config or weight that does not fit raises."""
    cfg = host.load_config(args.config_file, parse_options(args.options))
    task = task_of(cfg)
    only = dict(semseg=("labels", "save_txt", "save_probs", "max_points"), cls=("topk",))
    for option in only["cls" if task == "semseg" else "semseg"]:
        if getattr(args, option):
            raise ValueError(f"--{option.replace('_', '-')} does not apply to a {task} config ({args.config_file})")
    device = default_device(args.device)
    model, loaded = load_trained_model(cfg.model, args.weight, device)
    print(loaded)
    return cfg, task, device, model


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        cfg, task, device, model = load(args)
    except (ValueError, KeyError, OSError, RuntimeError) as e:  # the config, the weight or the device
        print(f"predict.py: {e}", file=sys.stderr)
        return 2
    names = list(cfg.data.get("names") or [str(c) for c in range(cfg.data.num_classes)])
    palette = palette_for(names)
    os.makedirs(args.out, exist_ok=True)
    if task == "semseg":
        segmenter = SceneSegmenter(cfg, model, device, args.max_points)
        with open(os.path.join(args.out, "legend.txt"), "w") as f:
            f.writelines(
                f"{c} {name.replace(' ', '_')} {r} {g} {b}\n" for c, (name, (r, g, b)) in enumerate(zip(names, palette))
            )
    from tqdm import tqdm

    results, failures, stems = {}, {}, output_stems(args.inputs)
    files = tqdm(args.inputs, desc="files", unit="file", disable=args.quiet)
    for index, path in enumerate(files):
        tic = time.perf_counter()
        try:
            if task == "semseg":
                with tqdm(desc=stem_of(path), unit="fragment", leave=False, disable=args.quiet) as bar:
                    results[path] = segment_file(
                        args, index, path, stems[path], cfg, segmenter, names, palette, bar.update
                    )
            else:
                results[path] = classify_file(args, path, cfg, model, device, names)
        except (PointCloudError, ValueError, KeyError, OSError) as e:
            failures[path] = str(e) if str(e).startswith(path) else f"{path}: {e}"
            tqdm.write(f"FAILED {failures[path]}")
            continue
        results[path]["seconds"] = round(time.perf_counter() - tic, 2)
        report(path, results[path], task)
    if task == "cls":
        with open(os.path.join(args.out, "predictions.json"), "w") as f:
            json.dump(results, f, indent=1)
    print(
        f"predicted {len(results)} of {len(args.inputs)} inputs into {args.out}"
        + (f"; {len(failures)} failed:" if failures else "")
    )
    for message in failures.values():
        print(f"  {message}")
    return 1 if failures else 0


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    sys.exit(main())
