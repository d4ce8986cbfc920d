import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

from tests import triton_interpreter  # noqa: E402

triton_interpreter.enable(cuda=torch.cuda.is_available())  # before any test imports fla

SCANNET_MINI = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-mini")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield
