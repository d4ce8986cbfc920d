# The runtime of an SPD fine-tuning run: default_runtime.py with the hooks SPD needs, in the order CSPTrainer checks
# (it refuses a teacher model whose list lacks one or puts SyncTeacher before CheckpointLoader):
#   CheckpointLoader  loads `weight=` (a pre-training checkpoint or an exported backbone) into the student,
#   SyncTeacher       then copies the student into the EMA teacher,
#   ModelProgress     tells the model the training progress (the teacher's EMA momentum follows it),
#   TeacherEMA        moves the teacher towards the student after every optimizer step.
# A config that lists its own hooks (another evaluator) keeps these four in this order.
_base_ = ["default_runtime.py"]

hooks = [
    dict(type="CheckpointLoader"),
    dict(type="SyncTeacher"),
    dict(type="ModelProgress"),
    dict(type="IterationTimer", warmup_iter=2),
    dict(type="InformationWriter"),
    dict(type="TeacherEMA"),
    dict(type="CSPSemSegEvaluator"),
    dict(type="CheckpointSaver", save_freq=None),
]
