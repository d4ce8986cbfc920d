"""Write the ScanNet data-efficient benchmark's task files (Hou et al., CVPR 2021) for any Pointcept-layout data root,
in the formats Pointcept's `ScanNetDataset(la_file=..., lr_file=...)` reads (pointcept_csp/utils/data_efficient.py):

  <out>/points/points<N>    limited annotations: N labelled points per train scene, drawn among the points that carry
                            a label (a scene with fewer keeps all of them, and is reported)
  <out>/scenes/<P>.txt      limited reconstructions: P % of the train scenes (Pointcept's file names)
  <out>/scenes/rooms<K>.txt K rooms; re-scans of one room (sceneXXXX_00, _01, ...) always come together

Every draw is seeded (--seed); `<out>` defaults to `<data-root>/tasks`, where Pointcept's efficient configs look.

    python tools/data_efficient.py --data-root data/scannet --points 20 50 100 200 --scenes 1 5 10 20
    python tools/data_efficient.py --data-root ../shared/data/scannet-rooms --points 20 --rooms 1 3 --out exp/tasks
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from pointcept_csp.utils.data_efficient import (
    draw_labelled_points,
    draw_scenes,
    room_of,
    write_la_file,
    write_lr_file,
)


def scene_folders(data_root: str, split: str) -> list[str]:
    folder = os.path.join(data_root, split)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{os.path.abspath(folder)} does not exist: expected <data-root>/{split}/<scene>/")
    scenes = sorted(n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n, "coord.npy")))
    if not scenes:
        raise FileNotFoundError(f"no scene under {os.path.abspath(folder)} (expected <scene>/coord.npy)")
    return scenes


def read_segment(scene_dir: str, assets: list[str]) -> np.ndarray:
    for asset in assets:
        path = os.path.join(scene_dir, asset + ".npy")
        if os.path.isfile(path):
            return np.load(path).reshape(-1)
    raise FileNotFoundError(f"{scene_dir} has none of {[a + '.npy' for a in assets]}: no labels to draw from")


def output_paths(args) -> list[str]:
    paths = [os.path.join(args.out, "points", f"points{n}") for n in args.points]
    paths += [os.path.join(args.out, "scenes", f"{p:g}.txt") for p in args.scenes]
    return paths + [os.path.join(args.out, "scenes", f"rooms{k}.txt") for k in args.rooms]


def write_points(args, scenes: list[str], count: int) -> str:
    rng = np.random.default_rng(args.seed)
    labelled, short = {}, []
    for scene in scenes:
        segment = read_segment(os.path.join(args.data_root, args.split, scene), args.segment)
        labelled[scene] = draw_labelled_points(segment, count, rng, args.ignore_index)
        if len(labelled[scene]) < count:
            short.append(f"{scene} ({len(labelled[scene])})")
    path = os.path.join(args.out, "points", f"points{count}")
    write_la_file(labelled, path)
    total = sum(len(v) for v in labelled.values())
    note = f"; fewer than {count} labelled points, all kept: {', '.join(short)}" if short else ""
    return f"{path}: {count} labelled points per scene, {total} over {len(scenes)} scenes{note}"


def write_scenes(args, scenes: list[str], fraction: float | None = None, rooms: int | None = None) -> str:
    chosen = draw_scenes(scenes, np.random.default_rng(args.seed), fraction=fraction, rooms=rooms)
    name = f"{100 * fraction:g}.txt" if fraction is not None else f"rooms{rooms}.txt"
    path = os.path.join(args.out, "scenes", name)
    write_lr_file(chosen, path)
    kept_rooms = sorted({room_of(n) for n in chosen})
    return f"{path}: {len(chosen)} of {len(scenes)} scenes ({len(kept_rooms)} rooms): {' '.join(chosen)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", required=True, help="Pointcept layout: <data-root>/<split>/<scene>/*.npy")
    parser.add_argument("--out", help="where to write points/ and scenes/ (default: <data-root>/tasks)")
    parser.add_argument("--points", nargs="*", type=int, default=[], help="labelled points per scene, e.g. 20 200")
    parser.add_argument("--scenes", nargs="*", type=float, default=[], help="percent of the scenes, e.g. 1 5 10 20")
    parser.add_argument("--rooms", nargs="*", type=int, default=[], help="whole rooms, e.g. 1 3")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", default="train")
    parser.add_argument("--segment", nargs="+", default=["segment20", "segment"], help="label assets, first found")
    parser.add_argument("--ignore-index", type=int, default=-1, help="the label of unannotated points")
    parser.add_argument("--overwrite", action="store_true", help="replace task files that exist")
    args = parser.parse_args(argv)
    args.out = args.out or os.path.join(args.data_root, "tasks")
    if not (args.points or args.scenes or args.rooms):
        parser.error("nothing to write: give --points, --scenes and/or --rooms")
    existing = [p for p in output_paths(args) if os.path.exists(p)]
    if existing and not args.overwrite:
        print(f"error: these task files exist (--overwrite replaces them): {existing}", file=sys.stderr)
        return 2
    try:
        scenes = scene_folders(args.data_root, args.split)
        reports = [write_points(args, scenes, n) for n in args.points]
        reports += [write_scenes(args, scenes, fraction=p / 100) for p in args.scenes]
        reports += [write_scenes(args, scenes, rooms=k) for k in args.rooms]
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("\n".join(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
