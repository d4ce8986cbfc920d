"""Losses of PointCSP: the teacher targets of local-to-global semantic consistency (L_CSC, whose cross-entropy over
matched points is folded per point in `pointcsp_v1m1_base.PointCSP.csc_loss`), multi-layer geometric consistency
(L_geo), stability preservation distillation (L_SPD), and the task losses (cross-entropy, Lovasz-softmax)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def sinkhorn_knopp(logits: torch.Tensor, temperature: float, iterations: int = 3) -> torch.Tensor:
    """Balanced soft assignments of N points to K prototypes (SwAV / DINOv2 centering): rows sum to 1, and every
    prototype receives N / K of the mass."""
    q = torch.exp((logits - logits.max()) / temperature).t()  # [K, N]
    q = q / q.sum()
    K, N = q.shape
    for _ in range(iterations):
        q = q / (q.sum(dim=1, keepdim=True) * K)
        q = q / (q.sum(dim=0, keepdim=True) * N)
    return (q * N).t()


def teacher_targets(
    logits: torch.Tensor, temperature: float, center: torch.Tensor | None, centering: str, inplace: bool = False
) -> torch.Tensor:
    """Sharpened, centred teacher distribution: softmax((t - c) / tau_t) or Sinkhorn-Knopp. With `inplace` the
    centred softmax is computed in `logits`' own memory (no `[N, K]` temporaries; the logits are overwritten)."""
    if centering == "center":
        if not inplace:
            return F.softmax((logits - center) / temperature, dim=-1)
        scores = logits.sub_(center).div_(temperature)
        scores.sub_(scores.amax(-1, keepdim=True)).exp_()
        return scores.div_(scores.sum(-1, keepdim=True))
    if centering == "sinkhorn":
        return sinkhorn_knopp(logits, temperature)
    raise ValueError(f"centering must be 'center' or 'sinkhorn', got {centering!r}")


def geometry_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L_geo^(l) = 1/K sum_k ||x_hat_k - x_k||^2."""
    return (pred - target).pow(2).sum(-1).mean()


SPD_NORMALIZE = (None, "layer_norm", "l2")


def spd_loss(student_feat: torch.Tensor, teacher_feat: torch.Tensor, normalize: str | None = None) -> torch.Tensor:
    """L_SPD: mean squared error between student features and the stop-gradient teacher features, optionally
    after normalising both per point (`"layer_norm"`: zero mean, unit variance over channels; `"l2"`: unit norm),
    so the loss asks for the same direction rather than the same scale."""
    if normalize not in SPD_NORMALIZE:
        raise ValueError(f"SPD normalize must be one of {SPD_NORMALIZE}, got {normalize!r}")
    teacher_feat = teacher_feat.detach()
    if normalize == "layer_norm":
        student_feat = F.layer_norm(student_feat, student_feat.shape[-1:])
        teacher_feat = F.layer_norm(teacher_feat, teacher_feat.shape[-1:])
    elif normalize == "l2":
        student_feat, teacher_feat = F.normalize(student_feat, dim=-1), F.normalize(teacher_feat, dim=-1)
    return F.mse_loss(student_feat, teacher_feat)


def lovasz_softmax(logits: torch.Tensor, target: torch.Tensor, ignore_index: int | None = -1) -> torch.Tensor:
    """Lovasz-softmax loss (Berman et al., arXiv:1705.08790), averaged over classes present in the target (every
    label counts when `ignore_index` is None)."""
    valid = target != ignore_index if ignore_index is not None else torch.ones_like(target, dtype=torch.bool)
    probs, target = F.softmax(logits[valid], dim=-1), target[valid]
    losses = []
    for c in range(probs.shape[1]):
        fg = (target == c).to(probs.dtype)
        if fg.sum() == 0:
            continue
        errors = (fg - probs[:, c]).abs()
        errors_sorted, perm = torch.sort(errors, descending=True)
        fg_sorted = fg[perm]
        gts = fg_sorted.sum()
        intersection = gts - fg_sorted.cumsum(0)
        union = gts + (1 - fg_sorted).cumsum(0)
        jaccard = 1 - intersection / union
        jaccard = torch.cat([jaccard[:1], jaccard[1:] - jaccard[:-1]])
        losses.append(torch.dot(errors_sorted, jaccard))
    return torch.stack(losses).mean() if losses else logits.sum() * 0
