# Runtime defaults shared by every config (Pointcept's key names, so configs run under both hosts).
weight = None  # path to model weight
resume = False  # resume the training run at save_path
evaluate = True  # evaluate after each (eval) epoch
test_only = False

seed = None  # None: a random seed is drawn and recorded in save_path/config.py
save_path = "exp/default"
num_worker = 16  # total dataloader workers over all GPUs
batch_size = 16  # total batch size over all GPUs
gradient_accumulation_steps = 1  # optimizer step every k batches (effective batch = batch_size * k)
lr_base_batch_size = None  # batch size the LRs were tuned for; CSPTrainer then scales LRs by effective batch / this
batch_size_val = None  # None: 1 per GPU
batch_size_test = None
epoch = 100  # total epochs; the dataset loops epoch // eval_epoch times per trainer epoch
eval_epoch = 100
clip_grad = None  # None: off; a float: max gradient norm
max_nonfinite_steps = 10  # CSPTrainer: skipped non-finite steps in a row before the run stops
device = "auto"  # "auto": the CUDA device when one is visible, else the CPU

sync_bn = False
enable_amp = False
amp_dtype = "float16"
empty_cache = False
empty_cache_per_epoch = False
find_unused_parameters = False

enable_wandb = False  # Pointcept host: wandb logging off unless asked for
wandb_project = "pointcept-csp"
wandb_key = None

mix_prob = 0
param_dicts = None  # e.g. [dict(keyword="block", lr=0.0006)]

hooks = [
    dict(type="CheckpointLoader"),
    dict(type="IterationTimer", warmup_iter=2),
    dict(type="InformationWriter"),
    dict(type="CSPSemSegEvaluator"),
    dict(type="CheckpointSaver", save_freq=None),
]

train = dict(type="CSPTrainer")
test = dict(type="CSPSemSegTester", verbose=True)
