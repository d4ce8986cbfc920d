"""Turn a folder of your own scans (.ply / .las / .laz / .txt / .xyz / .csv / .pts / .npy / .npz), labelled or not,
into a Pointcept dataset with the configs that pre-train and fine-tune on it (pointcept_csp/datasets/prepare.py):

    python tools/prepare_data.py scans/ --out data/mine --label-field class --grid 0.02
    sh tools/train.sh -c data/mine/pretrain.py -n mine-pre
    sh tools/train.sh -c data/mine/semseg.py -n mine-ft -w exp/mine/mine-pre/model/model_last.pth

Sub-folders named train / val / test keep their split; otherwise labelled scans are split by --val. Scans without
labels (no --label-field, or under a folder named `unlabelled`) go to the `unlabelled` split, which only pre-training
reads. It writes `<out>/<split>/<scene>/{coord,color,normal,segment}.npy` (each scene whole or not at all),
`<out>/meta.json` (classes, label map, per-class histogram per split, the source of every scene) and
`<out>/pretrain.py`, `<out>/semseg.py`. A file that cannot be converted is named and skipped; the run ends with a
summary and exit status 1 if any was. Nothing is overwritten without --overwrite.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
from collections import Counter

import numpy as np
from tqdm import tqdm

from pointcept_csp.datasets.prepare import (
    UNLABELLED,
    LabelMap,
    custom_configs,
    find_inputs,
    finish_scene,
    scan_to_scenes,
    write_scene,
)
from pointcept_csp.utils.normals import ORIENTATIONS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGING = ".staging"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="point files or folders (read recursively)")
    parser.add_argument("--out", required=True, help="the dataset folder to write")
    parser.add_argument("--label-field", help="the per-point label: a PLY property, LAS classification, a column")
    parser.add_argument("--columns", nargs="+", help="names of a text / .npy file's columns in order, _ skips one")
    parser.add_argument("--classes", help="class names, one per line, or 'value name' pairs")
    parser.add_argument("--ignore", nargs="+", type=int, default=[], help="label values mapped to -1")
    parser.add_argument("--val", type=float, help="share of labelled scans for val when no split folders (0.2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the val draw")
    parser.add_argument("--grid", type=float, help="voxel downsampling at write time, metres")
    parser.add_argument("--tile", type=float, help="cut scans into square tiles of this size on x, y, metres")
    parser.add_argument("--min-points", type=int, default=1000, help="fewest points a scene needs (a crop's worth)")
    parser.add_argument("--fill-color", nargs=3, type=float, metavar=("R", "G", "B"), help="for colourless files")
    parser.add_argument("--size", choices=["tiny", "base"], default="base", help="model of the configs (tiny: CPU)")
    parser.add_argument(
        "--normal-orientation",
        choices=ORIENTATIONS,
        default="inward",
        help="sign of estimated normals: inward (to the scene's centroid, default), outward, up (+z)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing dataset in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.val is not None and not 0 < args.val < 1:
        parser.error(f"--val must be in (0, 1), got {args.val}")
    return args


def prepare_out(out: str, overwrite: bool) -> None:
    if os.path.isdir(out) and os.listdir(out):
        if not overwrite:
            raise FileExistsError(f"{out} exists and is not empty; pass --overwrite to replace the dataset there")
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, STAGING))


def assign_splits(staged: list, val: float | None, seed: int, notes: list) -> list:
    """(split, item, scene, raw labels) per staged scene: its input's split folder, `unlabelled`, or train / val
    drawn with `val` among the split-less labelled inputs (whole inputs; the scenes of one tiled input when it is
    the only one). A draw that would leave nothing to train on keeps everything in train, with a note."""
    free = [(item, scene) for item, scene, raw in staged if item.split is None and raw is not None]
    inputs = sorted({item.scene for item, _ in free})
    if free and val is None and not any(item.split == "val" for item, *_ in staged):
        val = 0.2
        notes.append("no val folder and no --val: 20% of the labelled scans (--seed) form val")
    units = inputs if len(inputs) > 1 else sorted(scene.name for _, scene in free)
    chosen = set()
    if val and len(units) > 1:
        order = np.random.default_rng(seed).permutation(len(units))
        chosen = {units[i] for i in order[: min(len(units) - 1, max(1, round(val * len(units))))]}
    elif val and units:
        notes.append("one labelled scene without a split folder: it stays in train (no val to draw from)")
    assigned = []
    for item, scene, raw in staged:
        if raw is None:
            split = UNLABELLED
        else:
            split = item.split or ("val" if {item.scene, scene.name} & chosen else "train")
        assigned.append((split, item, scene, raw))
    return assigned


def main(argv=None) -> int:
    args = parse_args(argv)
    errors, notes, sources = [], [], {}
    try:
        items = find_inputs(args.inputs)
        label_map = LabelMap.from_file(args.classes, tuple(args.ignore)) if args.classes else None
        prepare_out(args.out, args.overwrite)
    except (FileNotFoundError, FileExistsError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not items:
        print(f"error: no point files under {args.inputs}", file=sys.stderr)
        return 2
    by_name: dict[str, list[str]] = {}
    for item in items:
        by_name.setdefault(item.scene, []).append(item.path)
    for name, paths in by_name.items():
        if len(paths) > 1:
            errors.append(f"{', '.join(paths)}: would all be scene {name!r}; rename one (none of them is written)")
    items = [i for i in items if len(by_name[i.scene]) == 1]
    staged = []  # (input, scene, raw labels or None)
    for item in items:
        labelled = args.label_field is not None and UNLABELLED not in item.path.split(os.sep)
        try:
            staged += convert(item, args, labelled, sources, notes)
        except (OSError, ValueError) as e:  # PointCloudError is a ValueError
            errors.append(f"{item.path}: {e}" if item.path not in str(e) else str(e))
    staged = assign_splits(staged, args.val, args.seed, notes)
    if label_map is None:
        values = sorted({int(v) for *_, raw in staged if raw is not None for v in np.unique(raw)} - set(args.ignore))
        label_map = LabelMap(values, [str(v) for v in values], tuple(args.ignore))
        if values:
            notes.append(f"no --classes: the label values found became the classes {values}")
    histogram = publish(args.out, staged, label_map, sources, errors)
    write_meta_and_configs(args, label_map, histogram, sources, notes, errors)
    report(args.out, histogram, notes, errors)
    return 1 if errors else 0


def convert(item, args, labelled: bool, sources: dict, notes: list) -> list:
    """Read, tile, downsample and stage one input; returns (input, scene, raw labels) per staged scene."""
    bar = tqdm(desc=os.path.basename(item.path), unit=" pts", unit_scale=True, disable=args.quiet, leave=False)
    try:
        spill = os.path.join(args.out, STAGING, ".tiles")
        os.makedirs(spill, exist_ok=True)
        scenes = scan_to_scenes(
            item, args.columns, args.label_field if labelled else None, args.grid, args.tile, bar.update, spill
        )
    finally:
        bar.close()
    staged = []
    for scene in scenes:
        arrays = scene.arrays(args.grid)
        if len(arrays["coord"]) < args.min_points:
            message = f"{item.path}: scene {scene.name} has {len(arrays['coord'])} points, fewer than --min-points "
            message += f"{args.min_points} (a crop's worth)"
            if args.tile and len(scenes) > 1:
                notes.append(message + "; this tile is left out")
                continue
            raise ValueError(message)
        raw = arrays.pop("label", None)
        had_normals = "normal" in arrays
        out, offset = finish_scene(arrays, args.fill_color, item.path, orientation=args.normal_orientation)
        write_scene(os.path.join(args.out, STAGING, scene.name), out)
        if raw is not None:
            np.save(os.path.join(args.out, STAGING, scene.name, "raw_label.npy"), raw)
        sources[scene.name] = dict(
            source=os.path.abspath(item.path),
            points=len(out["coord"]),
            offset=offset,
            normal="file" if had_normals else "estimated",
            color="file" if "color" in arrays else "filled",
        )
        staged.append((item, scene, raw))
    return staged


def publish(out: str, staged: list, label_map: LabelMap, sources: dict, errors: list) -> dict[str, Counter]:
    """Map the staged labels and move each scene into place (one rename each); the per-class histogram per split."""
    histogram: dict[str, Counter] = {}
    for split, _, scene, raw in staged:
        folder, name = os.path.join(out, STAGING, scene.name), scene.name
        sources[f"{split}/{name}"] = sources.pop(name)
        counts = Counter()
        if raw is not None:
            try:
                segment = label_map.apply(raw, f"{sources[f'{split}/{name}']['source']} (scene {split}/{name})")
            except ValueError as e:
                errors.append(str(e))
                shutil.rmtree(folder)
                continue
            np.save(os.path.join(folder, "segment.npy"), segment)
            os.remove(os.path.join(folder, "raw_label.npy"))
            counts.update({int(k): int(v) for k, v in zip(*np.unique(segment, return_counts=True))})
        histogram.setdefault(split, Counter()).update(counts)
        os.makedirs(os.path.join(out, split), exist_ok=True)
        os.replace(folder, os.path.join(out, split, name))
    shutil.rmtree(os.path.join(out, STAGING))
    return histogram


def write_meta_and_configs(args, label_map: LabelMap, histogram, sources, notes, errors) -> None:
    written = [split for split in histogram if os.path.isdir(os.path.join(args.out, split))]
    present = {split: {c for c, n in counts.items() if c >= 0 and n > 0} for split, counts in histogram.items()}
    eval_classes = sorted(present.get("train", set()) & present.get("val", set()))
    meta = dict(
        created=datetime.datetime.now().isoformat(timespec="seconds"),
        command=" ".join(sys.argv),
        classes=[dict(id=i, name=n, value=v) for i, (n, v) in enumerate(zip(label_map.names, label_map.values))],
        ignore=list(label_map.ignore),
        histogram={split: {str(k): v for k, v in sorted(c.items())} for split, c in histogram.items()},
        eval_classes=eval_classes,
        grid=args.grid,
        tile=args.tile,
        normal_orientation=args.normal_orientation,
        scenes={k: v for k, v in sources.items() if os.path.isdir(os.path.join(args.out, k))},
        notes=notes,
        errors=errors,
    )
    header = f"# Written by tools/prepare_data.py for {os.path.abspath(args.out)} (meta.json: classes, histogram)."
    splits = dict(pretrain=sorted(written), train=["train"], val=["val"])
    texts = custom_configs(
        os.path.join(ROOT, "configs"),
        args.size,
        os.path.abspath(args.out),
        label_map.names,
        eval_classes,
        splits,
        args.grid,
        header,
        args.normal_orientation,
    )
    for kind, text in texts.items():
        if not written:
            notes.append(f"no scene was written: {kind}.py is not written either")
            continue
        if kind == "semseg" and not ("train" in written and "val" in written):
            notes.append("semseg.py is not written: it needs labelled scans in both train and val")
            continue
        with open(os.path.join(args.out, f"{kind}.py"), "w") as f:
            f.write(text)
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


def report(out: str, histogram, notes, errors) -> None:
    for split, counts in sorted(histogram.items()):
        scenes = len(os.listdir(os.path.join(out, split)))
        labelled = sum(v for k, v in counts.items() if k >= 0)
        print(f"{split}: {scenes} scenes, {labelled} labelled points over {len([k for k in counts if k >= 0])} classes")
    for note in notes:
        print(f"note: {note}")
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    exp = f"exp/{os.path.basename(os.path.abspath(out))}"  # tools/train.sh names the experiment by the config's folder
    print(f"\nnext (from the repository root):\n  sh tools/train.sh -c {os.path.abspath(out)}/pretrain.py -n pre")
    if os.path.isfile(os.path.join(out, "semseg.py")):
        print(f"  sh tools/train.sh -c {os.path.abspath(out)}/semseg.py -n ft -w {exp}/pre/model/model_last.pth")
        print(
            f"  python tools/predict.py new_scan.ply --config-file {exp}/ft/config.py --weight "
            f"{exp}/ft/model/model_best.pth"
        )
    if errors:
        print(f"\n{len(errors)} input(s) failed (above); the others are written", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
