"""Readers of Pointcept's object datasets for the standalone host, under Pointcept's names and on-disk layouts (the
layouts are facts of the public datasets; nothing here is copied from Pointcept):

- `ModelNetDataset`: `<root>/modelnet40_<split>.txt` lists samples `<shape>_<nnnn>`, each a comma-separated
  `<root>/<shape>/<shape>_<nnnn>.txt` of x, y, z, nx, ny, nz;
- `ScanObjectNNDataset`: `<root>/training_objectdataset.h5` / `test_objectdataset.h5` with `data [S, N, 3]` and
  `label [S]` (needs h5py); normals are estimated (`utils.normals`, PCA of 16 neighbours, oriented `outward`:
  away from the centroid);
- `ShapeNetPartDataset`: `<root>/synsetoffset2category.txt` (category, synset token), the splits in
  `<root>/train_test_split/shuffled_<split>_file_list.json` ("shape_data/<token>/<id>"), each sample a
  whitespace-separated `<root>/<token>/<id>.txt` of x, y, z, nx, ny, nz, part.
"""

from __future__ import annotations

import json
import os

import numpy as np

from ..utils.normals import estimate_normals
from .builder import DATASETS
from .datasets import DefaultDataset


class _ObjectDataset(DefaultDataset):
    """A dataset whose samples are listed by `get_data_list` and read by `get_data`; the rest is DefaultDataset's."""

    def __init__(self, split="train", data_root="data", class_names=None, **kwargs) -> None:
        self.class_names = list(class_names) if class_names is not None else None
        super().__init__(split=split, data_root=data_root, **kwargs)

    def check_exists(self, path: str, what: str) -> str:
        if not os.path.exists(path):
            raise FileNotFoundError(f"{type(self).__name__}: {what} not found at {os.path.abspath(path)}")
        return path


@DATASETS.register_module()
class ModelNetDataset(_ObjectDataset):
    def get_data_list(self) -> list[str]:
        names = []
        for split in [self.split] if isinstance(self.split, str) else self.split:
            listing = self.check_exists(os.path.join(self.data_root, f"modelnet40_{split}.txt"), "the split list")
            with open(listing) as f:
                names += [line.strip() for line in f if line.strip()]
        return names

    def get_data_name(self, idx: int) -> str:
        return self.data_list[idx % len(self.data_list)]

    def get_data(self, idx: int) -> dict:
        name = self.get_data_name(idx)
        shape = name.rsplit("_", 1)[0]
        data = np.loadtxt(os.path.join(self.data_root, shape, name + ".txt"), delimiter=",", dtype=np.float32)
        if self.class_names is None or shape not in self.class_names:
            raise KeyError(f"ModelNetDataset: shape {shape!r} is not in class_names")
        category = np.array([self.class_names.index(shape)])
        return dict(coord=data[:, :3], normal=data[:, 3:6], category=category, name=name)


@DATASETS.register_module()
class ScanObjectNNDataset(_ObjectDataset):
    FILES = {"train": "training_objectdataset.h5", "test": "test_objectdataset.h5"}

    def get_data_list(self) -> list[str]:
        try:
            import h5py
        except ImportError as e:
            raise ImportError("ScanObjectNNDataset reads HDF5 files: pip install h5py") from e
        points, labels, names = [], [], []
        for split in [self.split] if isinstance(self.split, str) else self.split:
            if split not in self.FILES:
                raise ValueError(f"ScanObjectNNDataset split must be one of {sorted(self.FILES)}, got {split!r}")
            path = self.check_exists(os.path.join(self.data_root, self.FILES[split]), "the HDF5 file")
            with h5py.File(path, "r") as f:
                points.append(np.asarray(f["data"], np.float32))
                labels.append(np.asarray(f["label"], np.int64).reshape(-1))
            names += [f"{split}-{i}" for i in range(len(labels[-1]))]
        self.points, self.labels = np.concatenate(points), np.concatenate(labels)
        return names

    def get_data_name(self, idx: int) -> str:
        return self.data_list[idx % len(self.data_list)]

    def get_data(self, idx: int) -> dict:
        i = idx % len(self.data_list)
        coord = self.points[i].copy()
        return dict(
            coord=coord,
            color=np.zeros_like(coord),
            normal=estimate_normals(coord, k=16, orientation="outward"),
            category=np.array([self.labels[i]]),
            name=self.get_data_name(idx),
        )


@DATASETS.register_module()
class ShapeNetPartDataset(_ObjectDataset):
    """`if_color=True` adds zero colours (Pointcept's reader returns the part labels only with it set)."""

    def __init__(self, if_color: bool = False, **kwargs) -> None:
        self.if_color = if_color
        super().__init__(**kwargs)

    def get_data_list(self) -> list[str]:
        listing = self.check_exists(os.path.join(self.data_root, "synsetoffset2category.txt"), "the category list")
        with open(listing) as f:
            tokens = [line.split()[1] for line in f if line.strip()]
        self.category_of_token = {token: i for i, token in enumerate(tokens)}
        paths = []
        for split in [self.split] if isinstance(self.split, str) else self.split:
            split_file = os.path.join(self.data_root, "train_test_split", f"shuffled_{split}_file_list.json")
            with open(self.check_exists(split_file, "the split file")) as f:
                paths += [os.path.join(self.data_root, entry.split("/", 1)[1] + ".txt") for entry in json.load(f)]
        return paths

    def get_data_name(self, idx: int) -> str:
        path = self.data_list[idx % len(self.data_list)]
        return f"{os.path.basename(os.path.dirname(path))}-{os.path.splitext(os.path.basename(path))[0]}"

    def get_data(self, idx: int) -> dict:
        path = self.data_list[idx % len(self.data_list)]
        data = np.loadtxt(path, dtype=np.float32)
        token = os.path.basename(os.path.dirname(path))
        sample = dict(
            coord=data[:, :3],
            normal=data[:, 3:6],
            segment=data[:, 6].astype(np.int64),
            cls_token=np.array([self.category_of_token[token]]),
            name=self.get_data_name(idx),
        )
        if self.if_color:
            sample["color"] = np.zeros_like(sample["coord"])
        return sample
