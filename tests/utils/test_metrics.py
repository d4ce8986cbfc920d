"""Segmentation scores: mIoU over the classes present, or over a config's `eval_classes`; bad class lists raise."""

import numpy as np
import pytest

from pointcept_csp.utils.metrics import intersection_and_union, segmentation_scores


def test_eval_classes_restrict_the_mean():
    target = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 0, 1, 3, 3, 3])  # class 3 only predicted: IoU 0 counts among the present classes
    counts = intersection_and_union(pred, target, 4)
    every = segmentation_scores(*counts)
    shared = segmentation_scores(*counts, classes=[0, 1])
    assert every["mIoU"] == pytest.approx((1 + 0.5 + 0 + 0) / 4)
    assert shared["mIoU"] == pytest.approx((1 + 0.5) / 2) and shared["mAcc"] == pytest.approx((1 + 0.5) / 2)
    assert shared["allAcc"] == every["allAcc"] == pytest.approx(3 / 6)
    with pytest.raises(ValueError, match=r"eval_classes must be class ids in \[0, 4\), got \[0, 7\]"):
        segmentation_scores(*counts, classes=[0, 7])
