"""pointcept-csp: PointCSP (CVPR 2026) as a Pointcept plugin. `pip install -e .` (CPU) or `pip install -e .[cu120]`."""

from setuptools import find_packages, setup

setup(
    name="pointcept-csp",
    version="0.1.0",
    description="PointCSP: cross-sample semantic propagation and stability preservation distillation for Pointcept",
    packages=find_packages(include=["pointcept_csp", "pointcept_csp.*"]),
    python_requires=">=3.9",
    # torch: any release from 2.1 on; tools/env.sh installs 2.13.0 first so that pip never fetches a CUDA build on CPU
    install_requires=["torch>=2.1", "numpy", "addict", "tensorboardX", "plyfile", "scipy", "tqdm"],
    extras_require={
        # GPU kernels from wheels, no compiler (tests/test_packaging.py resolves it binary-only): spconv's CUDA 12
        # build and fla's kernels (fla-core: the ops without flash-linear-attention's transformers models; it imports
        # packaging without declaring it). docs/gpu.md says which spconv wheel fits which CUDA.
        "cu120": ["spconv-cu120", "fla-core==0.6.0", "packaging"],
        # mamba-ssm's SSD kernels (backend="mamba"): no binary wheel, it compiles CUDA code with nvcc at install and
        # needs a CUDA toolkit matching torch's; fla-core already serves the Mamba2 mixer
        "mamba": ["mamba-ssm"],
        # LAS / LAZ point clouds for tools/predict.py (lazrs: the LAZ decompressor, a binary wheel)
        "las": ["laspy[lazrs]>=2.5"],
        "dev": ["pytest", "matplotlib", "laspy[lazrs]>=2.5"],
    },
)
