"""Checks run against a real Pointcept checkout (host = pointcept), one per process:

    POINTCEPT_CSP_HOST=pointcept PYTHONPATH=.:$POINTCEPT_ROOT python tests/integration/pointcept_checks.py <check>

Import-only stand-ins (tests/helpers/pointcept_standins.py) cover Pointcept's CUDA-only extensions and optional
services; every object used here is Pointcept's own or ours. Each check prints "OK <check>" on success.
"""

from __future__ import annotations

import glob
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.helpers.pointcept_standins import STUBBED, install  # noqa: E402

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
    assert DATASETS.get("ThreeDSESDataset") is not None
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
    leaked = sorted(m for m in sys.modules if m.startswith("pointcept_csp.standalone"))
    assert not leaked, f"under Pointcept the standalone host must not load, but these did: {leaked}"
    print(f"{len(paths)} configs loaded by Pointcept's Config.fromfile and built; the standalone host never loaded")


def require_scans() -> None:
    if not os.path.isdir(os.path.join(SCANNET_MINI, "train")):
        raise FileNotFoundError(f"the real sample scans are not at {SCANNET_MINI} (../shared/data/scannet-mini)")


def check_config_types():
    """Every `type=` of every config resolves in Pointcept's registries (the optimizer in CSPTrainer's builder,
    which both hosts use); tests/test_configs.py checks the standalone host's."""
    from pointcept.datasets.builder import DATASETS
    from pointcept.datasets.transform import TRANSFORMS
    from pointcept.engines.hooks.builder import HOOKS
    from pointcept.engines.test import TESTERS
    from pointcept.engines.train import TRAINERS
    from pointcept.models.builder import MODELS
    from pointcept.utils.config import Config
    from pointcept.utils.scheduler import SCHEDULERS

    from pointcept_csp.utils.optim import OPTIMIZERS
    from tests.helpers.config_types import config_paths, unresolved

    registries = dict(
        MODELS=MODELS,
        DATASETS=DATASETS,
        TRANSFORMS=TRANSFORMS,
        HOOKS=HOOKS,
        TRAINERS=TRAINERS,
        TESTERS=TESTERS,
        OPTIMIZERS=set(OPTIMIZERS),
        SCHEDULERS=SCHEDULERS,
    )
    problems = {path: unresolved(Config.fromfile(path), registries) for path in config_paths()}
    problems = {os.path.relpath(p, ROOT): v for p, v in problems.items() if v}
    assert not problems, problems
    print(f"{len(config_paths())} configs: every type resolves in Pointcept's registries")


SHAPENET_CATEGORIES = ["Airplane", "Bag", "Cap", "Car", "Chair", "Earphone", "Guitar", "Knife", "Lamp", "Laptop",
                       "Motorbike", "Mug", "Pistol", "Rocket", "Skateboard", "Table"]  # fmt: skip


def _splits(cfg) -> list[str]:
    names = []
    for stage in ("train", "val", "test"):
        split = cfg.data.get(stage, {}).get("split")
        names += [split] if isinstance(split, str) else list(split or [])
    return sorted(set(names))


def _write_data(cfg, root: str) -> bool:
    """Tiny data in the config's dataset layout; False where Pointcept's reader cannot run on a CPU machine."""
    from pointcept_csp.datasets.synthetic import write_rooms
    from pointcept_csp.datasets.synthetic_objects import write_objects

    kind, splits = cfg.data.train.type, _splits(cfg)
    seeds = {split: [100 + 2 * i, 101 + 2 * i] for i, split in enumerate(splits)}
    if kind == "ScanNetDataset":
        write_rooms(root, "scannet", seeds, density=20)
    elif kind in ("S3DISDataset", "ThreeDSESDataset", "DefaultDataset"):  # DefaultDataset: configs/custom/
        write_rooms(root, "s3dis", seeds, density=20)
        for path in glob.glob(os.path.join(root, "*", "*", "segment.npy")):  # the config's class count (3DSES: 9)
            np.save(path, np.load(path) % cfg.data.get("num_classes", 20))  # pre-training configs read no labels
    elif kind == "ModelNetDataset":
        write_objects(root, "modelnet", seeds, list(cfg.data.names), num_points=200)
    elif kind == "ShapeNetPartDataset":
        write_objects(root, "shapenetpart", seeds, SHAPENET_CATEGORIES, num_points=200)
    else:
        return False
    return True


def _task_files(cfg, root: str, tasks: str) -> dict:
    """The data-efficient configs' `la_file` / `lr_file` for the tiny data (20 points per scene, every train scene),
    written by tools/data_efficient.py's functions; options pointing the config at them."""
    from pointcept_csp.utils.data_efficient import draw_labelled_points, write_la_file, write_lr_file

    options = {}
    if "la_file" not in cfg.data.train and "lr_file" not in cfg.data.train:
        return options
    scenes = sorted(os.listdir(os.path.join(root, "train")))
    if "la_file" in cfg.data.train:
        rng = np.random.default_rng(0)
        segments = {n: np.load(os.path.join(root, "train", n, "segment20.npy")) for n in scenes}
        options["data.train.la_file"] = os.path.join(tasks, "points20")
        write_la_file({n: draw_labelled_points(s, 20, rng) for n, s in segments.items()}, options["data.train.la_file"])
    if "lr_file" in cfg.data.train:
        options["data.train.lr_file"] = os.path.join(tasks, "scenes.txt")
        write_lr_file(scenes, options["data.train.lr_file"])
    return options


def _tiny_backbone(cfg) -> dict:
    if "enc_depths" not in cfg.model.backbone:  # not our SSM backbone (the sparse-conv U-Net): already small
        return {}
    stages = len(cfg.model.backbone.enc_depths)
    options = {
        "model.backbone.enc_depths": (1,) * stages,
        "model.backbone.enc_channels": (16,) * stages,
        "model.backbone.enc_num_head": (1,) * stages,
        "model.backbone.dec_depths": (1,) * (stages - 1),
        "model.backbone.dec_channels": (16,) * (stages - 1),
        "model.backbone.dec_num_head": (1,) * (stages - 1),
        "model.backbone.mlp_ratio": 1,
    }
    if "backbone_out_channels" in cfg.model:
        options["model.backbone_out_channels"] = 16
    return options


def check_config_stages():
    """Every config's train stage (one epoch) and test stage run end to end under Pointcept on tiny data written in
    its dataset's layout, with Pointcept's datasets, transforms, collate, launcher set-up and Trainer protocol, and
    the network shrunk (the pipelines are under test, not the model size). ScanObjectNN is reported and left out:
    Pointcept's reader estimates normals with open3d, which a CPU machine here does not have."""
    from pointcept.engines.defaults import default_config_parser, default_setup
    from pointcept.engines.test import TESTERS
    from pointcept.engines.train import TRAINERS
    from pointcept.utils.config import Config

    from tests.helpers.config_types import config_paths

    ran, left_out = [], []
    shard, shards = map(int, os.environ.get("CONFIG_STAGES_SHARD", "0/1").split("/"))
    paths = config_paths()[shard::shards]  # test_pointcept.py runs the shards side by side
    for path in paths:
        name = os.path.relpath(path, ROOT)
        if os.environ.get("CONFIG_STAGES_ONLY", "") not in name:  # to re-run one config by hand
            continue
        print(f"config stages: {name}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            base = Config.fromfile(path)
            root = os.path.join(tmp, "data")
            if not _write_data(base, root):
                left_out.append(f"{name} ({base.data.train.type})")
                continue
            if base.data.train.type == "ModelNetDataset":  # its default farthest-point sampling runs on CUDA
                base_options = {f"data.{s}.uniform_sampling": False for s in ("train", "val", "test")}
            else:
                base_options = _task_files(base, root, os.path.join(tmp, "tasks"))
            options = dict(
                _tiny_backbone(base),
                **base_options,
                save_path=os.path.join(tmp, "exp"),
                epoch=1,
                eval_epoch=1,
                batch_size=1,  # two samples per split: two steps (OneCycleLR cannot schedule one)
                num_worker=1,
                enable_amp=False,
                enable_wandb=False,
                weight=None,
                **{f"data.{s}.data_root": root for s in ("train", "val", "test") if s in base.data},
            )
            cfg = default_setup(default_config_parser(path, options))
            trainer = TRAINERS.build(dict(type=cfg.train.type, cfg=cfg))
            trainer.train()
            if "test" in cfg and "test" in cfg.data:
                cfg.weight = os.path.join(cfg.save_path, "model", "model_last.pth")
                TESTERS.build(dict(type=cfg.test.type, cfg=cfg)).test()
                assert os.path.isfile(os.path.join(cfg.save_path, "result", "metrics.json")), name
            ran.append(name)
    print(f"train + test under Pointcept: {len(ran)} configs; left out: {left_out}")
    if not os.environ.get("CONFIG_STAGES_ONLY"):
        assert len(ran) + len(left_out) == len(paths) and len(left_out) <= 1, left_out


def check_pretraining_batch():
    """Pointcept's ScanNetDataset + Pointcept's GridSample / ToTensor / Collect + our MultiRegionCrop + Pointcept's
    point_collate_fn feed our pre-training model for a forward / backward on CPU."""
    from pointcept.datasets import build_dataset, point_collate_fn

    require_scans()
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
    SPD wrapper in eval mode returns `seg_logits` that Pointcept's metric code consumes, and takes Pointcept's own
    losses as a `criteria` list."""
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
        # Pointcept's loss convention: its own CrossEntropyLoss + LovaszLoss, built from `criteria`, give the built-in
        # cross-entropy + lovasz_weight * Lovasz-softmax
        batch["segment"][:10] = -1
        criteria = [
            dict(type="CrossEntropyLoss", loss_weight=1.0, ignore_index=-1),
            dict(type="LovaszLoss", mode="multiclass", loss_weight=0.5, ignore_index=-1),
        ]
        listed = host.build_model(dict(cfg.model, criteria=criteria, lovasz_weight=0.0)).eval()
        built_in = host.build_model(dict(cfg.model, lovasz_weight=0.5)).eval()
        assert type(listed.criteria).__module__.startswith("pointcept."), type(listed.criteria)
        listed.load_state_dict(built_in.state_dict())
        with torch.no_grad():
            got, expected = listed(batch)["loss_task"], built_in(batch)["loss_task"]
        assert torch.allclose(got, expected, atol=1e-5), (got, expected)


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

    require_scans()
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


def check_predict():
    """tools/predict.py under Pointcept: Pointcept's ScanNetDataset, transforms and collate make the fragments of a
    real scan given as a PLY file, and the predictions equal the tester's for the same weight."""
    require_scans()
    from plyfile import PlyData, PlyElement

    from pointcept_csp.utils.checkpoint import atomic_save
    from pointcept_csp.utils.voting import load_test_sample
    from tools import predict

    config = os.path.join(ROOT, "tests", "fixtures", "configs", "scannet_semseg_tiny.py")
    scan = os.path.join(SCANNET_MINI, "val", "scene0000_01")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = host.load_config(config)
        torch.manual_seed(0)
        weight = os.path.join(tmp, "model.pth")
        atomic_save(dict(state_dict=host.build_model(cfg.model).state_dict()), weight)
        cfg.data.test.update(data_root=SCANNET_MINI, split="val")
        dataset = host.build_dataset(cfg.data.test)
        reference = dataset[0]  # Pointcept's own prepare_test_data, every fragment at once
        sample, fragments = load_test_sample(dataset, 0)
        fragments = list(fragments)
        assert sample.keys() | {"fragment_list"} == reference.keys(), (sample.keys(), reference.keys())
        assert sample["name"] == reference["name"] and len(fragments) == len(reference["fragment_list"])
        for key in sample.keys() - {"name"}:
            assert np.array_equal(np.asarray(sample[key]), np.asarray(reference[key])), key
        for ours, theirs in zip(fragments, reference["fragment_list"]):
            assert ours.keys() == theirs.keys(), (ours.keys(), theirs.keys())
            for key, value in theirs.items():
                assert torch.equal(torch.as_tensor(ours[key]), torch.as_tensor(value)), key
        cfg.save_path, cfg.weight = os.path.join(tmp, "tester"), weight
        host.TESTERS.build(dict(type=cfg.test.type, cfg=cfg)).test()
        expected = np.load(os.path.join(cfg.save_path, "result", "scene0000_01_pred.npy"))
        arrays = {k: np.load(os.path.join(scan, f"{k}.npy")) for k in ("coord", "color", "normal")}
        names = [("x", "y", "z"), ("red", "green", "blue"), ("nx", "ny", "nz")]
        vertex = np.empty(
            len(expected), dtype=[(n, "u1" if k == "color" else "f4") for k, group in zip(arrays, names) for n in group]
        )
        for value, group in zip(arrays.values(), names):
            for i, n in enumerate(group):
                vertex[n] = value[:, i]
        ply = os.path.join(tmp, "scan.ply")
        PlyData([PlyElement.describe(vertex, "vertex")]).write(ply)
        out = os.path.join(tmp, "out")
        assert predict.main([ply, "--config-file", config, "--weight", weight, "--out", out, "--quiet"]) == 0
        got = np.load(os.path.join(out, "scan.labels.npy"))
        assert (got == expected).all(), f"{(got != expected).sum()} of {len(got)} predictions differ from the tester's"
    print(f"predict under Pointcept: {len(fragments)} fragments equal Pointcept's; {len(got)} points as the tester")


def check_prepared_data():
    """tools/prepare_data.py on real scans exported as PLY / LAS / text: the pretrain.py and semseg.py it writes train
    under Pointcept (its DefaultDataset, transforms and Trainer), two steps each."""
    from pointcept.engines.defaults import default_config_parser, default_setup
    from pointcept.engines.train import TRAINERS

    from tests.helpers import scan_exports
    from tools.prepare_data import main as prepare_data

    if not os.path.isdir(scan_exports.ROOMS):
        raise FileNotFoundError(f"the real sample rooms are not at {scan_exports.ROOMS}")
    with tempfile.TemporaryDirectory() as tmp:
        scan_exports.export(os.path.join(tmp, "in"))
        out = os.path.join(tmp, "out")
        args = ["--label-field", "classification", "--columns", *scan_exports.COLUMNS, "--ignore", "-1", "31"]
        assert prepare_data([os.path.join(tmp, "in"), "--out", out, *args, "--size", "tiny", "--quiet"]) == 0
        for kind in ("pretrain", "semseg"):  # no weight=: Pointcept's CheckpointLoader maps tensors to CUDA
            save = os.path.join(tmp, kind)
            options = dict(save_path=save, epoch=1, eval_epoch=1, batch_size=1, num_worker=1, weight=None)
            cfg = default_setup(default_config_parser(os.path.join(out, f"{kind}.py"), options))
            trainer = TRAINERS.build(dict(type=cfg.train.type, cfg=cfg))
            trainer.train()
            assert len(trainer.train_loader) >= 2 and os.path.isfile(os.path.join(save, "model", "model_last.pth"))
        assert trainer.best_metric_value > 0  # the semseg config evaluated (mIoU) on the val scan


def check_data_efficient():
    """Pointcept's own ScanNetDataset and transforms read the task files tools/data_efficient.py writes: labels only at
    the listed points, kept through RandomDropout and GridSample, only the listed scenes; and the standalone host's
    reader gives the same labels and scenes."""
    from pointcept_csp.standalone.datasets import ScanNetDataset as StandaloneScanNet
    from tests.helpers import limited_labels

    with tempfile.TemporaryDirectory() as tmp:
        data_root, la_file, lr_file = limited_labels.write_task_data(tmp)
        limited_labels.check_labels_only_at_listed_points(data_root, la_file)
        limited_labels.check_subsampling_keeps_every_listed_point(data_root, la_file)
        limited_labels.check_only_listed_scenes(data_root, lr_file)
        for options in (dict(la_file=la_file), dict(lr_file=lr_file), dict(la_file=la_file, lr_file=lr_file)):
            theirs = host.build_dataset(dict(type="ScanNetDataset", split="train", data_root=data_root, **options))
            assert type(theirs).__module__.startswith("pointcept."), type(theirs)
            ours = StandaloneScanNet(split="train", data_root=data_root, **options)
            # Pointcept lists scenes in glob order, ours sorted: compare scene by scene
            samples = [{d["name"]: d for d in map(ds.get_data, range(len(ds)))} for ds in (theirs, ours)]
            assert sorted(samples[0]) == sorted(samples[1]), (options, sorted(samples[0]), sorted(samples[1]))
            for name, a in samples[0].items():
                b = samples[1][name]
                assert np.array_equal(a["segment"], b["segment"]), (options, name)
                if "la_file" in options:
                    assert np.array_equal(np.asarray(a["sampled_index"]), b["sampled_index"]), (options, name)


CHECKS = {name[len("check_") :]: fn for name, fn in dict(globals()).items() if name.startswith("check_")}

if __name__ == "__main__":
    name = sys.argv[1]
    CHECKS[name]()
    print(f"stand-ins used: {sorted({s.split('.')[0] for s in STUBBED})}")
    print(f"OK {name}")
