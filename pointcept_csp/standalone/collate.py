"""Batch collation with Pointcept's packed layout: tensors concatenate along dim 0, `*offset*` keys stay cumulative."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import torch


def collate_fn(batch: Sequence[Any]) -> Any:
    """Collate a list of samples (dicts of tensors, numbers, strings) into one packed sample."""
    if len(batch) == 0:
        raise ValueError("cannot collate an empty batch")
    first = batch[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(list(batch))
    if isinstance(first, str):
        return list(batch)
    if isinstance(first, bool):
        return torch.tensor(batch)
    if isinstance(first, int):
        return torch.tensor(batch)
    if isinstance(first, float):
        return torch.tensor(batch, dtype=torch.float32)
    if isinstance(first, Mapping):
        missing = [sorted(set(first) ^ set(sample)) for sample in batch if set(sample) != set(first)]
        if missing:
            raise KeyError(f"samples in a batch must share keys; differing keys: {missing[0]}")
        out = {}
        for key in first:
            values = [sample[key] for sample in batch]
            if "offset" in key:
                # a sample's offset may already hold several cumulative ends (multi-view): back to sizes, then
                # concatenate and accumulate over the batch
                values = [
                    torch.as_tensor(v).diff(prepend=torch.zeros(1, dtype=torch.as_tensor(v).dtype)) for v in values
                ]
                out[key] = torch.cumsum(collate_fn(values), dim=0)
            else:
                out[key] = collate_fn(values)
        return out
    if isinstance(first, Sequence):
        return [collate_fn(list(samples)) for samples in zip(*batch)]
    return list(batch)


def point_collate_fn(batch: Sequence[Mapping], mix_prob: float = 0.0) -> dict:
    """`collate_fn`, then with probability `mix_prob` merge consecutive sample pairs (Pointcept's Mix3D)."""
    if not isinstance(batch[0], Mapping):
        raise TypeError(f"point_collate_fn expects dict samples, got {type(batch[0]).__name__}")
    out = collate_fn(batch)
    if mix_prob > 0 and random.random() < mix_prob:
        for key in [k for k in out if "offset" in k]:
            offset = out[key]
            # keep every second boundary: samples (0,1), (2,3), ... become one sample each
            out[key] = torch.cat([offset[1:-1:2], offset[-1:]])
    return out
