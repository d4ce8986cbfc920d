# Linear probe on S3DIS Area 5: the pre-trained backbone is frozen, only a linear head is trained (as Pointcept's
# Sonata "lin" configs). Measures the pre-trained features themselves; no SPD (nothing of the backbone trains).
_base_ = ["pointcsp.py"]
model = dict(freeze_backbone=True, spd=False, lambda_geo=0.0, lovasz_weight=0.0, head="linear")
param_dicts = None
scheduler = dict(max_lr=0.002)
epoch, eval_epoch = 800, 100
