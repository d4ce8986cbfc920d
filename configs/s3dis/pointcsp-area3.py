# S3DIS fold 3 of the 6-fold protocol: Area_3 held out (tools/s3dis_6fold.py trains and tests all six).
_base_ = ["pointcsp.py"]
data = dict(train=dict(split=('Area_1', 'Area_2', 'Area_4', 'Area_5', 'Area_6')), val=dict(split="Area_3"), test=dict(split="Area_3"))
