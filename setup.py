"""pointcept-csp: PointCSP (CVPR 2026) as a Pointcept plugin. `pip install -e .` (CPU) or `pip install -e .[cu120]`."""

from setuptools import find_packages, setup

setup(
    name="pointcept-csp",
    version="0.1.0",
    description="PointCSP: cross-sample semantic propagation and stability preservation distillation for Pointcept",
    packages=find_packages(include=["pointcept_csp", "pointcept_csp.*"]),
    python_requires=">=3.9",
    # torch: any release from 2.1 on; tools/env.sh installs 2.13.0 first so that pip never fetches a CUDA build on CPU
    install_requires=["torch>=2.1", "numpy", "addict", "tensorboardX"],
    extras_require={
        # GPU kernels; install on a CUDA 12 machine next to Pointcept
        "cu120": ["spconv-cu120", "flash-linear-attention", "mamba-ssm"],
        "dev": ["pytest", "matplotlib"],
    },
)
