# PointCSP v1m1 pre-training on ScanNet v2 (1513 scenes): CSP-SSM backbone, DINO-style teacher / student reading
# the batch as one sequence, L_pretrain = L_CSC + lambda_geo * L_geo. Paper values where the paper gives them
# (2 global / 8 local views, candidate 60%, global 40-80%, local 10-30%, AdamW + cosine with warm-up, EMA teacher);
# Sonata-like values otherwise, marked "Sonata-like".
_base_ = ["../_base_/default_runtime.py", "../_base_/model/pointcsp-ssm-base.py"]
custom_imports = dict(imports=["pointcept_csp"])

num_global_view, num_local_view = 2, 8  # the paper's n and m; used by the model and MultiRegionCrop
grid_size = 0.02
batch_size = 16  # scenes per batch = samples serialised into one CSP sequence (Sonata-like scale)
num_worker = 16
epoch = 200  # Sonata-like
eval_epoch = 200  # one trainer epoch = the whole schedule; checkpoints after it (save_freq below)
evaluate = False  # no labels in pre-training
clip_grad = 3.0  # Sonata-like
enable_amp, amp_dtype = True, "bfloat16"
cpu_allocator = "lean"  # CPU only: resident memory follows live tensors (a scannet-mini step: 4.6 GiB, not 10.1)
base_lr, base_wd, final_wd = 0.002, 0.04, 0.2  # Sonata-like (its 0.004 at batch 96, scaled down)
lr_base_batch_size = 16  # LRs above are for 16 scenes per optimizer step

model = dict(
    type="PointCSP-v1m1",
    teacher_custom=dict(drop_path=0.0),
    head_hidden_channels=1024, head_embed_channels=128, head_num_prototypes=1024,  # Sonata-like, smaller
    num_global_view=num_global_view, num_local_view=num_local_view,
    student_temp=0.1, teacher_temp=dict(start=0.04, base=0.07, warmup_ratio=0.05),  # DINO / Sonata values
    momentum=dict(base=0.994, final=1.0),  # cosine EMA schedule, Sonata's
    centering="center", center_momentum=0.9,
    match_radius=0.04,  # two voxels: a student point's counterpart in a teacher view
    lambda_geo=0.1, geo_samples=1024, geo_alphas=(1.0, 1.0, 1.0, 1.0, 1.0),
    cross_sample=True,
    # memory: blocks and the student's heads / L_CSC terms run again in backward instead of keeping their activations
    # (one step on the two scannet-mini scans: 16.6 GB before, see docs/benchmarks.md); "none" / False for speed
    backbone=dict(recompute="block"), recompute_heads=True,
)

optimizer = dict(type="AdamW", lr=base_lr, weight_decay=base_wd)
scheduler = dict(type="OneCycleLR", max_lr=base_lr, pct_start=0.05, anneal_strategy="cos", div_factor=10.0,
                 final_div_factor=1000.0)  # linear warm-up over 5%, then cosine decay

view_transform = [
    dict(type="CenterShift", apply_z=True),
    dict(type="RandomScale", scale=[0.9, 1.1]),
    dict(type="RandomRotate", angle=[-1, 1], axis="z", center=[0, 0, 0], p=0.8),
    dict(type="RandomRotate", angle=[-1 / 64, 1 / 64], axis="x", p=0.8),
    dict(type="RandomRotate", angle=[-1 / 64, 1 / 64], axis="y", p=0.8),
    dict(type="RandomFlip", p=0.5),
    dict(type="RandomJitter", sigma=0.005, clip=0.02),
]
transform = [
    dict(type="GridSample", grid_size=grid_size, hash_type="fnv", mode="train"),
    dict(type="MultiRegionCrop", global_num=num_global_view, local_num=num_local_view, candidate_ratio=0.6,
         global_ratio=(0.4, 0.8), local_ratio=(0.1, 0.3), global_max_points=40000, local_max_points=12000,
         shared_transform=[dict(type="ChromaticAutoContrast", p=0.2, blend_factor=None),
                           dict(type="ChromaticTranslation", p=0.95, ratio=0.05),
                           dict(type="ChromaticJitter", p=0.95, std=0.05),
                           dict(type="NormalizeColor")],
         global_transform=view_transform, local_transform=view_transform),
    dict(type="ToTensor"),
    dict(type="Collect",
         keys=("global_origin_coord", "global_coord", "global_offset", "local_origin_coord", "local_coord",
               "local_offset", "name"),
         offset_keys_dict=dict(), global_feat_keys=("global_color", "global_normal"),
         local_feat_keys=("local_color", "local_normal")),
]
data = dict(train=dict(type="ScanNetDataset", split=("train", "val", "test"), data_root="data/scannet",
                       transform=transform, test_mode=False))

hooks = [
    dict(type="CheckpointLoader"),
    dict(type="ModelProgress"),  # teacher temperature and EMA momentum follow training progress
    dict(type="WeightDecayScheduler", base_value=base_wd, final_value=final_wd),
    dict(type="IterationTimer", warmup_iter=2),
    dict(type="InformationWriter"),
    dict(type="TeacherEMA"),
    dict(type="CheckpointSaver", save_freq=20),
]
