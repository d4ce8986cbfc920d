"""The paper's Fig. 1 argument, measured: per-point features of several scenes from pre-trained backbones with and
without CSP, projected to 2-D (PCA; t-SNE when scikit-learn is installed) and coloured by class and by scene, plus
one number for the same claim - cross-scene class consistency: the balanced accuracy of a nearest-class-centroid
classifier whose centroids come from the OTHER scenes (leave one scene out, cosine similarity).

    python tools/studies/embed_plot.py --checkpoints csp=exp/ablate/pre-seed0-csp/model/model_last.pth \
        nocsp=exp/ablate/pre-seed0-nocsp/model/model_last.pth --output docs/figures/embedding.png
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from pointcept_csp import host
from pointcept_csp.datasets.synthetic import ROOM_CLASSES, generate_room
from pointcept_csp.models.pointcsp_v1m1_base import point_features
from pointcept_csp.models.weights import load_backbone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def scene_batch(seed: int, grid_size: float, max_points: int) -> dict:
    room = generate_room(seed, density=60)
    coord = room["coord"] - room["coord"].min(0)
    voxel = np.floor(coord / grid_size).astype(np.int64)
    _, keep = np.unique(voxel, axis=0, return_index=True)
    keep = np.random.default_rng(seed).permutation(keep)[:max_points]
    color = room["color"][keep].astype(np.float32) / 127.5 - 1
    return dict(
        coord=torch.from_numpy(coord[keep]),
        grid_coord=torch.from_numpy(voxel[keep]),
        feat=torch.from_numpy(np.concatenate([color, room["normal"][keep]], 1)),
        offset=torch.tensor([len(keep)]),
        segment=torch.from_numpy(room["segment"][keep].astype(np.int64)),
    )


@torch.no_grad()
def features(backbone, scenes: list[dict]) -> list[torch.Tensor]:
    """L2-normalised features of each scene, computed alone (independent mode, as downstream use does)."""
    return [F.normalize(point_features(backbone(s, cross_sample=False)), dim=1) for s in scenes]


def cross_scene_consistency(feats: list[torch.Tensor], labels: list[torch.Tensor], num_classes: int) -> float:
    """Balanced accuracy of nearest-class-centroid classification with centroids from the other scenes."""
    correct, total = np.zeros(num_classes), np.zeros(num_classes)
    for i in range(len(feats)):
        others = [j for j in range(len(feats)) if j != i]
        f, y = torch.cat([feats[j] for j in others]), torch.cat([labels[j] for j in others])
        present = [c for c in range(num_classes) if (y == c).any()]
        centroids = F.normalize(torch.stack([f[y == c].mean(0) for c in present]), dim=1)
        pred = torch.tensor(present)[(feats[i] @ centroids.t()).argmax(1)]
        for c in range(num_classes):
            mask = labels[i] == c
            correct[c] += (pred[mask] == c).sum().item()
            total[c] += mask.sum().item()
    valid = total > 0
    return float((correct[valid] / total[valid]).mean())


def project(x: np.ndarray) -> np.ndarray:
    try:
        from sklearn.manifold import TSNE

        return TSNE(n_components=2, init="pca", random_state=0).fit_transform(x)
    except ImportError:
        x = torch.from_numpy(x - x.mean(0))
        _, _, v = torch.pca_lowrank(x, q=2, center=False)
        return (x @ v[:, :2]).numpy()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--checkpoints",
        nargs="+",
        required=True,
        help="name=path of pre-training checkpoints; path 'random' keeps the initialisation",
    )
    parser.add_argument("--config", default="configs/demo/pretrain-pointcsp-demo.py")
    parser.add_argument("--scenes", nargs="+", type=int, default=[2000, 2001, 2002, 2003, 2004, 2005])
    parser.add_argument("--points", type=int, default=4000)
    parser.add_argument("--plot-points", type=int, default=400, help="points per scene in the plot")
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "figures", "embedding.png"))
    args = parser.parse_args()
    cfg = host.load_config(args.config)
    grid = cfg.model.backbone.grid_size
    scenes = [scene_batch(s, grid, args.points) for s in args.scenes]
    labels = [s["segment"] for s in scenes]
    results, panels = {}, []
    for item in args.checkpoints:
        name, path = item.split("=", 1)
        torch.manual_seed(0)
        backbone = host.build_model(cfg.model.backbone).eval()
        if path != "random":
            report = load_backbone(backbone, path, "pretrain")
            if report.missing:
                raise KeyError(f"{path}: missing backbone keys {report.missing[:5]}")
        feats = features(backbone, scenes)
        results[name] = cross_scene_consistency(feats, labels, len(ROOM_CLASSES))
        rng = np.random.default_rng(0)
        pick = [rng.permutation(len(f))[: args.plot_points] for f in feats]
        panels.append(
            (
                name,
                project(torch.cat([f[p] for f, p in zip(feats, pick)]).numpy()),
                torch.cat([y[p] for y, p in zip(labels, pick)]).numpy(),
                np.concatenate([np.full(len(p), i) for i, p in enumerate(pick)]),
            )
        )
    print(json.dumps(dict(cross_scene_class_consistency=results), indent=1))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(panels), 2, figsize=(10, 4.6 * len(panels)), squeeze=False)
    for row, (name, xy, cls, scene) in zip(axes, panels):
        for ax, colour, title in ((row[0], cls, "by class"), (row[1], scene, "by scene")):
            ax.scatter(xy[:, 0], xy[:, 1], c=colour, cmap="tab10", s=3, vmin=0, vmax=9)
            ax.set_title(f"{name}: {title}  (cross-scene consistency {100 * results[name]:.1f}%)", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    handles = [
        plt.Line2D([], [], marker="o", ls="", color=plt.get_cmap("tab10")(i), label=c)
        for i, c in enumerate(ROOM_CLASSES)
    ]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=8)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    fig.savefig(args.output, dpi=110, bbox_inches="tight")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
