"""Predictions on a user's own point clouds with a config's test-time path (tools/predict.py is the command).

Semantic segmentation runs exactly what `CSPSemSegTester` runs: the scan is laid out as a Pointcept scene folder in a
temporary data root, the config's own test dataset reads it, and its transform, test-time augmentations, voxelisation
passes and crops make the fragments, whose softmax scores are summed per point (fragment voting). Fragments are made
one augmentation at a time and scored as they come; a scan above `max_points` points runs as overlapping slabs of
about that size (`SceneSegmenter`), so a scan of tens of millions of points needs memory for one slab at a time plus
the per-point score table. Classification runs the config's test transform on the object and reports
the class probabilities.
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .. import host
from ..datasets.readers import PointCloudError
from ..utils.device import to_device
from ..utils.normals import ORIENTATIONS, estimate_normals
from ..utils.voting import load_test_sample, vote

SEMSEG_TESTERS = ("CSPSemSegTester", "SemSegTester")
CLS_TESTERS = ("CSPClsTester", "ClsTester")
FAR_FROM_ORIGIN = 1e4  # metres; farther coordinates (geo-referenced scans) are shifted before the float32 cast
SHIFT_STEP = 1000.0  # shifts are whole kilometres, so voxel edges (multiples of the grid size) stay where they were
PREDICT_SPLIT = "predict"


def task_of(cfg) -> str:
    """ "semseg" or "cls", from the config's tester."""
    tester = cfg.get("test", {}).get("type")
    if tester in SEMSEG_TESTERS:
        return "semseg"
    if tester in CLS_TESTERS:
        return "cls"
    raise ValueError(
        f"predicting needs a semantic segmentation or classification config (test.type in "
        f"{SEMSEG_TESTERS + CLS_TESTERS}), got test.type={tester!r}"
    )


def normal_orientation(cfg) -> str:
    """How the config's training data orients its normals (`utils.normals`): the config's `normal_orientation`, else
    `outward` for classification (single objects) and `inward` for scenes (scanned from inside)."""
    named = cfg.get("normal_orientation")
    if named is None:
        return "outward" if task_of(cfg) == "cls" else "inward"
    if named not in ORIENTATIONS:
        raise ValueError(f"the config's normal_orientation must be one of {ORIENTATIONS}, got {named!r}")
    return named


def feature_keys(cfg) -> tuple[str, ...]:
    """The model's input channels: the `feat_keys` of the last `Collect` of the test pipeline."""
    test = cfg.data.test
    pipeline = list(test.get("transform") or [])
    if test.get("test_cfg"):
        pipeline += list(test.test_cfg.get("post_transform") or [])
    collects = [t for t in pipeline if t.get("type") == "Collect"]
    if not collects:
        raise ValueError("the config's test pipeline has no Collect transform naming feat_keys")
    return tuple(collects[-1].get("feat_keys", ()))


def complete_features(
    path: str,
    cloud: dict[str, np.ndarray],
    keys: tuple[str, ...],
    fill_color: tuple[float, float, float] | None = None,
    normal_k: int = 16,
    orientation: str = "inward",
) -> list[str]:
    """Give `cloud` the channels the model reads: normals are estimated when missing (`estimate_normals`, oriented
    as `orientation`, which should be the training data's: `normal_orientation(cfg)`); a missing colour is an error
    unless `fill_color` (0-255) is given. Returns notes on what was filled in."""
    notes = []
    unknown = [k for k in keys if k not in ("coord", "color", "normal")]
    if unknown:
        raise ValueError(f"the config's model reads {unknown}, which predicting on point files cannot provide")
    if "color" in keys and "color" not in cloud:
        if fill_color is None:
            raise PointCloudError(
                f"{path}: has no colour, which the config's model reads (feat_keys {keys}); pass --fill-color R G B "
                f"(0-255) to use one colour for every point"
            )
        cloud["color"] = np.broadcast_to(np.asarray(fill_color, np.float32), cloud["coord"].shape).copy()
        notes.append(f"colour filled with {tuple(fill_color)}")
    if "normal" in keys and "normal" not in cloud:
        cloud["normal"] = estimate_normals(cloud["coord"], k=normal_k, orientation=orientation)
        notes.append(f"normals estimated (PCA over {normal_k} neighbours, oriented {orientation})")
    return notes


def model_coordinates(coord: np.ndarray) -> np.ndarray:
    """float32 coordinates for the model; scans far from the origin are first shifted by whole kilometres."""
    if np.abs(coord).max() > FAR_FROM_ORIGIN:
        coord = coord - np.floor(coord.min(axis=0) / SHIFT_STEP) * SHIFT_STEP
    return coord.astype(np.float32)


class SceneSegmenter:
    """Fragment voting of a semantic segmentation config's test path on one cloud at a time.

    `max_points`: a larger scan is cut into slabs of about that many points along its longer horizontal axis, each
    widened by `margin` metres on both sides so that points near a cut keep their neighbours, and each slab runs the
    whole test path (its points' votes add up where slabs overlap). Without it the scan runs as one, exactly as the
    tester would; its fragments (one per layer of points in the fullest voxel, each covering every voxel) then all
    exist at once for each test-time augmentation, which at 10 million points took 11 GB.
    """

    def __init__(
        self, cfg, model: torch.nn.Module, device: torch.device, max_points: int | None = None, margin: float = 1.0
    ) -> None:
        if max_points is not None and max_points < 1:
            raise ValueError(f"max_points must be a positive number of points, got {max_points}")
        self.cfg, self.model, self.device, self.max_points, self.margin = cfg, model, device, max_points, margin
        self.num_classes = cfg.data.num_classes

    def scene_dataset(self, arrays: dict[str, np.ndarray], root: str):
        folder = os.path.join(root, PREDICT_SPLIT, "scan")
        os.makedirs(folder)
        for key, value in arrays.items():
            np.save(os.path.join(folder, f"{key}.npy"), value)
        test = copy.deepcopy(self.cfg.data.test)
        test.update(data_root=root, split=PREDICT_SPLIT, test_mode=True)
        return host.build_dataset(test)

    def slabs(self, coord: np.ndarray) -> list[np.ndarray | None]:
        """Row indices of each slab (`[None]`: the whole scan)."""
        if self.max_points is None or len(coord) <= self.max_points:
            return [None]
        axis = int(np.ptp(coord[:, :2], axis=0).argmax())
        edges = np.quantile(coord[:, axis], np.linspace(0, 1, -(-len(coord) // self.max_points) + 1))
        return [
            np.flatnonzero((coord[:, axis] >= low - self.margin) & (coord[:, axis] <= high + self.margin))
            for low, high in zip(edges[:-1], edges[1:])
        ]

    @torch.no_grad()
    def predict(self, cloud: dict[str, np.ndarray], on_fragment: Callable[[], None] | None = None) -> np.ndarray:
        """Class probabilities `[N, num_classes]` (float32) for every point of `cloud`, in its order."""
        arrays = dict(coord=model_coordinates(cloud["coord"]))
        arrays.update({k: cloud[k].astype(np.float32) for k in ("color", "normal") if k in cloud})
        scores = np.zeros((len(arrays["coord"]), self.num_classes), dtype=np.float32)
        for rows in self.slabs(arrays["coord"]):
            part = arrays if rows is None else {k: v[rows] for k, v in arrays.items()}
            probs = self.scan_scores(part, on_fragment)
            if rows is None:
                scores = probs
            else:
                scores[rows] += probs
        return scores / np.maximum(scores.sum(1, keepdims=True), 1e-12)

    def scan_scores(self, arrays: dict[str, np.ndarray], on_fragment: Callable[[], None] | None) -> np.ndarray:
        """The tester's path on one scan (`utils.voting`): softmax scores summed over its fragments
        (`batch_size_test_per_gpu` at a time), normalised per point."""
        with tempfile.TemporaryDirectory(prefix="pointcept-csp-predict-") as root:
            dataset = self.scene_dataset(arrays, root)
            sample, fragments = load_test_sample(dataset, 0)
            batch_size = self.cfg.get("batch_size_test_per_gpu", 1)
            scores, _ = vote(
                self.model,
                fragments,
                len(sample["segment"]),
                self.num_classes,
                host.collate_fn,
                self.device,
                batch_size,
                on_fragment,
            )
        scores /= scores.sum(1, keepdim=True).clamp_min(1e-12)
        if "inverse" in sample:
            scores = scores[torch.as_tensor(np.asarray(sample["inverse"]), device=scores.device).long()]
        if len(scores) != len(arrays["coord"]):
            raise RuntimeError(f"the test pipeline returned {len(scores)} points for a scan of {len(arrays['coord'])}")
        return scores.cpu().numpy()


@torch.no_grad()
def classify(cfg, model: torch.nn.Module, device: torch.device, cloud: dict[str, np.ndarray]) -> np.ndarray:
    """Class probabilities `[num_classes]` of one object, through the config's test transform."""
    data = {k: v.astype(np.float32) for k, v in cloud.items()}
    data["coord"] = model_coordinates(cloud["coord"])
    transform = copy.deepcopy(list(cfg.data.test.transform))
    for t in transform:  # the object's class is what is asked for: Collect no longer expects a label or a name
        if t.get("type") == "Collect":
            t["keys"] = tuple(k for k in t["keys"] if k not in ("category", "name"))
    data = host.Compose(transform)(data)
    batch = to_device(host.collate_fn([data]), device)
    return F.softmax(model(batch)["cls_logits"].float(), dim=-1)[0].cpu().numpy()
