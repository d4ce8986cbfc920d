# CSP pre-training on your own scans, CPU-sized (the real-rooms pre-training: the tiny backbone, 3000 / 1000-point
# views): the base of the pretrain.py that `tools/prepare_data.py --size tiny` writes next to the data.
_base_ = ["../scannet/pretrain-pointcsp-v1m1-0-rooms.py"]

data = dict(train=dict(type="DefaultDataset"))
