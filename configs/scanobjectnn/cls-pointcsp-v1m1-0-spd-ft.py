# PointCSP SPD fine-tuning on ScanObjectNN PB_T50_RS (15 classes, Pointcept's ScanObjectNNDataset).
# Paper: 92.8 OA (prev. best CamPoint 92.1). Global views of pre-training come from voxel sampling and local views
# from FPS for objects (MultiRegionCrop mode="object").
_base_ = ["../_base_/default_runtime.py", "../_base_/model/pointcsp-ssm-object.py"]
custom_imports = dict(imports=["pointcept_csp"])

num_classes = 15
batch_size, num_worker = 32, 16
epoch, eval_epoch = 300, 300
base_lr = 0.0005  # Pointcept's ScanObjectNN fine-tuning LR
model = dict(type="SPD-Classifier-v1m1", num_classes=num_classes, backbone_out_channels=384, label_smoothing=0.1,
             spd=True, lambda_spd=1.0, teacher_cross_sample=True, backbone=dict(enc_mode=True))
optimizer = dict(type="AdamW", lr=base_lr, weight_decay=0.05)
scheduler = dict(type="OneCycleLR", max_lr=base_lr, pct_start=0.05, anneal_strategy="cos", div_factor=10.0,
                 final_div_factor=1000.0)
dataset_type, data_root = "ScanObjectNNDataset", "data/scanobjectnn_eval"
names = ["bag", "bin", "box", "cabinet", "chair", "desk", "display", "door", "shelf", "table", "bed", "pillow", "sink",
         "sofa", "toilet"]
collect = dict(type="Collect", keys=("coord", "grid_coord", "category", "name"), feat_keys=("coord", "normal"))  # name: Pointcept's ClsTester needs it
data = dict(
    num_classes=num_classes, ignore_index=-1, names=names,
    train=dict(type=dataset_type, split="train", data_root=data_root, class_names=names, transform=[
        dict(type="RandomScale", scale=[0.9, 1.1], anisotropic=True),
        dict(type="GridSample", grid_size=0.01, hash_type="fnv", mode="train", return_grid_coord=True),
        dict(type="ShufflePoint"),
        dict(type="ToTensor"),
        collect,
    ]),
    val=dict(type=dataset_type, split="test", data_root=data_root, class_names=names, transform=[
        dict(type="GridSample", grid_size=0.01, hash_type="fnv", mode="train", return_grid_coord=True),
        dict(type="ToTensor"),
        collect,
    ]),
    test=dict(type=dataset_type, split="test", data_root=data_root, class_names=names, transform=[
        dict(type="GridSample", grid_size=0.01, hash_type="fnv", mode="train", return_grid_coord=True),
        dict(type="ToTensor"),
        collect,
    ]),
)
hooks = [
    dict(type="CheckpointLoader"),
    dict(type="SyncTeacher"),
    dict(type="ModelProgress"),
    dict(type="IterationTimer", warmup_iter=2),
    dict(type="InformationWriter"),
    dict(type="TeacherEMA"),
    dict(type="CSPClsEvaluator"),
    dict(type="CheckpointSaver", save_freq=None),
]
test = dict(type="CSPClsTester")
