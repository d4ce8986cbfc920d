# PointCSP SPD fine-tuning on ModelNet40 (40 classes, Pointcept's ModelNetDataset, resampled normals).
# Paper: 93.9 OA (prev. best PointSD 93.7).
_base_ = ["../scanobjectnn/cls-pointcsp-v1m1-0-spd-ft.py"]

num_classes = 40
names = ["airplane", "bathtub", "bed", "bench", "bookshelf", "bottle", "bowl", "car", "chair", "cone", "cup", "curtain",
         "desk", "door", "dresser", "flower_pot", "glass_box", "guitar", "keyboard", "lamp", "laptop", "mantel",
         "monitor", "night_stand", "person", "piano", "plant", "radio", "range_hood", "sink", "sofa", "stairs", "stool",
         "table", "tent", "toilet", "tv_stand", "vase", "wardrobe", "xbox"]
model = dict(num_classes=num_classes)
dataset_type, data_root = "ModelNetDataset", "data/modelnet40_normal_resampled"
collect = dict(type="Collect", keys=("coord", "grid_coord", "category"), feat_keys=("coord", "normal"))  # Pointcept's ModelNetDataset gives no name outside test mode
data = dict(
    num_classes=num_classes, names=names,
    train=dict(type=dataset_type, split="train", data_root=data_root, class_names=names, transform=[
        dict(type="NormalizeCoord"),
        dict(type="RandomScale", scale=[0.7, 1.5], anisotropic=True),
        dict(type="RandomShift", shift=((-0.2, 0.2), (-0.2, 0.2), (-0.2, 0.2))),
        dict(type="GridSample", grid_size=0.01, hash_type="fnv", mode="train", return_grid_coord=True),
        dict(type="ShufflePoint"),
        dict(type="ToTensor"),
        collect,
    ]),
    val=dict(type=dataset_type, split="test", data_root=data_root, class_names=names, transform=[
        dict(type="NormalizeCoord"),
        dict(type="GridSample", grid_size=0.01, hash_type="fnv", mode="train", return_grid_coord=True),
        dict(type="ToTensor"),
        collect,
    ]),
    test=dict(type=dataset_type, split="test", data_root=data_root, class_names=names, transform=[
        dict(type="NormalizeCoord"),
        dict(type="GridSample", grid_size=0.01, hash_type="fnv", mode="train", return_grid_coord=True),
        dict(type="ToTensor"),
        collect,
    ]),
)
