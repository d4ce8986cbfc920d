# CPU-sized variant of pretrain-pointcsp-v1m1-0-base: a 3-stage backbone of width 16-64 on the two real scans in
# ../shared/data/scannet-mini (README there), 5 cm voxels. Runs in minutes on a laptop; the train scan only, so that
# a linear probe evaluated on the val scan sees no pre-training data (tools/studies/linear_probe.py).
_base_ = ["pretrain-pointcsp-v1m1-0-base.py"]

grid_size = 0.05
num_global_view, num_local_view = 2, 4  # used by the model and MultiRegionCrop
batch_size, num_worker = 2, 1  # 2 augmented copies of the scan per batch: CSP needs > 1 sample
epoch, eval_epoch = 40, 20  # the train list loops epoch // eval_epoch = 2 times per trainer epoch
clip_grad = 3.0
enable_amp = False
cpu_allocator = "keep"  # small steps: keep freed buffers, no page faults (utils/allocator.py)
base_lr = 0.002
lr_base_batch_size = None
seed = 0
model = dict(
    backbone=dict(enc_depths=(1, 1, 2), enc_channels=(16, 32, 64), enc_num_head=(1, 1, 2), stride=(2, 2),
                  dec_depths=(1, 1), dec_channels=(32, 32), dec_num_head=(1, 1), mlp_ratio=2, drop_path=0.0,
                  grid_size=grid_size,
                  expected_tokens=(6000, 2000, 470),  # a 6000-point scannet-mini view per stage (tools/csp_reach.py)
                  recompute="none"),  # small enough to keep every activation: the fastest step
    recompute_heads=False,
    head_hidden_channels=128, head_embed_channels=32, head_num_prototypes=64,
    num_local_view=num_local_view, match_radius=0.1, geo_samples=256, geo_alphas=(1.0, 1.0, 1.0),
)
optimizer = dict(type="AdamW", lr=base_lr, weight_decay=0.04)
scheduler = dict(type="OneCycleLR", max_lr=base_lr, pct_start=0.1, anneal_strategy="cos", div_factor=10.0,
                 final_div_factor=100.0)
view_transform = [
    dict(type="CenterShift", apply_z=True),
    dict(type="RandomScale", scale=[0.9, 1.1]),
    dict(type="RandomRotate", angle=[-1, 1], axis="z", center=[0, 0, 0], p=0.8),
    dict(type="RandomFlip", p=0.5),
    dict(type="RandomJitter", sigma=0.005, clip=0.02),
]
transform = [
    dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="train"),
    dict(type="MultiRegionCrop", global_num=num_global_view, local_num=num_local_view, global_max_points=6000, local_max_points=2000,
         shared_transform=[dict(type="ChromaticTranslation", p=0.95, ratio=0.05), dict(type="NormalizeColor")],
         global_transform=view_transform, local_transform=view_transform),
    dict(type="ToTensor"),
    dict(type="Collect",
         keys=("global_origin_coord", "global_coord", "global_offset", "local_origin_coord", "local_coord",
               "local_offset", "name"),
         offset_keys_dict=dict(), global_feat_keys=("global_color", "global_normal"),
         local_feat_keys=("local_color", "local_normal")),
]
data = dict(train=dict(type="ScanNetDataset", split="train", data_root="../shared/data/scannet-mini",
                       transform=transform))
hooks = [
    dict(type="CheckpointLoader"),
    dict(type="ModelProgress"),
    dict(type="WeightDecayScheduler", base_value=0.04, final_value=0.2),
    dict(type="IterationTimer", warmup_iter=1),
    dict(type="InformationWriter"),
    dict(type="TeacherEMA"),
    dict(type="CheckpointSaver", save_freq=None),
]
