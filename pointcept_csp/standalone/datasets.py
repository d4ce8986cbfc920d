"""Readers of Pointcept's preprocessed layout `<data_root>/<split>/<sample>/<asset>.npy`, for the standalone host.

Semantics and key names follow Pointcept's DefaultDataset / ScanNetDataset / S3DISDataset: `loop` repeats the list
in training; `test_mode` returns a dict with `fragment_list` built by `test_cfg` (voxelize, optional crop,
post_transform, aug_transform), which the testers consume.
"""

from __future__ import annotations

import glob
import json
import os

import numpy as np
import torch

from ..utils.data_efficient import limit_annotations, read_la_file, read_lr_file
from ..utils.voting import load_test_sample
from .builder import DATASETS, TRANSFORMS
from .transforms import Compose


@DATASETS.register_module()
class DefaultDataset(torch.utils.data.Dataset):
    VALID_ASSETS = ("coord", "color", "normal", "strength", "segment", "instance", "pose")
    SEGMENT_ASSET = "segment"

    def __init__(
        self,
        split="train",
        data_root="data/dataset",
        transform=None,
        test_mode=False,
        test_cfg=None,
        cache=False,
        ignore_index=-1,
        loop=1,
    ) -> None:
        super().__init__()
        if cache:
            raise ValueError(
                f"{type(self).__name__}: cache=True is Pointcept's shared-memory cache (SharedArray), which the "
                "standalone host does not have; it reads every sample from disk: remove cache or set it False"
            )
        self.data_root, self.split, self.ignore_index = data_root, split, ignore_index
        self.transform = Compose(transform)
        self.test_mode = test_mode
        self.loop = 1 if test_mode else loop
        if test_mode:
            if test_cfg is None:
                raise KeyError(
                    f"{type(self).__name__}: test_mode=True needs a test_cfg (voxelize, crop, "
                    "post_transform, aug_transform)"
                )
            self.test_voxelize = TRANSFORMS.build(test_cfg["voxelize"]) if test_cfg.get("voxelize") else None
            self.test_crop = TRANSFORMS.build(test_cfg["crop"]) if test_cfg.get("crop") else None
            self.post_transform = Compose(test_cfg.get("post_transform"))
            self.aug_transform = [Compose(aug) for aug in test_cfg.get("aug_transform") or [[]]]
        self.data_list = self.get_data_list()
        if not self.data_list:
            raise FileNotFoundError(
                f"{type(self).__name__}: no samples under {os.path.abspath(data_root)} for "
                f"split {split!r}; expected <data_root>/<split>/<sample>/coord.npy"
            )

    def get_data_list(self) -> list[str]:
        splits = [self.split] if isinstance(self.split, str) else list(self.split)
        data_list = []
        for split in splits:
            path = os.path.join(self.data_root, split)
            if os.path.isfile(path):
                with open(path) as f:
                    data_list += [os.path.join(self.data_root, name) for name in json.load(f)]
            elif os.path.isdir(path):
                data_list += sorted(p for p in glob.glob(os.path.join(path, "*")) if os.path.isdir(p))
            else:
                raise FileNotFoundError(f"{type(self).__name__}: split folder {os.path.abspath(path)} does not exist")
        return data_list

    def get_data_name(self, idx: int) -> str:
        return os.path.basename(self.data_list[idx % len(self.data_list)])

    def get_data(self, idx: int) -> dict:
        path = self.data_list[idx % len(self.data_list)]
        data = {}
        for asset in self.VALID_ASSETS:
            file = os.path.join(path, asset + ".npy")
            if os.path.isfile(file):
                data[asset] = np.load(file)
        if "coord" not in data:
            raise FileNotFoundError(f"{os.path.join(path, 'coord.npy')} is missing")
        n = len(data["coord"])
        if n == 0:
            raise ValueError(
                f"{os.path.join(path, 'coord.npy')} holds no points; remove the empty sample from the split"
            )
        data["coord"] = data["coord"].astype(np.float32)
        for key in ("color", "normal"):
            if key in data:
                data[key] = data[key].astype(np.float32)
        segment = data.pop(self.SEGMENT_ASSET, None)
        data["segment"] = segment.reshape(-1).astype(np.int32) if segment is not None else np.full(n, -1, np.int32)
        data["instance"] = (
            data["instance"].reshape(-1).astype(np.int32) if "instance" in data else np.full(n, -1, np.int32)
        )
        for key in ("color", "normal", "segment", "instance"):
            if key in data and len(data[key]) != n:
                raise ValueError(f"{path}: {key} has {len(data[key])} rows but coord has {n}")
        data["name"] = self.get_data_name(idx)
        data["split"] = os.path.basename(os.path.dirname(path))
        return data

    def prepare_test_data(self, idx: int) -> dict:
        result, fragments = load_test_sample(self, idx)
        result["fragment_list"] = list(fragments)
        return result

    def __getitem__(self, idx: int) -> dict:
        if self.test_mode:
            return self.prepare_test_data(idx)
        return self.transform(self.get_data(idx))

    def __len__(self) -> int:
        return len(self.data_list) * self.loop


@DATASETS.register_module()
class ScanNetDataset(DefaultDataset):
    """ScanNet v2 with the 20 benchmark classes, read from `segment20.npy`. The data-efficient benchmark as Pointcept
    reads it (`pointcept_csp.utils.data_efficient`): `lr_file` lists the scenes of `<data_root>/train` to read
    (`split` is then unused), `la_file` keeps each scene's labels at its listed points only and passes the list on as
    `sampled_index`, which GridSample and RandomDropout keep."""

    VALID_ASSETS = ("coord", "color", "normal", "segment20", "instance")
    SEGMENT_ASSET = "segment20"

    def __init__(self, lr_file: str | None = None, la_file: str | None = None, **kwargs) -> None:
        self.lr_file, self.la_file = lr_file, la_file
        self.lr = read_lr_file(lr_file) if lr_file is not None else None
        self.la = read_la_file(la_file) if la_file is not None else None
        super().__init__(**kwargs)

    def get_data_list(self) -> list[str]:
        if self.lr is None:
            return super().get_data_list()
        data_list = [os.path.join(self.data_root, "train", name) for name in self.lr]
        missing = [name for name, path in zip(self.lr, data_list) if not os.path.isdir(path)]
        if missing:
            raise FileNotFoundError(
                f"lr_file {self.lr_file} names scenes that {os.path.join(os.path.abspath(self.data_root), 'train')} "
                f"lacks: {missing[:10]}"
            )
        return data_list

    def get_data(self, idx: int) -> dict:
        data = super().get_data(idx)
        if self.la is not None:
            name = data["name"]
            if name not in self.la:
                raise KeyError(f"la_file {self.la_file} has no entry for scene {name!r} ({len(self.la)} scenes listed)")
            where = f"scene {name!r} of la_file {self.la_file}"
            data["segment"] = limit_annotations(data["segment"], self.la[name], self.ignore_index, where)
            data["sampled_index"] = self.la[name].copy()
        return data


@DATASETS.register_module()
class S3DISDataset(DefaultDataset):
    """S3DIS rooms under `Area_1` .. `Area_6`; sample names are `<area>-<room>`."""

    def get_data_name(self, idx: int) -> str:
        path = self.data_list[idx % len(self.data_list)]
        return f"{os.path.basename(os.path.dirname(path))}-{os.path.basename(path)}"
