"""tools/batch_gap: predictions never change with the batch in independent mode, and do in cross-sample mode."""

import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from tools.studies.batch_gap import measure


def scene(n, seed):
    g = torch.Generator().manual_seed(seed)
    coord = torch.rand(n, 3, generator=g) * 3
    return dict(
        coord=coord,
        feat=torch.randn(n, 6, generator=g),
        grid_coord=(coord / 0.1).floor().long(),
        segment=torch.randint(0, 4, (n,), generator=g),
        offset=torch.tensor([n]),
    )


def test_independent_mode_has_no_batch_gap_and_csp_mode_has_one():
    torch.manual_seed(0)
    model = host.build_model(
        dict(
            type="SPD-Segmentor-v1m1",
            backbone=dict(type="PointCSP-SSM-v1m1-test"),
            backbone_out_channels=16,
            num_classes=4,
        )
    ).eval()
    with torch.no_grad():  # slow decay (long memory), so that the state of an untrained model reaches far
        for name, param in model.named_parameters():
            if name.endswith("A_log"):
                param.fill_(-10.0)
    samples = [scene(300 + 50 * i, i) for i in range(4)]
    report = measure(model, samples, num_classes=4, batch_size=3, repeats=2)
    assert report["independent"]["disagreement"] == 0.0
    assert report["independent"]["mIoU_alone"] == report["independent"]["mIoU_batched"]
    assert report["cross_sample"]["disagreement"] > 0.0
