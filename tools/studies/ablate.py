"""Ablations of the paper on the demo data (or any pre-train / fine-tune config pair), over several seeds:

    baseline  pre-training without CSP (state reset per scene), plain fine-tuning
    +CSP      pre-training with CSP, plain fine-tuning
    +SPD      pre-training without CSP, SPD fine-tuning
    full      CSP pre-training + SPD fine-tuning
  studies:
    batch     the full model fine-tuned with several batch sizes (the paper's Fig. 5: SPD makes it insensitive)
    shuffle   the full model with and without token shuffling in every SSM block
    csp       CSP vs no-CSP pre-training, each measured by the CSP reach report (tools/csp_reach.py),
              cross-scene class consistency (tools/studies/embed_plot.py), the scannet-mini linear probe
              (tools/studies/linear_probe.py) and SPD fine-tuning mIoU; with the study config
              (configs/demo/pretrain-pointcsp-study.py, 1000 steps)

Each run goes through tools/train.py / tools/test.py; the table (mean and spread of mIoU / mAcc / OA over seeds)
is written as markdown with the command that produced it.

    python tools/studies/ablate.py --seeds 0 1 2 --studies ablation batch shuffle --jobs 2 --output docs/results.md
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from pointcept_csp.datasets.synthetic import write_rooms  # noqa: E402

ABLATION = {  # name -> (CSP in pre-training, SPD in fine-tuning)
    "baseline": (False, False),
    "+CSP": (True, False),
    "+SPD": (False, True),
    "full": (True, True),
}


def run(cmd: list[str], log: str) -> None:
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    with open(log, "w") as f:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"failed ({proc.returncode}): {' '.join(cmd)}; log: {log}")


def pretrain(args, seed: int, csp: bool, shuffle: bool = True) -> str:
    """Pre-train once per (seed, csp, shuffle); returns the exported backbone."""
    name = f"pre-seed{seed}-{'csp' if csp else 'nocsp'}{'' if shuffle else '-noshuffle'}"
    out = os.path.join(args.exp, name)
    backbone = os.path.join(out, "model", "backbone.pth")
    if os.path.isfile(backbone):
        return backbone
    os.makedirs(out, exist_ok=True)
    run(
        [
            sys.executable,
            "tools/train.py",
            "--config-file",
            args.pretrain_config,
            "--options",
            f"save_path={out}",
            f"seed={seed}",
            f"model.cross_sample={csp}",
            f"model.backbone.shuffle_tokens={shuffle}",
            f"data.train.data_root={args.data_root}",
            *args.pretrain_options,
        ],
        os.path.join(out, "run.log"),
    )
    run(
        [sys.executable, "tools/export_backbone.py", os.path.join(out, "model", "model_last.pth"), backbone],
        os.path.join(out, "export.log"),
    )
    return backbone


def finetune(args, seed: int, backbone: str, spd: bool, tag: str, extra: list[str] = ()) -> dict:
    out = os.path.join(args.exp, f"ft-seed{seed}-{tag}")
    metrics_file = os.path.join(out, "result", "metrics.json")
    if not os.path.isfile(metrics_file):
        os.makedirs(out, exist_ok=True)
        roots = [f"data.{s}.data_root={args.data_root}" for s in ("train", "val", "test")]
        run(
            [
                sys.executable,
                "tools/train.py",
                "--config-file",
                args.finetune_config,
                "--options",
                f"save_path={out}",
                f"seed={seed}",
                f"weight={backbone}",
                f"model.spd={spd}",
                *([] if spd else ["model.lambda_spd=0.0"]),
                *roots,
                *args.finetune_options,
                *extra,
            ],
            os.path.join(out, "run.log"),
        )
        run(
            [
                sys.executable,
                "tools/test.py",
                "--config-file",
                os.path.join(out, "config.py"),
                "--options",
                f"save_path={out}",
                f"weight={os.path.join(out, 'model', 'model_best.pth')}",
            ],
            os.path.join(out, "test.log"),
        )
    with open(metrics_file) as f:
        return json.load(f)


def tool_json(cmd: list[str], log: str) -> dict:
    """Run a tool that prints a JSON object (possibly among other lines); return the last such object."""
    run(cmd, log)
    with open(log) as f:
        text = "\n" + f.read()
    start = text.rfind("\n{\n")
    if start < 0:
        raise RuntimeError(f"no JSON object in the output of {' '.join(cmd)}; log: {log}")
    return json.loads(text[start + 1 : text.index("\n}", start) + 2])


def csp_measures(args, seed: int, backbones: dict[bool, str], finetuned: dict[bool, dict]) -> dict[bool, dict]:
    """Reach, cross-scene class consistency and the linear probe of the CSP and no-CSP backbones of one seed."""
    from pointcept_csp.models.reach import stage_summary

    out = os.path.join(args.exp, f"study-seed{seed}")
    os.makedirs(out, exist_ok=True)
    checkpoints = [f"{'csp' if csp else 'nocsp'}={path}" for csp, path in backbones.items()]
    consistency = tool_json(
        [sys.executable, "tools/studies/embed_plot.py", "--config", args.pretrain_config, "--checkpoints", *checkpoints]
        + ["--output", os.path.join(out, "embedding.png")],
        os.path.join(out, "embed.log"),
    )["cross_scene_class_consistency"]
    measures = {}
    for csp, path in backbones.items():
        name = "csp" if csp else "nocsp"
        reach_json = os.path.join(out, f"reach-{name}.json")
        run(
            [sys.executable, "tools/csp_reach.py", "--config-file", args.pretrain_config, "--weight", path]
            + ["--json", reach_json],
            os.path.join(out, f"reach-{name}.log"),
        )
        with open(reach_json) as f:
            reach = json.load(f)["csp"]
        probe = tool_json(
            [sys.executable, "tools/studies/linear_probe.py", "--checkpoint", path],
            os.path.join(out, f"probe-{name}.log"),
        )["results"]["pre-trained"]["alone"]["linear_probe"]
        measures[csp] = dict(
            reach_changed=min(s["min_changed"] for s in stage_summary(reach)),
            reach_output=reach["output"],
            consistency=consistency[name],
            probe_mIoU=probe["mIoU"],
            spd_mIoU=finetuned[csp]["mIoU"],
        )
    return measures


def summarise(results: list[dict]) -> str:
    cells = []
    for key in ("mIoU", "mAcc", "allAcc"):
        values = 100 * np.array([r[key] for r in results])
        cells.append(f"{values.mean():.1f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.1f}")
    return " | ".join(cells)


def csp_table(studies: dict[int, dict[bool, dict]], seeds: list[int]) -> list[str]:
    columns = [
        ("reach_changed", "tokens feeling the previous scene (lowest block)", 100),
        ("reach_output", "output feature change", 1),
        ("consistency", "cross-scene class consistency %", 100),
        ("probe_mIoU", "scannet-mini linear probe mIoU", 100),
        ("spd_mIoU", "SPD fine-tuning mIoU", 100),
    ]
    lines = [
        "## csp",
        "",
        "| pre-training | " + " | ".join(title for _, title, _ in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for csp in (True, False):
        cells = []
        for key, _, scale in columns:
            values = np.array([studies[s][csp][key] for s in seeds]) * scale
            spread = values.std(ddof=1) if len(values) > 1 else 0.0
            cells.append(f"{values.mean():.3g} ± {spread:.2g}")
        lines.append(f"| {'CSP' if csp else 'no CSP'} | " + " | ".join(cells) + " |")
    return lines + [""]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--studies", nargs="+", default=["ablation"], choices=["ablation", "batch", "shuffle", "csp"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[2, 4, 8])
    parser.add_argument("--default-batch", type=int, default=4, help="the fine-tuning config's batch size")
    parser.add_argument("--pretrain-config", default="configs/demo/pretrain-pointcsp-demo.py")
    parser.add_argument("--finetune-config", default="configs/demo/semseg-pointcsp-spd-demo.py")
    parser.add_argument("--pretrain-options", nargs="*", default=[])
    parser.add_argument("--finetune-options", nargs="*", default=[])
    parser.add_argument("--data-root", default=os.path.join(ROOT, "data", "demo", "rooms"))
    parser.add_argument("--exp", default=os.path.join(ROOT, "exp", "ablate"))
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (each single-threaded)")
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "results.md"))
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(args.data_root, "train")):
        write_rooms(
            args.data_root, "scannet", {"train": list(range(1000, 1024)), "val": list(range(2000, 2006))}, density=60
        )
    pool = ThreadPoolExecutor(args.jobs)
    backbones = {}

    def backbone(seed, csp, shuffle=True):
        key = (seed, csp, shuffle)
        if key not in backbones:
            backbones[key] = pool.submit(pretrain, args, seed, csp, shuffle)
        return backbones[key]

    runs, table = {}, {}  # (seed, tag) -> future; (study, row name, seed) -> (seed, tag)

    specs = {}  # (seed, tag) -> fine-tuning run, submitted after every pre-training (a waiting run holds a worker)

    def add(study, name, seed, csp, spd, shuffle=True, extra=()):
        tag = f"{'csp' if csp else 'nocsp'}-{'spd' if spd else 'plain'}{'' if shuffle else '-noshuffle'}" + "".join(
            f"-{e.replace('=', '')}" for e in extra
        )
        if (seed, tag) not in specs:
            options = list(extra) + ([] if shuffle else ["model.backbone.shuffle_tokens=False"])
            specs[(seed, tag)] = (backbone(seed, csp, shuffle), spd, options)
        table[(study, name, seed)] = (seed, tag)

    for seed in args.seeds:
        if "ablation" in args.studies:
            for name, (csp, spd) in ABLATION.items():
                add("ablation", name, seed, csp, spd)
        if "batch" in args.studies:
            for b in args.batch_sizes:
                add(
                    "batch",
                    f"batch {b}",
                    seed,
                    True,
                    True,
                    extra=() if b == args.default_batch else (f"batch_size={b}",),
                )
        if "shuffle" in args.studies:
            for shuffle in (True, False):
                add("shuffle", f"shuffle {'on' if shuffle else 'off'}", seed, True, True, shuffle=shuffle)
        if "csp" in args.studies:
            for csp in (True, False):
                add("csp", "CSP" if csp else "no CSP", seed, csp, True)
    for (seed, tag), (pre, spd, options) in specs.items():
        runs[(seed, tag)] = pool.submit(
            lambda seed=seed, tag=tag, pre=pre, spd=spd, options=options: finetune(
                args, seed, pre.result(), spd, tag, options
            )
        )
    results = {key: runs[run_key].result() for key, run_key in table.items()}
    studies = {}
    if "csp" in args.studies:
        for seed in args.seeds:
            pre = {csp: backbone(seed, csp).result() for csp in (True, False)}
            tuned = {csp: results[("csp", "CSP" if csp else "no CSP", seed)] for csp in (True, False)}
            studies[seed] = csp_measures(args, seed, pre, tuned)

    command = "python tools/studies/ablate.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    lines = [
        "# Results",
        "",
        "Produced by:",
        "",
        f"    {command}",
        "",
        f"Pre-training: `{args.pretrain_config}` {' '.join(args.pretrain_options)}; fine-tuning: "
        f"`{args.finetune_config}` {' '.join(args.finetune_options)}; seeds {args.seeds}; test on the val rooms "
        "(every point, fragment voting). Mean ± standard deviation over seeds, in %.",
        "",
    ]
    for study in ("ablation", "batch", "shuffle"):
        names = list(dict.fromkeys(k[1] for k in results if k[0] == study))
        if not names or study == "csp":
            continue
        lines += [f"## {study}", "", "| configuration | mIoU | mAcc | OA |", "|---|---|---|---|"]
        for name in names:
            lines.append(f"| {name} | {summarise([results[(study, name, s)] for s in args.seeds])} |")
        lines.append("")
    if studies:
        lines += csp_table(studies, args.seeds)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
