# The CSP-SSM backbone for objects (ScanObjectNN, ModelNet40, ShapeNetPart): 1 cm voxels of unit-ball objects.
model = dict(
    backbone=dict(
        type="PointCSP-SSM-v1m1",
        in_channels=6,  # coord (3) + normal (3)
        enc_depths=(2, 2, 6, 2),
        enc_channels=(48, 96, 192, 384),
        enc_num_head=(3, 6, 12, 24),
        stride=(2, 2, 2),
        dec_depths=(1, 1, 1),
        dec_channels=(64, 96, 192),
        dec_num_head=(4, 6, 12),
        mlp_ratio=4,
        drop_path=0.2,
        order=("z", "z-trans", "hilbert", "hilbert-trans"),
        shuffle_tokens=True,
        mixer="gated_delta",
        cross_sample=True,
        grid_size=0.01,
        backend="auto",
    )
)
