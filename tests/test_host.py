"""The host seam: which host is active, registrations reachable through it, configs through its loader."""

import os
import re
import subprocess
import sys

import pytest
import torch

from pointcept_csp import host
from tests.helpers.common import ROOT

TOY_CFG = os.path.join(ROOT, "tests", "fixtures", "configs", "toy.py")


def test_host_name_is_standalone_without_pointcept():
    proc = subprocess.run(
        [sys.executable, "-c", "import pointcept_csp.host as h; print(h.NAME)"],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
        capture_output=True,
        text=True,
        check=True,
    )
    expected = "pointcept" if host.POINTCEPT_IMPORT_ERROR is None and host.NAME == "pointcept" else "standalone"
    assert proc.stdout.strip() == expected


def test_a_broken_pointcept_falls_back_with_a_warning(tmp_path):
    """A Pointcept checkout that is on the path but fails to import is not silently replaced by the standalone host."""
    (tmp_path / "pointcept").mkdir()
    (tmp_path / "pointcept" / "__init__.py").write_text("")
    (tmp_path / "pointcept" / "datasets.py").write_text("raise ImportError('no module named pointops')\n")
    proc = subprocess.run(
        [sys.executable, "-c", "import pointcept_csp.host as h; print(h.NAME); print(h.describe())"],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, str(tmp_path)]), POINTCEPT_CSP_HOST="auto"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.splitlines()[0] == "standalone"
    assert "Pointcept is on the path but does not import" in proc.stderr and "pointops" in proc.stderr
    assert "because Pointcept does not import" in proc.stdout


def test_forced_standalone_host():
    code = "import pointcept_csp.host as h; print(h.NAME, h.MODELS.__module__)"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH=ROOT, POINTCEPT_CSP_HOST="standalone"),
    )
    assert proc.stdout.split()[0] == "standalone"


def test_bad_host_choice_is_rejected():
    proc = subprocess.run(
        [sys.executable, "-c", "import pointcept_csp"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=ROOT, POINTCEPT_CSP_HOST="pointcep"),
    )
    assert proc.returncode != 0 and "POINTCEPT_CSP_HOST must be one of" in proc.stderr


def test_plugin_module_builds_from_dict_and_from_config_file():
    import tests.fixtures.toy_plugin  # noqa: F401

    model = host.build_model(dict(type="ToySegmentor", in_channels=3, num_classes=2, hidden=4))
    assert model.net[0].out_features == 4
    cfg = host.load_config(TOY_CFG, options={"model.hidden": 5, "optimizer.lr": 0.5})
    # _base_ chain: toy.py -> toy_base.py -> default_runtime.py; the model dict merges over the base's
    assert cfg.model.type == "ToySegmentor" and cfg.model.in_channels == 3
    assert cfg.model.hidden == 5 and cfg.optimizer.lr == 0.5 and cfg.clip_grad is None
    model = host.build_model(cfg.model)
    assert model.net[0].out_features == 5
    out = model(dict(feat=torch.randn(7, 3), segment=torch.zeros(7, dtype=torch.long)))
    assert out["seg_logits"].shape == (7, 2) and out["loss"].ndim == 0


def test_unknown_type_names_close_matches():
    import tests.fixtures.toy_plugin  # noqa: F401

    with pytest.raises(KeyError, match=r"'ToySegmentr' is not registered in models; did you mean \['ToySegmentor'"):
        host.build_model(dict(type="ToySegmentr"))


def test_wrong_constructor_key_names_the_class():
    import tests.fixtures.toy_plugin  # noqa: F401

    with pytest.raises(TypeError, match="ToySegmentor"):
        host.build_model(dict(type="ToySegmentor", in_chanels=3))


def test_only_host_imports_pointcept():
    pattern = re.compile(r"^\s*(import pointcept(\.|\s|$)|from pointcept(\.|\s))")
    offenders = []
    for folder, _, files in os.walk(os.path.join(ROOT, "pointcept_csp")):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(".py") and not path.endswith(os.path.join("pointcept_csp", "host.py")):
                with open(path) as f:
                    offenders += [f"{path}:{i}" for i, line in enumerate(f, 1) if pattern.match(line)]
    assert offenders == []
