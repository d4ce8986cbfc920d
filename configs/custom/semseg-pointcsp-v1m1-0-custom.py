# SPD fine-tuning on your own scans at full width (GPU): the base of the semseg.py that tools/prepare_data.py writes
# next to the data (it sets data_root, num_classes, names, the grid size and eval_classes). Pointcept's DefaultDataset
# reads <data_root>/<split>/<scene>/{coord,color,normal,segment}.npy.
_base_ = ["../scannet/semseg-pointcsp-v1m1-0-spd-ft.py"]

data = dict(train=dict(type="DefaultDataset"), val=dict(type="DefaultDataset"), test=dict(type="DefaultDataset"))
