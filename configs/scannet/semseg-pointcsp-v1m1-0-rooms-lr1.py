# Limited reconstructions on the real rooms (the data-efficient study, tools/studies/efficient.py): fine-tuning reads
# only the train scans of one room (re-scans kept together), drawn by
#   python tools/data_efficient.py --data-root ../shared/data/scannet-rooms --rooms 1 --out exp/scannet-rooms-tasks
# Pre-training (pretrain-pointcsp-v1m1-0-rooms.py, -w) still saw all 10 train scans without labels. SPD fine-tuning
# (model.spd=False: plain), mIoU over the 10 shared classes on the val rooms.
_base_ = ["semseg-pointcsp-v1m1-0-rooms.py"]

data = dict(train=dict(lr_file="exp/scannet-rooms-tasks/scenes/rooms1.txt"))
