"""tools/predict.py: on a real scannet-mini scan, after a round trip through every format, its predictions equal the
tester's for the same weight; normals are estimated where missing; every kind of bad input gets a message naming the
file and the problem, without stopping the other inputs."""

import os

import numpy as np
import pytest
import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.datasets.readers import PointCloudError, read_points
from pointcept_csp.utils.checkpoint import atomic_save
from tests.helpers.common import ROOT, SCANNET_MINI
from tools import predict

CONFIG = os.path.join(ROOT, "tests", "fixtures", "configs", "scannet_semseg_tiny.py")
SCAN = os.path.join(SCANNET_MINI, "val", "scene0000_01")
needs_scan = pytest.mark.skipif(not os.path.isdir(SCAN), reason=f"real sample scans not found at {SCANNET_MINI}")


@pytest.fixture(scope="module")
def weight(tmp_path_factory):
    """A checkpoint of the tiny config's model (untrained: the test compares two paths with the same weights)."""
    torch.manual_seed(0)
    path = str(tmp_path_factory.mktemp("weight") / "model_last.pth")
    atomic_save(dict(state_dict=host.build_model(host.load_config(CONFIG).model).state_dict(), epoch=0), path)
    return path


def predictions_of_the_tester(weight: str, save_path: str) -> np.ndarray:
    cfg = host.load_config(CONFIG)
    cfg.data.test.update(data_root=SCANNET_MINI, split="val")
    cfg.save_path, cfg.weight = save_path, weight
    tester = host.TESTERS.build(dict(cfg=cfg, **cfg.test))
    tester.test()
    return np.load(os.path.join(save_path, "result", "scene0000_01_pred.npy"))


def write_formats(folder: str) -> list[str]:
    """The val scan as binary and ASCII PLY, LAS (16-bit colour, normals as extra dimensions) and headed text."""
    from plyfile import PlyData, PlyElement

    coord, color, normal = (np.load(os.path.join(SCAN, f"{k}.npy")) for k in ("coord", "color", "normal"))
    vertex = np.empty(
        len(coord),
        dtype=[(c, "f4") for c in "xyz"]
        + [(c, "u1") for c in ("red", "green", "blue")]
        + [(c, "f4") for c in ("nx", "ny", "nz")],
    )
    for i, c in enumerate("xyz"):
        vertex[c] = coord[:, i]
    for i, c in enumerate(("red", "green", "blue")):
        vertex[c] = color[:, i]
    for i, c in enumerate(("nx", "ny", "nz")):
        vertex[c] = normal[:, i]
    paths = {name: os.path.join(folder, name) for name in ("binary.ply", "ascii.ply", "scan.las", "scan.txt")}
    PlyData([PlyElement.describe(vertex, "vertex")]).write(paths["binary.ply"])
    PlyData([PlyElement.describe(vertex, "vertex")], text=True).write(paths["ascii.ply"])
    import laspy

    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = np.full(3, 1e-7), np.zeros(3)  # float32 coordinates survive the integer grid
    header.add_extra_dims([laspy.ExtraBytesParams(name=c, type=np.float32) for c in ("nx", "ny", "nz")])
    las = laspy.LasData(header)
    las.x, las.y, las.z = coord[:, 0], coord[:, 1], coord[:, 2]
    las.red, las.green, las.blue = (color[:, i].astype(np.uint16) * 257 for i in range(3))
    las.nx, las.ny, las.nz = normal[:, 0], normal[:, 1], normal[:, 2]
    las.write(paths["scan.las"])
    table = np.column_stack([coord, color, normal])
    np.savetxt(paths["scan.txt"], table, fmt="%.9g", header="x y z red green blue nx ny nz", comments="")
    return list(paths.values())


@pytest.mark.slow(fast="tests/tools/test_predict.py::test_classification_topk_agrees_with_the_tester")
@needs_scan
def test_predictions_equal_the_testers_after_each_format(tmp_path, weight):
    expected = predictions_of_the_tester(weight, str(tmp_path / "tester"))
    inputs = write_formats(str(tmp_path)) + [SCAN]
    out = tmp_path / "out"
    labels = [os.path.join(SCAN, "segment20.npy")] * len(inputs)
    status = predict.main(
        [
            *inputs,
            "--config-file",
            CONFIG,
            "--weight",
            weight,
            "--out",
            str(out),
            "--quiet",
            "--save-txt",
            "--save-probs",
            "--labels",
            *labels,
        ]
    )
    assert status == 0
    stems = predict.output_stems(inputs)
    assert stems[inputs[2]] == "scan.las" and stems[inputs[3]] == "scan.txt"  # one stem, two outputs
    for path in inputs:
        got = np.load(out / f"{stems[path]}.labels.npy")
        assert got.shape == expected.shape and (got == expected).all(), f"{path}: {(got != expected).sum()} differ"
    probs = np.load(out / "scene0000_01.probs.npy").astype(np.float32)  # stored as float16
    assert probs.shape == (len(expected), 20) and np.allclose(probs.sum(1), 1, atol=1e-2)
    assert (probs[np.arange(len(expected)), expected] >= probs.max(1) - 1e-3).all()
    ply = read_points(str(out / "scene0000_01.pred.ply"))
    assert np.allclose(ply["coord"], np.load(os.path.join(SCAN, "coord.npy")), atol=1e-6)
    legend = (out / "legend.txt").read_text().splitlines()
    assert len(legend) == 20 and legend[0].split() == ["0", "wall", "174", "199", "232"]
    assert np.loadtxt(out / "scene0000_01.labels.txt").shape == (len(expected), 4)


@needs_scan
def test_missing_normals_are_estimated_and_missing_colour_needs_fill_color(tmp_path, weight, capsys):
    coord, color = (np.load(os.path.join(SCAN, f"{k}.npy")) for k in ("coord", "color"))
    np.savetxt(tmp_path / "no_normals.csv", np.column_stack([coord, color])[::20], fmt="%.6f", delimiter=",")
    np.save(tmp_path / "xyz.npy", coord[::20])
    args = ["--config-file", CONFIG, "--weight", weight, "--out", str(tmp_path / "out"), "--quiet"]
    assert predict.main(args + [str(tmp_path / "no_normals.csv")]) == 0
    assert "normals estimated" in capsys.readouterr().out
    assert predict.main(args + [str(tmp_path / "xyz.npy")]) == 1
    assert "has no colour, which the config's model reads" in capsys.readouterr().out
    assert predict.main([str(tmp_path / "xyz.npy")] + args + ["--fill-color", "128", "128", "128"]) == 0
    assert "colour filled with (128.0, 128.0, 128.0)" in capsys.readouterr().out


def test_bad_inputs_are_named_and_skipped(tmp_path, weight, capsys):
    good = tmp_path / "good.txt"
    rng = np.random.default_rng(0)
    np.savetxt(good, np.column_stack([rng.random((300, 3)) * 2, rng.integers(0, 255, (300, 3)), rng.random((300, 3))]))
    empty = tmp_path / "empty.txt"
    empty.write_text("x y z red green blue nx ny nz\n")
    nan = tmp_path / "nan.txt"
    nan.write_text("0 0 0 1 1 1 0 0 1\nnan 0 0 1 1 1 0 0 1\n1 1 1 1 1 1 0 0 1\n")
    unknown = tmp_path / "scan.foo"
    unknown.write_text("1 2 3\n")
    missing = tmp_path / "missing.ply"
    args = ["--config-file", CONFIG, "--weight", weight, "--out", str(tmp_path / "out"), "--quiet"]
    status = predict.main(args + [str(p) for p in (empty, good, nan, unknown, missing)])
    out = capsys.readouterr().out
    assert status == 1
    assert f"{empty}: the point cloud is empty" in out
    assert f"{nan}: 1 of 3 points have NaN or infinite coordinates (first at row 1)" in out
    assert f"{unknown}: unknown extension '.foo'" in out
    assert f"{missing}: no such file" in out
    assert "predicted 1 of 5 inputs" in out and (tmp_path / "out" / "good.labels.npy").exists()
    status = predict.main([str(good)] + args + ["--columns", "x", "y", "z", "red", "green", "blue"])
    assert status == 1 and f"{good}: --columns names 6 columns, the file has 9" in capsys.readouterr().out


def test_a_weight_that_does_not_fit_the_config_is_refused(tmp_path, capsys):
    cfg = host.load_config(CONFIG)
    cfg.model.num_classes = 13  # another head
    path = str(tmp_path / "other.pth")
    atomic_save(dict(state_dict=host.build_model(cfg.model).state_dict()), path)
    args = ["--config-file", CONFIG, "--out", str(tmp_path / "out"), str(SCAN)]
    assert predict.main(args + ["--weight", path]) == 2
    err = capsys.readouterr().err
    assert f"{path} does not fit the config's model" in err and "size mismatch for seg_head.weight" in err
    assert predict.main(args + ["--weight", str(tmp_path / "missing.pth")]) == 2
    assert "missing.pth" in capsys.readouterr().err
    assert predict.main(args + ["--weight", path, "--topk", "3"]) == 2  # a classification option
    assert "--topk does not apply to a semseg config" in capsys.readouterr().err


def test_las_without_laspy_names_the_extra(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_laspy(name, *args, **kwargs):
        if name == "laspy":
            raise ImportError("No module named 'laspy'")
        return real_import(name, *args, **kwargs)

    (tmp_path / "scan.laz").write_bytes(b"LASF")
    monkeypatch.setattr(builtins, "__import__", no_laspy)
    with pytest.raises(PointCloudError, match=r"scan.laz: reading .las / .laz needs laspy .* pip install -e .\[las\]"):
        read_points(str(tmp_path / "scan.laz"))


def test_classification_topk_agrees_with_the_tester(tmp_path):
    """ModelNet40's own object files (x, y, z, nx, ny, nz text) through predict.py: the top class of each equals the
    ClsTester's prediction for the same weight, with probabilities in decreasing order."""
    import json

    from pointcept_csp.datasets.synthetic_objects import write_objects

    config = os.path.join(ROOT, "configs", "modelnet40", "cls-pointcsp-v1m1-0-spd-ft.py")
    cfg = host.load_config(config)
    root = str(tmp_path / "data")
    write_objects(root, "modelnet", {"train": [1], "test": [5, 6]}, list(cfg.data.names), num_points=200)
    torch.manual_seed(0)
    weight = str(tmp_path / "model.pth")
    atomic_save(dict(state_dict=host.build_model(cfg.model).state_dict()), weight)
    cfg.data.test.data_root, cfg.save_path, cfg.weight = root, str(tmp_path / "tester"), weight
    expected = host.TESTERS.build(dict(cfg=cfg, **cfg.test)).test()["predictions"]
    names = [line.strip() for line in open(os.path.join(root, "modelnet40_test.txt")) if line.strip()]
    files = [os.path.join(root, n.rsplit("_", 1)[0], n + ".txt") for n in names]
    out = tmp_path / "out"
    status = predict.main(
        [
            *files,
            "--config-file",
            config,
            "--weight",
            weight,
            "--out",
            str(out),
            "--quiet",
            "--columns",
            "x",
            "y",
            "z",
            "nx",
            "ny",
            "nz",
            "--topk",
            "3",
        ]
    )
    assert status == 0
    results = json.loads((out / "predictions.json").read_text())
    for path, want in zip(files, expected):
        top = results[path]["topk"]
        assert len(top) == 3 and top[0]["id"] == want and top[0]["cls"] == cfg.data.names[want]
        assert top[0]["prob"] >= top[1]["prob"] >= top[2]["prob"] > 0


@needs_scan
def test_slabs_cover_every_point_and_their_votes_add_up(tmp_path, weight, monkeypatch):
    """`--max-points`: overlapping slabs of about that many points cover the scan; a point in two slabs gets the mean
    of their votes; the command runs end to end. (Whether slabs change predictions depends on the trained model: a
    slab is re-centred and re-serialised, which moves an untrained SSM's output everywhere.)"""
    from pointcept_csp.engines.predictor import SceneSegmenter

    coord = np.load(os.path.join(SCAN, "coord.npy"))
    segmenter = SceneSegmenter(host.load_config(CONFIG), None, torch.device("cpu"), max_points=30000)
    slabs = segmenter.slabs(coord)
    assert len(slabs) == 3 and np.unique(np.concatenate(slabs)).size == len(coord)
    assert all(len(rows) < 30000 + 20000 for rows in slabs)  # the 1 m margins add to the ~27k points of a third
    seen = iter(range(3))

    def vote_for_the_slab(arrays, on_fragment):  # slab i votes for class i
        probs = np.zeros((len(arrays["coord"]), 20), dtype=np.float32)
        probs[:, next(seen)] = 1
        return probs

    monkeypatch.setattr(segmenter, "scan_scores", vote_for_the_slab)
    probs = segmenter.predict(dict(coord=coord.astype(np.float64)))
    in_slabs = sum(np.isin(np.arange(len(coord)), rows).astype(int) for rows in slabs)
    assert np.allclose(probs.sum(1), 1) and np.allclose(probs.max(1), 1 / in_slabs)
    args = [SCAN, "--config-file", CONFIG, "--weight", weight, "--quiet", "--max-points", "30000"]
    assert predict.main(args + ["--out", str(tmp_path / "slabs")]) == 0
    assert np.load(tmp_path / "slabs" / "scene0000_01.labels.npy").shape == (len(coord),)
