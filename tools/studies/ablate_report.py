"""The tables of tools/studies/ablate.py from its finished runs: mIoU / mAcc / OA of each row's test over seeds, and
the csp study's measures (reach, class consistency, linear probe, SPD mIoU) of CSP against no-CSP pre-training."""

from __future__ import annotations

import json
import os
import shlex
import sys

import numpy as np

from pointcept_csp.models.reach import stage_summary
from pointcept_csp.utils.run_graph import Run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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


def markdown(args, table: dict[tuple[str, str, int], Run], measures: dict[int, dict[str, Run]]) -> str:
    """The results page: `table` maps (study, row, seed) to the test run of its fine-tuning, `measures` a seed to
    the csp study's measuring runs."""
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
    return "\n".join(lines) + "\n"
