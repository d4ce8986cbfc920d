"""Models registered into the host's MODELS: the CSP-SSM backbone, the pre-training model, SPD wrappers, heads."""

from . import pointcsp_ssm_v1m1, pointcsp_v1m1_base, sparse_unet, spd  # noqa: F401
