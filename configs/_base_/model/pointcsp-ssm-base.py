# The CSP-SSM backbone, defined once; configs merge `model = dict(type=..., ...)` over it and override fields.
model = dict(
    backbone=dict(
        type="PointCSP-SSM-v1m1",
        in_channels=6,  # color (3) + normal (3)
        enc_depths=(2, 2, 2, 6, 2),
        enc_channels=(32, 64, 128, 256, 512),
        enc_num_head=(1, 2, 4, 8, 16),  # head dim 32: larger states keep more of a scene (docs/results.md)
        stride=(2, 2, 2, 2),
        dec_depths=(2, 2, 2, 2),
        dec_channels=(64, 64, 128, 256),
        dec_num_head=(2, 2, 4, 8),
        mlp_ratio=4,
        drop_path=0.3,
        order=("z", "z-trans", "hilbert", "hilbert-trans"),  # curve orders cycled over blocks (eval)
        shuffle_tokens=True,  # the paper: every SSM block reads randomly shuffled tokens in training
        mixer="gated_delta",  # Gated DeltaNet, the paper's "enhanced Mamba2"; "mamba2" for the ablation
        cross_sample=True,  # CSP: the packed batch is one sequence
        bidirectional=False,
        grid_size=0.02,  # grid_coord from the (augmented) coordinates, as PTv3's serialization does
        backend="auto",  # flash-linear-attention on CUDA when installed, else the chunked PyTorch kernels
        # tokens per sample at each stage of a 40k-point ScanNet view (tools/csp_reach.py on scannet-mini): a quarter of
        # each mixer's heads get a memory spanning a sample, so the state carries one scene into the next
        expected_tokens=(40000, 33000, 14000, 3700, 850),
    )
)
