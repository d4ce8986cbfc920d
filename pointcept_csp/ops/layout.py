"""Packed-sequence conventions shared by the ops: validation of `cu_seqlens` and the chunk-aligned layout.

Ops take flash-linear-attention's packed layout, tokens `[1, T, ...]`, plus `cu_seqlens` (int64 `[N+1]`, leading 0,
ending at T). `cu_seqlens=None` reads all T tokens as ONE sequence: the state flows from sample to sample (CSP).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def check_cu_seqlens(cu_seqlens: torch.Tensor | None, total: int) -> list[int]:
    """Return the sequence boundaries as a python list; `None` -> `[0, total]`. Raises on malformed input."""
    if cu_seqlens is None:
        return [0, total]
    if cu_seqlens.dim() != 1 or cu_seqlens.dtype not in (torch.int32, torch.int64):
        raise ValueError(f"cu_seqlens must be a 1-D int32/int64 tensor, got {cu_seqlens.dim()}-D {cu_seqlens.dtype}")
    bounds = cu_seqlens.tolist()
    if len(bounds) < 2 or bounds[0] != 0 or bounds[-1] != total:
        raise ValueError(
            f"cu_seqlens must start at 0 and end at the token count {total}, got {bounds[:3]}...{bounds[-2:]}"
        )
    if any(b <= a for a, b in zip(bounds[:-1], bounds[1:])):
        raise ValueError("cu_seqlens must be strictly increasing (every sequence needs at least one token)")
    return bounds


def cu_seqlens_from_offset(offset: torch.Tensor) -> torch.Tensor:
    """Pointcept's `offset` (cumulative ends, no leading 0) -> `cu_seqlens` `[0, *offset]` as int64."""
    return F.pad(offset.long(), (1, 0))


@dataclass
class ChunkLayout:
    """Tokens placed into `[num_chunks, chunk_size]` slots so that no chunk straddles a sequence start.

    A sequence of length L takes ceil(L / chunk_size) chunks; the tail slots of its last chunk are padding.
    With a single sequence (CSP mode), or when every sequence but the last fills whole chunks, the layout is plain
    right-padding of the whole packed batch (`token_slot is None`: no gather, no scatter).
    """

    chunk_size: int
    num_chunks: int
    token_slot: torch.Tensor | None  # [T] slot of each token, None: identity + right padding
    slot_valid: torch.Tensor | None  # [num_chunks * chunk_size] bool
    seq_of_chunk: list[int]
    starts_seq: list[bool]  # chunk c is the first chunk of its sequence: the state resets before it
    ends_seq: list[bool]  # chunk c is the last chunk of its sequence: its end state is that sequence's final state
    total: int


def chunk_layout(bounds: list[int], chunk_size: int, device: torch.device) -> ChunkLayout:
    lengths = [b - a for a, b in zip(bounds[:-1], bounds[1:])]
    per_seq = [-(-n // chunk_size) for n in lengths]
    seq_of_chunk = [s for s, n in enumerate(per_seq) for _ in range(n)]
    starts = [i == 0 for n in per_seq for i in range(n)]
    ends = [i == n - 1 for n in per_seq for i in range(n)]
    total = bounds[-1]
    if all(n % chunk_size == 0 for n in lengths[:-1]):  # one sequence (CSP), or every start already on a chunk edge
        return ChunkLayout(chunk_size, sum(per_seq), None, None, seq_of_chunk, starts, ends, total)
    chunk_start = torch.tensor(
        [bounds[s] + i * chunk_size for s, n in enumerate(per_seq) for i in range(n)], device=device
    )
    chunk_end = torch.tensor([bounds[s + 1] for s in seq_of_chunk], device=device)
    slots = chunk_start[:, None] + torch.arange(chunk_size, device=device)
    valid = (slots < chunk_end[:, None]).reshape(-1)
    return ChunkLayout(
        chunk_size, len(seq_of_chunk), valid.nonzero().squeeze(1), valid, seq_of_chunk, starts, ends, total
    )


def to_chunks(x: torch.Tensor, layout: ChunkLayout) -> torch.Tensor:
    """`[T, ...]` -> `[num_chunks, chunk_size, ...]` with zeros in padding slots (one copy of x)."""
    slots = layout.num_chunks * layout.chunk_size
    if layout.token_slot is None:
        x = F.pad(x, (0, 0) * (x.dim() - 1) + (0, slots - layout.total))
    else:
        x = x.new_zeros(slots, *x.shape[1:]).index_copy(0, layout.token_slot, x)
    return x.reshape(layout.num_chunks, layout.chunk_size, *x.shape[1:])


def from_chunks(x: torch.Tensor, layout: ChunkLayout) -> torch.Tensor:
    """`[num_chunks, chunk_size, ...]` -> `[T, ...]`, dropping padding slots."""
    x = x.reshape(layout.num_chunks * layout.chunk_size, *x.shape[2:])
    if layout.token_slot is None:
        return x[: layout.total]
    return x.index_select(0, layout.token_slot)
