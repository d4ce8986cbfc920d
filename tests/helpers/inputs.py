"""Test inputs several test files use: random scenes and their packed batches, the sequence ops' inputs in the
packed layout, random sparse cells."""

import torch
import torch.nn.functional as F

GDR_GRADS = ["dq", "dk", "dv", "dg", "dbeta", "dh0"]
SSD_GRADS = ["dx", "ddt", "dA", "dB", "dC", "dD", "dh0"]


def scene(n, seed, extent=3.0, grid_size=0.1):
    """A random cloud of `n` points in a cube of side `extent` (6 features), seeded, with its grid coordinates."""
    g = torch.Generator().manual_seed(seed)
    coord = torch.rand(n, 3, generator=g) * extent
    return dict(coord=coord, feat=torch.randn(n, 6, generator=g), grid_coord=(coord / grid_size).floor().long())


def pack(*scenes):
    """Scenes packed into one batch with Pointcept's `offset`."""
    out = {k: torch.cat([s[k] for s in scenes]) for k in ("coord", "feat", "grid_coord")}
    out["offset"] = torch.tensor([len(s["coord"]) for s in scenes]).cumsum(0)
    return out


def cu(lengths, device="cpu"):
    """`cu_seqlens` of samples of these lengths: [0, *offset]."""
    return F.pad(torch.tensor(lengths, device=device).cumsum(0), (1, 0))


def gdr_inputs(T, H=2, K=8, V=6, n_seq=1, dtype=torch.float64, device="cpu"):
    """q, k, v, g, beta and per-sequence initial states of the gated delta rule, all requiring gradients."""
    kw = dict(dtype=dtype, device=device)
    q, k = (F.normalize(torch.randn(1, T, H, K, **kw), dim=-1) for _ in range(2))
    v, g, beta = torch.randn(1, T, H, V, **kw), F.logsigmoid(torch.randn(1, T, H, **kw)), torch.rand(1, T, H, **kw)
    init = torch.randn(n_seq, H, K, V, **kw)
    return [x.requires_grad_() for x in (q, k, v, g, beta, init)]


def ssd_inputs(T, H=4, P=3, G=2, N=5, n_seq=1, dtype=torch.float64, device="cpu"):
    """x, dt, A, B, C, D and per-sequence initial states of SSD, all requiring gradients."""
    kw = dict(dtype=dtype, device=device)
    x, dt = torch.randn(1, T, H, P, **kw), F.softplus(torch.randn(1, T, H, **kw))
    A, B, C, D = (
        -torch.rand(H, **kw) - 0.1,
        torch.randn(1, T, G, N, **kw),
        torch.randn(1, T, G, N, **kw),
        torch.randn(H, **kw),
    )
    init = torch.randn(n_seq, H, P, N, **kw)
    return [t.requires_grad_() for t in (x, dt, A, B, C, D, init)]


def run_gdr(fn, inputs, **kw):
    q, k, v, g, beta, init = inputs
    return fn(q, k, v, g, beta, initial_state=init, output_final_state=True, **kw)


def run_ssd(fn, inputs, **kw):
    x, dt, A, B, C, D, init = inputs
    return fn(x, dt, A, B, C, D=D, initial_state=init, output_final_state=True, **kw)


def random_cells(n_per_sample, extent=6, seed=0):
    """Distinct random grid cells per sample (sizes `n_per_sample`) and each cell's sample index."""
    g = torch.Generator().manual_seed(seed)
    grids, batches = [], []
    for b, n in enumerate(n_per_sample):
        cells = torch.randperm(extent**3, generator=g)[:n]
        grids.append(torch.stack([cells // extent**2, cells // extent % extent, cells % extent], 1) - 2)
        batches.append(torch.full((n,), b))
    return torch.cat(grids), torch.cat(batches)
