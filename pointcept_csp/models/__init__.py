"""Models registered into the host's MODELS: the CSP-SSM backbone, the pre-training model, SPD wrappers, heads (and,
on the standalone host, the Pointcept losses a `criteria` list names)."""

from . import criteria, pointcsp_ssm_v1m1, pointcsp_v1m1_base, sparse_unet, spd  # noqa: F401
