# The CPU demo, phase 1: PointCSP pre-training with CSP (4 procedural rooms per batch read as one sequence) on the
# rooms that tools/demo.py writes to data/demo/rooms (ScanNet layout). Same model, losses and hooks as the real
# ScanNet config, with the tiny backbone of pretrain-pointcsp-v1m1-0-tiny.py; views are capped so a step takes a
# few seconds on one CPU thread (2 global + 2 local views; the paper uses 2 + 8).
_base_ = ["../scannet/pretrain-pointcsp-v1m1-0-tiny.py"]

num_global_view, num_local_view = 2, 2  # used by the model and MultiRegionCrop
batch_size, num_worker = 4, 1
epoch, eval_epoch = 8, 8  # 24 rooms x 8 loops / batch 4 = 48 steps
model = dict(num_global_view=num_global_view, num_local_view=num_local_view, match_radius=0.1,
             backbone=dict(expected_tokens=(1500, 400, 110)))  # a 1500-point global view per stage
view_transform = [
    dict(type="CenterShift", apply_z=True),
    dict(type="RandomScale", scale=[0.9, 1.1]),
    dict(type="RandomRotate", angle=[-1, 1], axis="z", center=[0, 0, 0], p=0.8),
    dict(type="RandomFlip", p=0.5),
    dict(type="RandomJitter", sigma=0.005, clip=0.02),
]
data = dict(train=dict(type="ScanNetDataset", split="train", data_root="data/demo/rooms", transform=[
    dict(type="GridSample", grid_size=0.05, hash_type="fnv", mode="train"),
    dict(type="MultiRegionCrop", global_num=num_global_view, local_num=num_local_view, global_max_points=1500,
         local_max_points=500,
         shared_transform=[dict(type="ChromaticTranslation", p=0.95, ratio=0.05), dict(type="NormalizeColor")],
         global_transform=view_transform, local_transform=view_transform),
    dict(type="ToTensor"),
    dict(type="Collect",
         keys=("global_origin_coord", "global_coord", "global_offset", "local_origin_coord", "local_coord",
               "local_offset", "name"),
         offset_keys_dict=dict(), global_feat_keys=("global_color", "global_normal"),
         local_feat_keys=("local_color", "local_normal")),
]))
