"""Convert 3DSES scans (PLY, or whitespace / comma text with one point per row, read by
`pointcept_csp.datasets.readers`) into Pointcept's layout read by `ThreeDSESDataset`:

    <out>/<split>/<scan>/coord.npy (float32), color.npy (uint8), segment.npy (int16, pseudo labels),
                         segment_true.npy (int16, manual labels, when the source has them)

    python tools/convert_3dses.py --src /data/3DSES/Silver --out data/3dses --split-file splits.json \
        --label-field label --true-label-field label_true

`--split-file` is a JSON dict {split: [scan file stems]}; without it every scan goes to `train`. For text files,
`--columns` names the columns in order (default: x y z red green blue label). Unlabelled points keep their class
id; map them to -1 (ignored) with `--ignore-label`.
"""

import argparse
import json
import os

import numpy as np

from pointcept_csp.datasets.readers import read_fields, to_0_255


def convert_scan(fields: dict, label_field: str, true_label_field: str | None, ignore_label: int | None) -> dict:
    missing = [k for k in ("x", "y", "z", label_field) if k not in fields]
    if missing:
        raise KeyError(f"fields {missing} not found; available: {sorted(fields)}")
    out = dict(coord=np.stack([fields[k] for k in "xyz"], 1).astype(np.float32))
    if all(k in fields for k in ("red", "green", "blue")):
        color = to_0_255(np.stack([fields[k] for k in ("red", "green", "blue")], 1))
        out["color"] = color.round().clip(0, 255).astype(np.uint8)
    for key, field in (("segment", label_field), ("segment_true", true_label_field)):
        if field and field in fields:
            labels = fields[field].astype(np.int64)
            if ignore_label is not None:
                labels[labels == ignore_label] = -1
            out[key] = labels.astype(np.int16)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--split-file")
    parser.add_argument("--label-field", default="label")
    parser.add_argument("--true-label-field")
    parser.add_argument("--ignore-label", type=int)
    parser.add_argument("--columns", nargs="+", default=["x", "y", "z", "red", "green", "blue", "label"])
    args = parser.parse_args()
    files = sorted(f for f in os.listdir(args.src) if f.endswith((".ply", ".txt", ".csv", ".xyz")))
    if not files:
        raise FileNotFoundError(f"no .ply/.txt/.csv/.xyz scans in {args.src}")
    splits = {"train": [os.path.splitext(f)[0] for f in files]}
    if args.split_file:
        with open(args.split_file) as f:
            splits = json.load(f)
    split_of = {stem: split for split, stems in splits.items() for stem in stems}
    for name in files:
        stem = os.path.splitext(name)[0]
        if stem not in split_of:
            print(f"skipped {name}: not in the split file")
            continue
        path = os.path.join(args.src, name)
        fields = read_fields(path, None if name.endswith(".ply") else args.columns)
        scan = convert_scan(fields, args.label_field, args.true_label_field, args.ignore_label)
        folder = os.path.join(args.out, split_of[stem], stem)
        os.makedirs(folder, exist_ok=True)
        for key, value in scan.items():
            np.save(os.path.join(folder, f"{key}.npy"), value)
        print(f"{name} -> {folder}: {len(scan['coord'])} points, assets {sorted(scan)}")


if __name__ == "__main__":
    main()
