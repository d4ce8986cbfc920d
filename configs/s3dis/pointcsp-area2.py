# S3DIS fold 2 of the 6-fold protocol: Area_2 held out (tools/s3dis_6fold.py trains and tests all six).
_base_ = ["pointcsp.py"]
data = dict(train=dict(split=('Area_1', 'Area_3', 'Area_4', 'Area_5', 'Area_6')), val=dict(split="Area_2"), test=dict(split="Area_2"))
