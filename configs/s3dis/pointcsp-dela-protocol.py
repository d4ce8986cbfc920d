# The DeLA / CamPoint S3DIS test protocol, under which the paper reports 88.2 mIoU (Area 5): every room is cut into
# crops of at most 30000 voxels (voxel_max=30000), and predictions are averaged over 12 test-time passes
# (scales and flips). pointcsp.py keeps Pointcept's protocol (whole-room fragments, 10 passes); compare like with
# like: python tools/test.py --config-file configs/s3dis/pointcsp-dela-protocol.py --options weight=<model_best.pth>
# The voxel size stays the training one (DeLA itself trains and tests at 4 cm): only the test-side protocol changes.
_base_ = ["pointcsp.py"]
data = dict(test=dict(test_cfg=dict(
    crop=dict(_delete_=True, type="CoveringSphereCrop", point_max=30000),  # replaces the base's crop=None
    aug_transform=[[dict(type="RandomScale", scale=[s, s])] for s in (0.8, 0.9, 1.0, 1.1, 1.2, 1.3)]
    + [[dict(type="RandomScale", scale=[s, s]), dict(type="RandomFlip", p=1)] for s in (0.8, 0.9, 1.0, 1.1, 1.2, 1.3)],
)))
