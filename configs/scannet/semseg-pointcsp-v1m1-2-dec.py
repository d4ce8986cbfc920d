# Decoder probe on ScanNet (frozen pre-trained encoder; decoder and head train), as Sonata's "dec" configs.
_base_ = ["semseg-pointcsp-v1m1-0-spd-ft.py"]
model = dict(freeze_backbone="encoder", spd=False, lambda_geo=0.0, head="linear")
param_dicts = None
scheduler = dict(max_lr=0.002)
