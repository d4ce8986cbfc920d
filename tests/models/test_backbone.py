"""CSP-SSM backbone: independent mode is batch-invariant, CSP mode propagates across samples, gradients reach every
parameter, the encoder-only mode gives one level per sample, bad batches raise."""

import pytest
import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from tests.helpers.common import assert_close, relative_error, requires_cuda
from tests.helpers.inputs import pack, scene


def build(**kw):
    return host.build_model(dict(type="PointCSP-SSM-v1m1-test", in_channels=6, **kw))


@pytest.mark.parametrize("mixer", ["gated_delta", "mamba2"])
def test_independent_mode_output_does_not_depend_on_the_batch(mixer):
    model = build(mixer=mixer, cross_sample=False).eval()
    a, b, c = scene(700, 0), scene(500, 1), scene(300, 2)
    with torch.no_grad():
        alone = model(pack(a))["feat"]
        for batch, start in ((pack(a, b), 0), (pack(b, a), 500), (pack(b, c, a), 800)):
            assert_close("scene A", model(batch)["feat"][start : start + 700], alone, atol=1e-5)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_cross_sample_mode_propagates_state(bidirectional):
    model = build(cross_sample=True, bidirectional=bidirectional).eval()
    a, b = scene(700, 0), scene(500, 1)
    with torch.no_grad():
        b_alone = model(pack(b))["feat"]
        b_second = model(pack(a, b))["feat"][700:]
        assert (b_second - b_alone).abs().max() > 1e-3  # the state flowed from A into B
        a_alone = model(pack(a))["feat"]
        a_first = model(pack(a, b))["feat"][:700]
        if bidirectional:
            assert (a_first - a_alone).abs().max() > 1e-3  # the reversed scan carries B into A
        else:
            assert_close("first scene", a_first, a_alone, atol=1e-5)
        # the per-call override runs the same weights independently
        assert_close("override", model(pack(a, b), cross_sample=False)["feat"][700:], b_alone, atol=1e-5)


def test_training_step_on_four_scenes_reaches_every_parameter():
    model = build(drop_path=0.1).train()
    batch = pack(*(scene(4000, s, extent=6.0, grid_size=0.08) for s in range(4)))
    out = model(batch)
    assert out["feat"].shape == (16000, 16)
    (out["feat"].pow(2).mean() + sum(s["feat"].mean() for s in out["stages"])).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert missing == []


def saved_bytes(fn) -> int:
    """Bytes autograd keeps for backward while `fn()` runs (each storage counted once)."""
    seen = {}

    def pack(tensor):
        seen[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        out = fn()
    return out, sum(seen.values())


@pytest.mark.parametrize("mixer", ["gated_delta", "patch_attention"])
def test_recompute_keeps_features_and_gradients_and_saves_less(mixer):
    """recompute="mixer" / "block" run parts of the step again in backward: same features and gradients as storing
    everything (shuffles and drop path included), with less kept for backward."""
    batch = pack(scene(900, 0), scene(700, 1))
    results = {}
    for recompute in ("none", "mixer", "block"):
        torch.manual_seed(0)
        model = build(mixer=mixer, drop_path=0.2, recompute=recompute).train()
        torch.manual_seed(1)
        out, kept = saved_bytes(lambda model=model: model(batch)["feat"])
        out.pow(2).mean().backward()
        results[recompute] = (out, {n: p.grad for n, p in model.named_parameters()}, kept)
    out, grads, kept = results["none"]
    for recompute in ("mixer", "block"):
        other_out, other_grads, other_kept = results[recompute]
        assert_close(f"{recompute} features", other_out, out, atol=1e-6)
        for name, grad in grads.items():
            assert_close(f"{recompute} d{name}", other_grads[name], grad, atol=1e-6)
    assert results["block"][2] < results["mixer"][2] < kept


def test_eval_is_repeatable_and_training_shuffles():
    model = build(shuffle_tokens=True)
    batch = pack(scene(600, 3))
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(batch)["feat"], model(batch)["feat"])
        model.train()
        assert (model(batch)["feat"] - model(batch)["feat"]).abs().max() > 0


def test_encoder_mode_and_stages():
    model = build(enc_mode=True).eval()
    batch = pack(scene(600, 0), scene(400, 1), scene(200, 2))
    out = model(batch)
    assert out["feat"].shape[1] == 32 and len(out["offset"]) == 3
    assert torch.equal(out["offset"][-1], torch.tensor(out["feat"].shape[0]))
    assert [s["feat"].shape[1] for s in out["stages"]] == [16, 32]
    for stage in out["stages"]:  # every input point maps to a stage point of its own sample
        assert torch.equal(
            stage["batch"][stage["point_index"]],
            torch.repeat_interleave(torch.arange(3), torch.tensor([600, 400, 200])),
        )


def test_duplicate_cells_are_merged_and_broadcast_back():
    model = build().eval()
    s = scene(300, 0)
    doubled = {k: torch.cat([v, v]) for k, v in s.items()}
    with torch.no_grad():
        out = model(pack(doubled))["feat"]
        assert_close("duplicates share features", out[:300], out[300:], atol=0)
        assert_close("same as unique", out[:300], model(pack(s))["feat"], atol=1e-5)


def test_bad_batches_raise_clear_errors():
    model = build(max_tokens=500)
    s = scene(300, 0)
    with pytest.raises(ValueError, match="in_channels=6"):
        model(dict(pack(s), feat=torch.randn(300, 4)))
    with pytest.raises(ValueError, match="strictly increasing"):
        model(dict(pack(s, s), offset=torch.tensor([300, 300, 600])))
    with pytest.raises(ValueError, match="offset ends at 500"):
        model(dict(pack(s), offset=torch.tensor([500])))
    bad = dict(pack(s, s))
    bad["coord"] = bad["coord"].clone()
    bad["coord"][450, 1] = float("nan")
    with pytest.raises(ValueError, match="coord has NaN/Inf values.*sample 1"):
        model(bad)
    with pytest.raises(ValueError, match="above max_tokens=500"):
        model(pack(s, s))
    model(pack(s, s), cross_sample=False)  # independent mode: each sequence is one sample, below the cap
    with pytest.raises(ValueError, match="the batch is empty"):
        model(
            dict(
                coord=torch.zeros(0, 3),
                feat=torch.zeros(0, 6),
                grid_coord=torch.zeros(0, 3, dtype=torch.long),
                offset=torch.tensor([0]),
            )
        )
    with pytest.raises(KeyError, match="grid_coord"):
        model({k: v for k, v in pack(s).items() if k != "grid_coord"})


def test_patch_attention_mixer_matches_per_patch_attention():
    from pointcept_csp.models.mixers import PatchAttentionMixer

    mixer = PatchAttentionMixer(16, num_heads=2, patch_size=8).double()
    x = torch.randn(21, 16, dtype=torch.float64)
    out = mixer(x, torch.tensor([0, 5, 21]))
    expected = []
    for start, end in [(0, 5), (5, 13), (13, 21)]:  # patches restart at the sample start (token 5)
        q, k, v = mixer.qkv(x[start:end]).view(end - start, 3, 2, 8).unbind(1)
        attn = torch.softmax(torch.einsum("ihd,jhd->hij", q, k) / 8**0.5, dim=-1)
        expected.append(mixer.proj(torch.einsum("hij,jhd->ihd", attn, v).reshape(end - start, 16)))
    assert_close("patch attention", out, torch.cat(expected), atol=1e-12)
    model = build(mixer="patch_attention", mixer_cfg=dict(patch_size=128), cross_sample=False).eval()
    a, b = scene(300, 0), scene(200, 1)
    with torch.no_grad():
        assert_close("independent", model(pack(b, a))["feat"][200:], model(pack(a))["feat"], atol=1e-5)


@requires_cuda
@pytest.mark.parametrize("conv_backend", ["torch", "auto"])
def test_backbone_on_cuda_matches_the_cpu(conv_backend):
    """The GPU path ("auto": fla and spconv where installed; "torch": the native ops on CUDA) gives the CPU's
    features for the same weights."""
    cpu = build(conv_backend="torch", backend="torch").eval()
    gpu = build(conv_backend=conv_backend, backend=conv_backend).eval()
    gpu.load_state_dict(cpu.state_dict())
    gpu.to("cuda")
    batch = pack(scene(700, 0), scene(500, 1))
    with torch.no_grad():
        expected = cpu(batch)["feat"]
        got = gpu({k: v.to("cuda") for k, v in batch.items()})["feat"].cpu()
    assert_close("features", got, expected, atol=1e-2, rtol=1e-2)  # TF32 inside fla; a wrong layout is O(1)


@requires_cuda
def test_bf16_autocast_training_step_stays_finite():
    """One training step under bf16 autocast (as the pre-training configs run) on the GPU path: a finite loss, a
    finite gradient for every parameter, and features within bf16 rounding of the fp32 forward."""
    model = build(backend="auto", conv_backend="auto", drop_path=0.1).to("cuda").train()
    batch = {k: v.to("cuda") for k, v in pack(*(scene(4000, s, extent=6.0, grid_size=0.08) for s in range(4))).items()}
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = model(batch)["feat"].float().pow(2).mean()
    loss.backward()
    assert torch.isfinite(loss), f"loss {loss.item()}"
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), f"{name}: missing or non-finite gradient"
    model.eval()
    with torch.no_grad():
        full = model(batch)["feat"]
        with torch.autocast("cuda", dtype=torch.bfloat16):
            half = model(batch)["feat"].float()
    assert relative_error(half, full) < 5e-2, f"bf16 vs fp32 features: {relative_error(half, full):.2e}"


def test_options_that_would_do_nothing_raise():
    with pytest.raises(ValueError, match="recompute must be one of"):
        build(recompute=True)
    with pytest.raises(ValueError, match="set recompute on the backbone"):
        build(mixer_cfg=dict(recompute=True))
    with pytest.raises(ValueError, match="patch attention has no scan direction"):
        build(mixer="patch_attention", bidirectional=True)
    with pytest.raises(ValueError, match="patch attention has no scan direction"):
        build(mixer="patch_attention", backend="fla")
    with pytest.raises(TypeError):
        build(mixer="patch_attention", mixer_cfg=dict(backend="fla"))
    from pointcept_csp.standalone.transforms import GridSample

    with pytest.raises(ValueError, match="hash_type must be one of"):
        GridSample(grid_size=0.1, hash_type="xxhash")
    with pytest.raises(TypeError):
        GridSample(grid_size=0.1, return_displacment=True)
