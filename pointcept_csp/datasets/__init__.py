"""Data components registered into the host: the multi-region augmentation and the datasets Pointcept lacks."""

from . import multi_region_crop, synthetic, synthetic_objects, threedses  # noqa: F401
