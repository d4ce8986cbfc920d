# SPD fine-tuning on your own scans, CPU-sized (the real-rooms model: 0.44M parameters, 5 cm voxels, 5000-point
# crops): the base of the semseg.py that `tools/prepare_data.py --size tiny` writes next to the data.
_base_ = ["../scannet/semseg-pointcsp-v1m1-0-rooms.py"]

data = dict(train=dict(type="DefaultDataset"), val=dict(type="DefaultDataset"), test=dict(type="DefaultDataset"))
