"""Testers that run on any device, under both hosts: full-scene semantic segmentation by fragment voting
(`CSPSemSegTester`), classification (`CSPClsTester`) and part segmentation with instance / category mIoU
(`CSPPartSegTester`, which Pointcept lacks for this layout). Pointcept's own testers move batches with `.cuda()`;
the standalone host, which has no testers of its own, also answers to Pointcept's `SemSegTester` / `ClsTester` names
with these. Predictions and metrics go to `<save_path>/result/`: `<name>_pred.npy` per scene and `metrics.json` with
per-class intersection / union counts, which tools such as `tools/s3dis_6fold.py` pool across runs."""

from __future__ import annotations

import json
import os

import numpy as np
import torch

from .. import host
from ..utils.checkpoint import load_checkpoint, model_state
from ..utils.device import default_device, to_device
from ..utils.logger import get_root_logger
from ..utils.metrics import intersection_and_union, segmentation_scores
from ..utils.voting import load_test_sample, vote


def load_trained_model(model_cfg, weight: str | None, device: torch.device) -> tuple[torch.nn.Module, str]:
    """The config's model with a trained checkpoint's weights (`module.` prefixes of DDP runs stripped), and a line
    saying what was loaded. A checkpoint that lacks tensors of the model, or whose tensors have other shapes, raises
    naming the file."""
    if not weight:
        raise ValueError("testing needs a trained model: pass weight=<path to model_best.pth or model_last.pth>")
    model = host.build_model(model_cfg).to(device)
    checkpoint = load_checkpoint(weight, map_location=device)
    state = model_state(checkpoint)
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as e:  # shape mismatches
        raise ValueError(f"{weight} does not fit the config's model: {str(e)[:1500]}") from e
    if missing:
        raise KeyError(f"{weight} lacks {len(missing)} tensors of the config's model, e.g. {missing[:5]}")
    model.eval()
    return model, f"Loaded {weight} (epoch {checkpoint.get('epoch')}); unexpected keys: {unexpected}"


class TesterBase:
    def __init__(self, cfg, model=None, test_loader=None, verbose: bool = False) -> None:
        if test_loader is not None:
            raise ValueError("these testers read cfg.data.test one sample at a time; test_loader is not used")
        self.cfg, self.verbose = cfg, verbose
        self.logger = get_root_logger(os.path.join(cfg.save_path, "test.log"))
        self.device = default_device(cfg.get("device", "auto"))
        self.model = model if model is not None else self.build_model()
        self.model.eval()
        self.dataset = host.DATASETS.build(cfg.data.test)
        self.result_dir = os.path.join(cfg.save_path, "result")
        os.makedirs(self.result_dir, exist_ok=True)

    def build_model(self) -> torch.nn.Module:
        model, report = load_trained_model(self.cfg.model, self.cfg.weight, self.device)
        self.logger.info(report)
        return model

    def write_metrics(self, metrics: dict) -> None:
        with open(os.path.join(self.result_dir, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=1)


@host.TESTERS.register_module("CSPSemSegTester")
class SemSegTester(TesterBase):
    """Every test scene: softmax scores summed over its fragments (voxelisation passes x test-time augmentations,
    `utils.voting`), argmax per original point; per-scene and pooled intersection / union counts."""

    @torch.no_grad()
    def test(self) -> dict:
        num_classes, ignore = self.cfg.data.num_classes, self.cfg.data.get("ignore_index", -1)
        batch_size = self.cfg.get("batch_size_test_per_gpu", 1)
        totals = np.zeros((3, num_classes), dtype=np.int64)
        per_scene = {}
        for i in range(len(self.dataset)):
            sample, fragments = load_test_sample(self.dataset, i)
            segment = np.asarray(sample["segment"])
            scores, count = vote(
                self.model,
                fragments,
                len(segment),
                num_classes,
                host.collate_fn,
                self.device,
                batch_size,
            )
            pred = scores.argmax(1).cpu().numpy()
            if "origin_segment" in sample:
                pred, segment = pred[np.asarray(sample["inverse"])], np.asarray(sample["origin_segment"])
            np.save(os.path.join(self.result_dir, f"{sample['name']}_pred.npy"), pred)
            counts = np.stack(intersection_and_union(pred, segment, num_classes, ignore))
            totals += counts
            scene = segmentation_scores(*counts, self.cfg.data.get("eval_classes"))
            per_scene[sample["name"]] = dict(mIoU=scene["mIoU"], allAcc=scene["allAcc"])
            self.logger.info(
                f"Test: {sample['name']} [{i + 1}/{len(self.dataset)}] {count} fragments "
                f"mIoU {scene['mIoU']:.4f} allAcc {scene['allAcc']:.4f}"
            )
        scores = segmentation_scores(*totals, self.cfg.data.get("eval_classes"))
        names = self.cfg.data.get("names") or [str(c) for c in range(num_classes)]
        for c in range(num_classes):
            self.logger.info(
                f"Class_{c} - {names[c]} Result: iou/accuracy {scores['iou_class'][c]:.4f}/{scores['acc_class'][c]:.4f}"
            )
        self.logger.info(
            f"Val result: mIoU/mAcc/allAcc {scores['mIoU']:.4f}/{scores['mAcc']:.4f}/{scores['allAcc']:.4f}"
        )
        metrics = dict(
            mIoU=scores["mIoU"],
            mAcc=scores["mAcc"],
            allAcc=scores["allAcc"],
            names=list(names),
            eval_classes=self.cfg.data.get("eval_classes"),
            intersection=totals[0].tolist(),
            union=totals[1].tolist(),
            target=totals[2].tolist(),
            scenes=per_scene,
        )
        self.write_metrics(metrics)
        return metrics


@host.TESTERS.register_module("CSPClsTester")
class ClsTester(TesterBase):
    """Overall and class-mean accuracy of `cls_logits` over the test set (one sample per batch)."""

    @torch.no_grad()
    def test(self) -> dict:
        num_classes = self.cfg.data.num_classes
        preds, labels = [], []
        for i in range(len(self.dataset)):
            batch = to_device(host.collate_fn([self.dataset[i]]), self.device)
            preds.append(int(self.model(batch)["cls_logits"].argmax(1)))
            labels.append(int(batch["category"].view(-1)[0]))
        counts = intersection_and_union(np.array(preds), np.array(labels), num_classes, -1)
        scores = segmentation_scores(*counts)
        self.logger.info(f"Test result: allAcc/mAcc {scores['allAcc']:.4f}/{scores['mAcc']:.4f}")
        metrics = dict(allAcc=scores["allAcc"], mAcc=scores["mAcc"], predictions=preds, labels=labels)
        self.write_metrics(metrics)
        return metrics


@host.TESTERS.register_module("CSPPartSegTester")
class PartSegTester(TesterBase):
    """Instance mIoU (mean over shapes of the mean IoU over the parts of the shape's category) and category mIoU.
    Needs `data.category_parts`: for every category, the list of its part ids (`data.category_key` names the
    sample's category key, default "category")."""

    @torch.no_grad()
    def test(self) -> dict:
        parts_of = self.cfg.data.category_parts
        key = self.cfg.data.get("category_key", "category")
        shape_ious, by_category = [], {}
        for i in range(len(self.dataset)):
            batch = to_device(host.collate_fn([self.dataset[i]]), self.device)
            category = int(batch[key].view(-1)[0])
            parts = list(parts_of[category])
            logits = self.model(batch)["seg_logits"][:, parts]  # predict among the category's parts only
            pred = torch.tensor(parts, device=logits.device)[logits.argmax(1)].cpu().numpy()
            target = batch["segment"].cpu().numpy()
            ious = []
            for p in parts:
                union = np.sum((pred == p) | (target == p))
                ious.append(1.0 if union == 0 else np.sum((pred == p) & (target == p)) / union)
            shape_ious.append(float(np.mean(ious)))
            by_category.setdefault(category, []).append(shape_ious[-1])
        metrics = dict(
            ins_mIoU=float(np.mean(shape_ious)), cat_mIoU=float(np.mean([np.mean(v) for v in by_category.values()]))
        )
        self.logger.info(f"Test result: ins. mIoU {metrics['ins_mIoU']:.4f} cat. mIoU {metrics['cat_mIoU']:.4f}")
        self.write_metrics(metrics)
        return metrics


if host.NAME == "standalone":
    host.TESTERS.register_module("SemSegTester", module=SemSegTester)
    host.TESTERS.register_module("ClsTester", module=ClsTester)
