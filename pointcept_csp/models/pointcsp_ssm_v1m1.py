"""CSP-SSM backbone (PointCSP, CVPR 2026): a U-Net of residual blocks whose token mixer is an SSM (Gated DeltaNet or
Mamba2) reading the packed batch either as ONE sequence (cross-sample propagation, CSP) or per sample.

Input: Pointcept's packed batch (`coord [N, 3]`, `feat [N, C]`, `offset [B]`, and `grid_coord [N, 3]` or a
`grid_size`). Output: an addict Dict like PTv3's point, whose `feat` holds per-point features in input order,
plus `stages`, the encoder levels (feat, coord, batch, offset, and each input point's index into the level) used by
the multi-layer geometry loss. `cross_sample` is an attribute and a per-call override, because SPD runs the same
weights in both modes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import torch
import torch.nn as nn
from addict import Dict

from .. import host
from ..ops import Backend
from ..ops.permute import permute_rows
from .hierarchy import Level, input_level
from .layers import MLP, DropPath, LayerScale, init_linear
from .mixers import build_mixer
from .pooling import GridPooling, GridUnpooling
from .recompute import maybe_recompute
from .serialization import ORDERS, offset_to_batch
from .sparse_conv import SubMConv3d

RECOMPUTE = ("none", "mixer", "block")


class Block(nn.Module):
    """x += LS(CPE(x)); x += DropPath(LS(Mixer(Norm(x) in serialized order))); x += DropPath(LS(MLP(Norm(x)))).

    CPE (optional, `cpe`): conditional positional encoding, a 3x3x3 submanifold conv -> Linear -> LayerNorm (as
    PTv3); the paper's block is "residual MLP + SSM" without it. LS: a learnable per-channel layer scale when
    `layer_scale` is set, else the identity.
    """

    def __init__(
        self,
        channels: int,
        num_heads: int,
        mlp_ratio: float,
        drop_path: float,
        mixer: str,
        mixer_cfg: dict,
        bidirectional: bool,
        backend: Backend,
        conv_backend: str,
        cpe: bool,
        layer_scale: float | None,
    ) -> None:
        super().__init__()
        self.cpe_conv = SubMConv3d(channels, channels, 3, backend=conv_backend) if cpe else None
        self.cpe = nn.Sequential(nn.Linear(channels, channels), nn.LayerNorm(channels)) if cpe else None
        self.norm1, self.norm2 = nn.LayerNorm(channels), nn.LayerNorm(channels)
        head_arg = {"num_heads": num_heads} if mixer in ("gated_delta", "patch_attention") else {}
        # scan direction and kernel backend are SSM options; attention within a patch has neither
        scan_args = {} if mixer == "patch_attention" else dict(bidirectional=bidirectional, backend=backend)
        self.mixer = build_mixer(mixer, channels, **scan_args, **head_arg, **mixer_cfg)
        self.mlp = MLP(channels, int(channels * mlp_ratio))
        self.ls_cpe, self.ls_mixer, self.ls_mlp = (
            LayerScale(channels, layer_scale) if layer_scale is not None else nn.Identity() for _ in range(3)
        )
        self.drop_path = DropPath(drop_path)

    def forward(
        self,
        feat: torch.Tensor,
        level: Level,
        order: torch.Tensor,
        inverse: torch.Tensor,
        cu_seqlens: torch.Tensor | None,
    ) -> torch.Tensor:
        if self.cpe is not None:
            feat = feat + self.ls_cpe(self.cpe(self.cpe_conv(feat, level.grid)))
        mixed = permute_rows(self.mixer(permute_rows(self.norm1(feat), order, inverse), cu_seqlens), inverse, order)
        feat = feat + self.drop_path(self.ls_mixer(mixed), level.batch)
        return feat + self.drop_path(self.ls_mlp(self.mlp(self.norm2(feat))), level.batch)


class Stage(nn.Module):
    """A sequence of blocks at one resolution; block i reads tokens in `orders[i % len(orders)]`. With
    `recompute_blocks` a training step stores only each block's input and runs the block again in backward."""

    def __init__(
        self,
        channels: int,
        depth: int,
        num_heads: int,
        drop_paths: Sequence[float],
        orders: Sequence[str],
        mixer_cfg: dict,
        recompute_blocks: bool = False,
        **block_cfg,
    ) -> None:
        super().__init__()
        self.orders, self.recompute_blocks = tuple(orders), recompute_blocks
        self.blocks = nn.ModuleList(
            Block(channels, num_heads, drop_path=dp, mixer_cfg=mixer_cfg, **block_cfg) for dp in drop_paths[:depth]
        )

    def forward(self, feat: torch.Tensor, level: Level, cross_sample: bool, shuffle: bool) -> torch.Tensor:
        cu_seqlens = None if cross_sample else level.cu_seqlens
        for i, block in enumerate(self.blocks):
            order, inverse = level.order(self.orders[i % len(self.orders)], shuffle)
            recompute = self.recompute_blocks and self.training
            feat = maybe_recompute(block, feat, level, order, inverse, cu_seqlens, recompute=recompute)
        return feat


@host.MODELS.register_module("PointCSP-SSM-v1m1")
class PointCSPSSM(nn.Module):
    """The CSP-SSM backbone.

    Args:
        in_channels (int): width of `feat`.
        enc_depths, enc_channels, enc_num_head (Sequence[int]): blocks, width and heads per encoder stage.
        stride (Sequence[int]): grid pooling factor between encoder stages (len = stages - 1).
        dec_depths, dec_channels, dec_num_head (Sequence[int]): decoder stages, finest first (PTv3's convention).
        mlp_ratio (float): MLP hidden width / channels. drop_path (float): max stochastic depth, linear over blocks.
        order (Sequence[str]): token orders cycled through the blocks of a stage ("z", "z-trans", "hilbert",
            "hilbert-trans", "random").
        shuffle_tokens (bool): in training, every block reads its tokens randomly shuffled within each sample (the
            paper); in eval the curve orders are used, so predictions are repeatable.
        mixer (str): "gated_delta" (Gated DeltaNet, the paper's), "mamba2", or "patch_attention" (PTv3-style
            baseline); mixer_cfg: extra mixer arguments (e.g. `patch_size`, `state_size`).
        cross_sample (bool): default mode; True: the batch is one sequence (CSP), False: state reset per sample.
        bidirectional (bool): add a reversed-order scan in every mixer.
        enc_mode (bool): encoder only; the output point is the coarsest level (for classification / heads).
        grid_size (float, Optional): derive `grid_coord` from `coord` when the batch has none.
        max_tokens (int, Optional): cap on the tokens of one sequence (the whole batch in CSP mode); a larger input
            raises before any memory is spent.
        backend (str): sequence-op backend, see `pointcept_csp.ops`.
        conv_backend (str): submanifold conv, "auto" (spconv on CUDA when installed), "torch" or "spconv".
        cpe (bool): the conditional positional encoding branch in every block (PTv3's); False: the paper's plain
            "residual MLP + SSM" block.
        layer_scale (float, Optional): learnable per-channel scale on every residual branch, initialised to this.
        expected_tokens (Sequence[float], Optional): tokens per sample expected at each encoder stage (decoder
            stages share their level's); sizes the SSM mixers' long-memory heads so that their state spans a sample
            (`layers.decay_parameters`). `tools/csp_reach.py` measures the tokens per stage of real batches.
        long_memory_heads (float): share of each SSM mixer's heads that get long memory (at least one).
        recompute (str): what a training step stores for backward, trading time for memory: "none" (everything,
            the fastest), "mixer" (each mixer only its input) or "block" (each block, pooling and unpooling only its
            input; the least memory, about one more forward of the network). docs/benchmarks.md has the measured costs.
    """

    def __init__(
        self,
        in_channels: int = 6,
        enc_depths: Sequence[int] = (2, 2, 2, 6, 2),
        enc_channels: Sequence[int] = (32, 64, 128, 256, 512),
        enc_num_head: Sequence[int] = (2, 4, 8, 16, 32),
        stride: Sequence[int] = (2, 2, 2, 2),
        dec_depths: Sequence[int] = (2, 2, 2, 2),
        dec_channels: Sequence[int] = (64, 64, 128, 256),
        dec_num_head: Sequence[int] = (4, 4, 8, 16),
        mlp_ratio: float = 4.0,
        drop_path: float = 0.3,
        order: Sequence[str] = ("z", "z-trans", "hilbert", "hilbert-trans"),
        shuffle_tokens: bool = True,
        mixer: str = "gated_delta",
        mixer_cfg: dict | None = None,
        cross_sample: bool = True,
        bidirectional: bool = False,
        enc_mode: bool = False,
        grid_size: float | None = None,
        max_tokens: int | None = None,
        backend: Backend = "auto",
        conv_backend: str = "auto",
        cpe: bool = True,
        layer_scale: float | None = None,
        expected_tokens: Sequence[float] | None = None,
        long_memory_heads: float = 0.25,
        recompute: str = "none",
    ) -> None:
        super().__init__()
        stages = len(enc_depths)
        if recompute not in RECOMPUTE:
            raise ValueError(f"recompute must be one of {RECOMPUTE}, got {recompute!r}")
        if "recompute" in (mixer_cfg or {}):
            raise ValueError("set recompute on the backbone (recompute='none' | 'mixer' | 'block'), not in mixer_cfg")
        if expected_tokens is not None and len(expected_tokens) != stages:
            raise ValueError(
                f"expected_tokens needs one entry per encoder stage ({stages}), got {len(expected_tokens)}"
            )
        if mixer == "patch_attention" and (bidirectional or backend not in ("auto", "torch")):
            raise ValueError(
                f"patch attention has no scan direction or sequence-op backend; got bidirectional={bidirectional}, "
                f"backend={backend!r} (use bidirectional=False, backend='auto')"
            )
        if expected_tokens is not None and mixer not in ("gated_delta", "mamba2"):
            raise ValueError(f"expected_tokens sizes SSM memory; mixer {mixer!r} has none (use gated_delta or mamba2)")
        if not (len(enc_channels) == len(enc_num_head) == stages and len(stride) == stages - 1):
            raise ValueError(
                f"enc_depths/enc_channels/enc_num_head need one entry per stage ({stages}) and stride "
                f"one fewer, got {len(enc_channels)}/{len(enc_num_head)}/{len(stride)}"
            )
        if not enc_mode and not (len(dec_depths) == len(dec_channels) == len(dec_num_head) == stages - 1):
            raise ValueError(
                f"dec_depths/dec_channels/dec_num_head need {stages - 1} entries, got "
                f"{len(dec_depths)}/{len(dec_channels)}/{len(dec_num_head)}"
            )
        bad = [o for o in order if o not in ORDERS]
        if bad:
            raise ValueError(f"order entries must be in {ORDERS}, got {bad}")
        self.in_channels, self.enc_mode, self.grid_size = in_channels, enc_mode, grid_size
        self.cross_sample, self.shuffle_tokens, self.max_tokens = cross_sample, shuffle_tokens, max_tokens
        self.recompute = recompute
        self.enc_channels = tuple(enc_channels)
        self.out_channels = enc_channels[-1] if enc_mode else dec_channels[0]
        self.encoder_modules = ("embedding", "embedding_norm", "enc", "down")  # SPD's freeze_backbone="encoder"
        block_cfg = dict(
            mlp_ratio=mlp_ratio,
            mixer=mixer,
            bidirectional=bidirectional,
            backend=backend,
            conv_backend=conv_backend,
            cpe=cpe,
            layer_scale=layer_scale,
            recompute_blocks=recompute == "block",
        )

        def stage_mixer_cfg(level: int) -> dict:
            cfg = dict(mixer_cfg or {}, recompute=recompute == "mixer")
            if expected_tokens is not None:
                cfg.update(long_memory_tokens=expected_tokens[level], long_memory_fraction=long_memory_heads)
            return cfg

        self.embedding = SubMConv3d(in_channels, enc_channels[0], 3, backend=conv_backend)
        self.embedding_norm = nn.Sequential(nn.LayerNorm(enc_channels[0]), nn.GELU())
        enc_dp = torch.linspace(0, drop_path, sum(enc_depths)).tolist()
        self.enc = nn.ModuleList()
        self.down = nn.ModuleList()
        for s in range(stages):
            if s:
                self.down.append(GridPooling(enc_channels[s - 1], enc_channels[s], stride[s - 1]))
            dps = enc_dp[sum(enc_depths[:s]) : sum(enc_depths[: s + 1])]
            self.enc.append(
                Stage(enc_channels[s], enc_depths[s], enc_num_head[s], dps, order, stage_mixer_cfg(s), **block_cfg)
            )
        self.up, self.dec = nn.ModuleList(), nn.ModuleList()
        if not enc_mode:
            dec_dp = torch.linspace(0, drop_path, sum(dec_depths)).tolist()
            for s in reversed(range(stages - 1)):
                above = enc_channels[-1] if s == stages - 2 else dec_channels[s + 1]
                self.up.append(GridUnpooling(above, enc_channels[s], dec_channels[s]))
                dps = dec_dp[sum(dec_depths[:s]) : sum(dec_depths[: s + 1])][::-1]
                self.dec.append(
                    Stage(dec_channels[s], dec_depths[s], dec_num_head[s], dps, order, stage_mixer_cfg(s), **block_cfg)
                )
        self.apply(init_linear)
        for module in self.modules():
            if hasattr(module, "init_output_projection"):
                module.init_output_projection()

    def recomputed(self, module: nn.Module):
        """`module`, or with recompute="block" in a training step, `module` keeping only its inputs for backward
        (the pooling and unpooling between stages; the stages' blocks do the same themselves)."""
        return partial(maybe_recompute, module, recompute=self.recompute == "block" and self.training)

    def forward(self, data_dict: dict, cross_sample: bool | None = None) -> Dict:
        cross_sample = self.cross_sample if cross_sample is None else cross_sample
        level, dedup, grid_coord = input_level(data_dict, self.in_channels, self.grid_size)
        if cross_sample and self.max_tokens is not None and len(dedup) > self.max_tokens:
            raise ValueError(
                f"the packed batch has {len(dedup)} tokens, above max_tokens={self.max_tokens} for "
                f"one cross-sample sequence; lower the batch size or points per sample, or raise the cap"
            )
        shuffle = self.training and self.shuffle_tokens
        level.feat = self.embedding_norm(self.embedding(level.feat, level.grid))
        levels = [level]
        for s, stage in enumerate(self.enc):
            if s:
                levels.append(levels[-1].pool(self.recomputed(self.down[s - 1])))
            levels[-1].feat = stage(levels[-1].feat, levels[-1], cross_sample, shuffle)
        stages = stage_outputs(levels, dedup)
        if self.enc_mode:  # the coarsest level is the output
            return Dict(stages[-1], stages=stages)
        x = levels[-1].feat
        for unpool, stage, level in zip(self.up, self.dec, reversed(levels[:-1])):
            x = stage(self.recomputed(unpool)(x, level.feat, level.cluster), level, cross_sample, shuffle)
        offset = data_dict["offset"]
        return Dict(
            feat=x.index_select(0, dedup),
            coord=data_dict["coord"],
            grid_coord=grid_coord,
            batch=offset_to_batch(offset),
            offset=offset,
            stages=stages,
        )


def stage_outputs(levels: list[Level], dedup: torch.Tensor) -> list[Dict]:
    """Every encoder level's points with `point_index`, the index of each input point in that level (for per-stage
    losses and up-casting)."""
    point_index = [dedup]
    for level in levels[:-1]:
        point_index.append(level.cluster[point_index[-1]])
    return [
        Dict(feat=lv.feat, coord=lv.coord, grid_coord=lv.grid_coord, batch=lv.batch, offset=lv.offset, point_index=idx)
        for lv, idx in zip(levels, point_index)
    ]


@host.MODELS.register_module("PointCSP-SSM-v1m1-test")
class PointCSPSSMTest(PointCSPSSM):
    """A tiny variant for tests: 2 stages of width 16 / 32."""

    def __init__(self, in_channels: int = 6, **kwargs) -> None:
        cfg = dict(
            enc_depths=(1, 1),
            enc_channels=(16, 32),
            enc_num_head=(2, 2),
            stride=(2,),
            dec_depths=(1,),
            dec_channels=(16,),
            dec_num_head=(2,),
            mlp_ratio=2.0,
            drop_path=0.0,
        )
        cfg.update(kwargs)
        super().__init__(in_channels=in_channels, **cfg)
