# PointCSP SPD fine-tuning on ScanNet v2 semantic segmentation (20 classes), from a PointCSP pre-training
# checkpoint (-w). No ScanNet number in the paper; PTv3-level (77-79 mIoU) is the reference for the family.
#   sh tools/train.sh -c configs/scannet/semseg-pointcsp-v1m1-0-spd-ft.py -n ft -w exp/scannet/pre/model/model_last.pth
_base_ = ["../_base_/spd_runtime.py", "../_base_/model/pointcsp-ssm-base.py"]
custom_imports = dict(imports=["pointcept_csp"])

num_classes = 20
grid_size = 0.02
batch_size, num_worker = 12, 24
epoch, eval_epoch = 800, 100  # PTv3-like
enable_amp = True
base_lr = 0.002
model = dict(
    type="SPD-Segmentor-v1m1", num_classes=num_classes, backbone_out_channels=64, ignore_index=-1, lovasz_weight=1.0,
    spd=True, lambda_spd=1.0, teacher_cross_sample=True, momentum=dict(base=0.996, final=1.0),
    lambda_geo=0.1, geo=dict(samples=1024), backbone=dict(drop_path=0.3, grid_size=grid_size),
)
optimizer = dict(type="AdamW", lr=base_lr, weight_decay=0.05)
scheduler = dict(type="OneCycleLR", max_lr=[base_lr, base_lr * 0.1], pct_start=0.05, anneal_strategy="cos",
                 div_factor=10.0, final_div_factor=1000.0)
param_dicts = [dict(keyword="enc", lr=base_lr * 0.1)]

dataset_type, data_root = "ScanNetDataset", "data/scannet"
names = ["wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door", "window", "bookshelf", "picture",
         "counter", "desk", "curtain", "refridgerator", "shower curtain", "toilet", "sink", "bathtub", "otherfurniture"]
data = dict(
    num_classes=num_classes, ignore_index=-1, names=names,
    train=dict(type=dataset_type, split="train", data_root=data_root, transform=[
        dict(type="CenterShift", apply_z=True),
        dict(type="RandomDropout", dropout_ratio=0.2, dropout_application_ratio=0.2),
        dict(type="RandomRotate", angle=[-1, 1], axis="z", center=[0, 0, 0], p=0.5),
        dict(type="RandomRotate", angle=[-1 / 64, 1 / 64], axis="x", p=0.5),
        dict(type="RandomRotate", angle=[-1 / 64, 1 / 64], axis="y", p=0.5),
        dict(type="RandomScale", scale=[0.9, 1.1]),
        dict(type="RandomFlip", p=0.5),
        dict(type="RandomJitter", sigma=0.005, clip=0.02),
        dict(type="ElasticDistortion", distortion_params=[[0.2, 0.4], [0.8, 1.6]]),
        dict(type="ChromaticAutoContrast", p=0.2, blend_factor=None),
        dict(type="ChromaticTranslation", p=0.95, ratio=0.05),
        dict(type="ChromaticJitter", p=0.95, std=0.05),
        dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="train", return_grid_coord=True),
        dict(type="SphereCrop", point_max=102400, mode="random"),
        dict(type="CenterShift", apply_z=False),
        dict(type="NormalizeColor"),
        dict(type="ToTensor"),
        dict(type="Collect", keys=("coord", "grid_coord", "segment"), feat_keys=("color", "normal")),
    ]),
    val=dict(type=dataset_type, split="val", data_root=data_root, transform=[
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
    test=dict(type=dataset_type, split="val", data_root=data_root,
              transform=[dict(type="CenterShift", apply_z=True), dict(type="NormalizeColor")], test_mode=True,
              test_cfg=dict(
                  voxelize=dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="test",
                                return_grid_coord=True),
                  crop=None,
                  post_transform=[dict(type="CenterShift", apply_z=False), dict(type="ToTensor"),
                                  dict(type="Collect", keys=("coord", "grid_coord", "index"),
                                       feat_keys=("color", "normal"))],
                  aug_transform=[[dict(type="RandomRotate", angle=[a, a], axis="z", center=[0, 0, 0], p=1)]
                                 for a in (0, 1 / 2, 1, 3 / 2)],
              )),
)
test = dict(type="CSPSemSegTester", verbose=True)
