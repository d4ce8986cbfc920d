# Plain fine-tuning on the real rooms (no L_SPD): the ablation partner of semseg-pointcsp-v1m1-0-rooms.py.
_base_ = ["semseg-pointcsp-v1m1-0-rooms.py"]

model = dict(spd=False)
