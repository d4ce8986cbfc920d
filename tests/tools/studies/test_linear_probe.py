"""The cross-room probes of tools/studies/linear_probe.py on tiny data: features read alone equal independent mode
and differ in CSP sequences; the linear probe and the class consistency find classes that separate, and not
classes that do not; both are taken over the classes the two splits share."""

import pytest
import torch
import torch.nn.functional as F

from pointcept_csp import host
from tests.helpers.inputs import scene
from tools.studies.linear_probe import class_consistency, linear_probe, read_features, shared_classes


def labelled(n, seed):
    data = scene(n, seed)
    data["offset"] = torch.tensor([n])
    data["segment"] = torch.randint(0, 3, (n,), generator=torch.Generator().manual_seed(seed))
    return data


def test_reading_alone_and_in_csp_sequences():
    backbone = host.build_model(dict(type="PointCSP-SSM-v1m1-test", in_channels=6, cross_sample=True))
    scans = [labelled(300, s) for s in range(3)]
    alone = read_features(backbone, scans, 1)
    together = read_features(backbone, scans, 3)
    assert [len(f) for f in alone] == [300, 300, 300]
    first = F.normalize(backbone(dict(scans[0]), cross_sample=False)["feat"], dim=1)
    torch.testing.assert_close(alone[0], first, atol=1e-5, rtol=0)
    torch.testing.assert_close(together[0], alone[0], atol=1e-5, rtol=0)  # nothing before the first scan
    assert (together[2] - alone[2]).abs().max() > 1e-3  # the state of scans 1 and 2 reached scan 3
    with pytest.raises(ValueError, match="sequence must be a positive number of scans, got 0"):
        read_features(backbone, scans, 0)


def test_probes_separate_classes_that_separate_and_use_shared_classes():
    g = torch.Generator().manual_seed(0)
    directions = F.normalize(torch.randn(3, 8, generator=g), dim=1)

    def split(n_scans, classes):
        labels = [torch.tensor(classes).repeat(50) for _ in range(n_scans)]
        feats = [F.normalize(directions[y] + 0.3 * torch.randn(len(y), 8, generator=g), dim=1) for y in labels]
        return feats, labels

    f_train, y_train = split(3, [0, 1, 2])
    f_val, y_val = split(2, [0, 1])
    train, val = [dict(segment=y) for y in y_train], [dict(segment=y) for y in y_val]
    assert shared_classes(train, val) == [0, 1]
    assert linear_probe(f_train, y_train, f_val, y_val, [0, 1])["mIoU"] > 0.9
    assert class_consistency(f_train, y_train, f_val, y_val, [0, 1]) > 0.9
    noise = [F.normalize(torch.randn(len(y), 8, generator=g), dim=1) for y in y_val]  # features that know nothing
    assert linear_probe(f_train, y_train, noise, y_val, [0, 1])["mIoU"] < 0.5
    assert class_consistency(f_train, y_train, noise, y_val, [0, 1]) < 0.75


def test_sparse_labels_keep_every_listed_point_through_the_voxelisation(tmp_path):
    from tests.helpers import limited_labels
    from tools.studies.linear_probe import load_scans

    data_root, la_file, _ = limited_labels.write_task_data(str(tmp_path))
    full, sparse = load_scans(data_root, "train", 0.1), load_scans(data_root, "train", 0.1, la_file)
    for a, b in zip(full, sparse):
        assert int((b["segment"] != -1).sum()) == 20 and len(b["segment"]) >= len(a["segment"])
        assert int((a["segment"] != -1).sum()) > 20
