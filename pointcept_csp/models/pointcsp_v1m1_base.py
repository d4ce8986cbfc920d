"""PointCSP pre-training (CVPR 2026): DINO-style teacher / student with cross-sample propagation.

L_pretrain = L_CSC + lambda_geo * L_geo. The student reads global and local regions, the teacher (EMA of the
student) global regions only; both read the packed batch as ONE sequence (CSP). L_CSC matches every student point to
its counterpart in each teacher global view of the same scene by original coordinates and takes the cross-entropy
between the teacher's sharpened, centred distribution and the student's; L_geo decodes features of several encoder
stages back to per-view-normalised coordinates.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import partial

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from .. import host
from ..ops.sparse import radius_nearest
from .ema import ema_momentum, ema_update_, warmup_constant, with_default_base
from .geometry import GeometryConsistency
from .heads import DINOHead
from .losses import teacher_targets
from .recompute import in_chunks, maybe_recompute
from .serialization import offset_to_batch


def point_features(out) -> torch.Tensor:
    """Per-point features of a backbone output: the decoder's, or in encoder mode every stage's feature up-cast to
    full resolution (concatenated), as Sonata does."""
    if "point_index" in out:
        return torch.cat([stage["feat"][stage["point_index"]] for stage in out["stages"]], dim=1)
    return out["feat"]


def feature_channels(backbone: nn.Module) -> int:
    return sum(backbone.enc_channels) if getattr(backbone, "enc_mode", False) else backbone.out_channels


class View:
    """One packed set of views (all global, or all local, views of the batch), re-packed slot-major, and who owns
    each point.

    Collate packs views scene by scene, `[s1v1, s1v2, s2v1, s2v2, ...]`, so in CSP mode half the boundaries of the
    sequence would join two views of the SAME scene. Re-packed slot-major, `[s1v1, s2v1, ..., s1v2, s2v2, ...]`,
    every boundary joins two different scenes (with at least 2 scenes in the batch), as the paper's F'
    concatenates samples. `sample` and `slot` follow every point, so L_CSC still pairs each view with its own
    scene's teacher views.
    """

    def __init__(self, data_dict: dict, prefix: str, views_per_sample: int) -> None:
        offset = data_dict[f"{prefix}_offset"]
        num_views = len(offset)
        if num_views % views_per_sample != 0:
            raise ValueError(
                f"{prefix} views: {num_views} views in the batch is not a multiple of "
                f"{views_per_sample} per sample; check MultiRegionCrop's {prefix}_num and the model's"
            )
        num_samples = num_views // views_per_sample
        collated = offset_to_batch(offset)  # view index per point, scene-major
        slot_major = (collated % views_per_sample) * num_samples + collated // views_per_sample
        order = torch.argsort(slot_major, stable=True)
        keys = ["coord", "feat", "grid_coord"]
        self.input = {k: data_dict[f"{prefix}_{k}"][order] for k in keys if f"{prefix}_{k}" in data_dict}
        self.input["offset"] = torch.bincount(slot_major, minlength=num_views).cumsum(0).to(offset.dtype)
        self.origin = data_dict[f"{prefix}_origin_coord"][order]
        self.view = slot_major[order]
        self.sample, self.slot = self.view % num_samples, self.view // num_samples


@host.MODELS.register_module("PointCSP-v1m1")
class PointCSP(nn.Module):
    """Pre-training model.

    Args:
        backbone (dict): backbone config (e.g. `PointCSP-SSM-v1m1`); student and teacher share it.
        teacher_custom (dict, Optional): overrides of the teacher's backbone config, e.g. `drop_path=0`.
        head_hidden_channels, head_embed_channels, head_num_prototypes (int): DINO head sizes (K prototypes).
        num_global_view, num_local_view (int): must equal MultiRegionCrop's global_num / local_num.
        student_temp (float): tau_s. teacher_temp (dict): tau_t warm-up `start -> base` over `warmup_ratio`.
        momentum (dict): EMA momentum, cosine `base -> final` over training (or `horizon`, see `ema_momentum`).
        centering (str): "center" (DINO running centre with `center_momentum`) or "sinkhorn" (Sinkhorn-Knopp).
        match_radius (float): original-coordinate radius for point matching across views (metres).
        local_weight, global_weight (float): weights of the local-to-global and global-to-global L_CSC terms.
        lambda_geo (float): lambda_geo. geo_stages (Sequence[int]): encoder stages with a geometry decoder
            (default: all). geo_alphas (Sequence[float]): alpha_l (default: 1 each). geo_samples (int): K_s^(l).
        cross_sample (bool): CSP on (the batch is one sequence) or off (ablation: state reset per sample).
        head_chunk (int): points per pass of the DINO heads (student and teacher); bounds the `[points, hidden]`
            intermediates. Default: 8192.
        recompute_heads (bool): the student's head and every L_CSC term keep only their inputs for backward and run
            again in it (per point: 5 rows of `head_hidden_channels` / `head_num_prototypes` not kept). Default: False.
    """

    def __init__(
        self,
        backbone: dict,
        teacher_custom: dict | None = None,
        head_hidden_channels: int = 256,
        head_embed_channels: int = 64,
        head_num_prototypes: int = 256,
        num_global_view: int = 2,
        num_local_view: int = 8,
        student_temp: float = 0.1,
        teacher_temp: dict | None = None,
        momentum: dict | None = None,
        centering: str = "center",
        center_momentum: float = 0.9,
        match_radius: float = 0.1,
        local_weight: float = 1.0,
        global_weight: float = 1.0,
        lambda_geo: float = 0.1,
        geo_stages: Sequence[int] | None = None,
        geo_alphas: Sequence[float] | None = None,
        geo_samples: int = 256,
        cross_sample: bool = True,
        head_chunk: int = 8192,
        recompute_heads: bool = False,
    ) -> None:
        super().__init__()
        if head_chunk < 1:
            raise ValueError(f"head_chunk must be a positive number of points, got {head_chunk}")
        if centering not in ("center", "sinkhorn"):
            raise ValueError(f"centering must be 'center' or 'sinkhorn', got {centering!r}")
        self.backbone = host.build_model(backbone)
        self.head = DINOHead(
            feature_channels(self.backbone), head_hidden_channels, head_embed_channels, head_num_prototypes
        )
        teacher_cfg = dict(copy.deepcopy(backbone), **(teacher_custom or {}))
        self.teacher = nn.ModuleDict(dict(backbone=host.build_model(teacher_cfg), head=copy.deepcopy(self.head)))
        self.teacher.backbone.load_state_dict(self.backbone.state_dict())
        self.teacher.requires_grad_(False)
        self.geo = GeometryConsistency(self.backbone.enc_channels, geo_stages, geo_alphas, geo_samples)
        self.register_buffer("center", torch.zeros(1, head_num_prototypes))
        self.num_global_view, self.num_local_view = num_global_view, num_local_view
        self.student_temp, self.centering, self.center_momentum = student_temp, centering, center_momentum
        self.teacher_temp_cfg = {**dict(start=0.04, base=0.07, warmup_ratio=0.05), **(teacher_temp or {})}
        self.momentum_cfg = with_default_base(momentum, 0.994)
        self.match_radius, self.local_weight, self.global_weight = match_radius, local_weight, global_weight
        self.lambda_geo, self.cross_sample = lambda_geo, cross_sample
        self.head_chunk, self.recompute_heads = head_chunk, recompute_heads
        self.set_progress(0, 1)

    def set_progress(self, step: int, total_steps: int) -> None:
        """Schedules as pure functions of training progress (called by the `ModelProgress` hook)."""
        progress = step / max(total_steps, 1)
        c = self.teacher_temp_cfg
        self.teacher_temp = warmup_constant(c["start"], c["base"], c["warmup_ratio"], progress)
        self.momentum = ema_momentum(self.momentum_cfg, step, total_steps)

    def update_teacher(self) -> bool:
        """One EMA step of the teacher towards the student; refuses (returns False) a non-finite student."""
        student = nn.ModuleDict(dict(backbone=self.backbone, head=self.head))
        return ema_update_(self.teacher, student, self.momentum)

    def forward(self, data_dict: dict) -> dict:
        glob = View(data_dict, "global", self.num_global_view)
        with torch.no_grad():
            t_out = self.teacher.backbone(glob.input, cross_sample=self.cross_sample)
            t_logits = in_chunks(self.teacher.head, point_features(t_out), self.head_chunk)
            del t_out
            batch_center = t_logits.mean(0, keepdim=True)
            targets = teacher_targets(t_logits, self.teacher_temp, self.center, self.centering, inplace=True)
        out_global = self.backbone(glob.input, cross_sample=self.cross_sample)
        losses = {"global": self.csc_loss(glob, point_features(out_global), glob, targets, same_views=True)}
        geo = [self.geo(out_global)]
        del out_global
        if self.num_local_view:
            loc = View(data_dict, "local", self.num_local_view)
            out_local = self.backbone(loc.input, cross_sample=self.cross_sample)
            losses["local"] = self.csc_loss(loc, point_features(out_local), glob, targets, same_views=False)
            geo.append(self.geo(out_local))
            del out_local
        loss_csc, output = self.combine_csc(losses)
        loss_geo = torch.stack(geo).mean()
        if self.training:
            self.update_center(batch_center)
        mean_target = targets.mean(0)
        output.update(
            loss=loss_csc + self.lambda_geo * loss_geo,
            loss_csc=loss_csc,
            loss_geo=loss_geo,
            teacher_temp=torch.tensor(self.teacher_temp),
            momentum=torch.tensor(self.momentum),
            center_entropy=-(mean_target * mean_target.clamp_min(1e-12).log()).sum().detach(),
        )
        return output

    def csc_loss(
        self, student: View, feat: torch.Tensor, teacher: View, targets: torch.Tensor, same_views: bool
    ) -> torch.Tensor | None:
        """L_CSC of one view set: the mean, over (student view slot, teacher global slot) pairs, of the mean
        cross-entropy H(p_teacher, p_student) over the student points that found a match; None if none did.

        The terms are folded per student point, sum_i sum_pairs w_pair * H(t_{r(i, pair)}, p_i) with
        w_pair = 1 / (pairs * matched points of the pair), so the head runs once per point, `head_chunk` points at a
        time; with `recompute_heads` each chunk keeps only its features for backward."""
        rows, target_rows, weights = [], [], []
        for q_idx, r_idx in self.matched_pairs(student, teacher, same_views):
            rows.append(q_idx)
            target_rows.append(r_idx)
            weights.append(torch.full(q_idx.shape, 1.0 / len(q_idx), dtype=feat.dtype, device=feat.device))
        if not rows:
            return None
        rows, target_rows = torch.cat(rows), torch.cat(target_rows)
        weights = torch.cat(weights) / len(weights)
        by_row = rows.argsort()  # each chunk of student points reads a contiguous run of (point, target) pairs
        rows, target_rows, weights = rows[by_row], target_rows[by_row], weights[by_row]
        edges = torch.searchsorted(
            rows, torch.arange(0, len(feat) + self.head_chunk, self.head_chunk, device=rows.device)
        )
        total = feat.new_zeros(())
        for a, (lo, hi) in enumerate(zip(edges[:-1].tolist(), edges[1:].tolist())):
            if hi == lo:
                continue
            first = a * self.head_chunk
            chunk_loss = partial(
                self.folded_cross_entropy,
                targets=targets,  # gathered inside: a gathered copy would be kept until backward
                target_rows=target_rows[lo:hi],
                rows=rows[lo:hi] - first,
                weights=weights[lo:hi],
            )
            total = total + maybe_recompute(
                chunk_loss, feat[first : first + self.head_chunk], recompute=self.recompute_heads
            )
        return total

    def folded_cross_entropy(
        self,
        feat: torch.Tensor,
        targets: torch.Tensor,
        target_rows: torch.Tensor,
        rows: torch.Tensor,
        weights: torch.Tensor,
    ) -> torch.Tensor:
        """sum_j weights_j * H(targets[target_rows_j], softmax(head(feat)[rows_j] / tau_s))."""
        log_p = F.log_softmax(self.head(feat) / self.student_temp, dim=-1)
        return -(weights * (targets[target_rows] * log_p[rows]).sum(-1)).sum()

    def matched_pairs(self, student: View, teacher: View, same_views: bool) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(student point rows, teacher point rows) per (student view slot, teacher global slot) pair that has a
        match: each student point's nearest point of the teacher view within `match_radius`, by original
        coordinates."""
        pairs = []
        student_slots = range(self.num_global_view) if same_views else [None]
        for s_slot in student_slots:
            for t_slot in range(self.num_global_view):
                if same_views and s_slot == t_slot:
                    continue
                q_mask = torch.ones_like(student.slot, dtype=torch.bool) if s_slot is None else student.slot == s_slot
                r_mask = teacher.slot == t_slot
                q_idx, r_idx = q_mask.nonzero().squeeze(1), r_mask.nonzero().squeeze(1)
                match = radius_nearest(
                    student.origin[q_idx],
                    student.sample[q_idx],
                    teacher.origin[r_idx],
                    teacher.sample[r_idx],
                    self.match_radius,
                )
                found = match >= 0
                if bool(found.any()):
                    pairs.append((q_idx[found], r_idx[match[found]]))
        return pairs

    def combine_csc(self, losses: dict[str, torch.Tensor | None]) -> tuple[torch.Tensor, dict]:
        if all(value is None for value in losses.values()):
            raise RuntimeError(
                "no student point matched a teacher point; views do not overlap - check match_radius "
                "and that origin_coord is the same frame in all views"
            )
        output, total, weight = {}, 0.0, 0.0
        for kind, w in (("global", self.global_weight), ("local", self.local_weight)):
            if losses.get(kind) is not None:
                output[f"loss_csc_{kind}"] = losses[kind].detach()
                total, weight = total + w * losses[kind], weight + w
        return total / weight, output

    @torch.no_grad()
    def update_center(self, batch_center: torch.Tensor) -> None:
        """EMA of the mean teacher logits `[1, K]` of this batch (averaged over ranks)."""
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(batch_center)
            batch_center /= dist.get_world_size()
        self.center.mul_(self.center_momentum).add_(batch_center, alpha=1 - self.center_momentum)
