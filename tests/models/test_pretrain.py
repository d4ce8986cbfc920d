"""PointCSP pre-training: teacher only moves by EMA, L_CSC equals a per-point recomputation, L_geo vanishes for a
perfect decoder, CSP couples samples, and the tiny config trains end to end through tools/train.py."""

import os
import re

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.datasets.synthetic import generate_room
from pointcept_csp.models.pointcsp_v1m1_base import View, point_features
from pointcept_csp.models.serialization import offset_to_batch
from tests.helpers.common import SCANNET_MINI, assert_close, run_tool

BACKBONE = dict(type="PointCSP-SSM-v1m1-test", in_channels=6, grid_size=0.1)
MODEL = dict(
    type="PointCSP-v1m1",
    backbone=BACKBONE,
    teacher_custom=dict(drop_path=0.0),
    head_hidden_channels=32,
    head_embed_channels=16,
    head_num_prototypes=24,
    num_global_view=2,
    num_local_view=2,
    match_radius=0.15,
    geo_samples=64,
)
PIPELINE = [
    dict(type="GridSample", grid_size=0.1, hash_type="fnv", mode="train"),
    dict(
        type="MultiRegionCrop",
        global_num=2,
        local_num=2,
        shared_transform=[dict(type="NormalizeColor")],
        global_transform=[dict(type="RandomRotate", angle=[-1, 1], axis="z", p=1.0)],
        local_transform=[dict(type="RandomJitter", sigma=0.01, clip=0.02)],
    ),
    dict(type="ToTensor"),
    dict(
        type="Collect",
        keys=(
            "global_origin_coord",
            "global_coord",
            "global_offset",
            "local_origin_coord",
            "local_coord",
            "local_offset",
        ),
        offset_keys_dict=dict(),
        global_feat_keys=("global_color", "global_normal"),
        local_feat_keys=("local_color", "local_normal"),
    ),
]


def make_batch(seeds=(0, 1)):
    np.random.seed(0)
    transforms = [host.TRANSFORMS.build(c) for c in PIPELINE]
    samples = []
    for seed in seeds:
        r = generate_room(seed, density=40)
        s = dict(coord=r["coord"], color=r["color"].astype(np.float32), normal=r["normal"])
        for t in transforms:
            s = t(s)
        samples.append(s)
    return host.point_collate_fn(samples)


def test_teacher_gets_no_gradient_and_moves_only_by_scheduled_ema():
    torch.manual_seed(0)
    model = host.build_model(MODEL).train()
    batch = make_batch()
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    model(batch)["loss"].backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert any(p.grad is not None for p in model.backbone.parameters())
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    assert all(torch.equal(before[k], v) for k, v in model.teacher.state_dict().items())  # the step itself: untouched
    model.set_progress(50, 100)  # half way: cosine momentum 0.994 -> 1 gives 0.997
    assert model.momentum == pytest.approx(0.997)
    assert model.update_teacher()
    student = dict(model.backbone.named_parameters())
    for name, value in model.teacher.backbone.named_parameters():
        assert_close(name, value, 0.997 * before[f"backbone.{name}"] + 0.003 * student[name], atol=1e-6)


def test_csc_loss_equals_per_point_recomputation():
    torch.manual_seed(1)
    model = host.build_model(dict(MODEL, local_weight=1.0, global_weight=0.0)).eval()
    batch = make_batch()
    out = model(batch)
    glob, loc = View(batch, "global", 2), View(batch, "local", 2)  # the packing the model uses (slot-major)
    with torch.no_grad():
        t_logits = model.teacher.head(point_features(model.teacher.backbone(glob.input)))
        s_logits = model.head(point_features(model.backbone(loc.input)))
    targets = F.softmax((t_logits - model.center) / model.teacher_temp, dim=-1)
    log_p = F.log_softmax(s_logits / model.student_temp, dim=-1)
    s_sample, t_sample, t_slot = loc.sample, glob.sample, glob.slot
    terms = []
    for slot in range(2):  # every local point against each teacher global view, brute force
        ce = []
        for i in range(len(s_logits)):
            cand = ((t_sample == s_sample[i]) & (t_slot == slot)).nonzero().squeeze(1)
            d = (glob.origin[cand] - loc.origin[i]).norm(dim=1)
            if d.min() <= model.match_radius:
                ce.append(-(targets[cand[d.argmin()]] * log_p[i]).sum())
        if ce:
            terms.append(torch.stack(ce).mean())
    assert terms
    assert_close("loss_csc_local", out["loss_csc_local"], torch.stack(terms).mean(), atol=1e-4)
    assert_close("loss_csc", out["loss_csc"], torch.stack(terms).mean(), atol=1e-4)


def test_recomputed_heads_give_the_same_loss_and_gradients_and_keep_less():
    """recompute_heads runs the student head (in chunks of head_chunk points) and each L_CSC term again in
    backward: the loss and every gradient are those of the stored computation, with less kept for backward."""
    batch = make_batch()
    runs = {}
    for name, options in (("stored", {}), ("recomputed", dict(recompute_heads=True, head_chunk=97))):
        torch.manual_seed(0)
        model = host.build_model(dict(MODEL, **options)).train()
        kept = {}

        def pack(tensor, kept=kept):
            kept[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
            return tensor

        torch.manual_seed(1)
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
            loss = model(batch)["loss"]
        loss.backward()
        grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
        runs[name] = (loss.detach(), grads, sum(kept.values()), model.center.clone())
    loss, grads, kept, center = runs["stored"]
    other_loss, other_grads, other_kept, other_center = runs["recomputed"]
    assert_close("loss", other_loss, loss, atol=1e-6)
    assert_close("center", other_center, center, atol=1e-7)
    assert sorted(other_grads) == sorted(grads) and any(n.startswith("head.") for n in grads)
    for name, grad in grads.items():  # float32 sums in another order (chunks): equal to rounding
        assert_close(f"d{name}", other_grads[name], grad, atol=1e-6, rtol=1e-5)
    assert other_kept < kept
    with pytest.raises(ValueError, match="head_chunk must be a positive"):
        host.build_model(dict(MODEL, head_chunk=0))


def test_inplace_teacher_targets_equal_the_plain_softmax():
    from pointcept_csp.models.losses import teacher_targets

    logits, center = torch.randn(50, 24) * 5, torch.randn(1, 24)
    expected = teacher_targets(logits, 0.04, center, "center")
    assert_close("targets", teacher_targets(logits.clone(), 0.04, center, "center", inplace=True), expected, atol=1e-6)


def test_views_are_packed_so_every_boundary_joins_two_scenes():
    batch = make_batch((0, 1, 2))
    for prefix in ("global", "local"):
        view = View(batch, prefix, 2)
        starts = torch.cat([view.input["offset"].new_zeros(1), view.input["offset"][:-1]])
        first_sample = view.sample[starts]  # the scene of each packed view, in sequence order
        assert (first_sample[1:] != first_sample[:-1]).all(), f"{prefix}: {first_sample.tolist()}"
        assert first_sample.tolist() == [0, 1, 2, 0, 1, 2]
        # every point keeps its scene and slot: the same multiset of original coordinates per (scene, slot)
        collated = offset_to_batch(batch[f"{prefix}_offset"])
        for v in range(6):
            mine = view.origin[(view.sample == v // 2) & (view.slot == v % 2)]
            assert torch.equal(mine, batch[f"{prefix}_origin_coord"][collated == v])


def test_geometry_loss_is_zero_for_a_decoder_that_returns_the_true_coordinates():
    model = host.build_model(dict(MODEL, geo_stages=[0])).eval()
    coord = torch.rand(200, 3) * 4
    batch = torch.zeros(200, dtype=torch.long)
    center, scale = coord.mean(0), (coord - coord.mean(0)).norm(dim=1).max()
    stage = dict(feat=(coord - center) / scale, coord=coord, batch=batch)  # features that encode the position
    model.geo.decoders[0] = nn.Identity()
    assert model.geo(dict(stages=[stage])).item() == pytest.approx(0.0, abs=1e-10)
    stage["feat"] = stage["feat"] + 0.1
    assert model.geo(dict(stages=[stage])).item() == pytest.approx(0.03, rel=1e-4)


def test_csp_makes_second_scene_depend_on_the_first():
    torch.manual_seed(2)
    model = host.build_model(MODEL).eval()
    a, b, c = make_batch((0,)), make_batch((1,)), make_batch((2,))

    def features(first, cross_sample):
        offset = torch.cat([first["global_offset"][:1], first["global_offset"][:1] + b["global_offset"][:1]])
        view = dict(
            coord=torch.cat([first["global_coord"][: offset[0]], b["global_coord"][: b["global_offset"][0]]]),
            feat=torch.cat([first["global_feat"][: offset[0]], b["global_feat"][: b["global_offset"][0]]]),
            offset=offset,
        )
        return point_features(model.backbone(view, cross_sample=cross_sample))[offset[0] :]

    with torch.no_grad():
        assert (features(a, True) - features(c, True)).abs().max() > 1e-3
        assert_close("independent", features(a, False), features(c, False), atol=1e-5)


@pytest.mark.skipif(not os.path.isdir(SCANNET_MINI), reason=f"real sample scans not found at {SCANNET_MINI}")
def test_tiny_config_trains_end_to_end_and_exports(tmp_path):
    save = str(tmp_path / "pre")
    run_tool(
        "tools/train.py",
        "--config-file",
        "configs/scannet/pretrain-pointcsp-v1m1-0-tiny.py",
        "--options",
        f"save_path={save}",
        "epoch=12",
        "eval_epoch=1",
        "model.teacher_temp.warmup_ratio=0.0",
        "data.train.transform.1.global_max_points=2000",
        "data.train.transform.1.local_max_points=600",
        "optimizer.lr=0.005",
        "scheduler.max_lr=0.005",
        "scheduler.pct_start=0.05",
    )
    with open(os.path.join(save, "train.log")) as f:
        log = f.read()
    rows = re.findall(r"Train: .*", log)
    assert len(rows) == 6
    for term in ("loss", "loss_csc", "loss_csc_global", "loss_csc_local", "loss_geo", "center_entropy"):
        values = [float(re.search(rf" {term}: ([-0-9.naif]+)", r).group(1)) for r in rows]
        assert all(np.isfinite(values)), (term, values)
    losses = [float(re.search(r" loss: ([0-9.]+)", r).group(1)) for r in rows]
    assert np.mean(losses[-2:]) < np.mean(losses[:2]), losses
    ckpt = os.path.join(save, "model", "model_last.pth")
    assert os.path.isfile(ckpt)
    exported = str(tmp_path / "backbone.pth")
    run_tool("tools/export_backbone.py", ckpt, exported)
    state = torch.load(exported, weights_only=True)
    assert state["state_dict"] and all(k.startswith("backbone.") for k in state["state_dict"])
    assert state["config"]["type"] == "PointCSP-SSM-v1m1"
