# ViTSeg fine-tuned on TextSeg word crops, 20 epochs, batch 64; reports
# foreground IoU and F-score (TextSegMetric, fractions) on the test split.
_base_ = [
    '_base_vitseg_text-vit-s.py',
    '../_base_/datasets/textseg.py',
    '../../_base_/default_runtime.py',
    '../../_base_/schedules/schedule_adamw_dense_cos_20e.py',
]

textseg_train = _base_.textseg_train
textseg_train.pipeline = _base_.train_pipeline
textseg_val = _base_.textseg_val
textseg_val.pipeline = _base_.test_pipeline
textseg_test = _base_.textseg_test
textseg_test.pipeline = _base_.test_pipeline

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=textseg_train)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=textseg_val)
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=textseg_test)

default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='textseg/fgIoU',
                    rule='greater'))
