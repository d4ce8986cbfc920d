"""Stability Preservation Distillation (SPD) wrappers around ANY backbone registered in the host.

L_fine-tune = L_task + lambda_SPD * L_SPD + lambda_geo * L_geo. The student runs every sample independently (state
reset per sample) and produces the task logits; the teacher, an EMA copy of the student backbone, reads the batch in
cross-sample mode where the backbone supports it (`cross_sample` argument), so it keeps the global semantic topology
of pre-training; L_SPD = MSE(student features, stop-grad teacher features). Eval / test: student only, independent
mode, Pointcept's output keys (`seg_logits`, `cls_logits`), so Pointcept's evaluators and testers work unchanged.
"""

from __future__ import annotations

import copy
import inspect
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import host
from .criteria import build_criteria
from .ema import ema_momentum, ema_update_, with_default_base
from .geometry import GeometryConsistency
from .losses import SPD_NORMALIZE, lovasz_softmax, spd_loss
from .serialization import offset_to_batch
from .weights import load_backbone

logger = logging.getLogger("pointcept_csp")


def backbone_features(backbone: nn.Module, data: dict, cross_sample: bool | None) -> tuple[torch.Tensor, object]:
    """Per-point features `[N, C]` of any backbone (a tensor, or a point dict with `feat`) and its raw output.

    `cross_sample` is passed only to backbones whose forward takes it (ours); others run as they are.
    """
    takes_mode = "cross_sample" in inspect.signature(backbone.forward).parameters
    out = backbone(data, cross_sample=cross_sample) if takes_mode and cross_sample is not None else backbone(data)
    feat = out if torch.is_tensor(out) else out["feat"]
    return feat, out


class SPDBase(nn.Module):
    """Student backbone + EMA teacher backbone + SPD / geometry losses; subclasses add the task head and loss.

    The backbone's contract: it exposes `out_channels` (its feature width) or the config names it as
    `backbone_out_channels`, and, for `freeze_backbone="encoder"`, `encoder_modules` (the names of its top-level
    encoder modules). A backbone without them is refused at construction with what is missing.

    Args:
        backbone (dict): any host backbone config. backbone_out_channels (int, Optional): its feature width; checked
            against the backbone's `out_channels` where it has one. Default: the backbone's `out_channels`.
        spd (bool): add L_SPD (False: plain fine-tuning, the ablation). lambda_spd (float): lambda_SPD.
        teacher_cross_sample (bool): the teacher reads the batch as one sequence (False: ablation). The teacher
            always runs in eval mode (no drop path, curve orders instead of random shuffles), so its features for a
            batch are a deterministic target.
        momentum (dict): EMA momentum of the teacher, cosine `base -> final` over training; `horizon` instead of
            `base` sets the EMA time constant as a fraction of the run (`models.ema.ema_momentum`).
        spd_normalize (str, Optional): normalise student and teacher features per point before the MSE:
            "layer_norm" or "l2" (None: raw features, the paper's MSE).
        lambda_geo (float): lambda_geo (needs a backbone exposing `stages`, as ours does); geo (dict): stages,
            alphas, samples of L_geo.
        freeze_backbone (bool | str): probing. True: the whole backbone is frozen (linear probe); "encoder": the
            embedding, encoder stages and poolings are frozen, the decoder trains (decoder probe). No teacher is kept.
        pretrained (str, Optional): checkpoint loaded into student and teacher at construction, under
            `pretrained_preset` ("pretrain": the student / an export / a fine-tuned model, "teacher": the EMA teacher
            of a pre-training checkpoint; see `models.weights`).
    """

    def __init__(
        self,
        backbone: dict,
        backbone_out_channels: int | None = None,
        spd: bool = True,
        lambda_spd: float = 1.0,
        teacher_cross_sample: bool = True,
        momentum: dict | None = None,
        spd_normalize: str | None = None,
        lambda_geo: float = 0.0,
        geo: dict | None = None,
        freeze_backbone: bool | str = False,
        pretrained: str | None = None,
        pretrained_preset: str = "pretrain",
    ) -> None:
        super().__init__()
        self.backbone = host.build_model(backbone)
        self.spd = spd and not freeze_backbone
        self.lambda_spd, self.lambda_geo = lambda_spd, lambda_geo
        self.teacher_cross_sample, self.freeze_backbone = teacher_cross_sample, freeze_backbone
        self.momentum_cfg = with_default_base(momentum, 0.996)
        if spd_normalize not in SPD_NORMALIZE:
            raise ValueError(f"spd_normalize must be one of {SPD_NORMALIZE}, got {spd_normalize!r}")
        self.spd_normalize = spd_normalize
        self.set_progress(0, 1)
        self.load_reports = []
        if pretrained:
            self.load_reports.append(load_backbone(self.backbone, pretrained, pretrained_preset, "student backbone"))
        self.teacher = copy.deepcopy(self.backbone).requires_grad_(False) if self.spd else None
        if self.teacher is not None and pretrained:
            self.load_reports.append(load_backbone(self.teacher, pretrained, pretrained_preset, "teacher backbone"))
        for report in self.load_reports:
            logger.info(f"Loaded {pretrained}: {report}")
        if freeze_backbone not in (False, True, "encoder"):
            raise ValueError(f"freeze_backbone must be False, True or 'encoder', got {freeze_backbone!r}")
        encoder = self.encoder_modules() if freeze_backbone == "encoder" else ()
        for name, param in self.backbone.named_parameters():
            if freeze_backbone is True or name.split(".")[0] in encoder:
                param.requires_grad_(False)
        self.geo = None
        if lambda_geo > 0:
            channels = getattr(self.backbone, "enc_channels", None)
            if channels is None:
                raise ValueError("lambda_geo > 0 needs a backbone exposing enc_channels and per-stage outputs")
            self.geo = GeometryConsistency(channels, **(geo or {}))
        self.backbone_out_channels = self.feature_width(backbone_out_channels)

    def feature_width(self, configured: int | None) -> int:
        """The backbone's feature width: its `out_channels`, which a configured `backbone_out_channels` must equal."""
        exposed = getattr(self.backbone, "out_channels", None)
        if configured is None and exposed is None:
            raise ValueError(
                f"SPD needs the backbone's feature width: {type(self.backbone).__name__} has no `out_channels`; "
                "give backbone_out_channels"
            )
        if configured is not None and exposed is not None and configured != exposed:
            raise ValueError(
                f"backbone_out_channels={configured} but {type(self.backbone).__name__} outputs {exposed} channels"
            )
        return int(configured if configured is not None else exposed)

    def encoder_modules(self) -> tuple[str, ...]:
        """The backbone's top-level encoder modules, which `freeze_backbone="encoder"` freezes."""
        names = getattr(self.backbone, "encoder_modules", None)
        if not names:
            raise ValueError(
                f'freeze_backbone="encoder" needs the backbone to name its encoder modules: '
                f"{type(self.backbone).__name__} has no `encoder_modules`"
            )
        missing = [n for n in names if not hasattr(self.backbone, n)]
        if missing:
            raise ValueError(f"{type(self.backbone).__name__}.encoder_modules names modules it lacks: {missing}")
        return tuple(names)

    def set_progress(self, step: int, total_steps: int) -> None:
        self.momentum = ema_momentum(self.momentum_cfg, step, total_steps)

    def update_teacher(self) -> bool:
        return True if self.teacher is None else ema_update_(self.teacher, self.backbone, self.momentum)

    @torch.no_grad()
    def sync_teacher(self) -> None:
        """Teacher := student (after weights were loaded into the student only, e.g. by `weight=`)."""
        if self.teacher is not None:
            self.teacher.load_state_dict(self.backbone.state_dict())

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_backbone is True:
            self.backbone.eval()  # a linear probe keeps the frozen backbone deterministic (no drop path, no shuffling)
        if self.teacher is not None:
            self.teacher.eval()  # a deterministic SPD target: no drop path, no random token shuffle of its own
        return self

    def student(self, data: dict) -> tuple[torch.Tensor, object]:
        with torch.set_grad_enabled(torch.is_grad_enabled() and self.freeze_backbone is not True):
            return backbone_features(self.backbone, data, cross_sample=False)

    def regularisers(self, data: dict, feat: torch.Tensor, out) -> dict:
        """L_SPD and L_geo terms for a training step (empty dict in eval)."""
        terms = {}
        if self.training and self.spd:
            with torch.no_grad():
                teacher_feat, _ = backbone_features(self.teacher, data, cross_sample=self.teacher_cross_sample)
            terms["loss_spd"] = spd_loss(feat, teacher_feat, self.spd_normalize)
        if self.training and self.geo is not None:
            terms["loss_geo"] = self.geo(out)
        return terms

    def total(self, task_loss: torch.Tensor, terms: dict) -> torch.Tensor:
        return task_loss + self.lambda_spd * terms.get("loss_spd", 0.0) + self.lambda_geo * terms.get("loss_geo", 0.0)


@host.MODELS.register_module("SPD-Segmentor-v1m1")
class SPDSegmentor(SPDBase):
    """Semantic segmentation: per-point linear head (or MLP `head="mlp"`), cross-entropy (+ `lovasz_weight` *
    Lovasz-softmax), or the task losses a Pointcept-style `criteria` list names (`models.criteria`)."""

    def __init__(
        self,
        num_classes: int,
        backbone_out_channels: int | None = None,
        head: str = "linear",
        ignore_index: int = -1,
        lovasz_weight: float = 0.0,
        criteria: list[dict] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(backbone_out_channels=backbone_out_channels, **kwargs)
        self.num_classes, self.ignore_index, self.lovasz_weight = num_classes, ignore_index, lovasz_weight
        if criteria is not None and lovasz_weight:
            raise ValueError("give the Lovasz term either as lovasz_weight or as a LovaszLoss in criteria, not both")
        self.criteria = None if criteria is None else build_criteria(criteria)
        self.seg_head = _head(head, self.backbone_out_channels, num_classes)

    def task_loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Cross-entropy over the labelled points; 0 (not NaN) for a batch with none, which sparse labels (the
        data-efficient benchmark's 20 points per scene) make possible after a crop: L_SPD and L_geo still act."""
        if not bool((target != self.ignore_index).any()):
            return logits.sum() * 0
        if self.criteria is not None:
            return self.criteria(logits, target)
        loss = F.cross_entropy(logits, target, ignore_index=self.ignore_index)
        if self.lovasz_weight:
            loss = loss + self.lovasz_weight * lovasz_softmax(logits, target, self.ignore_index)
        return loss

    def logits(self, feat: torch.Tensor, input_dict: dict) -> torch.Tensor:
        return self.seg_head(feat)

    def forward(self, input_dict: dict) -> dict:
        feat, out = self.student(input_dict)
        logits = self.logits(feat, input_dict)
        # Pointcept's convention: training returns only (scalar) losses, evaluation adds the logits
        output = {} if self.training else dict(seg_logits=logits)
        if "segment" in input_dict:
            segment = input_dict["segment"].long()
            _check_labels(segment, self.num_classes, self.ignore_index)
            task = self.task_loss(logits, segment)
            terms = self.regularisers(input_dict, feat, out)
            output.update(
                loss=self.total(task, terms), loss_task=task.detach(), **{k: v.detach() for k, v in terms.items()}
            )
        return output


@host.MODELS.register_module("SPD-PartSegmentor-v1m1")
class SPDPartSegmentor(SPDSegmentor):
    """Part segmentation: as the segmentor, with the object category embedded and added to every point's feature
    (ShapeNetPart protocol: the category is known). `category_key`: "category", or Pointcept's "cls_token"."""

    def __init__(
        self,
        num_classes: int,
        num_categories: int,
        backbone_out_channels: int | None = None,
        category_key: str = "category",
        **kwargs,
    ) -> None:
        super().__init__(num_classes=num_classes, backbone_out_channels=backbone_out_channels, **kwargs)
        self.category_key = category_key
        self.category_embedding = nn.Embedding(num_categories, self.backbone_out_channels)

    def logits(self, feat: torch.Tensor, input_dict: dict) -> torch.Tensor:
        batch = offset_to_batch(input_dict["offset"])
        category = input_dict[self.category_key].long().view(-1)
        return self.seg_head(feat + self.category_embedding(category)[batch])


@host.MODELS.register_module("SPD-Classifier-v1m1")
class SPDClassifier(SPDBase):
    """Object classification: per-sample mean + max pooling of the backbone's point features -> MLP -> cls_logits;
    cross-entropy with `label_smoothing`, or the task losses a Pointcept-style `criteria` list names."""

    def __init__(
        self,
        num_classes: int,
        backbone_out_channels: int | None = None,
        label_smoothing: float = 0.0,
        criteria: list[dict] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(backbone_out_channels=backbone_out_channels, **kwargs)
        self.num_classes, self.label_smoothing = num_classes, label_smoothing
        if criteria is not None and label_smoothing:
            raise ValueError("give label smoothing in criteria's CrossEntropyLoss or as label_smoothing, not both")
        self.criteria = None if criteria is None else build_criteria(criteria)
        self.cls_head = nn.Sequential(
            nn.Linear(2 * self.backbone_out_channels, 256),
            nn.LayerNorm(256),
            nn.GELU(),
            nn.Dropout(0.5),
            nn.Linear(256, num_classes),
        )

    def forward(self, input_dict: dict) -> dict:
        feat, out = self.student(input_dict)
        offset = out["offset"] if not torch.is_tensor(out) and "offset" in out else input_dict["offset"]
        batch = offset_to_batch(offset)
        num = len(offset)
        mean = (
            feat.new_zeros(num, feat.shape[1]).index_add(0, batch, feat) / torch.bincount(batch, minlength=num)[:, None]
        )
        peak = feat.new_full((num, feat.shape[1]), float("-inf")).scatter_reduce(
            0, batch[:, None].expand_as(feat), feat, reduce="amax"
        )
        logits = self.cls_head(torch.cat([mean, peak], dim=1))
        output = {} if self.training else dict(cls_logits=logits)
        if "category" in input_dict:
            category = input_dict["category"].long().view(-1)
            _check_labels(category, self.num_classes, -100)
            if self.criteria is not None:
                task = self.criteria(logits, category)
            else:
                task = F.cross_entropy(logits, category, label_smoothing=self.label_smoothing)
            terms = self.regularisers(input_dict, feat, out)
            output.update(
                loss=self.total(task, terms), loss_task=task.detach(), **{k: v.detach() for k, v in terms.items()}
            )
        return output


def _head(kind: str, channels: int, num_classes: int) -> nn.Module:
    if kind == "linear":
        return nn.Linear(channels, num_classes)
    if kind == "mlp":
        return nn.Sequential(
            nn.Linear(channels, channels), nn.LayerNorm(channels), nn.GELU(), nn.Linear(channels, num_classes)
        )
    raise ValueError(f"head must be 'linear' or 'mlp', got {kind!r}")


def _check_labels(labels: torch.Tensor, num_classes: int, ignore_index: int) -> None:
    valid = labels != ignore_index
    if bool(valid.any()) and (int(labels[valid].min()) < 0 or int(labels[valid].max()) >= num_classes):
        bad = labels[valid & ((labels < 0) | (labels >= num_classes))]
        raise ValueError(
            f"labels must lie in [0, {num_classes}) or equal ignore_index={ignore_index}; found "
            f"{sorted(set(bad.tolist()))[:5]} - check num_classes and the dataset's label mapping"
        )
