"""6-fold pooling sums intersections and unions over all areas before dividing (not a mean of per-fold mIoUs)."""

import json

import numpy as np
import pytest

from tools.s3dis_6fold import fold_counts, pool


def test_pooling_on_a_fabricated_confusion_example():
    # two classes; fold A: class 0 I=8 U=10, class 1 I=1 U=10; fold B: class 0 I=2 U=10, class 1 I=9 U=10
    folds = [
        dict(intersection=[8, 1], union=[10, 10], target=[9, 2]),
        dict(intersection=[2, 9], union=[10, 10], target=[3, 10]),
    ]
    scores = pool(folds)
    assert scores["iou_class"].tolist() == pytest.approx([0.5, 0.5])  # (8+2)/20, (1+9)/20
    assert scores["mIoU"] == pytest.approx(0.5)
    assert scores["allAcc"] == pytest.approx(20 / 24)
    per_fold_mean = np.mean([pool([f])["mIoU"] for f in folds])
    assert per_fold_mean == pytest.approx(0.5)  # equal here by construction; now break the symmetry:
    folds[1] = dict(intersection=[2, 90], union=[10, 100], target=[3, 100])
    assert pool(folds)["mIoU"] == pytest.approx(((8 + 2) / 20 + (1 + 90) / 110) / 2)
    assert pool(folds)["mIoU"] != pytest.approx(np.mean([pool([f])["mIoU"] for f in folds]))


def test_fold_counts_from_predictions_when_no_metrics_file(tmp_path):
    save, data = tmp_path / "fold", tmp_path / "data"
    (save / "result").mkdir(parents=True)
    (data / "Area_2" / "office_1").mkdir(parents=True)
    np.save(data / "Area_2" / "office_1" / "segment.npy", np.array([0, 0, 1, 1, -1]))
    np.save(save / "result" / "Area_2-office_1_pred.npy", np.array([0, 1, 1, 1, 0]))
    counts = fold_counts(str(save), str(data), 2, num_classes=2)
    assert counts["intersection"] == [1, 2] and counts["union"] == [2, 3] and counts["target"] == [2, 2]
    (save / "result" / "metrics.json").write_text(json.dumps(dict(intersection=[5, 5], union=[6, 6], target=[5, 5])))
    assert fold_counts(str(save), str(data), 2, num_classes=2)["intersection"] == [5, 5]
