# The CSP study (tools/studies/ablate.py --studies csp): the demo's pre-training, made long enough for cross-sample
# propagation to show an effect if it has one - 1000 steps of 4 rooms per CSP sequence, smaller views so that a run
# takes about 20 minutes on one CPU thread. Same backbone as the demo (and configs/scannet/pretrain-*-tiny.py), so
# tools/studies/linear_probe.py and the demo's SPD fine-tuning take its checkpoints.
_base_ = ["pretrain-pointcsp-demo.py"]

epoch, eval_epoch = 167, 167  # 24 rooms / batch 4 = 6 steps per loop: 1002 steps
model = dict(backbone=dict(expected_tokens=(800, 220, 60)))  # an 800-point global view per stage
view_transform = [
    dict(type="CenterShift", apply_z=True),
    dict(type="RandomScale", scale=[0.9, 1.1]),
    dict(type="RandomRotate", angle=[-1, 1], axis="z", center=[0, 0, 0], p=0.8),
    dict(type="RandomFlip", p=0.5),
    dict(type="RandomJitter", sigma=0.005, clip=0.02),
]
data = dict(train=dict(transform=[
    dict(type="GridSample", grid_size=0.05, hash_type="fnv", mode="train"),
    dict(type="MultiRegionCrop", global_num=2, local_num=2, global_max_points=800, local_max_points=250,
         shared_transform=[dict(type="ChromaticTranslation", p=0.95, ratio=0.05), dict(type="NormalizeColor")],
         global_transform=view_transform, local_transform=view_transform),
    dict(type="ToTensor"),
    dict(type="Collect",
         keys=("global_origin_coord", "global_coord", "global_offset", "local_origin_coord", "local_coord",
               "local_offset", "name"),
         offset_keys_dict=dict(), global_feat_keys=("global_color", "global_normal"),
         local_feat_keys=("local_color", "local_normal")),
]))
