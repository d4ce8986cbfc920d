"""Per-epoch validation hooks that run on any device: semantic segmentation (mIoU / mAcc / allAcc) and
classification (allAcc / mAcc). Registered as `CSPSemSegEvaluator` / `CSPClsEvaluator` under both hosts (Pointcept's
own evaluators move batches with `.cuda()`, so they stop a CPU run); the standalone host, which has no evaluators of
its own, also answers to Pointcept's names with them."""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from .. import host
from ..utils import comm
from ..utils.device import to_device
from ..utils.metrics import intersection_and_union, segmentation_scores


def all_ranks(counts: list[tuple], device: torch.device) -> list[tuple]:
    """Per-batch (intersection, union, target) counts; under DDP, one entry with the sums over every rank."""
    if comm.get_world_size() == 1:
        return counts
    summed = [torch.as_tensor(np.sum(c, axis=0), dtype=torch.float64, device=device) for c in zip(*counts)]
    for tensor in summed:
        dist.all_reduce(tensor)
    return [tuple(t.cpu().numpy() for t in summed)]


class _Evaluator(host.HookBase):
    """Runs the model in eval mode over `trainer.val_loader` after each epoch and publishes one metric. Batches go to
    the model's device (no `.cuda()`), and under DDP the counts are summed over ranks."""

    metric_name = ""

    def after_epoch(self):
        t = self.trainer
        if not t.cfg.evaluate or t.val_loader is None:
            return
        t.model.eval()
        device = next(t.model.parameters()).device
        counts = []
        with torch.no_grad():
            for input_dict in t.val_loader:
                input_dict = to_device(input_dict, device)
                output = t.model(input_dict)
                counts.append(self.count(input_dict, output))
        t.model.train()
        scores = self.scores(all_ranks(counts, device))
        names = t.cfg.data.get("names")
        self.log_per_class(scores, names)
        t.logger.info(
            "Val result: " + " ".join(f"{k}: {scores[k]:.4f}" for k in ("mIoU", "mAcc", "allAcc") if k in scores)
        )
        if t.writer is not None:
            for key in ("mIoU", "mAcc", "allAcc"):
                if key in scores:
                    t.writer.add_scalar("val/" + key, scores[key], t.epoch + 1)
        t.comm_info["current_metric_value"] = scores[self.metric_name]
        t.comm_info["current_metric_name"] = self.metric_name
        t.comm_info["val_scores"] = scores

    def log_per_class(self, scores, names): ...


@host.HOOKS.register_module("CSPSemSegEvaluator")
class SemSegEvaluator(_Evaluator):
    """Confusion counts on the voxelised points, or on the original points when the batch carries `inverse`."""

    metric_name = "mIoU"

    def count(self, input_dict, output):
        pred = output["seg_logits"].argmax(dim=1)
        segment = input_dict["segment"]
        if "inverse" in input_dict:
            pred, segment = pred[input_dict["inverse"]], input_dict["origin_segment"]
        cfg = self.trainer.cfg.data
        return intersection_and_union(pred, segment, cfg.num_classes, cfg.get("ignore_index", -1))

    def scores(self, counts):
        inter, union, target = (np.sum(c, axis=0) for c in zip(*counts))
        return segmentation_scores(inter, union, target, self.trainer.cfg.data.get("eval_classes"))

    def log_per_class(self, scores, names):
        for i, (iou, acc) in enumerate(zip(scores["iou_class"], scores["acc_class"])):
            name = names[i] if names else str(i)
            self.trainer.logger.info(f"Class_{i} - {name} Result: iou/accuracy {iou:.4f}/{acc:.4f}")


@host.HOOKS.register_module("CSPClsEvaluator")
class ClsEvaluator(_Evaluator):
    """Overall accuracy (allAcc) and class-mean accuracy (mAcc) of `cls_logits` against `category`."""

    metric_name = "allAcc"

    def count(self, input_dict, output):
        pred = output["cls_logits"].argmax(dim=1)
        num_classes = self.trainer.cfg.data.num_classes
        return intersection_and_union(pred, input_dict["category"], num_classes, -1)

    def scores(self, counts):
        inter, union, target = (np.sum(c, axis=0) for c in zip(*counts))
        scores = segmentation_scores(inter, union, target)
        return dict(allAcc=scores["allAcc"], mAcc=scores["mAcc"], acc_class=scores["acc_class"])


if host.NAME == "standalone":
    host.HOOKS.register_module("SemSegEvaluator", module=SemSegEvaluator)
    host.HOOKS.register_module("ClsEvaluator", module=ClsEvaluator)
