"""Convert 3DSES scans (PLY, ASCII or binary little-endian; or whitespace / comma text with one point per row)
into Pointcept's layout read by `ThreeDSESDataset`:

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

PLY_TYPES = {
    "char": "i1",
    "uchar": "u1",
    "short": "<i2",
    "ushort": "<u2",
    "int": "<i4",
    "uint": "<u4",
    "float": "<f4",
    "double": "<f8",
    "int8": "i1",
    "uint8": "u1",
    "int16": "<i2",
    "uint16": "<u2",
    "int32": "<i4",
    "uint32": "<u4",
    "float32": "<f4",
    "float64": "<f8",
}


def read_ply(path: str) -> dict[str, np.ndarray]:
    """Vertex properties of a PLY file (ascii or binary_little_endian) as named arrays."""
    with open(path, "rb") as f:
        if f.readline().strip() != b"ply":
            raise ValueError(f"{path} is not a PLY file")
        fmt, props, count, in_vertex = None, [], 0, False
        while True:
            line = f.readline().decode("ascii").strip()
            if not line:
                raise ValueError(f"{path}: header ended without end_header")
            words = line.split()
            if words[0] == "format":
                fmt = words[1]
            elif words[0] == "element":
                in_vertex = words[1] == "vertex"
                count = int(words[2]) if in_vertex else count
            elif words[0] == "property" and in_vertex:
                if words[1] == "list":
                    raise ValueError(f"{path}: list properties in the vertex element are not supported")
                props.append((words[2], PLY_TYPES[words[1]]))
            elif words[0] == "end_header":
                break
        if fmt == "binary_little_endian":
            data = np.fromfile(f, dtype=np.dtype(props), count=count)
        elif fmt == "ascii":
            data = np.loadtxt(f, max_rows=count, dtype=np.dtype([(n, "<f8") for n, _ in props]))
        else:
            raise ValueError(f"{path}: PLY format {fmt} is not supported (ascii or binary_little_endian)")
    return {name: np.asarray(data[name]) for name, _ in props}


def read_text(path: str, columns: list[str]) -> dict[str, np.ndarray]:
    table = np.loadtxt(path, delimiter="," if path.endswith(".csv") else None, ndmin=2)
    if table.shape[1] < len(columns):
        raise ValueError(f"{path} has {table.shape[1]} columns, --columns names {len(columns)}")
    return {name: table[:, i] for i, name in enumerate(columns)}


def convert_scan(fields: dict, label_field: str, true_label_field: str | None, ignore_label: int | None) -> dict:
    missing = [k for k in ("x", "y", "z", label_field) if k not in fields]
    if missing:
        raise KeyError(f"fields {missing} not found; available: {sorted(fields)}")
    out = dict(coord=np.stack([fields[k] for k in "xyz"], 1).astype(np.float32))
    if all(k in fields for k in ("red", "green", "blue")):
        out["color"] = np.stack([fields[k] for k in ("red", "green", "blue")], 1).clip(0, 255).astype(np.uint8)
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
        fields = read_ply(path) if name.endswith(".ply") else read_text(path, args.columns)
        scan = convert_scan(fields, args.label_field, args.true_label_field, args.ignore_label)
        folder = os.path.join(args.out, split_of[stem], stem)
        os.makedirs(folder, exist_ok=True)
        for key, value in scan.items():
            np.save(os.path.join(folder, f"{key}.npy"), value)
        print(f"{name} -> {folder}: {len(scan['coord'])} points, assets {sorted(scan)}")


if __name__ == "__main__":
    main()
