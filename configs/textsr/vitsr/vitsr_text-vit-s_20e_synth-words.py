# ViTSR on proxy pairs made from synthetic word crops (no download): the
# same model and schedule as the TextZoom config.
_base_ = [
    '_base_vitsr_text-vit-s.py',
    '../_base_/datasets/synth_words_sr.py',
    '../../_base_/default_runtime.py',
    '../../_base_/schedules/schedule_adamw_dense_cos_20e.py',
]

synth_train = _base_.synth_words_sr_train
synth_train.pipeline = _base_.synth_train_pipeline
synth_test = _base_.synth_words_sr_test
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
