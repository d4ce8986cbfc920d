"""SPD wrappers: batch-invariant student, gradient-free teacher, plain fine-tuning when SPD is off, any backbone,
weight loading into student and teacher with a report, classification and part segmentation heads, Pointcept's
`criteria` lists equal to the built-in task losses (or refused by name)."""

import pytest
import torch
import torch.nn.functional as F

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.models.losses import spd_loss
from pointcept_csp.models.spd import backbone_features
from pointcept_csp.models.weights import load_backbone
from tests.helpers.common import assert_close

OURS = dict(type="PointCSP-SSM-v1m1-test", in_channels=6)
NATIVE_UNET = dict(type="SpUNet-native-v1m1-test", in_channels=6)


def scene(n, seed, grid=0.1):
    g = torch.Generator().manual_seed(seed)
    coord = torch.rand(n, 3, generator=g) * 3
    return dict(
        coord=coord,
        feat=torch.randn(n, 6, generator=g),
        grid_coord=(coord / grid).floor().long(),
        segment=torch.randint(0, 5, (n,), generator=g),
    )


def pack(*scenes):
    out = {k: torch.cat([s[k] for s in scenes]) for k in scenes[0]}
    out["offset"] = torch.tensor([len(s["coord"]) for s in scenes]).cumsum(0)
    return out


def segmentor(backbone=OURS, **kw):
    return host.build_model(
        dict(type="SPD-Segmentor-v1m1", backbone=backbone, backbone_out_channels=16, num_classes=5, **kw)
    )


@pytest.mark.parametrize("backbone", [OURS, NATIVE_UNET], ids=["csp-ssm", "native-unet"])
def test_student_logits_do_not_depend_on_the_batch(backbone):
    model = segmentor(backbone).eval()
    a, b, c = scene(400, 0), scene(300, 1), scene(200, 2)
    with torch.no_grad():
        alone = model(pack(a))["seg_logits"]
        assert_close("A after B", model(pack(b, a))["seg_logits"][300:], alone, atol=1e-5)
        assert_close("A between", model(pack(c, a, b))["seg_logits"][200:600], alone, atol=1e-5)


@pytest.mark.parametrize("backbone", [OURS, NATIVE_UNET], ids=["csp-ssm", "native-unet"])
def test_teacher_gets_no_gradient_and_spd_term_trains_the_student(backbone):
    torch.manual_seed(0)
    model = segmentor(backbone, lambda_spd=1.0).train()
    with torch.no_grad():  # move the student away from the teacher so L_SPD is non-zero
        for p in model.backbone.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    out = model(pack(scene(400, 0), scene(300, 1)))
    assert out["loss_spd"] > 0
    out["loss"].backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert missing == []


def test_teacher_reads_the_batch_across_samples():
    torch.manual_seed(1)
    model = segmentor(OURS).train()
    calls = []
    original = model.teacher.forward

    def spy(data, cross_sample=None):
        calls.append(cross_sample)
        return original(data, cross_sample=cross_sample)

    model.teacher.forward = spy
    model(pack(scene(300, 0), scene(300, 1)))
    assert calls == [True]
    model = segmentor(OURS, teacher_cross_sample=False).train()
    original2 = model.teacher.forward
    model.teacher.forward = lambda data, cross_sample=None: (
        calls.append(cross_sample) or original2(data, cross_sample=cross_sample)
    )
    model(pack(scene(300, 0), scene(300, 1)))
    assert calls[-1] is False


def test_without_spd_the_wrapper_is_plain_fine_tuning():
    torch.manual_seed(2)
    model = segmentor(dict(OURS, shuffle_tokens=False), spd=False, lambda_spd=0.0).train()
    assert model.teacher is None
    batch = pack(scene(400, 0), scene(300, 1))
    torch.manual_seed(3)
    out = model(batch)
    torch.manual_seed(3)
    feat = model.backbone(batch, cross_sample=False)["feat"]
    expected = F.cross_entropy(model.seg_head(feat), batch["segment"])
    assert_close("loss", out["loss"], expected, atol=1e-6)
    assert "loss_spd" not in out


def test_pretraining_checkpoint_loads_into_student_and_teacher(tmp_path):
    pre = host.build_model(
        dict(type="PointCSP-v1m1", backbone=dict(OURS, grid_size=0.1), head_num_prototypes=8, num_local_view=2)
    )
    path = str(tmp_path / "model_last.pth")
    torch.save({"epoch": 1, "state_dict": {f"module.{k}": v for k, v in pre.state_dict().items()}}, path)
    model = segmentor(dict(OURS, grid_size=0.1), pretrained=path, pretrained_preset="pretrain")
    student, teacher = model.load_reports
    assert student.missing == [] and teacher.missing == [] and student.unexpected == []
    for key, value in pre.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value) and torch.equal(
            model.teacher.state_dict()[key], value
        )
    # the "teacher" preset reads the EMA teacher, not the student
    with torch.no_grad():
        for p in pre.teacher.backbone.parameters():
            p.add_(1.0)
    torch.save({"state_dict": pre.state_dict()}, path)
    load_backbone(model.backbone, path, "teacher")
    for key, value in pre.teacher.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
    # nothing matching fails loudly; an unknown preset too
    other = str(tmp_path / "other.pth")
    torch.save({"state_dict": {"head.weight": torch.zeros(2)}}, other)
    with pytest.raises(KeyError, match="no tensor of the checkpoint matched"):
        load_backbone(model.backbone, other, "pretrain")
    with pytest.raises(ValueError, match="preset must be one of"):
        load_backbone(model.backbone, path, "export")


def test_classifier_and_part_segmentor_outputs():
    torch.manual_seed(4)
    cls = host.build_model(
        dict(type="SPD-Classifier-v1m1", backbone=dict(OURS, enc_mode=True), backbone_out_channels=32, num_classes=7)
    ).train()
    batch = pack(scene(300, 0), scene(250, 1), scene(200, 2))
    batch["category"] = torch.tensor([1, 6, 3])
    out = cls(batch)
    assert torch.isfinite(out["loss"]) and all(v.numel() == 1 for v in out.values())  # training: scalars only
    assert cls.eval()(batch)["cls_logits"].shape == (3, 7)
    part = host.build_model(
        dict(type="SPD-PartSegmentor-v1m1", backbone=OURS, backbone_out_channels=16, num_classes=5, num_categories=4)
    ).train()
    batch["category"] = torch.tensor([0, 3, 2])
    out = part(batch)
    out["loss"].backward()
    assert part.category_embedding.weight.grad is not None
    assert part.eval()(batch)["seg_logits"].shape == (750, 5)


def test_out_of_range_labels_are_rejected():
    model = segmentor(OURS)
    bad = pack(scene(200, 0))
    bad["segment"][5] = 9
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 5\).*\[9\]"):
        model(bad)


def test_spd_target_is_deterministic_in_training():
    """The teacher runs in eval mode inside a training model: no drop path, no shuffle of its own."""
    model = segmentor(dict(OURS, drop_path=0.3, shuffle_tokens=True)).train()
    assert model.backbone.training and not model.teacher.training
    batch = pack(scene(400, 0), scene(300, 1))
    first, _ = backbone_features(model.teacher, batch, cross_sample=True)
    again, _ = backbone_features(model.teacher, batch, cross_sample=True)
    assert torch.equal(first, again)
    student_a, _ = backbone_features(model.backbone, batch, cross_sample=False)
    student_b, _ = backbone_features(model.backbone, batch, cross_sample=False)
    assert not torch.equal(student_a, student_b)  # the student still draws its shuffles and drop path


def test_momentum_horizon_scales_with_the_run():
    model = segmentor(momentum=dict(horizon=0.1, final=1.0))
    model.set_progress(0, 100)
    assert model.momentum == pytest.approx(0.9)  # time constant 10 steps of a 100-step run
    model.set_progress(0, 10000)
    assert model.momentum == pytest.approx(0.999)
    assert segmentor().momentum_cfg == dict(base=0.996, final=1.0)
    with pytest.raises(ValueError, match="exactly one of 'base' / 'horizon'"):
        segmentor(momentum=dict(base=0.99, horizon=0.1))
    with pytest.raises(ValueError, match="got keys"):
        segmentor(momentum=dict(bse=0.99))


def test_spd_normalize_compares_directions():
    student, teacher = torch.randn(50, 8), torch.randn(50, 8)
    assert spd_loss(3 * teacher + 1, teacher, "layer_norm").item() < 1e-8
    assert spd_loss(2 * teacher, teacher, "l2").item() < 1e-10
    assert spd_loss(2 * teacher, teacher).item() > 0.1
    assert spd_loss(student, teacher, "layer_norm").item() > 0.1
    with pytest.raises(ValueError, match="spd_normalize must be one of"):
        segmentor(spd_normalize="cosine")


class PlainBackbone(torch.nn.Module):
    """A backbone that knows nothing of SPD: per-point MLP, no `out_channels`, no `encoder_modules`."""

    def __init__(self, in_channels=6, channels=8):
        super().__init__()
        self.mlp = torch.nn.Linear(in_channels, channels)

    def forward(self, data):
        return self.mlp(data["feat"])


if host.MODELS.get("PlainBackbone-test") is None:
    host.MODELS.register_module("PlainBackbone-test", module=PlainBackbone)


def test_the_backbone_contract_is_checked():
    """The feature width comes from the backbone's `out_channels` (a configured one must match it), and
    `freeze_backbone="encoder"` needs the backbone's `encoder_modules`: what is missing is named."""
    plain = dict(type="PlainBackbone-test")
    model = host.build_model(dict(type="SPD-Segmentor-v1m1", backbone=plain, backbone_out_channels=8, num_classes=5))
    assert model(pack(scene(50, 0)))["loss"].isfinite()
    with pytest.raises(ValueError, match="PlainBackbone has no `out_channels`; give backbone_out_channels"):
        host.build_model(dict(type="SPD-Segmentor-v1m1", backbone=plain, num_classes=5))
    with pytest.raises(ValueError, match="backbone_out_channels=32 but"):
        host.build_model(dict(type="SPD-Segmentor-v1m1", backbone=OURS, backbone_out_channels=32, num_classes=5))
    inferred = host.build_model(dict(type="SPD-Segmentor-v1m1", backbone=OURS, num_classes=5))
    assert inferred.backbone_out_channels == inferred.backbone.out_channels
    with pytest.raises(ValueError, match="PlainBackbone has no `encoder_modules`"):
        host.build_model(
            dict(
                type="SPD-Segmentor-v1m1",
                backbone=plain,
                backbone_out_channels=8,
                num_classes=5,
                freeze_backbone="encoder",
            )
        )


@pytest.mark.parametrize("backbone", [OURS, NATIVE_UNET], ids=["csp-ssm", "native-unet"])
def test_decoder_probe_freezes_exactly_the_encoder(backbone):
    model = host.build_model(
        dict(type="SPD-Segmentor-v1m1", backbone=backbone, num_classes=5, freeze_backbone="encoder")
    )
    encoder = set(model.backbone.encoder_modules)
    for name, param in model.backbone.named_parameters():
        assert param.requires_grad == (name.split(".")[0] not in encoder), name
    assert any(n.startswith(("stem", "embedding")) for n, _ in model.backbone.named_parameters())  # the stem too


CE = dict(type="CrossEntropyLoss", loss_weight=1.0, ignore_index=-1)
LOVASZ = dict(type="LovaszLoss", mode="multiclass", loss_weight=0.5, ignore_index=-1)


def task_loss_and_logits(model, batch):
    model.eval()  # deterministic student (no drop path, curve orders)
    with torch.no_grad():
        out = model(batch)
    return out["loss_task"], out["seg_logits"] if "seg_logits" in out else out["cls_logits"]


def test_pointcepts_criteria_equal_the_built_in_task_losses():
    batch = pack(scene(300, 0), scene(200, 1))
    batch["segment"][:40] = -1
    torch.manual_seed(1)
    built_in = segmentor(OURS, lovasz_weight=0.5, spd=False)
    listed = segmentor(OURS, criteria=[CE, LOVASZ], spd=False)
    listed.load_state_dict(built_in.state_dict())  # the criteria add no weights to a checkpoint
    expected, _ = task_loss_and_logits(built_in, batch)
    got, logits = task_loss_and_logits(listed, batch)
    assert_close("CE + 0.5 Lovasz", got, expected, atol=1e-6)
    weighted_ce = dict(CE, weight=[1, 2, 3, 4, 5], label_smoothing=0.1, loss_weight=2.0)
    weighted = segmentor(OURS, criteria=[weighted_ce], spd=False)
    weighted.load_state_dict(built_in.state_dict())
    got, logits = task_loss_and_logits(weighted, batch)
    weight = torch.arange(1.0, 6.0)
    reference = 2.0 * F.cross_entropy(logits, batch["segment"], weight=weight, ignore_index=-1, label_smoothing=0.1)
    assert_close("weighted, smoothed CE", got, reference, atol=1e-6)


def test_the_classifier_takes_criteria_like_label_smoothing():
    batch = pack(scene(300, 0), scene(250, 1))
    batch["category"] = torch.tensor([1, 6])
    model = dict(type="SPD-Classifier-v1m1", backbone=dict(OURS, enc_mode=True), num_classes=7, spd=False)
    torch.manual_seed(2)
    built_in = host.build_model(dict(model, label_smoothing=0.2))
    listed = host.build_model(dict(model, criteria=[dict(CE, label_smoothing=0.2)]))
    listed.load_state_dict(built_in.state_dict())
    assert_close("smoothed CE", task_loss_and_logits(listed, batch)[0], task_loss_and_logits(built_in, batch)[0], 1e-6)


@pytest.mark.parametrize(
    "options, error",
    [
        (dict(criteria=[CE], lovasz_weight=1.0), "either as lovasz_weight or as a LovaszLoss"),
        (dict(criteria=[]), "non-empty list"),
        (dict(criteria=[dict(type="FocalLoss")]), "FocalLoss"),
        (dict(criteria=[dict(LOVASZ, per_image=True)]), "per_image"),
        (dict(criteria=[dict(LOVASZ, mode="binary")]), "multiclass"),
        (dict(criteria=[dict(CE, size_average=True)]), "reduction"),
    ],
    ids=["both", "empty", "unknown", "per-image", "binary", "deprecated"],
)
def test_criteria_the_standalone_host_cannot_honour_raise(options, error):
    with pytest.raises((ValueError, KeyError), match=error):
        segmentor(OURS, **options)
