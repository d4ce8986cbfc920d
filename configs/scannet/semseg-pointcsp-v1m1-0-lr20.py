# ScanNet data-efficient benchmark (Hou et al., CVPR 2021), limited reconstructions: only the 20 % of train scenes
# listed in the file are read (their every label); val on every scene. The file and its path are Pointcept's (its
# semseg-spunet-v1m1-2-efficient-lr20.py); `python tools/data_efficient.py --data-root data/scannet --scenes 20` draws
# one (whole rooms) for a data root without the benchmark's own. SPD fine-tuning from a PointCSP pre-training (-w):
#   sh tools/train.sh -c configs/scannet/semseg-pointcsp-v1m1-0-lr20.py -n lr20 -w exp/scannet/pre/model/model_last.pth
_base_ = ["semseg-pointcsp-v1m1-0-spd-ft.py"]

data = dict(train=dict(lr_file="data/scannet/tasks/scenes/20.txt"))
