# CPU-sized variant of pointcsp.py for tests and laptops: synthetic rooms written in S3DIS layout
# (pointcept_csp.datasets.synthetic.write_rooms(root, "s3dis", {"Area_1": [...], ..., "Area_5": [...]})),
# 10 synthetic classes, the tiny backbone of configs/scannet/pretrain-pointcsp-v1m1-0-tiny.py, 5 cm voxels.
_base_ = ["pointcsp.py"]

num_classes = 10
grid_size = 0.05
data_root = "data/synthetic-s3dis"
names = ["wall", "floor", "ceiling", "door", "window", "table", "chair", "shelf", "box", "sofa"]
batch_size, num_worker = 2, 1  # Pointcept's loaders keep persistent workers, which needs num_worker > 0
epoch, eval_epoch = 4, 2
enable_amp = False
seed = 0
base_lr = 0.005
model = dict(
    num_classes=num_classes, backbone_out_channels=32, lovasz_weight=0.0, geo=dict(samples=256),
    backbone=dict(enc_depths=(1, 1, 2), enc_channels=(16, 32, 64), enc_num_head=(1, 1, 2), stride=(2, 2),
                  dec_depths=(1, 1), dec_channels=(32, 32), dec_num_head=(1, 1), mlp_ratio=2, drop_path=0.0,
                  grid_size=grid_size,
                  expected_tokens=(5000, 1350, 380)),  # a 5000-point crop per stage; loaded weights override it
)
optimizer = dict(type="AdamW", lr=base_lr, weight_decay=0.05)
scheduler = dict(type="OneCycleLR", max_lr=[base_lr, base_lr * 0.1], pct_start=0.2, anneal_strategy="cos",
                 div_factor=10.0, final_div_factor=100.0)
train_transform = [
    dict(type="CenterShift", apply_z=True),
    dict(type="RandomRotate", angle=[-1, 1], axis="z", center=[0, 0, 0], p=0.5),
    dict(type="RandomScale", scale=[0.9, 1.1]),
    dict(type="RandomFlip", p=0.5),
    dict(type="RandomJitter", sigma=0.005, clip=0.02),
    dict(type="ChromaticTranslation", p=0.95, ratio=0.05),
    dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="train", return_grid_coord=True),
    dict(type="SphereCrop", point_max=8000, mode="random"),
    dict(type="CenterShift", apply_z=False),
    dict(type="NormalizeColor"),
    dict(type="ToTensor"),
    dict(type="Collect", keys=("coord", "grid_coord", "segment"), feat_keys=("color", "normal")),
]
data = dict(
    num_classes=num_classes, names=names,
    train=dict(data_root=data_root, transform=train_transform),
    val=dict(data_root=data_root, transform=[
        dict(type="CenterShift", apply_z=True),
        dict(type="Copy", keys_dict={"segment": "origin_segment"}),
        dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="train", return_grid_coord=True,
             return_inverse=True),
        dict(type="CenterShift", apply_z=False),
        dict(type="NormalizeColor"),
        dict(type="ToTensor"),
        dict(type="Collect", keys=("coord", "grid_coord", "segment", "origin_segment", "inverse"),
             feat_keys=("color", "normal")),
    ]),
    test=dict(data_root=data_root, test_cfg=dict(
        voxelize=dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="test", return_grid_coord=True),
        aug_transform=[[dict(type="RandomScale", scale=[1.0, 1.0])]],
    )),
)
