# S3DIS fold 5 of the 6-fold protocol: Area_5 held out (tools/s3dis_6fold.py trains and tests all six).
_base_ = ["pointcsp.py"]
data = dict(train=dict(split=('Area_1', 'Area_2', 'Area_3', 'Area_4', 'Area_6')), val=dict(split="Area_5"), test=dict(split="Area_5"))
