"""tools/prepare_data.py: real scans exported as PLY / LAS / text come back as Pointcept scenes equal to their sources
(coordinates, colours, labels through the map; normals estimated where the file had none), the written configs train
and predict.py runs on the result (tests/integration repeats the training under Pointcept); every bad input is named,
the good files are still written, and nothing is overwritten without --overwrite."""

import json
import os

import numpy as np
import pytest

from pointcept_csp.datasets.prepare import voxel_downsample
from tests.helpers import scan_exports
from tests.helpers.common import run_tool

pytestmark = pytest.mark.skipif(
    not os.path.isdir(scan_exports.ROOMS), reason=f"real sample rooms not found at {scan_exports.ROOMS}"
)
LABELS = ["--label-field", "classification", "--columns", *scan_exports.COLUMNS, "--ignore", "-1", "31"]


def prepare(*args, check=True):
    return run_tool("tools/prepare_data.py", *args, "--quiet", check=check)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("prepare")
    sources = scan_exports.export(str(root / "in"))
    out = str(root / "out")
    result = prepare(str(root / "in"), "--out", out, *LABELS, "--size", "tiny")
    return root, out, sources, result


def test_round_trip_equals_the_sources(prepared):
    _, out, sources, result = prepared
    meta = json.load(open(os.path.join(out, "meta.json")))
    values = [c["value"] for c in meta["classes"]]
    assert "the label values found became the classes" in result.stdout
    for relative, source in sources.items():
        split, stem = os.path.dirname(relative), os.path.splitext(os.path.basename(relative))[0]
        folder = os.path.join(out, split, stem)
        info = meta["scenes"][f"{split}/{stem}"]
        assert info["source"].endswith(relative)
        coord = np.load(os.path.join(folder, "coord.npy")).astype(np.float64) + info["offset"]
        expected = source["coord"] + (scan_exports.LAS_SHIFT if relative.endswith(".las") else 0)
        assert np.abs(coord - expected).max() < 2e-3, relative  # LAS stores millimetres; float32 after the shift
        assert np.array_equal(np.load(os.path.join(folder, "color.npy")), source["color"]), relative
        segment = np.load(os.path.join(folder, "segment.npy"))
        want = np.array([values.index(v) if v in values else -1 for v in source["segment20"]])
        assert np.array_equal(segment, want), relative
        normal = np.load(os.path.join(folder, "normal.npy"))
        assert np.allclose(np.linalg.norm(normal, axis=1), 1, atol=1e-4)
        if relative.endswith(".ply"):
            assert info["normal"] == "file" and np.allclose(normal, source["normal"])
        else:  # estimated by the same PCA as the shared data's up to orientation
            assert info["normal"] == "estimated"
            assert np.median(np.abs((normal * source["normal"]).sum(1))) > 0.95, relative
    assert meta["histogram"]["train"]["-1"] > 0 and meta["eval_classes"]


@pytest.mark.slow(fast="tests/integration/test_pointcept.py::test_against_pointcept[prepared_data]")
def test_written_configs_train_and_predict_runs(prepared):
    root, out, _, _ = prepared
    pre, ft = str(root / "pre"), str(root / "ft")
    short = ["epoch=1", "eval_epoch=1", "num_worker=0", "batch_size=1"]
    run_tool(
        "tools/train.py", "--config-file", os.path.join(out, "pretrain.py"), "--options", f"save_path={pre}", *short
    )
    weight = os.path.join(pre, "model", "model_last.pth")
    run_tool(
        "tools/train.py",
        "--config-file",
        os.path.join(out, "semseg.py"),
        "--options",
        f"save_path={ft}",
        f"weight={weight}",
        *short,
    )
    log = open(os.path.join(ft, "train.log")).read()
    assert log.count("Train: [1/1]") == 2 and "Val result: mIoU" in log
    prediction = run_tool(
        "tools/predict.py",
        os.path.join(root, "in", "val", "c.txt"),
        "--columns",
        *scan_exports.COLUMNS[:-1],
        "_",
        "--config-file",
        os.path.join(ft, "config.py"),
        "--weight",
        os.path.join(ft, "model", "model_last.pth"),
        "--out",
        str(root / "pred"),
        "--quiet",
    )
    assert "predicted 1 of 1" in prediction.stdout
    assert len(np.load(str(root / "pred" / "c.labels.npy"))) == 50000


def test_grid_and_tiles(tmp_path):
    data = scan_exports.scene("scene0001_00")
    scan_exports.write_ply(str(tmp_path / "room.ply"), data)
    out = str(tmp_path / "out")
    result = prepare(str(tmp_path / "room.ply"), "--out", out, "--grid", "0.05", "--tile", "2", "--min-points", "100")
    scenes = sorted(os.listdir(os.path.join(out, "unlabelled")))  # no --label-field: the pre-training pool
    assert len(scenes) > 2 and all(s.startswith("room_") for s in scenes)
    total = 0
    for name in scenes:
        coord = np.load(os.path.join(out, "unlabelled", name, "coord.npy"))
        assert len(voxel_downsample(dict(coord=coord.astype(np.float64)), 0.05)["coord"]) == len(coord)  # one a voxel
        total += len(coord)
    left_out = result.stdout.count("this tile is left out")
    assert total <= len(data["coord"]) and (
        total == len(voxel_downsample(dict(coord=data["coord"]), 0.05)["coord"]) or left_out
    )
    assert not os.path.exists(os.path.join(out, "semseg.py")) and os.path.isfile(os.path.join(out, "pretrain.py"))


def test_bad_inputs_are_named_and_the_good_files_still_written(tmp_path):
    data = scan_exports.scene("scene0001_00")
    for split in ("train", "val"):
        os.makedirs(tmp_path / "in" / split)
        scan_exports.write_ply(str(tmp_path / "in" / split / f"good-{split}.ply"), data)
    (tmp_path / "in" / "train" / "broken.ply").write_text("not a ply file")
    scan_exports.write_text(str(tmp_path / "in" / "train" / "nolabel.txt"), data)  # read as x y z intensity r g b
    small = {k: v[:50] for k, v in data.items()}
    scan_exports.write_ply(str(tmp_path / "in" / "train" / "small.ply"), small)
    os.makedirs(tmp_path / "in" / "train" / "twin")
    scan_exports.write_ply(str(tmp_path / "in" / "train" / "twin" / "x.ply"), data)
    scan_exports.write_ply(str(tmp_path / "in" / "train" / "twin_x.ply"), data)
    classes = tmp_path / "classes.txt"
    classes.write_text("0 wall\n1 floor\n")  # the scans have more classes than these
    out = str(tmp_path / "out")

    def prepare_inputs(*extra):
        args = ["--label-field", "classification", "--classes", str(classes), "--ignore", "-1", *extra]
        return prepare(str(tmp_path / "in"), "--out", out, *args, check=False)

    result = prepare_inputs()
    assert result.returncode == 1
    errors = result.stderr
    assert "broken.ply: not a readable PLY file" in errors
    assert "nolabel.txt: no label field 'classification'; the file has ['blue', 'green', 'intensity'" in errors
    assert "small.ply: scene small has 50 points, fewer than --min-points 1000" in errors
    assert "would all be scene 'twin_x'" in errors
    assert (
        "good-train.ply (scene train/good-train): label values [4, 5" in errors
        and "are not in the classes ([0, 1])" in errors
    )
    assert sorted(os.listdir(out)) == ["meta.json"]  # no scene was good: nothing half-written, no config
    classes.write_text(
        "wall\nfloor\ncabinet\nbed\nchair\nsofa\ntable\ndoor\nwindow\nbookshelf\npicture\ncounter\n"
        "desk\ncurtain\nrefrigerator\nshower curtain\ntoilet\nsink\nbathtub\notherfurniture\n"
    )
    again = prepare_inputs()
    assert again.returncode == 2 and "--overwrite" in again.stderr
    again = prepare_inputs("--overwrite")
    assert again.returncode == 1 and "good-" not in again.stderr  # the good scans are written, the bad named
    assert os.path.isfile(os.path.join(out, "train", "good-train", "segment.npy")) and os.path.isfile(
        f"{out}/semseg.py"
    )


def test_one_labelled_scan_in_tiles_is_split_into_train_and_val_tiles(tmp_path):
    scan_exports.write_ply(str(tmp_path / "room.ply"), scan_exports.scene("scene0001_00"))
    out = str(tmp_path / "out")
    prepare(
        str(tmp_path / "room.ply"),
        "--out",
        out,
        "--tile",
        "2.5",
        "--min-points",
        "200",
        "--label-field",
        "classification",
        "--ignore",
        "-1",
        "--val",
        "0.3",
    )
    train, val = (os.listdir(os.path.join(out, split)) for split in ("train", "val"))
    assert train and val and not set(train) & set(val) and os.path.isfile(os.path.join(out, "semseg.py"))


def test_colourless_scan_needs_fill_color(tmp_path):
    data = scan_exports.scene("scene0001_00")
    np.savetxt(str(tmp_path / "grey.xyz"), data["coord"][:3000], fmt="%.4f")
    failed = prepare(str(tmp_path / "grey.xyz"), "--out", str(tmp_path / "a"), check=False)
    assert failed.returncode == 1 and "grey.xyz: has no colour; pass --fill-color R G B" in failed.stderr
    prepare(str(tmp_path / "grey.xyz"), "--out", str(tmp_path / "b"), "--fill-color", "128", "128", "128")
    color = np.load(str(tmp_path / "b" / "unlabelled" / "grey" / "color.npy"))
    assert color.dtype == np.uint8 and (color == 128).all() and len(color) == 3000
    meta = json.load(open(str(tmp_path / "b" / "meta.json")))
    assert meta["scenes"]["unlabelled/grey"]["color"] == "filled"
