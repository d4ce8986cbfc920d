# ScanNet data-efficient benchmark (Hou et al., CVPR 2021), limited annotations: 100 labelled points per train scene,
# every other label ignored; val on every label. The file and its path are Pointcept's (its
# semseg-spunet-v1m1-2-efficient-la100.py); `python tools/data_efficient.py --data-root data/scannet --points 100` draws
# one for a data root without the benchmark's own. SPD fine-tuning from a PointCSP pre-training (-w):
#   sh tools/train.sh -c configs/scannet/semseg-pointcsp-v1m1-0-la100.py -n la100 -w exp/scannet/pre/model/model_last.pth
_base_ = ["semseg-pointcsp-v1m1-0-spd-ft.py"]

data = dict(train=dict(la_file="data/scannet/tasks/points/points100"))
