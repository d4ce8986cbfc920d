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

Each run goes through tools/train.py / tools/test.py, cached by name under --exp (pointcept_csp.utils.run_graph: an
interrupted study resumes, and a cached run made by another command is refused); the table (mean and spread of
mIoU / mAcc / OA over seeds) is written as markdown with the command that produced it.

    python tools/studies/ablate.py --seeds 0 1 2 --studies ablation batch shuffle --jobs 2 --output docs/results.md
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from pointcept_csp.datasets.synthetic import write_rooms  # noqa: E402
from pointcept_csp.utils.run_graph import Run, RunGraph  # noqa: E402
from tools.studies import ablation  # noqa: E402


class AblationStudy(RunGraph):
    """The runs of the asked studies, cached by name under --exp (pointcept_csp.utils.run_graph)."""

    def __init__(self, args):
        super().__init__(ROOT)
        self.args = args

    def backbone(self, seed: int, csp: bool, shuffle: bool = True) -> Run:
        """Pre-training of (seed, csp, shuffle) and the export of its student backbone (`backbone_path`)."""
        out = os.path.join(
            self.args.exp, f"pre-seed{seed}-{'csp' if csp else 'nocsp'}{'' if shuffle else '-noshuffle'}"
        )
        command = ["tools/train.py", "--config-file", self.args.pretrain_config, "--options", f"save_path={out}"]
        command += [f"seed={seed}", f"model.cross_sample={csp}", f"model.backbone.shuffle_tokens={shuffle}"]
        pre = self.add(out, command + [f"data.train.data_root={self.args.data_root}", *self.args.pretrain_options])
        export = ["tools/export_backbone.py", os.path.join(out, "model", "model_last.pth"), backbone_path(out)]
        return self.add(os.path.join(out, "export"), export, [pre])

    def finetune(self, seed: int, backbone: Run, spd: bool, tag: str, extra: list[str] = ()) -> Run:
        """Fine-tuning from an exported backbone, then the test on the val rooms (the returned run)."""
        out = os.path.join(self.args.exp, f"ft-seed{seed}-{tag}")
        roots = [f"data.{s}.data_root={self.args.data_root}" for s in ("train", "val", "test")]
        command = ["tools/train.py", "--config-file", self.args.finetune_config, "--options", f"save_path={out}"]
        command += [f"seed={seed}", f"weight={backbone_path(os.path.dirname(backbone.path))}", f"model.spd={spd}"]
        command += ([] if spd else ["model.lambda_spd=0.0"]) + roots + list(self.args.finetune_options) + list(extra)
        trained = self.add(out, command, [backbone])
        test = ["tools/test.py", "--config-file", os.path.join(out, "config.py"), "--options", f"save_path={out}"]
        return self.add(
            os.path.join(out, "test"), test + [f"weight={os.path.join(out, 'model', 'model_best.pth')}"], [trained]
        )

    def csp_measures(self, seed: int, backbones: dict[bool, Run]) -> dict[str, Run]:
        """Cross-scene class consistency of both backbones of a seed, and each one's CSP reach and linear probe."""
        out = os.path.join(self.args.exp, f"study-seed{seed}")
        paths = {csp: backbone_path(os.path.dirname(run.path)) for csp, run in backbones.items()}
        checkpoints = [f"{'csp' if csp else 'nocsp'}={path}" for csp, path in paths.items()]
        embed = ["tools/studies/embed_plot.py", "--config", self.args.pretrain_config, "--checkpoints", *checkpoints]
        runs = {
            "embed": self.add(
                os.path.join(out, "embed"),
                embed + ["--output", os.path.join(out, "embedding.png")],
                list(backbones.values()),
            )
        }
        for csp, path in paths.items():
            name, reach = "csp" if csp else "nocsp", os.path.join(out, f"reach-{'csp' if csp else 'nocsp'}.json")
            command = ["tools/csp_reach.py", "--config-file", self.args.pretrain_config, "--weight", path]
            runs[f"reach-{name}"] = self.add(reach, command + ["--json", reach], [backbones[csp]])
            probe = os.path.join(out, f"probe-{name}.json")
            command = ["tools/studies/linear_probe.py", "--checkpoint", path, "--json", probe]
            runs[f"probe-{name}"] = self.add(probe, command, [backbones[csp]])
        return runs


def backbone_path(pretrain_dir: str) -> str:
    return os.path.join(pretrain_dir, "model", "backbone.pth")


def read_json(path: str) -> dict:
    with open(os.path.join(ROOT, path)) as f:
        return json.load(f)


def last_json_in_log(log: str) -> dict:
    """The last JSON object a tool printed (among other lines) into its log."""
    with open(os.path.join(ROOT, log)) as f:
        text = "\n" + f.read()
    start = text.rfind("\n{\n")
    if start < 0:
        raise RuntimeError(f"no JSON object in {log}")
    return json.loads(text[start + 1 : text.index("\n}", start) + 2])


def csp_row(runs: dict[str, Run], finetuned: dict[bool, Run]) -> dict[bool, dict]:
    """The csp study's measures of one seed, read from its finished runs."""
    from pointcept_csp.models.reach import stage_summary

    consistency = last_json_in_log(runs["embed"].log)["cross_scene_class_consistency"]
    measures = {}
    for csp in (True, False):
        name = "csp" if csp else "nocsp"
        reach = read_json(runs[f"reach-{name}"].path)["csp"]
        probe = read_json(runs[f"probe-{name}"].path)["results"]["pre-trained"]["alone"]["linear_probe"]
        measures[csp] = dict(
            reach_changed=min(s["min_changed"] for s in stage_summary(reach)),
            reach_output=reach["output"],
            consistency=consistency[name],
            probe_mIoU=probe["mIoU"],
            spd_mIoU=test_metrics(finetuned[csp])["mIoU"],
        )
    return measures


def test_metrics(test: Run) -> dict:
    return read_json(os.path.join(os.path.dirname(test.path), "result", "metrics.json"))


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
    parser.add_argument("--dry-run", action="store_true", help="list the runs and their state, run nothing")
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(args.data_root, "train")):
        write_rooms(
            args.data_root, "scannet", {"train": list(range(1000, 1024)), "val": list(range(2000, 2006))}, density=60
        )
    study = AblationStudy(args)
    table = {}  # (study, row name, seed) -> the test run of its fine-tuning
    measures = {}  # seed -> the csp study's runs

    def add(seed, csp, spd, shuffle=True, extra=()):
        tag = (
            ablation.run_name(csp, spd)
            + ("" if shuffle else "-noshuffle")
            + "".join(f"-{e.replace('=', '')}" for e in extra)
        )
        options = list(extra) + ([] if shuffle else ["model.backbone.shuffle_tokens=False"])
        return study.finetune(seed, study.backbone(seed, csp, shuffle), spd, tag, options)

    for seed in args.seeds:
        if "ablation" in args.studies:
            for name, csp, spd in ablation.ROWS:
                table[("ablation", name, seed)] = add(seed, csp, spd)
        if "batch" in args.studies:
            for b in args.batch_sizes:
                extra = () if b == args.default_batch else (f"batch_size={b}",)
                table[("batch", f"batch {b}", seed)] = add(seed, True, True, extra=extra)
        if "shuffle" in args.studies:
            for shuffle in (True, False):
                table[("shuffle", f"shuffle {'on' if shuffle else 'off'}", seed)] = add(seed, True, True, shuffle)
        if "csp" in args.studies:
            for csp in (True, False):
                table[("csp", "CSP" if csp else "no CSP", seed)] = add(seed, csp, True)
            measures[seed] = study.csp_measures(seed, {csp: study.backbone(seed, csp) for csp in (True, False)})
    if args.dry_run:
        study.list_runs()
        return
    failed = study.execute(args.jobs)
    if failed:
        raise SystemExit(f"{len(failed)} runs failed or were skipped: " + ", ".join(run.path for run in failed))
    results = {key: test_metrics(run) for key, run in table.items()}
    studies = {}
    for seed, runs in measures.items():
        tuned = {csp: table[("csp", "CSP" if csp else "no CSP", seed)] for csp in (True, False)}
        studies[seed] = csp_row(runs, tuned)

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
    for section in ("ablation", "batch", "shuffle"):
        names = list(dict.fromkeys(k[1] for k in results if k[0] == section))
        if not names:
            continue
        lines += [f"## {section}", "", "| configuration | mIoU | mAcc | OA |", "|---|---|---|---|"]
        for name in names:
            lines.append(f"| {name} | {summarise([results[(section, name, s)] for s in args.seeds])} |")
        lines.append("")
    if studies:
        lines += csp_table(studies, args.seeds)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
