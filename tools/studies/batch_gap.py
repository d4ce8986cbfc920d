"""The batch-dependency problem, measured: run a fine-tuned segmentor on every validation scene alone and inside
random batches of other scenes, with the backbone in independent mode (state reset per scene, SPD's student) and in
cross-sample mode (the batch as one sequence), and report how often predictions change and the mIoU of each.

    python tools/studies/batch_gap.py --config-file exp/s3dis/ft/config.py --weight exp/s3dis/ft/model/model_best.pth \
        --batch-size 4 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import random

import numpy as np
import torch

from pointcept_csp import host
from pointcept_csp.utils.checkpoint import model_state
from pointcept_csp.utils.metrics import intersection_and_union, segmentation_scores


@torch.no_grad()
def predict(model, samples: list[dict], cross_sample: bool) -> list[torch.Tensor]:
    """Per-scene argmax of `seg_head(backbone(batch))` for the samples packed as one batch."""
    batch = host.collate_fn(samples)
    out = model.backbone(batch, cross_sample=cross_sample)
    pred = model.seg_head(out["feat"]).argmax(1)
    return list(pred.split(torch.diff(batch["offset"], prepend=batch["offset"].new_zeros(1)).tolist()))


def measure(model, samples: list[dict], num_classes: int, batch_size: int, repeats: int, seed: int = 0) -> dict:
    """For each mode: share of points whose label changes between alone and batched, and both mIoUs."""
    rng = random.Random(seed)
    report = {}
    for mode, cross_sample in (("independent", False), ("cross_sample", True)):
        changed = total = 0
        alone_counts, batched_counts = np.zeros((3, num_classes)), np.zeros((3, num_classes))
        for i, sample in enumerate(samples):
            alone = predict(model, [sample], cross_sample)[0]
            alone_counts += np.stack(intersection_and_union(alone, sample["segment"], num_classes))
            for _ in range(repeats):
                others = rng.sample([s for j, s in enumerate(samples) if j != i], min(batch_size - 1, len(samples) - 1))
                position = rng.randint(0, len(others))
                batch = others[:position] + [sample] + others[position:]
                batched = predict(model, batch, cross_sample)[position]
                changed += int((batched != alone).sum())
                total += len(alone)
                batched_counts += np.stack(intersection_and_union(batched, sample["segment"], num_classes))
        report[mode] = dict(
            disagreement=changed / max(total, 1),
            mIoU_alone=segmentation_scores(*alone_counts)["mIoU"],
            mIoU_batched=segmentation_scores(*batched_counts)["mIoU"],
        )
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", required=True)
    parser.add_argument("--weight", required=True)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--max-scenes", type=int, default=None)
    parser.add_argument("--options", nargs="*", default=[])
    args = parser.parse_args()
    from pointcept_csp.utils.options import parse_options

    cfg = host.load_config(args.config_file, parse_options(args.options))
    model = host.build_model(cfg.model)
    model.load_state_dict(model_state(args.weight))
    model.eval()
    val_cfg = dict(cfg.data.val)
    # score on the voxelised points: drop the original-resolution keys the evaluator would use
    dataset = host.build_dataset(val_cfg)
    count = len(dataset) if args.max_scenes is None else min(args.max_scenes, len(dataset))
    samples = []
    for i in range(count):
        sample = dataset[i]
        samples.append({k: v for k, v in sample.items() if k not in ("origin_segment", "inverse")})
    report = measure(model, samples, cfg.data.num_classes, args.batch_size, args.repeats)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
