# SPD plug-and-play on real rooms (the real-rooms study, the paper's "CamPoint + SPD" row): the sparse-conv U-Net of
# models/sparse_unet.py, trained from scratch on ../shared/data/scannet-rooms with SPD (its teacher is the EMA of the
# student; the U-Net has no sequence, so no cross-sample reading), the rest as semseg-pointcsp-v1m1-0-rooms.py.
_base_ = ["semseg-pointcsp-v1m1-0-rooms.py"]

grid_size = 0.05
model = dict(
    lambda_geo=0.0,  # L_geo reads the SSM backbone's stages; the U-Net exposes none
    backbone_out_channels=32,
    backbone=dict(_delete_=True, type="SpUNet-native-v1m1", in_channels=6, channels=(16, 32, 64),
                  dec_channels=(32, 32), grid_size=grid_size),
)
