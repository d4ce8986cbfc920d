# Plain training of the sparse-conv U-Net on the real rooms (no L_SPD): the partner of semseg-spunet-native-v1m1-0-rooms.py.
_base_ = ["semseg-spunet-native-v1m1-0-rooms.py"]

model = dict(spd=False)
