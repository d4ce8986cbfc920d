"""CSP reach (models/reach.py): with the demo's defaults an untrained backbone carries the previous sample into a
sample's mixer outputs at every stage and into its output features; independent mode carries nothing; the
long-memory heads are what makes the state cross a sample."""

import pytest
import torch

from pointcept_csp import host
from pointcept_csp.datasets.synthetic import room_crops
from pointcept_csp.models.layers import decay_parameters
from pointcept_csp.models.reach import measure_reach, reach_table, stage_summary

DEMO_CFG = "configs/demo/pretrain-pointcsp-demo.py"


@pytest.fixture(scope="module")
def demo_setup():
    cfg = host.load_config(DEMO_CFG)
    torch.manual_seed(0)
    scenes = room_crops(3, 1500, cfg.model.backbone.grid_size, first_seed=5000)
    return dict(cfg.model.backbone), scenes


def build(backbone_cfg, **overrides):
    torch.manual_seed(0)
    return host.build_model(dict(backbone_cfg, **overrides))


def test_untrained_demo_backbone_carries_the_previous_sample(demo_setup):
    backbone_cfg, scenes = demo_setup
    model = build(backbone_cfg)
    csp = measure_reach(model, scenes, cross_sample=True)
    for stage in stage_summary(csp):
        assert stage["min_changed"] >= 0.5, reach_table(csp)
    assert csp["output"] >= 1e-2, reach_table(csp)
    independent = measure_reach(model, scenes, cross_sample=False)
    assert all(b["changed"] == 0.0 for b in independent["blocks"].values()), reach_table(independent)
    assert independent["output"] < 1e-5 and max(independent["stages"]) < 1e-5


def test_without_long_memory_heads_the_first_stage_forgets(demo_setup):
    backbone_cfg, scenes = demo_setup
    short = measure_reach(build(backbone_cfg, expected_tokens=None), scenes)
    long = measure_reach(build(backbone_cfg), scenes)
    assert stage_summary(short)[0]["min_changed"] < 0.2 < stage_summary(long)[0]["min_changed"]
    # memory as designed: the long head's e-folding memory is 2x the expected tokens, it keeps ~61% over a sample
    first = long["blocks"]["enc0.0"]
    assert max(first["memory"]) == pytest.approx(2 * backbone_cfg["expected_tokens"][0], rel=0.2)
    assert max(first["survival"]) == pytest.approx(0.61, abs=0.1)


def test_decay_parameters_size_the_long_heads():
    A_log, dt_bias = decay_parameters(8, "fla", long_memory_tokens=1000, long_memory_fraction=0.25)
    memory = 1 / (A_log.exp() * torch.nn.functional.softplus(dt_bias))
    assert torch.allclose(memory[-2:], torch.full((2,), 2000.0), rtol=1e-4)
    assert memory[:-2].max() < 2000 and A_log._no_weight_decay and dt_bias._no_weight_decay
    A_log, _ = decay_parameters(3, "mamba2", long_memory_tokens=50, long_memory_fraction=0.0)  # at least one head
    assert A_log[-1].item() == 0.0 and (A_log[:-1].exp() >= 1).all()
    with pytest.raises(ValueError, match="decay init must be one of"):
        decay_parameters(2, "s4")
    with pytest.raises(ValueError, match="expected_tokens sizes SSM memory"):
        host.build_model(dict(type="PointCSP-SSM-v1m1-test", mixer="patch_attention", expected_tokens=(10, 5)))


def test_reach_needs_three_samples(demo_setup):
    backbone_cfg, scenes = demo_setup
    with pytest.raises(ValueError, match="at least 3 samples"):
        measure_reach(build(backbone_cfg), scenes[:2])


def test_reach_report_measures_the_configs_backbone_with_its_weights(demo_setup, tmp_path):
    """engines/reach_report.py (what the demo and tools/csp_reach.py print) equals measure_reach on the config's
    backbone with the checkpoint's weights, on the same procedural rooms."""
    from pointcept_csp.engines.reach_report import ROOM_SEED, format_reach, reach_report

    backbone_cfg, _ = demo_setup
    torch.manual_seed(7)
    trained = host.build_model(backbone_cfg)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(0.05 * torch.randn_like(p))
    path = str(tmp_path / "backbone.pth")
    torch.save({"state_dict": {f"backbone.{k}": v for k, v in trained.state_dict().items()}}, path)
    reports = reach_report(DEMO_CFG, path, scenes=3)
    scenes = room_crops(3, 1500, backbone_cfg["grid_size"], first_seed=ROOM_SEED)
    expected = measure_reach(trained, scenes, cross_sample=True)
    assert reports["csp"]["output"] == pytest.approx(expected["output"], rel=1e-5)
    assert reports["csp"]["stages"] == pytest.approx(expected["stages"], rel=1e-5)
    untrained = reach_report(DEMO_CFG, scenes=3)
    assert untrained["csp"]["output"] != pytest.approx(expected["output"], rel=1e-3)  # the weights acted
    assert reports["independent"]["output"] < 1e-5
    assert "independent (control)" in format_reach(reports)
    with pytest.raises(ValueError, match="data must be"):
        reach_report(DEMO_CFG, data="scans")
