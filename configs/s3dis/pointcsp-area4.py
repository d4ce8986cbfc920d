# S3DIS fold 4 of the 6-fold protocol: Area_4 held out (tools/s3dis_6fold.py trains and tests all six).
_base_ = ["pointcsp.py"]
data = dict(train=dict(split=('Area_1', 'Area_2', 'Area_3', 'Area_5', 'Area_6')), val=dict(split="Area_4"), test=dict(split="Area_4"))
