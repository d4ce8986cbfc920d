# CSP pre-training on your own scans, labelled or not, at full width (GPU): the base of the pretrain.py that
# tools/prepare_data.py writes next to the data (it sets data_root, the splits to read and the grid size).
_base_ = ["../scannet/pretrain-pointcsp-v1m1-0-base.py"]

data = dict(train=dict(type="DefaultDataset"))
