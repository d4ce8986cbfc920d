# Linear probe on ScanNet (frozen pre-trained backbone, linear head), as Pointcept's Sonata "lin" configs.
_base_ = ["semseg-pointcsp-v1m1-0-spd-ft.py"]
model = dict(freeze_backbone=True, spd=False, lambda_geo=0.0, lovasz_weight=0.0, head="linear")
param_dicts = None
scheduler = dict(max_lr=0.002)
