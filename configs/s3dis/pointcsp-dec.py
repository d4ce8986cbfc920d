# Decoder probe on S3DIS Area 5: the pre-trained encoder is frozen; decoder and head train (Sonata's "dec" configs).
_base_ = ["pointcsp.py"]
model = dict(freeze_backbone="encoder", spd=False, lambda_geo=0.0, head="linear")
param_dicts = None
scheduler = dict(max_lr=0.002)
epoch, eval_epoch = 800, 100
