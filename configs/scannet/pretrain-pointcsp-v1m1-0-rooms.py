# Pre-training on real, different rooms: ../shared/data/scannet-rooms/train (README there: 10 scans of rooms 1-5,
# 50k points each), the tiny backbone of pretrain-pointcsp-v1m1-0-tiny.py with half-size views (CPU budget of the
# real-rooms study, tools/studies/rooms.py: 3000-point global and 1000-point local views). Each batch is one CSP
# sequence of 4 distinct scans (several rooms), so the SSM state carries one real room into the next. The val rooms (6-8) are never seen: the
# cross-room probes (tools/studies/linear_probe.py --data-root) fit on train and score on val.
_base_ = ["pretrain-pointcsp-v1m1-0-tiny.py"]

batch_size = 4  # scans per CSP sequence
grid_size = 0.05
num_global_view, num_local_view = 2, 4
epoch, eval_epoch = 120, 12  # 10 scans x 10 loops / 4 = 25 steps per trainer epoch, 300 steps
data_root = "../shared/data/scannet-rooms"
model = dict(backbone=dict(expected_tokens=(3000, 1000, 240)))
view_transform = [
    dict(type="CenterShift", apply_z=True),
    dict(type="RandomScale", scale=[0.9, 1.1]),
    dict(type="RandomRotate", angle=[-1, 1], axis="z", center=[0, 0, 0], p=0.8),
    dict(type="RandomFlip", p=0.5),
    dict(type="RandomJitter", sigma=0.005, clip=0.02),
]
data = dict(train=dict(data_root=data_root, transform=[
    dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="train"),
    dict(type="MultiRegionCrop", global_num=num_global_view, local_num=num_local_view, global_max_points=3000,
         local_max_points=1000,
         shared_transform=[dict(type="ChromaticTranslation", p=0.95, ratio=0.05), dict(type="NormalizeColor")],
         global_transform=view_transform, local_transform=view_transform),
    dict(type="ToTensor"),
    dict(type="Collect",
         keys=("global_origin_coord", "global_coord", "global_offset", "local_origin_coord", "local_coord",
               "local_offset", "name"),
         offset_keys_dict=dict(), global_feat_keys=("global_color", "global_normal"),
         local_feat_keys=("local_color", "local_normal")),
]))
hooks = [
    dict(type="CheckpointLoader"),
    dict(type="ModelProgress"),
    dict(type="WeightDecayScheduler", base_value=0.04, final_value=0.2),
    dict(type="IterationTimer", warmup_iter=1),
    dict(type="InformationWriter"),
    dict(type="TeacherEMA"),
    dict(type="CheckpointSaver", save_freq=2),  # epoch_2.pth, epoch_4.pth, ...: every 50 steps (the probe curve)
]
