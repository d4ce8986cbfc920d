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

    python tools/studies/ablate.py --seeds 0 1 2 --studies ablation batch shuffle --jobs 2
"""

from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from pointcept_csp.datasets.synthetic import write_rooms  # noqa: E402
from pointcept_csp.utils.run_graph import Run, RunGraph  # noqa: E402
from tools.studies import ablate_report, ablation  # noqa: E402


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
    parser.add_argument("--output", default=os.path.join(ROOT, "exp", "ablate", "results.md"))
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
    study.run_or_list(args.jobs, args.dry_run)
    if args.dry_run:
        return
    text = ablate_report.markdown(args, table, measures)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
