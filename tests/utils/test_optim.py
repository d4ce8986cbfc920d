"""The optimizer's parameter groups (utils/optim.py), the same under both hosts: SSM decay rates, Mamba2's D, norms
and biases without weight decay; param_dicts learning rates."""

import pytest
import torch

from pointcept_csp import host
from pointcept_csp.utils.optim import build_optimizer, per_param_group


@pytest.mark.parametrize("mixer", ["gated_delta", "mamba2"])
def test_decay_rates_norms_and_biases_get_no_weight_decay(mixer):
    model = host.build_model(dict(type="PointCSP-SSM-v1m1-test", mixer=mixer))
    optimizer = build_optimizer(dict(type="AdamW", lr=1e-3, weight_decay=0.05), model, [dict(keyword="enc.1", lr=5e-4)])
    group_of = {id(p): g for g in optimizer.param_groups for p in g["params"]}
    for name, param in model.named_parameters():
        group = group_of[id(param)]
        exempt = name.endswith(("A_log", "dt_bias", ".D")) or param.dim() <= 1
        assert group["weight_decay"] == (0.0 if exempt else 0.05), name
        assert group["lr"] == (5e-4 if "enc.1" in name else 1e-3), name
    assert any(n.endswith("A_log") for n, _ in model.named_parameters())
    with pytest.raises(KeyError, match="not supported"):
        build_optimizer(dict(type="Lion", lr=1e-3), model)
    frozen = torch.nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        build_optimizer(dict(type="AdamW", lr=1e-3), frozen)


def test_per_group_max_lr_follows_the_weight_decay_split():
    model = host.build_model(dict(type="PointCSP-SSM-v1m1-test"))
    optimizer = build_optimizer(dict(type="AdamW", lr=1e-3, weight_decay=0.05), model, [dict(keyword="enc.1", lr=5e-4)])
    assert len(optimizer.param_groups) == 4  # (default, param_dicts[0]) x (decay, no decay)
    expanded = per_param_group([1e-3, 1e-4], optimizer)
    assert expanded == [1e-3 if g["lr_group"] == 0 else 1e-4 for g in optimizer.param_groups]
    with pytest.raises(ValueError, match="2 learning-rate groups"):
        per_param_group([1e-3], optimizer)
