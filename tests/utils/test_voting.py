"""Fragment voting (pointcept_csp/utils/voting.py), which the tester and tools/predict.py share: the summed scores
equal a float64 reference whatever the batching, fragments are made one test-time augmentation at a time, and a
real config's test dataset streams the fragments its `fragment_list` holds (the Pointcept host's own
`prepare_test_data` is the reference in tests/integration, check `predict`)."""

import os

import numpy as np
import pytest
import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.utils.voting import load_test_sample, vote
from tests.helpers.common import ROOT, assert_close

SCANNET_MINI = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-mini")


class PerPointLinear(torch.nn.Module):
    """seg_logits = feat W: each point's scores depend on it alone, so batching fragments cannot change them."""

    def __init__(self, channels: int, classes: int) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(channels, classes)

    def forward(self, batch: dict) -> dict:
        return dict(seg_logits=self.linear(batch["feat"]))


def fragments(points: int, count: int, channels: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        index = rng.choice(points, size=rng.integers(1, points), replace=False)
        out.append(
            dict(
                feat=torch.as_tensor(rng.normal(size=(len(index), channels)), dtype=torch.float32),
                index=torch.as_tensor(index),
            )
        )
    return out


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_scores_are_the_softmax_summed_at_each_fragments_index(batch_size):
    torch.manual_seed(0)
    model = PerPointLinear(5, 4)
    parts = fragments(points=30, count=7, channels=5)
    called = []
    scores, count = vote(
        model, iter(parts), 30, 4, host.collate_fn, torch.device("cpu"), batch_size, lambda: called.append(1)
    )
    expected = np.zeros((30, 4))
    weight, bias = model.linear.weight.detach().double().numpy(), model.linear.bias.detach().double().numpy()
    for part in parts:
        logits = part["feat"].double().numpy() @ weight.T + bias
        probs = np.exp(logits - logits.max(1, keepdims=True))
        np.add.at(expected, part["index"].numpy(), probs / probs.sum(1, keepdims=True))
    assert count == len(called) == 7
    assert_close("scores", scores.double(), torch.as_tensor(expected), atol=1e-6)


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(ValueError, match="batch_size must be at least 1 fragment, got 0"):
        vote(PerPointLinear(2, 2), [], 3, 2, host.collate_fn, torch.device("cpu"), 0)


class RecordingDataset:
    """A test dataset of one sample and three test-time augmentations that record when they run."""

    def __init__(self) -> None:
        self.log = []
        self.aug_transform = [self.augmentation(k) for k in range(3)]
        self.test_voxelize = self.test_crop = None

    def augmentation(self, k: int):
        def apply(data: dict) -> dict:
            self.log.append(f"aug {k}")
            return dict(data, coord=data["coord"] + k)

        return apply

    def get_data(self, idx: int) -> dict:
        return dict(coord=np.zeros((4, 3), np.float32), segment=np.arange(4), name=f"scene{idx}")

    def transform(self, data: dict) -> dict:
        return data

    def post_transform(self, data: dict) -> dict:
        self.log.append("fragment")
        return data


def test_fragments_are_made_one_augmentation_at_a_time():
    dataset = RecordingDataset()
    sample, stream = load_test_sample(dataset, 2)
    assert sample["name"] == "scene2" and list(sample["segment"]) == [0, 1, 2, 3] and dataset.log == []
    first = next(stream)
    assert dataset.log == ["aug 0", "fragment"]  # the later augmentations have not run
    rest = list(stream)
    assert dataset.log == ["aug 0", "fragment", "aug 1", "fragment", "aug 2", "fragment"]
    assert [float(f["coord"][0, 0]) for f in [first, *rest]] == [0.0, 1.0, 2.0]
    assert all("segment" not in f and "name" not in f for f in [first, *rest])
    assert list(first["index"]) == [0, 1, 2, 3]


@pytest.mark.skipif(not os.path.isdir(SCANNET_MINI), reason=f"real sample scans not found at {SCANNET_MINI}")
def test_a_real_configs_stream_holds_its_fragment_list():
    cfg = host.load_config(os.path.join(ROOT, "tests", "fixtures", "configs", "scannet_semseg_tiny.py"))
    cfg.data.test.update(data_root=SCANNET_MINI, split="val")
    dataset = host.build_dataset(cfg.data.test)
    reference = dataset[0]
    sample, stream = load_test_sample(dataset, 0)
    streamed = list(stream)
    assert len(streamed) == len(reference["fragment_list"]) > 1
    assert np.array_equal(sample["segment"], reference["segment"])
    for ours, theirs in zip(streamed, reference["fragment_list"]):
        assert ours.keys() == theirs.keys()
        for key in theirs:
            assert torch.equal(torch.as_tensor(ours[key]), torch.as_tensor(theirs[key])), key
