# PointCSP SPD fine-tuning on ShapeNetPart (16 categories, 50 parts, Pointcept's ShapeNetPartDataset).
# Paper: 86.8 instance mIoU (prev. best Point-MoDE 86.5); tested with CSPPartSegTester (ins. / cat. mIoU).
_base_ = ["../_base_/spd_runtime.py", "../_base_/model/pointcsp-ssm-object.py"]
custom_imports = dict(imports=["pointcept_csp"])

num_classes, num_categories = 50, 16
batch_size, num_worker = 32, 16
epoch, eval_epoch = 300, 300
base_lr = 0.001
model = dict(type="SPD-PartSegmentor-v1m1", num_classes=num_classes, num_categories=num_categories,
             backbone_out_channels=64, category_key="cls_token", spd=True, lambda_spd=1.0, teacher_cross_sample=True)
optimizer = dict(type="AdamW", lr=base_lr, weight_decay=0.05)
scheduler = dict(type="OneCycleLR", max_lr=base_lr, pct_start=0.05, anneal_strategy="cos", div_factor=10.0,
                 final_div_factor=1000.0)
parts_per_category = [4, 2, 2, 4, 4, 3, 3, 2, 4, 2, 6, 2, 3, 3, 3, 3]  # Airplane, Bag, ..., Table (ShapeNetPart)
category_parts = [list(range(sum(parts_per_category[:c]), sum(parts_per_category[:c + 1])))
                  for c in range(num_categories)]
dataset_type, data_root = "ShapeNetPartDataset", "data/shapenetcore_partanno_segmentation_benchmark_v0_normal"
collect = dict(type="Collect", keys=("coord", "grid_coord", "cls_token", "segment"), feat_keys=("coord", "normal"))
data = dict(
    num_classes=num_classes, ignore_index=-1, category_parts=category_parts, category_key="cls_token",
    # if_color=True: Pointcept's ShapeNetPartDataset returns the part labels (segment) only with it
    train=dict(type=dataset_type, split=["train", "val"], data_root=data_root, if_color=True, transform=[
        dict(type="RandomScale", scale=[0.8, 1.2], anisotropic=True),
        dict(type="GridSample", grid_size=0.01, hash_type="fnv", mode="train", return_grid_coord=True),
        dict(type="ToTensor"),
        collect,
    ]),
    val=dict(type=dataset_type, split="test", data_root=data_root, if_color=True, transform=[
        dict(type="GridSample", grid_size=0.01, hash_type="fnv", mode="train", return_grid_coord=True),
        dict(type="ToTensor"),
        collect,
    ]),
    test=dict(type=dataset_type, split="test", data_root=data_root, if_color=True, transform=[
        dict(type="ToTensor"),
        dict(type="Collect", keys=("coord", "cls_token", "segment"), feat_keys=("coord", "normal")),
    ]),
)
test = dict(type="CSPPartSegTester")
