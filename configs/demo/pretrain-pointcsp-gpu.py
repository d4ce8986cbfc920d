# The GPU check's pre-training run (tools/gpu_check.sh): the paper's ScanNet recipe at full backbone width (base
# backbone, 2 global + 8 local views of up to 40k / 12k points, bf16 AMP, EMA teacher, CSP over 4 rooms per
# sequence) on dense procedural rooms that gpu_check writes to data_root; about a hundred steps, to show the recipe
# trains on a GPU (finite, falling loss) and how fast. epoch = steps * batch_size / rooms (one trainer epoch).
_base_ = ["../scannet/pretrain-pointcsp-v1m1-0-base.py"]

batch_size, num_worker = 4, 8
epoch, eval_epoch = 25, 25  # 16 rooms / batch 4 x 25 loops = 100 steps
lr_base_batch_size = None
data = dict(train=dict(split="train", data_root="data/demo/rooms-dense"))
hooks = [
    dict(type="CheckpointLoader"),
    dict(type="ModelProgress"),
    dict(type="WeightDecayScheduler", base_value=0.04, final_value=0.2),
    dict(type="IterationTimer", warmup_iter=2),
    dict(type="InformationWriter"),
    dict(type="TeacherEMA"),
    dict(type="CheckpointSaver", save_freq=None),
]
