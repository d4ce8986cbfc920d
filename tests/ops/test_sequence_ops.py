"""Sequence ops: chunked PyTorch == token-loop reference (float64, values, final states, every gradient), per-sample
resets == running samples alone, one long sequence == samples run one after another carrying the state."""

import functools

import pytest
import torch

from pointcept_csp.ops import (
    chunked_recurrence,
    gated_delta_rule,
    gated_delta_rule_reference,
    short_conv,
    short_conv_reference,
    ssd,
    ssd_reference,
)
from pointcept_csp.ops.gated_delta import chunk as gated_delta_chunk
from pointcept_csp.ops.ssd import chunk as ssd_chunk
from tests.helpers.common import assert_close, relative_error, requires_cuda
from tests.helpers.inputs import GDR_GRADS, SSD_GRADS, cu, gdr_inputs, run_gdr, run_ssd, ssd_inputs

# ragged batches: a length-1 sample, boundaries exactly on chunk edges (64, 128), odd lengths
LENGTHS = [
    pytest.param([1, 64, 63, 66], id="L1-64-63-66"),
    pytest.param([130], id="L130"),
    pytest.param([64, 128, 3], id="L64-128-3"),
]


def check_against_reference(run, fn, ref, inputs, names, atol, **kw):
    out, final = run(fn, inputs, **kw)
    ref_out, ref_final = run(ref, inputs, **{k: v for k, v in kw.items() if k != "backend"})
    assert_close("o", out, ref_out, atol=atol)
    assert_close("final_state", final, ref_final, atol=atol)
    do, dfinal = torch.randn_like(out), torch.randn_like(final)
    grads = torch.autograd.grad((out * do).sum() + (final * dfinal).sum(), inputs)
    ref_grads = torch.autograd.grad((ref_out * do).sum() + (ref_final * dfinal).sum(), inputs)
    for name, grad, ref_grad in zip(names, grads, ref_grads):
        assert_close(name, grad, ref_grad, atol=atol * 10)


@pytest.mark.parametrize("resets", [True, False], ids=["reset", "csp"])
@pytest.mark.parametrize("lengths", LENGTHS)
def test_gated_delta_torch_matches_reference(lengths, resets):
    inputs = gdr_inputs(sum(lengths), n_seq=len(lengths) if resets else 1)
    check_against_reference(
        run_gdr,
        gated_delta_rule,
        gated_delta_rule_reference,
        inputs,
        GDR_GRADS,
        1e-10,
        cu_seqlens=cu(lengths) if resets else None,
        backend="torch",
    )


@pytest.mark.parametrize("resets", [True, False], ids=["reset", "csp"])
@pytest.mark.parametrize("lengths", LENGTHS)
def test_ssd_torch_matches_reference(lengths, resets):
    inputs = ssd_inputs(sum(lengths), n_seq=len(lengths) if resets else 1)
    check_against_reference(
        run_ssd,
        ssd,
        ssd_reference,
        inputs,
        SSD_GRADS,
        1e-10,
        cu_seqlens=cu(lengths) if resets else None,
        backend="torch",
    )


@pytest.mark.parametrize("block_chunks", [1, 2])
@pytest.mark.parametrize("resets", [True, False], ids=["reset", "csp"])
def test_state_carried_across_blocks_matches_reference(monkeypatch, block_chunks, resets):
    """Long sequences are processed in blocks of chunks; the state pass hands its state from block to block, and
    sequence starts fall on the first chunk of a block, inside a block, or not at all."""
    lengths = [1, 64, 63, 130]
    blocked = functools.partial(chunked_recurrence.chunk_recurrence, block_chunks=block_chunks)
    monkeypatch.setattr(gated_delta_chunk, "chunk_recurrence", blocked)
    monkeypatch.setattr(ssd_chunk, "chunk_recurrence", blocked)
    kw = dict(cu_seqlens=cu(lengths) if resets else None, backend="torch")
    n_seq = len(lengths) if resets else 1
    for run, fn, ref, inputs, names in (
        (run_gdr, gated_delta_rule, gated_delta_rule_reference, gdr_inputs(sum(lengths), n_seq=n_seq), GDR_GRADS),
        (run_ssd, ssd, ssd_reference, ssd_inputs(sum(lengths), n_seq=n_seq), SSD_GRADS),
    ):
        check_against_reference(run, fn, ref, inputs, names, 1e-10, **kw)


@pytest.mark.parametrize("op", ["gdr", "ssd"])
def test_packed_resets_equal_samples_run_alone(op):
    lengths = [70, 1, 5]
    if op == "gdr":
        inputs, run, fn = gdr_inputs(sum(lengths), n_seq=3), run_gdr, gated_delta_rule
    else:
        inputs, run, fn = ssd_inputs(sum(lengths), n_seq=3), run_ssd, ssd
    out, final = run(fn, inputs, cu_seqlens=cu(lengths), backend="torch")
    token_inputs, shared = inputs[:-1], []
    if op == "ssd":  # A and D are per-head parameters, not per-token
        token_inputs, shared = [inputs[0], inputs[1], inputs[3], inputs[4]], [inputs[2], inputs[5]]
    pieces = [t.split(lengths, dim=1) for t in token_inputs]
    for n in range(len(lengths)):
        per_token = [p[n] for p in pieces]
        args = (
            per_token if op == "gdr" else [per_token[0], per_token[1], shared[0], per_token[2], per_token[3], shared[1]]
        )
        alone, alone_final = run(fn, args + [inputs[-1][n : n + 1]], backend="torch")
        sl = slice(sum(lengths[:n]), sum(lengths[: n + 1]))
        assert_close(f"o[{n}]", out[:, sl], alone, atol=1e-12)
        assert_close(f"final[{n}]", final[n : n + 1], alone_final, atol=1e-12)


def test_one_sequence_equals_samples_in_turn_carrying_state():
    lengths = [40, 90]
    q, k, v, g, beta, init = gdr_inputs(sum(lengths))
    whole, whole_final = gated_delta_rule(q, k, v, g, beta, initial_state=init, output_final_state=True)
    state, outs = init, []
    for piece in zip(*(t.split(lengths, dim=1) for t in (q, k, v, g, beta))):
        out, state = gated_delta_rule(*piece, initial_state=state, output_final_state=True)
        outs.append(out)
    assert_close("o", whole, torch.cat(outs, dim=1), atol=1e-12)
    assert_close("final_state", whole_final, state, atol=1e-12)
    # and with per-sample resets the second sample forgets the first
    reset, _ = gated_delta_rule(q, k, v, g, beta, cu_seqlens=cu(lengths))
    alone, _ = gated_delta_rule(*(t[:, lengths[0] :] for t in (q, k, v, g, beta)))
    assert_close("o[1] reset", reset[:, lengths[0] :], alone, atol=1e-12)
    assert (whole[:, lengths[0] :] - alone).abs().max() > 1e-3


def test_references_pass_gradcheck():
    q, k, v, g, beta, init = gdr_inputs(5, H=1, K=3, V=2, n_seq=2)
    c = cu([2, 3])
    assert torch.autograd.gradcheck(lambda *x: gated_delta_rule_reference(*x, cu_seqlens=c)[0], (q, k, v, g, beta))
    x, dt, A, B, C, D, _ = ssd_inputs(4, H=2, P=2, G=1, N=2)
    assert torch.autograd.gradcheck(lambda *a: ssd_reference(*a[:5], D=a[5])[0], (x, dt, A, B, C, D))


@pytest.mark.parametrize("width", [1, 2, 4])
def test_short_conv_matches_reference_and_does_not_leak(width):
    lengths = [3, 1, 7]
    # x a column slice, as the mixer passes it (a split of the fused projections)
    x = torch.randn(1, sum(lengths), 8, dtype=torch.float64)[..., 2:7].requires_grad_()
    weight = torch.randn(5, width, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(5, dtype=torch.float64, requires_grad=True)
    out = short_conv(x, weight, bias, cu_seqlens=cu(lengths))
    ref = short_conv_reference(x, weight, bias, cu_seqlens=cu(lengths))
    assert_close("y", out, ref, atol=1e-12)
    dy = torch.randn_like(out)
    for seqlens in (cu(lengths), None):
        out, ref = (
            short_conv(x, weight, bias, cu_seqlens=seqlens),
            short_conv_reference(x, weight, bias, cu_seqlens=seqlens),
        )
        assert_close(f"y, cu_seqlens={seqlens}", out, ref, atol=1e-12)
        for name, a, b in zip(
            ["dx", "dw", "db"],
            torch.autograd.grad((out * dy).sum(), (x, weight, bias)),
            torch.autograd.grad((ref * dy).sum(), (x, weight, bias)),
        ):
            assert_close(f"{name}, cu_seqlens={seqlens}", a, b, atol=1e-12)
    out = short_conv(x, weight, bias, cu_seqlens=cu(lengths))
    # changing the first sample leaves later samples untouched; without resets it leaks (a tap reaches back)
    changed = x.detach().clone()
    changed[:, :3] += 1.0
    assert_close("later samples", short_conv(changed, weight, bias, cu_seqlens=cu(lengths))[:, 3:], out[:, 3:], atol=0)
    leak = (short_conv(changed, weight, bias)[:, 3:] - short_conv(x, weight, bias)[:, 3:]).abs().max()
    assert leak > 1e-3 if width > 1 else leak == 0


def test_bad_inputs_raise_clear_errors(monkeypatch):
    q, k, v, g, beta, _ = gdr_inputs(6)
    with pytest.raises(ValueError, match="strictly increasing"):
        gated_delta_rule(q, k, v, g, beta, cu_seqlens=torch.tensor([0, 3, 3, 6]))
    with pytest.raises(ValueError, match="end at the token count 6"):
        gated_delta_rule(q, k, v, g, beta, cu_seqlens=torch.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"beta must have shape \(1, 6, 2\)"):
        gated_delta_rule(q, k, v, g, beta[:, :5])
    with pytest.raises(ValueError, match="supports backends"):
        gated_delta_rule(q, k, v, g, beta, backend="mamba")
    with pytest.raises(ValueError, match="backend must be one of"):
        gated_delta_rule(q, k, v, g, beta, backend="triton")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)  # CPU tensors reach fla only under Triton's interpreter
    with pytest.raises(RuntimeError, match="CUDA tensors only|needs the package"):
        gated_delta_rule(q, k, v, g, beta, backend="fla")
    with pytest.raises(RuntimeError, match="CUDA tensors only|needs the package"):
        ssd(*ssd_inputs(6)[:5], backend="mamba")


def check_gpu_backend(run, fn, inputs, names, backend, **kw):
    """A CUDA backend against the chunked PyTorch kernels on the same device, fp32: outputs and final states to
    1e-3 relative (TF32 inside the Triton kernels), every gradient under random cotangents to 1e-2."""
    out, final = run(fn, inputs, backend=backend, **kw)
    ref, ref_final = run(fn, inputs, backend="torch", **kw)
    for name, a, b in (("o", out, ref), ("final_state", final, ref_final)):
        assert a.shape == b.shape, f"{name}: shape {tuple(a.shape)} != {tuple(b.shape)}"
        assert relative_error(a, b) < 1e-3, f"{name}: relative error {relative_error(a, b):.2e}"
    do, dfinal = torch.randn_like(out), torch.randn_like(final)
    grads = torch.autograd.grad((out * do).sum() + (final * dfinal).sum(), inputs, allow_unused=True)
    ref_grads = torch.autograd.grad((ref * do).sum() + (ref_final * dfinal).sum(), inputs, allow_unused=True)
    for name, a, b in zip(names, grads, ref_grads):
        assert a is not None and b is not None, f"{name}: no gradient from backend {backend!r}"
        assert relative_error(a, b) < 1e-2, f"{name}: relative error {relative_error(a, b):.2e}"


@requires_cuda
def test_mamba_ssd_matches_torch_in_one_sequence():
    """mamba-ssm's kernels (the `mamba` extra; it takes an initial state only for a single sequence); fla's are
    checked by tests/ops/test_fla_kernels.py."""
    pytest.importorskip("mamba_ssm")
    inputs = ssd_inputs(498, H=4, P=64, G=1, N=64, n_seq=1, dtype=torch.float32, device="cuda")
    check_gpu_backend(run_ssd, ssd, inputs, SSD_GRADS, "mamba")
