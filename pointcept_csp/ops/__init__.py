"""Sequence-mixer kernels on packed tokens: functions on tensors, no module state; imports nothing else of the package.

Layout: `[1, T, ...]` plus `cu_seqlens` (`[0, *offset]`): the state resets at each sample start (independent mode);
`cu_seqlens=None`: the whole batch is one sequence and the state flows across samples (CSP).
Each op has a token-loop `*_reference` (ground truth), a chunked PyTorch `*_chunk` and a dispatching entry point.
"""

from .backend import BACKENDS, Backend
from .gated_delta import gated_delta_rule, gated_delta_rule_chunk, gated_delta_rule_reference
from .layout import cu_seqlens_from_offset
from .short_conv import short_conv, short_conv_reference
from .ssd import ssd, ssd_chunk, ssd_reference

__all__ = [
    "BACKENDS",
    "Backend",
    "cu_seqlens_from_offset",
    "gated_delta_rule",
    "gated_delta_rule_chunk",
    "gated_delta_rule_reference",
    "short_conv",
    "short_conv_reference",
    "ssd",
    "ssd_chunk",
    "ssd_reference",
]
