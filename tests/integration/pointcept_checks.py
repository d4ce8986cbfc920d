"""Checks run against a real Pointcept checkout (host = pointcept), one per process:

    POINTCEPT_CSP_HOST=pointcept PYTHONPATH=.:$POINTCEPT_ROOT python tests/integration/pointcept_checks.py <check>

Import-only stand-ins (tests/integration/pointcept_standins.py) cover Pointcept's CUDA-only extensions and optional
services; every object used here is Pointcept's own or ours. Each check prints "OK <check>" on success.
"""

from __future__ import annotations

import glob
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.integration.pointcept_standins import STUBBED, install  # noqa: E402

install()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import pointcept_csp  # noqa: E402, F401
from pointcept_csp import host  # noqa: E402

SCANNET_MINI = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-mini")
OUR_MODELS = (
    "PointCSP-SSM-v1m1",
    "PointCSP-v1m1",
    "SPD-Segmentor-v1m1",
    "SPD-Classifier-v1m1",
    "SPD-PartSegmentor-v1m1",
)


def check_registries():
    from pointcept.datasets.builder import DATASETS
    from pointcept.datasets.transform import TRANSFORMS
    from pointcept.engines.hooks.builder import HOOKS
    from pointcept.engines.train import TRAINERS
    from pointcept.models.builder import MODELS

    assert host.NAME == "pointcept", host.NAME
    assert host.MODELS is MODELS and host.TRANSFORMS is TRANSFORMS and host.HOOKS is HOOKS
    for name in OUR_MODELS:
        assert MODELS.get(name) is not None, name
    assert TRANSFORMS.get("MultiRegionCrop") is not None
    for hook in ("ModelProgress", "TeacherEMA", "WeightDecayScheduler", "SyncTeacher"):
        assert HOOKS.get(hook) is not None, hook
    assert DATASETS.get("SyntheticRoomsDataset") is not None and DATASETS.get("ThreeDSESDataset") is not None
    trainer = TRAINERS.get("CSPTrainer")
    from pointcept.engines.train import Trainer

    assert trainer is not None and issubclass(trainer, Trainer)


def check_configs():
    from pointcept.utils.config import Config

    paths = [
        p
        for p in glob.glob(os.path.join(ROOT, "configs", "**", "*.py"), recursive=True)
        if os.sep + "_base_" + os.sep not in p
    ]
    for path in paths:
        cfg = Config.fromfile(path)
        assert cfg.model.type in OUR_MODELS, (path, cfg.model.type)
        host.build_model(cfg.model)
    print(f"{len(paths)} configs loaded by Pointcept's Config.fromfile and built")


def check_pretraining_batch():
    """Pointcept's ScanNetDataset + Pointcept's GridSample / ToTensor / Collect + our MultiRegionCrop + Pointcept's
    point_collate_fn feed our pre-training model for a forward / backward on CPU."""
    from pointcept.datasets import build_dataset, point_collate_fn

    cfg = host.load_config(os.path.join(ROOT, "configs", "scannet", "pretrain-pointcsp-v1m1-0-tiny.py"))
    data_cfg = dict(cfg.data.train, data_root=SCANNET_MINI, split=["train", "val"])
    data_cfg["transform"][1]["global_max_points"], data_cfg["transform"][1]["local_max_points"] = 2000, 600
    dataset = build_dataset(data_cfg)
    assert type(dataset).__module__.startswith("pointcept."), type(dataset)
    np.random.seed(0)
    batch = point_collate_fn([dataset[0], dataset[1]])
    model = host.build_model(cfg.model).train()
    out = model(batch)
    out["loss"].backward()
    assert torch.isfinite(out["loss"]) and all(p.grad is None for p in model.teacher.parameters())
    print(f"pre-training loss {out['loss'].item():.4f} on {batch['global_coord'].shape[0]} global points")


def check_spd_eval_outputs():
    """Pointcept's S3DISDataset reads synthetic S3DIS-layout rooms through the tiny S3DIS config's val transforms; the
    SPD wrapper in eval mode returns `seg_logits` that Pointcept's metric code consumes."""
    from pointcept.datasets import build_dataset, collate_fn
    from pointcept.utils.misc import intersection_and_union

    from pointcept_csp.datasets.synthetic import write_rooms

    cfg = host.load_config(os.path.join(ROOT, "configs", "s3dis", "pointcsp-tiny.py"))
    with tempfile.TemporaryDirectory() as root:
        write_rooms(root, "s3dis", {"Area_5": [3, 4]}, density=40)
        dataset = build_dataset(dict(cfg.data.val, data_root=root))
        model = host.build_model(cfg.model).eval()
        with torch.no_grad():
            batch = collate_fn([dataset[0]])
            out = model(batch)
        pred = out["seg_logits"].argmax(1)[batch["inverse"]].numpy()
        inter, union, target = intersection_and_union(pred, batch["origin_segment"].numpy(), cfg.data.num_classes, -1)
        assert out["seg_logits"].shape == (batch["coord"].shape[0], cfg.data.num_classes)
        assert union.sum() > 0 and target.sum() == (batch["origin_segment"] >= 0).sum()


def check_trainer():
    """CSPTrainer, a subclass of Pointcept's Trainer, trains the tiny S3DIS config for an epoch on CPU through
    Pointcept's default_config_parser / default_setup, hooks and checkpointing."""
    from pointcept.engines.defaults import default_config_parser, default_setup
    from pointcept.engines.train import TRAINERS

    from pointcept_csp.datasets.synthetic import write_rooms

    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "rooms")
        write_rooms(root, "s3dis", {"Area_1": [1, 2], "Area_5": [3]}, density=40)
        options = {
            "save_path": os.path.join(tmp, "exp"),
            "data.train.data_root": root,
            "data.val.data_root": root,
            "data.test.data_root": root,
            "data.train.split": "Area_1",
            "evaluate": False,
            "num_worker": 1,
            "epoch": 6,
            "eval_epoch": 6,
            "batch_size": 2,
            "enable_wandb": False,
        }
        cfg = default_config_parser(os.path.join(ROOT, "configs", "s3dis", "pointcsp-tiny.py"), options)
        cfg.hooks = [h for h in cfg.hooks if h["type"] not in ("SemSegEvaluator",)]
        cfg = default_setup(cfg)
        trainer = TRAINERS.build(dict(type=cfg.train.type, cfg=cfg))
        assert type(trainer).__name__ == "CSPTrainer"
        trainer.train()
        checkpoint = torch.load(os.path.join(cfg.save_path, "model", "model_last.pth"), weights_only=False)
        assert checkpoint["epoch"] == 6 and any(k.startswith("teacher.") for k in checkpoint["state_dict"])


def check_optimizer_groups():
    """Under Pointcept, CSPTrainer builds the optimizer's groups itself: the SSM decay rates (A_log, dt_bias),
    Mamba2's D, norms and biases get weight decay 0, and keep it through WeightDecayScheduler steps, while the other
    weights follow the schedule (Pointcept's own build_optimizer would decay them all)."""
    from pointcept.engines.defaults import default_config_parser, default_setup
    from pointcept.engines.train import TRAINERS

    with tempfile.TemporaryDirectory() as tmp:
        options = {
            "save_path": os.path.join(tmp, "exp"),
            "data.train.data_root": SCANNET_MINI,
            "num_worker": 1,
            "enable_wandb": False,
            "model.backbone.mixer": "mamba2",
        }
        cfg = default_config_parser(
            os.path.join(ROOT, "configs", "scannet", "pretrain-pointcsp-v1m1-0-tiny.py"), options
        )
        cfg = default_setup(cfg)
        trainer = TRAINERS.build(dict(type=cfg.train.type, cfg=cfg))
        names = {n: p for n, p in trainer.model.named_parameters() if p.requires_grad}  # the teacher is frozen
        decay = {id(p): g for g in trainer.optimizer.param_groups for p in g["params"]}
        exempt = [n for n in names if n.endswith(("A_log", "dt_bias", ".D")) or "norm" in n or n.endswith(".bias")]
        assert {n.rsplit(".", 1)[-1] for n in exempt} >= {"A_log", "dt_bias", "D", "weight", "bias"}, exempt[:10]
        decayed = [n for n in names if n.endswith("proj.weight")]
        assert decayed and all(decay[id(names[n])]["weight_decay"] > 0 for n in decayed)
        hook = next(h for h in trainer.hooks if type(h).__name__ == "WeightDecayScheduler")
        hook.before_train()
        before = decay[id(names[decayed[0]])]["weight_decay"]
        for epoch, it in ((0, 0), (cfg.epoch // 2, 0), (cfg.epoch - 1, len(trainer.train_loader) - 1)):
            trainer.epoch, trainer.comm_info["iter"] = epoch, it
            hook.before_step()
            assert all(decay[id(names[n])]["weight_decay"] == 0.0 for n in exempt), "an exempt group was decayed"
        assert decay[id(names[decayed[0]])]["weight_decay"] > before  # the schedule ramps the others 0.04 -> 0.2
        print(f"{len(exempt)} parameters without weight decay, {len(decayed)} projection weights decayed")


def check_pointcept_train_script():
    """Pointcept's own tools/train.py runs our tiny S3DIS config (custom_imports brings the plugin in)."""
    import runpy

    from pointcept_csp.datasets.synthetic import write_rooms

    script = os.path.join(os.environ["POINTCEPT_ROOT"], "tools", "train.py")
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "rooms")
        write_rooms(root, "s3dis", {"Area_1": [1, 2], "Area_5": [3]}, density=40)
        save = os.path.join(tmp, "exp")
        sys.argv = [
            script,
            "--config-file",
            os.path.join(ROOT, "configs", "s3dis", "pointcsp-tiny.py"),
            "--num-gpus",
            "1",
            "--options",
            f"save_path={save}",
            f"data.train.data_root={root}",
            f"data.val.data_root={root}",
            f"data.test.data_root={root}",
            "data.train.split=Area_1",
            "evaluate=False",
            "num_worker=1",
            "epoch=6",
            "eval_epoch=6",
            "batch_size=2",
        ]
        runpy.run_path(script, run_name="__main__")
        assert os.path.isfile(os.path.join(save, "model", "model_last.pth"))
        with open(os.path.join(save, "train.log")) as f:
            assert "Model SPD-Segmentor-v1m1 on cpu" in f.read()  # built by CSPTrainer, on the CPU


CHECKS = {name[len("check_") :]: fn for name, fn in dict(globals()).items() if name.startswith("check_")}

if __name__ == "__main__":
    name = sys.argv[1]
    CHECKS[name]()
    print(f"stand-ins used: {sorted({s.split('.')[0] for s in STUBBED})}")
    print(f"OK {name}")
