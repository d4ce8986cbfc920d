"""PointCSP (CVPR 2026) as a Pointcept plugin: cross-sample semantic propagation (CSP) through an SSM that reads the
whole batch as one sequence, and stability preservation distillation (SPD) for single-scene inference.

Importing the package registers its models, transforms, datasets, hooks and trainer into the active host
(`pointcept_csp.host.NAME`).
"""

from . import datasets, engines, host, models  # noqa: F401  (register into the host)

__version__ = "0.1.0"
__all__ = ["host", "__version__"]
