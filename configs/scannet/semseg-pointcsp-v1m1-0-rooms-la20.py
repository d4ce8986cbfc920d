# Limited annotations on the real rooms (the data-efficient study, tools/studies/efficient.py): 20 labelled points per
# train scan of ../shared/data/scannet-rooms, drawn by
#   python tools/data_efficient.py --data-root ../shared/data/scannet-rooms --points 20 --out exp/scannet-rooms-tasks
# SPD fine-tuning from pretrain-pointcsp-v1m1-0-rooms.py (-w; model.spd=False: plain), mIoU over the 10 shared classes.
_base_ = ["semseg-pointcsp-v1m1-0-rooms.py"]

data = dict(train=dict(la_file="exp/scannet-rooms-tasks/points/points20"))
