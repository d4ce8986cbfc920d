# PointCSP SPD fine-tuning on 3DSES Silver (indoor TLS, labels from a CAD model). Paper: OA 96.41 on pseudo labels
# (prev. best Swin3D 93.46) and 95.78 on true labels (PointNeXt-S 94.63). Convert the release first:
#   python tools/convert_3dses.py --src <3DSES>/Silver --out data/3dses --split-file <splits.json> ...
# num_classes / names must be set to the Silver level's class list of the release you downloaded (not embedded
# here: check it against the dataset's documentation). Evaluate on manual labels: --options data.test.label=true
# (and data.val.label=true). Features: coordinates and colour (the scans carry no normals).
_base_ = ["../_base_/spd_runtime.py", "../_base_/model/pointcsp-ssm-base.py"]
custom_imports = dict(imports=["pointcept_csp"])

num_classes = 9  # set to the Silver level class count of your release
grid_size = 0.02
batch_size = 12  # PTv3's S3DIS value
num_worker = 24
mix_prob = 0.0  # Mix3D would merge scenes and blur what "one scene" means for SPD
epoch, eval_epoch = 3000, 100  # PTv3-like schedule: the 204 training rooms loop 30 times per trainer epoch
enable_amp = True
base_lr = 0.002

model = dict(
    type="SPD-Segmentor-v1m1",
    num_classes=num_classes,
    backbone_out_channels=64,  # dec_channels[0] of the base backbone
    ignore_index=-1,
    lovasz_weight=1.0,  # CE + Lovasz, as PTv3 on S3DIS
    spd=True, lambda_spd=1.0, teacher_cross_sample=True,  # the paper's SPD; spd=False is plain fine-tuning
    momentum=dict(base=0.996, final=1.0),
    lambda_geo=0.1, geo=dict(samples=1024),
    backbone=dict(drop_path=0.3, grid_size=grid_size, in_channels=6),  # coord + color: TLS scans have no normals
)
optimizer = dict(type="AdamW", lr=base_lr, weight_decay=0.05)
scheduler = dict(type="OneCycleLR", max_lr=[base_lr, base_lr * 0.1], pct_start=0.05, anneal_strategy="cos",
                 div_factor=10.0, final_div_factor=1000.0)
param_dicts = [dict(keyword="enc", lr=base_lr * 0.1)]  # pre-trained encoder at a tenth of the LR (Sonata-like)

dataset_type, data_root = "ThreeDSESDataset", "data/3dses"
names = [f"class_{i}" for i in range(num_classes)]  # replace with the release's class names
data = dict(
    num_classes=num_classes, ignore_index=-1, names=names,
    train=dict(type=dataset_type, split="train", data_root=data_root, label="pseudo",
               transform=[
                   dict(type="CenterShift", apply_z=True),
                   dict(type="RandomDropout", dropout_ratio=0.2, dropout_application_ratio=0.2),
                   dict(type="RandomRotate", angle=[-1, 1], axis="z", center=[0, 0, 0], p=0.5),
                   dict(type="RandomRotate", angle=[-1 / 64, 1 / 64], axis="x", p=0.5),
                   dict(type="RandomRotate", angle=[-1 / 64, 1 / 64], axis="y", p=0.5),
                   dict(type="RandomScale", scale=[0.9, 1.1]),
                   dict(type="RandomFlip", p=0.5),
                   dict(type="RandomJitter", sigma=0.005, clip=0.02),
                   dict(type="ChromaticAutoContrast", p=0.2, blend_factor=None),
                   dict(type="ChromaticTranslation", p=0.95, ratio=0.05),
                   dict(type="ChromaticJitter", p=0.95, std=0.05),
                   dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="train", return_grid_coord=True),
                   dict(type="SphereCrop", sample_rate=0.6, mode="random"),
                   dict(type="SphereCrop", point_max=204800, mode="random"),
                   dict(type="CenterShift", apply_z=False),
                   dict(type="NormalizeColor"),
                   dict(type="ToTensor"),
                   dict(type="Collect", keys=("coord", "grid_coord", "segment"), feat_keys=("coord", "color")),
               ]),
    val=dict(type=dataset_type, split="test", data_root=data_root, label="pseudo",
             transform=[
                 dict(type="CenterShift", apply_z=True),
                 dict(type="Copy", keys_dict={"segment": "origin_segment"}),
                 dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="train", return_grid_coord=True,
                      return_inverse=True),
                 dict(type="CenterShift", apply_z=False),
                 dict(type="NormalizeColor"),
                 dict(type="ToTensor"),
                 dict(type="Collect", keys=("coord", "grid_coord", "segment", "origin_segment", "inverse"),
                      feat_keys=("coord", "color")),
             ]),
    test=dict(type=dataset_type, split="test", data_root=data_root, label="pseudo",
              transform=[dict(type="CenterShift", apply_z=True), dict(type="NormalizeColor")],
              test_mode=True,
              test_cfg=dict(
                  voxelize=dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="test",
                                return_grid_coord=True),
                  crop=None,
                  post_transform=[dict(type="CenterShift", apply_z=False), dict(type="ToTensor"),
                                  dict(type="Collect", keys=("coord", "grid_coord", "index"),
                                       feat_keys=("coord", "color"))],
                  aug_transform=[[dict(type="RandomScale", scale=[s, s])] for s in (0.9, 0.95, 1.0, 1.05, 1.1)]
                  + [[dict(type="RandomScale", scale=[s, s]), dict(type="RandomFlip", p=1)]
                     for s in (0.9, 0.95, 1.0, 1.05, 1.1)],
              )),
)

test = dict(type="CSPSemSegTester", verbose=True)
