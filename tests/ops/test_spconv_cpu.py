"""spconv's `SubMConv3d` behind `conv_backend="spconv"` against the native conv, on every CI run: spconv's CPU build
with one thread, through the test-only switch `POINTCEPT_CSP_SPCONV_CPU=1` (ops/sparse_spconv.py). Values, feature,
weight and bias gradients, a tiny backbone in both modes; the switch and its thread check raise clearly."""

import pytest
import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.models.sparse_conv import SubMConv3d
from pointcept_csp.ops.sparse import SparseGrid
from pointcept_csp.ops.sparse_spconv import CPU_SWITCH, has_spconv
from tests.helpers.common import assert_close, check_relative
from tests.helpers.inputs import pack, random_cells, scene

pytestmark = pytest.mark.skipif(not has_spconv(), reason="spconv is not installed (sh tools/test.sh installs it)")


@pytest.fixture
def spconv_on_cpu(monkeypatch):
    """The switch on, one thread, and spconv's CUDA-stream query answered with 0 (its CPU backward asks for one
    and passes it to no CPU kernel)."""
    import spconv.pytorch.ops as spconv_ops

    monkeypatch.setenv(CPU_SWITCH, "1")
    monkeypatch.setattr(spconv_ops, "get_current_stream", lambda: 0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def twin_convs(kernel_size):
    native = SubMConv3d(8, 16, kernel_size, backend="torch")
    torch.nn.init.normal_(native.bias)
    spconv = SubMConv3d(8, 16, kernel_size, backend="spconv")
    spconv.load_state_dict(native.state_dict())
    return native, spconv


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_spconv_conv_matches_native_with_gradients(spconv_on_cpu, kernel_size):
    """Asymmetric random weights: any permutation of the kernel axes or of C_in / C_out changes the product."""
    grid, batch = random_cells([60, 45, 1], extent=7, seed=3)
    native, spconv = twin_convs(kernel_size)
    feat = torch.randn(len(grid), 8, requires_grad=True)
    out = native(feat, SparseGrid(grid, batch))
    out_spconv = spconv(feat, SparseGrid(grid, batch))
    assert_close("spconv out", out_spconv, out, atol=1e-5, rtol=1e-5)
    dy = torch.randn_like(out)
    grads = torch.autograd.grad((out * dy).sum(), (feat, native.weight, native.bias))
    grads_spconv = torch.autograd.grad((out_spconv * dy).sum(), (feat, spconv.weight, spconv.bias))
    for name, a, b in zip(["dfeat", "dweight", "dbias"], grads_spconv, grads):
        assert_close(name, a, b, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("mode", ["csp", "independent"])
def test_tiny_backbone_spconv_matches_native(spconv_on_cpu, mode):
    def build(conv_backend):
        return host.build_model(
            dict(
                type="PointCSP-SSM-v1m1-test",
                in_channels=6,
                backend="torch",
                conv_backend=conv_backend,
                cross_sample=mode == "csp",
            )
        ).eval()

    native, spconv = build("torch"), build("spconv")
    spconv.load_state_dict(native.state_dict())
    batch = pack(scene(300, 0), scene(200, 1))
    out, out_spconv = native(batch)["feat"], spconv(batch)["feat"]
    check_relative("features", out_spconv, out, 1e-5)
    cotangent = torch.randn_like(out)
    (out * cotangent).sum().backward()
    (out_spconv * cotangent).sum().backward()
    spconv_params = dict(spconv.named_parameters())
    for name, p in native.named_parameters():  # fp32 sums in another order: relative to the gradient's norm
        check_relative(f"grad {name}", spconv_params[name].grad, p.grad, 1e-5)


def test_spconv_on_cpu_needs_the_switch_and_one_thread(monkeypatch):
    grid, batch = random_cells([5])
    conv = SubMConv3d(2, 2, backend="spconv")
    monkeypatch.delenv(CPU_SWITCH, raising=False)
    with pytest.raises(RuntimeError, match=f"CUDA tensors only.*{CPU_SWITCH}=1"):
        conv(torch.randn(5, 2), SparseGrid(grid, batch))
    monkeypatch.setenv(CPU_SWITCH, "1")
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with pytest.raises(RuntimeError, match="more than one thread: expected torch.get_num_threads\\(\\) == 1"):
            conv(torch.randn(5, 2), SparseGrid(grid, batch))
    finally:
        torch.set_num_threads(threads)
