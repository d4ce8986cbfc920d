"""Fragment voting, the test-time path of semantic segmentation (`CSPSemSegTester` and tools/predict.py share it).

A test sample is transformed once, then each test-time augmentation is voxelised into fragments (`index` maps each
fragment point to the sample's points), cropped and post-transformed. The sample's score of class c at point i is

    S[i, c] = sum over fragments f containing i of softmax(model(f))[i, c]

and its prediction argmax_c S[i, c]. Fragments are made one augmentation at a time and scored as they come, so only
one augmentation's fragments exist at once. The dataset attributes read here (`get_data`, `transform`,
`aug_transform`, `test_voxelize`, `test_crop`, `post_transform`) are the ones Pointcept's datasets and the standalone
host's share.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from .device import to_device


def fragments_of(dataset, data: dict) -> Iterator[dict]:
    """The fragments of one transformed test sample, one test-time augmentation at a time."""
    for aug in dataset.aug_transform:
        augmented = aug(copy.deepcopy(data))
        if dataset.test_voxelize is None:
            augmented["index"] = np.arange(len(augmented["coord"]))
            parts = [augmented]
        else:
            parts = dataset.test_voxelize(augmented)
        for part in parts:
            for fragment in dataset.test_crop(part) if dataset.test_crop is not None else [part]:
                yield dataset.post_transform(fragment)


def load_test_sample(dataset, idx: int) -> tuple[dict, Iterator[dict]]:
    """Sample `idx` of a test dataset as Pointcept's `prepare_test_data` splits it: its `segment` and `name` (and
    `origin_segment` / `inverse` when the transform keeps the points before voxelisation), and a stream of its
    fragments."""
    data = dataset.transform(dataset.get_data(idx))
    info = dict(segment=data.pop("segment"), name=data.pop("name"))
    if "origin_segment" in data:
        info["origin_segment"], info["inverse"] = data.pop("origin_segment"), data.pop("inverse")
    return info, fragments_of(dataset, data)


def vote(
    model: torch.nn.Module,
    fragments: Iterable[dict],
    num_points: int,
    num_classes: int,
    collate: Callable[[list[dict]], dict],
    device: torch.device,
    batch_size: int = 1,
    on_fragment: Callable[[], None] | None = None,
) -> tuple[torch.Tensor, int]:
    """(S `[num_points, num_classes]` (float32, on `device`), the number of fragments): softmax scores of
    `model(batch)["seg_logits"]` summed at each fragment's `index`, `batch_size` fragments collated per forward pass;
    `on_fragment()` is called once per fragment scored."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1 fragment, got {batch_size}")
    scores = torch.zeros(num_points, num_classes, device=device)
    pending, count = [], 0
    for fragment in itertools.chain(fragments, [None]):  # None: the end, which scores the last batch
        if fragment is not None:
            pending.append(fragment)
        if pending and (len(pending) == batch_size or fragment is None):
            batch = to_device(collate(pending), device)
            probs = F.softmax(model(batch)["seg_logits"].float(), dim=-1)
            scores.index_add_(0, batch["index"].long(), probs)
            count += len(pending)
            if on_fragment is not None:
                for _ in pending:
                    on_fragment()
            pending = []
    return scores, count
