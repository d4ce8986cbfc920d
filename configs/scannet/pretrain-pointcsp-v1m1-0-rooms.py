# Pre-training on real, different rooms: ../shared/data/scannet-rooms/train (README there: 10 scans of rooms 1-5,
# 50k points each), the tiny backbone and views of pretrain-pointcsp-v1m1-0-tiny.py. Each batch is one CSP sequence of
# 4 distinct scans (several rooms), so the SSM state carries one real room into the next. The val rooms (6-8) are
# never seen: the cross-room probes (tools/studies/linear_probe.py --data-root) fit on train and score on val.
_base_ = ["pretrain-pointcsp-v1m1-0-tiny.py"]

batch_size = 4  # scans per CSP sequence
epoch, eval_epoch = 100, 10  # 10 scans x 10 loops / 4 = 25 steps per trainer epoch, 250 steps
data_root = "../shared/data/scannet-rooms"
data = dict(train=dict(data_root=data_root))
