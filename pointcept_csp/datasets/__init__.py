"""Data components registered into the host: the multi-region augmentation, the covering test crop and the datasets
Pointcept lacks."""

from . import covering_crop, multi_region_crop, synthetic_objects, threedses  # noqa: F401
