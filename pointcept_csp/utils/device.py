"""Device choice and batch transfer; the one place where tensors are moved, so no code calls `.cuda()`."""

from __future__ import annotations

import torch


def default_device(name: str = "auto") -> torch.device:
    """`"auto"`: the current CUDA device when one is visible, else the CPU; any other name is used as given."""
    if name == "auto":
        return torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")
    return torch.device(name)


def to_device(batch, device: torch.device):
    """Move every tensor of a (nested) batch to `device`."""
    if torch.is_tensor(batch):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch
