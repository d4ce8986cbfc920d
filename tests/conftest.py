import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

from tests.helpers import triton_interpreter  # noqa: E402
from tests.helpers.common import missing_fast_counterpart  # noqa: E402

triton_interpreter.enable(cuda=torch.cuda.is_available())  # before any test imports fla


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield


def pytest_collection_modifyitems(config, items):
    """A test kept out of the fast set (`slow`) must name a fast test of the same capability that exists."""
    for item in items:
        if (mark := item.get_closest_marker("slow")) is not None:
            if problem := missing_fast_counterpart(item.nodeid, mark.kwargs.get("fast")):
                raise pytest.UsageError(problem)
