"""The data-efficient benchmark's files (pointcept_csp/utils/data_efficient.py): Pointcept's formats, seeded draws,
whole rooms, and a clear error for every malformed file."""

import numpy as np
import pytest
import torch

from pointcept_csp.utils.data_efficient import (
    draw_labelled_points,
    draw_scenes,
    limit_annotations,
    read_la_file,
    read_lr_file,
    room_of,
    write_la_file,
    write_lr_file,
)


def test_la_file_round_trip_is_readable_weights_only_as_pointcept_loads_it(tmp_path):
    path = str(tmp_path / "points20")
    labelled = {"scene0001_00": np.array([7, 3, 11]), "scene0002_00": np.array([0])}
    write_la_file(labelled, path)
    raw = torch.load(path, weights_only=True)  # Pointcept's `torch.load(la_file)` under torch >= 2.6
    assert set(raw) == set(labelled) and all(v.dtype == torch.int64 for v in raw.values())
    read = read_la_file(path)
    assert read["scene0001_00"].tolist() == [3, 7, 11] and read["scene0002_00"].tolist() == [0]


def test_la_file_with_numpy_values_is_read_too(tmp_path):
    path = str(tmp_path / "points20")
    torch.save({"scene0001_00": np.array([4, 2], dtype=np.int32)}, path)
    assert read_la_file(path)["scene0001_00"].tolist() == [2, 4]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param([1, 2, 3], "non-empty dict", id="a-list"),
        pytest.param({}, "non-empty dict", id="empty"),
        pytest.param({"scene0001_00": torch.zeros(2, 2, dtype=torch.long)}, "1-D integer", id="2-d"),
        pytest.param({"scene0001_00": torch.tensor([0.5, 1.0])}, "1-D integer", id="floats"),
        pytest.param({"scene0001_00": torch.tensor([3, -1])}, "negative", id="negative"),
    ],
)
def test_malformed_la_files_are_refused_with_the_reason(tmp_path, content, message):
    path = str(tmp_path / "la")
    torch.save(content, path)
    with pytest.raises(ValueError, match=message):
        read_la_file(path)


def test_la_file_that_is_not_a_torch_file_or_missing(tmp_path):
    (tmp_path / "text").write_text("scene0001_00 1 2 3\n")
    with pytest.raises(ValueError, match="not a torch file"):
        read_la_file(str(tmp_path / "text"))
    with pytest.raises(FileNotFoundError, match="tools/data_efficient.py"):
        read_la_file(str(tmp_path / "absent"))


def test_lr_file_reads_names_and_refuses_empty_or_repeated(tmp_path):
    path = str(tmp_path / "1.txt")
    write_lr_file(["scene0003_00", "scene0003_01"], path)
    assert read_lr_file(path) == ["scene0003_00", "scene0003_01"]
    (tmp_path / "one.txt").write_text("scene0004_00\n")  # one line: Pointcept's np.loadtxt gives a 0-d array here
    assert read_lr_file(str(tmp_path / "one.txt")) == ["scene0004_00"]
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(ValueError, match="no scene"):
        read_lr_file(str(tmp_path / "empty.txt"))
    (tmp_path / "twice.txt").write_text("a\nb\na\n")
    with pytest.raises(ValueError, match=r"more than once: \['a'\]"):
        read_lr_file(str(tmp_path / "twice.txt"))


def test_limit_annotations_keeps_only_the_listed_labels():
    segment = np.array([3, 4, -1, 5, 6], dtype=np.int32)
    limited = limit_annotations(segment, np.array([1, 2, 4]), -1, "scene x")
    assert limited.tolist() == [-1, 4, -1, -1, 6] and segment.tolist() == [3, 4, -1, 5, 6]
    with pytest.raises(ValueError, match="index 5 but the scene has 5 points"):
        limit_annotations(segment, np.array([5]), -1, "scene x")


def test_labelled_points_are_drawn_among_labelled_points_seeded_and_all_when_too_few():
    segment = np.full(1000, -1)
    segment[::3] = 2
    draw = draw_labelled_points(segment, 20, np.random.default_rng(0))
    assert len(draw) == 20 and (segment[draw] != -1).all() and (np.diff(draw) > 0).all()
    assert draw.tolist() == draw_labelled_points(segment, 20, np.random.default_rng(0)).tolist()
    assert draw.tolist() != draw_labelled_points(segment, 20, np.random.default_rng(1)).tolist()
    few = np.array([-1, 1, -1, 2])
    assert draw_labelled_points(few, 20, np.random.default_rng(0)).tolist() == [1, 3]
    with pytest.raises(ValueError, match=">= 1"):
        draw_labelled_points(few, 0, np.random.default_rng(0))


SCANS = ["scene0001_00", "scene0001_01", "scene0002_00", "scene0003_00", "scene0003_01", "scene0003_02", "other"]


def test_scene_draws_keep_the_rescans_of_a_room_together():
    assert room_of("scene0003_02") == "scene0003" and room_of("other") == "other"
    for seed in range(10):
        for chosen in (
            draw_scenes(SCANS, np.random.default_rng(seed), rooms=2),
            draw_scenes(SCANS, np.random.default_rng(seed), fraction=0.5),
        ):
            rooms = {room_of(n) for n in chosen}
            assert chosen == sorted(n for n in SCANS if room_of(n) in rooms), chosen
        assert len({room_of(n) for n in draw_scenes(SCANS, np.random.default_rng(seed), rooms=2)}) == 2
        assert len(draw_scenes(SCANS, np.random.default_rng(seed), fraction=0.5)) >= 4  # ceil(0.5 x 7)
    assert draw_scenes(SCANS, np.random.default_rng(3), rooms=1) == draw_scenes(
        SCANS, np.random.default_rng(3), rooms=1
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(dict(rooms=5), r"1\.\.4", id="too-many-rooms"),
        pytest.param(dict(fraction=0.0), r"\(0, 1\]", id="zero-fraction"),
        pytest.param(dict(), "exactly one", id="neither"),
        pytest.param(dict(rooms=1, fraction=0.5), "exactly one", id="both"),
    ],
)
def test_bad_scene_draws_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_scenes(SCANS, np.random.default_rng(0), **kwargs)
