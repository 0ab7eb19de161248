# ViTSeg on synthetic word crops with exact glyph masks (no download):
# the same model and schedule as the TextSeg config.
_base_ = [
    '_base_vitseg_text-vit-s.py',
    '../_base_/datasets/synth_words_seg.py',
    '../../_base_/default_runtime.py',
    '../../_base_/schedules/schedule_adamw_dense_cos_20e.py',
]

synth_train = _base_.synth_words_seg_train
synth_train.pipeline = _base_.synth_train_pipeline
synth_test = _base_.synth_words_seg_test
synth_test.pipeline = _base_.synth_test_pipeline

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=synth_train)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=synth_test)
test_dataloader = val_dataloader

default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='textseg/fgIoU',
                    rule='greater'))
