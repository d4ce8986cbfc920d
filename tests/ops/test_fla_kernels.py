"""flash-linear-attention's kernels behind `backend="fla"` against the float64 token loops and the chunked PyTorch
path, on every CI run: on CPU tensors under Triton's interpreter (tests/helpers/triton_interpreter.py), on CUDA
where a GPU exists. Outputs, final states and every gradient; one CSP sequence and per-sample resets with partial
chunks and initial states; both mixers, a tiny backbone in both modes, the SPD student/teacher pair, bf16 autocast."""

import pytest
import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.models.mixers import GatedDeltaNetMixer, Mamba2Mixer
from pointcept_csp.ops import gated_delta_rule, gated_delta_rule_reference, ssd, ssd_reference
from pointcept_csp.ops.backend import fla_training_blocker
from tests.helpers import triton_interpreter
from tests.helpers.common import check_relative
from tests.helpers.inputs import GDR_GRADS, SSD_GRADS, cu, gdr_inputs, pack, run_gdr, run_ssd, scene, ssd_inputs

pytestmark = [
    pytest.mark.fla,
    pytest.mark.skipif(triton_interpreter.skip_reason is not None, reason=str(triton_interpreter.skip_reason)),
]
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
# a single token, a sequence ending on fla's chunk edge (64) and partial chunks on both sides of it
LENGTHS = [40, 1, 64, 70]
# Triton's interpreter computes bf16 dots wrongly (numpy has no bf16: the op came out at 7e10 relative error, fp16 at
# 6e-4), so autocast on CPU tensors uses fp16, which exercises the same dtype handling of the adapters
AUTOCAST_DTYPE = torch.bfloat16 if DEVICE == "cuda" else torch.float16
# where fla refuses its backward (Hopper with triton < 3.7.1), the forwards are checked and the gradients skipped
BACKWARD_BLOCKED = fla_training_blocker(torch.empty(0, device=DEVICE))


def skip_backward_if_blocked():
    if BACKWARD_BLOCKED is not None:
        pytest.skip(f"forward checked; gradients not: {BACKWARD_BLOCKED}")


def check_against_float64(run, op, reference, inputs, names, **kw):
    """fp32 `backend="fla"` on DEVICE vs the float64 token loop on the CPU: outputs, final states, every gradient."""
    on_device = [x.detach().float().to(DEVICE).requires_grad_(BACKWARD_BLOCKED is None) for x in inputs]
    out, final = run(
        op, on_device, backend="fla", **{k: v.to(DEVICE) if torch.is_tensor(v) else v for k, v in kw.items()}
    )
    ref, ref_final = run(reference, inputs, **kw)
    check_relative("o", out, ref, 1e-4)
    check_relative("final_state", final, ref_final, 1e-4)
    skip_backward_if_blocked()
    do, dfinal = torch.randn_like(ref), torch.randn_like(ref_final)
    grads = torch.autograd.grad(
        (out * do.to(out)).sum() + (final * dfinal.to(final)).sum(), on_device, allow_unused=True
    )
    ref_grads = torch.autograd.grad((ref * do).sum() + (ref_final * dfinal).sum(), inputs)
    for name, grad, ref_grad in zip(names, grads, ref_grads):
        check_relative(name, grad, ref_grad, 1e-4)


@pytest.mark.parametrize("mode", ["csp", "independent"])
def test_gated_delta_fla_matches_reference(mode):
    """V != K, so a transposed state fails; CSP mode also passes a scale that is not K^-1/2."""
    resets = mode == "independent"
    inputs = gdr_inputs(sum(LENGTHS), H=2, K=16, V=32, n_seq=len(LENGTHS) if resets else 1)
    kw = dict(cu_seqlens=cu(LENGTHS)) if resets else dict(scale=0.3)
    check_against_float64(run_gdr, gated_delta_rule, gated_delta_rule_reference, inputs, GDR_GRADS, **kw)


@pytest.mark.parametrize("mode", ["csp", "independent"])
@pytest.mark.parametrize("groups", [1, 2])
def test_ssd_fla_matches_reference(mode, groups):
    """P != N, so a transposed state fails; two groups of B and C check the heads-per-group expansion."""
    resets = mode == "independent"
    inputs = ssd_inputs(sum(LENGTHS), H=4, P=16, G=groups, N=8, n_seq=len(LENGTHS) if resets else 1)
    kw = dict(cu_seqlens=cu(LENGTHS)) if resets else {}
    check_against_float64(run_ssd, ssd, ssd_reference, inputs, SSD_GRADS, **kw)


def twin_modules(build, **kw):
    """The same weights with backend "torch" (on the CPU) and "fla" (on DEVICE)."""
    torch.manual_seed(0)
    ours = build(backend="torch", **kw)
    theirs = build(backend="fla", **kw)
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs.to(DEVICE)


def check_modules_agree(ours, theirs, run, tol=1e-4):
    """Output and every parameter gradient of `run(module, device)` for the torch and fla twins."""
    out = run(ours, "cpu")
    with torch.set_grad_enabled(BACKWARD_BLOCKED is None):
        out_fla = run(theirs, DEVICE)
    check_relative("output", out_fla, out, tol)
    skip_backward_if_blocked()
    cotangent = torch.randn_like(out)
    (out * cotangent).sum().backward()
    (out_fla * cotangent.to(out_fla)).sum().backward()
    fla_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        if p.grad is not None:
            check_relative(f"grad {name}", fla_params[name].grad, p.grad, tol)


@pytest.mark.parametrize("mode", ["csp", "independent"])
@pytest.mark.parametrize("mixer", ["gated_delta", "mamba2"])
def test_mixers_fla_match_torch(mixer, mode):
    def build(**kw):
        if mixer == "gated_delta":
            return GatedDeltaNetMixer(32, num_heads=2, **kw)
        return Mamba2Mixer(16, state_size=8, head_dim=16, **kw)

    ours, theirs = twin_modules(build)
    feat = torch.randn(sum(LENGTHS), 32 if mixer == "gated_delta" else 16)
    seqlens = cu(LENGTHS) if mode == "independent" else None

    def run(module, device):
        return module(feat.to(device), None if seqlens is None else seqlens.to(device))

    check_modules_agree(ours, theirs, run)


def build_backbone(backend, **kw):
    return host.build_model(
        dict(type="PointCSP-SSM-v1m1-test", in_channels=6, backend=backend, conv_backend="torch", **kw)
    )


@pytest.mark.slow(fast="tests/ops/test_fla_kernels.py::test_mixers_fla_match_torch")
@pytest.mark.parametrize("mode", ["csp", "independent"])
def test_tiny_backbone_fla_matches_torch(mode):
    ours, theirs = twin_modules(build_backbone, cross_sample=mode == "csp")
    batch = pack(scene(300, 0), scene(200, 1))

    def run(model, device):
        return model.eval()({k: v.to(device) for k, v in batch.items()})["feat"]

    check_modules_agree(ours, theirs, run)


@pytest.mark.slow(fast="tests/ops/test_fla_kernels.py::test_mixers_fla_match_torch")
def test_spd_student_and_teacher_fla_match_torch():
    """The SPD pair: the teacher reads the batch as one sequence, the student each scene alone; loss and gradients."""

    def build(backend):
        backbone = dict(type="PointCSP-SSM-v1m1-test", in_channels=6, backend=backend, conv_backend="torch")
        return host.build_model(
            dict(type="SPD-Segmentor-v1m1", backbone=backbone, backbone_out_channels=16, num_classes=5, lambda_spd=1.0)
        )

    ours, theirs = twin_modules(build)
    with torch.no_grad():  # move the students away from their teachers so that L_SPD acts
        for a, b in zip(ours.backbone.parameters(), theirs.backbone.parameters()):
            step = torch.randn_like(a) * 0.02
            a.add_(step), b.add_(step.to(b))
    g = torch.Generator().manual_seed(0)
    batch = pack(scene(300, 0), scene(200, 1))
    batch["segment"] = torch.randint(0, 5, (500,), generator=g)

    def run(model, device):
        torch.manual_seed(1)  # the same token shuffles in both training forwards
        out = model.train()({k: v.to(device) for k, v in batch.items()})
        assert out["loss_spd"] > 0
        return out["loss"].reshape(1)

    check_modules_agree(ours, theirs, run)


@pytest.mark.parametrize("mixer", ["gated_delta", "mamba2"])
def test_mixers_fla_under_autocast(mixer):
    """Under autocast the mixers hand fla bf16 projections beside fp32 decays; the adapter gives the kernel one
    dtype (a GPU run stopped with `Both operands must be same dtype. Got fp32 and bf16` before it did). Against the
    fp32 torch path, within half-precision rounding."""
    build = (
        (lambda **kw: GatedDeltaNetMixer(32, num_heads=2, **kw))
        if mixer == "gated_delta"
        else (lambda **kw: Mamba2Mixer(32, state_size=8, head_dim=16, **kw))
    )
    ours, theirs = twin_modules(build)
    feat = torch.randn(sum(LENGTHS), 32)

    def run(module, device):
        with torch.autocast(device, dtype=AUTOCAST_DTYPE, enabled=module is theirs):
            return module(feat.to(device)).float()

    check_modules_agree(ours, theirs, run, tol=5e-2)


@pytest.mark.parametrize(
    "capability, triton, tilelang, blocked",
    [
        pytest.param((9, 0), "3.6.0", False, True, id="hopper-triton3.6"),
        pytest.param((9, 0), "3.4.0", False, True, id="hopper-triton3.4"),
        pytest.param((9, 0), "3.6.0", True, False, id="hopper-tilelang"),
        pytest.param((9, 0), "3.7.1", False, False, id="hopper-triton3.7.1"),
        pytest.param((9, 0), "3.3.1", False, False, id="hopper-triton3.3"),
        pytest.param((8, 0), "3.6.0", False, False, id="ampere"),
    ],
)
def test_hopper_triton_blocker(capability, triton, tilelang, blocked):
    from pointcept_csp.ops.backend import hopper_triton_blocker

    reason = hopper_triton_blocker(capability, triton, tilelang)
    assert (reason is not None) == blocked
    if blocked:
        assert f"triton {triton}" in reason and "3.7.1" in reason and "tilelang" in reason


def test_named_fla_raises_before_the_forward_where_its_backward_is_refused(monkeypatch):
    """A named "fla" fails at once with the reason when autograd will need its backward; inference still runs."""
    from pointcept_csp.ops import backend

    monkeypatch.setattr(backend, "fla_training_blocker", lambda x: "fla cannot train here: reason")
    q, k, v, g, beta, _ = gdr_inputs(8, dtype=torch.float32)
    with pytest.raises(RuntimeError, match="fla cannot train here: reason"):
        gated_delta_rule(q, k, v, g, beta, backend="fla")
    with torch.no_grad():
        out, _ = gated_delta_rule(q, k, v, g, beta, backend="fla")
    check_relative("o", out, gated_delta_rule_reference(q, k, v, g, beta)[0].detach(), 1e-4)
