# SPD fine-tuning on real, different rooms: ../shared/data/scannet-rooms, train = rooms 1-5 (10 scans), val and test =
# rooms 6-8 (5 scans), from pretrain-pointcsp-v1m1-0-rooms.py (-w). The backbone is that config's tiny one, 5 cm voxels.
# mIoU is taken over the 10 classes present in both splits (eval_classes): val has bed, desk and curtain, which train
# lacks, and train has counter, refrigerator and sink, which val lacks.
_base_ = ["semseg-pointcsp-v1m1-0-spd-ft.py"]

grid_size = 0.05
normal_orientation = "up"  # the shared scans' normals face +z: tools/predict.py estimates missing ones the same way
batch_size, num_worker = 4, 1
epoch, eval_epoch = 40, 4  # 10 scans x 10 loops / 4 = 25 steps per trainer epoch, 100 steps, 4 evaluations
enable_amp = False
seed = 0
base_lr = 0.005
model = dict(
    backbone_out_channels=32, lovasz_weight=0.0, geo=dict(samples=256),
    momentum=dict(_delete_=True, horizon=0.1, final=1.0),  # EMA time constant: a tenth of the run
    backbone=dict(enc_depths=(1, 1, 2), enc_channels=(16, 32, 64), enc_num_head=(1, 1, 2), stride=(2, 2),
                  dec_depths=(1, 1), dec_channels=(32, 32), dec_num_head=(1, 1), mlp_ratio=2, drop_path=0.0,
                  grid_size=grid_size, expected_tokens=(5000, 1700, 400), recompute="none"),
)
optimizer = dict(type="AdamW", lr=base_lr, weight_decay=0.05)
scheduler = dict(type="OneCycleLR", max_lr=[base_lr, base_lr * 0.1], pct_start=0.2, anneal_strategy="cos",
                 div_factor=10.0, final_div_factor=100.0)
data_root = "../shared/data/scannet-rooms"
shared_classes = [0, 1, 2, 4, 5, 6, 7, 8, 10, 19]  # wall floor cabinet chair sofa table door window picture otherfurniture
data = dict(
    eval_classes=shared_classes,
    train=dict(data_root=data_root, transform=[
        dict(type="CenterShift", apply_z=True),
        dict(type="RandomRotate", angle=[-1, 1], axis="z", center=[0, 0, 0], p=0.5),
        dict(type="RandomScale", scale=[0.9, 1.1]),
        dict(type="RandomFlip", p=0.5),
        dict(type="RandomJitter", sigma=0.005, clip=0.02),
        dict(type="ChromaticTranslation", p=0.95, ratio=0.05),
        dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="train", return_grid_coord=True),
        dict(type="SphereCrop", point_max=5000, mode="random"),  # CPU budget: ~5k points per scan and step
        dict(type="CenterShift", apply_z=False),
        dict(type="NormalizeColor"),
        dict(type="ToTensor"),
        dict(type="Collect", keys=("coord", "grid_coord", "segment"), feat_keys=("color", "normal")),
    ]),
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
    )),
)
