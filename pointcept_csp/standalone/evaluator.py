"""Per-epoch validation hooks: semantic segmentation (mIoU / mAcc / allAcc) and classification (allAcc / mAcc)."""

from __future__ import annotations

import numpy as np
import torch

from ..utils.device import to_device
from ..utils.metrics import intersection_and_union, segmentation_scores
from .builder import HOOKS
from .hooks import HookBase


class _Evaluator(HookBase):
    """Runs the model in eval mode over `trainer.val_loader` after each epoch and publishes one metric."""

    metric_name = ""

    def after_epoch(self):
        t = self.trainer
        if not t.cfg.evaluate or t.val_loader is None:
            return
        t.model.eval()
        counts = []
        with torch.no_grad():
            for input_dict in t.val_loader:
                input_dict = to_device(input_dict, t.device)
                output = t.model(input_dict)
                counts.append(self.count(input_dict, output))
        t.model.train()
        scores = self.scores(counts)
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


@HOOKS.register_module()
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
        return segmentation_scores(inter, union, target)

    def log_per_class(self, scores, names):
        for i, (iou, acc) in enumerate(zip(scores["iou_class"], scores["acc_class"])):
            name = names[i] if names else str(i)
            self.trainer.logger.info(f"Class_{i} - {name} Result: iou/accuracy {iou:.4f}/{acc:.4f}")


@HOOKS.register_module()
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
