"""Import-only stand-ins that let a Pointcept checkout import on a CPU machine, for the integration tests.

Pointcept imports CUDA-only extensions (pointops, spconv, flash_attn, ...) and heavy optional packages (open3d,
wandb, torchvision, ...) at module level, although the code paths these tests drive (registries, configs, dataset
readers, transforms, collate, the trainer / hook protocol) never call them. `install()` appends a finder at the END
of `sys.meta_path`: it only answers for modules that no installed package provides, and only for the names in
`STANDIN_PACKAGES` (what Pointcept imports at module level and a CPU machine lacks). Such a module is a stand-in
whose every attribute is a class that raises when called or instantiated, naming itself: a test can never pass
*through* a stand-in silently - it would fail with "stand-in 'pointops.knn_query' was called".

`pointcept.utils.logger` is missing from the shared snapshot (../shared/pointcept, every other file is there): when
no installed Pointcept provides it, a small module of ours gives Pointcept's modules the one function they import,
`get_root_logger`.

`torch_scatter` gets a small working stand-in (scatter with sum / mean / min / max via `torch.scatter_reduce`),
because Pointcept's dataset utilities import it at module level.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import os
import sys
import types

import torch

STANDIN_PACKAGES = (
    # CUDA-only extensions
    "pointops",
    "pointops2",
    "pointgroup_ops",
    "pointseg",
    "pointrope",
    "spconv",
    "flash_attn",
    "ocnn",
    "dwconv",
    "MinkowskiEngine",
    "torchsparse",
    "torch_points_kernels",
    "torch_points3d",
    "Swin3D",
    "torch_scatter",
    "torch_cluster",
    "torch_geometric",
    # packages that need torchvision or a display, or heavy optional services / dataset SDKs
    "torchvision",
    "timm",
    "transformers",
    "peft",
    "clip",
    "vggt",
    "open3d",
    "wandb",
    "cv2",
    "PIL",
    "imageio",
    "trimesh",
    "camtools",
    "habitat_sim",
    "nuscenes",
    "waymo_open_dataset",
    "tensorflow",
    "mmcv",
    "pandas",
    "pyquaternion",
    "quaternion",
    "sklearn",
    "SharedArray",
    "tqdm",
    "regex",
)
STUBBED: list[str] = []  # names that were stubbed, for the report


class StandInCalled(RuntimeError):
    pass


class _StubMeta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _stub_class(f"{cls.__qualname__}.{name}")

    def __call__(cls, *args, **kwargs):
        raise StandInCalled(f"stand-in '{cls.__qualname__}' was called; the real package is not installed here")


def _stub_class(qualname: str) -> type:
    return _StubMeta(qualname.rsplit(".", 1)[-1], (), {"__qualname__": qualname, "__module__": "standin"})


class StubModule(types.ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__path__ = []  # a package, so that `import a.b.c` works too
        self.__version__ = "0.0.0+standin"

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _stub_class(f"{self.__name__}.{name}")


def _scatter(src, index, dim=0, out=None, dim_size=None, reduce="sum"):
    size = list(src.shape)
    size[dim] = int(index.max()) + 1 if dim_size is None else dim_size
    index = index.view(*[-1 if d == (dim % src.dim()) else 1 for d in range(src.dim())]).expand_as(src)
    base = torch.zeros(size, dtype=src.dtype, device=src.device)
    mode = {"sum": "sum", "add": "sum", "mean": "mean", "min": "amin", "max": "amax"}[reduce]
    return base.scatter_reduce(dim, index, src, reduce=mode, include_self=False)


def _torch_scatter() -> types.ModuleType:
    module = StubModule("torch_scatter")  # the functions below work; any other name is a stand-in that raises
    module.scatter = _scatter
    for reduce in ("sum", "mean", "add"):
        setattr(
            module,
            f"scatter_{reduce}",
            lambda src, index, dim=0, out=None, dim_size=None, _r=reduce: _scatter(src, index, dim, out, dim_size, _r),
        )
    for reduce in ("min", "max"):

        def arg_reduce(src, index, dim=0, out=None, dim_size=None, _r=reduce):
            values = _scatter(src, index, dim, out, dim_size, _r)
            raise_args = StandInCalled(f"stand-in 'torch_scatter.scatter_{_r}' argument output is not provided")
            return values, raise_args

        setattr(module, f"scatter_{reduce}", arg_reduce)
    module.segment_csr = lambda *a, **k: (_ for _ in ()).throw(StandInCalled("stand-in 'torch_scatter.segment_csr'"))
    return module


def _pointcept_logger() -> types.ModuleType:
    """`get_root_logger(log_file, log_level, file_mode)`: the "pointcept" logger, to stderr, and to `log_file` when
    one is given (Pointcept's default_setup passes save_path/train.log)."""
    module = types.ModuleType(LOGGER_MODULE)

    def get_root_logger(log_file=None, log_level=logging.INFO, file_mode="a"):
        logger = logging.getLogger("pointcept")
        formatter = logging.Formatter("[%(asctime)s %(levelname)s] %(message)s", "%Y-%m-%d %H:%M:%S")
        if not any(type(h) is logging.StreamHandler for h in logger.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(formatter)
            logger.addHandler(handler)
        files = {getattr(h, "baseFilename", None) for h in logger.handlers}
        if log_file is not None and os.path.abspath(log_file) not in files:
            handler = logging.FileHandler(log_file, file_mode)
            handler.setFormatter(formatter)
            logger.addHandler(handler)
        logger.setLevel(log_level)
        logger.propagate = False
        return logger

    module.get_root_logger = get_root_logger
    return module


LOGGER_MODULE = "pointcept.utils.logger"


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on sys.meta_path, so it is asked only for modules nothing installed provides."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == LOGGER_MODULE:
            return importlib.machinery.ModuleSpec(fullname, self)
        top = fullname.split(".")[0]
        if top not in STANDIN_PACKAGES:
            return None
        if "." in fullname and not isinstance(sys.modules.get(top), StubModule):
            return None  # a missing submodule of a REAL package: its own ImportError is what the package expects
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        if spec.name == LOGGER_MODULE:
            return _pointcept_logger()
        if spec.name == "torch_scatter":
            return _torch_scatter()
        STUBBED.append(spec.name)
        return StubModule(spec.name)

    def exec_module(self, module):
        return None


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
