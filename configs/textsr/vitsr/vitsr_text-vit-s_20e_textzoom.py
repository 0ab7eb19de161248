# ViTSR on TextZoom (train1 + train2), 20 epochs, batch 64; PSNR / SSIM per
# test subset (easy / medium / hard).
_base_ = [
    '_base_vitsr_text-vit-s.py',
    '../_base_/datasets/textzoom.py',
    '../../_base_/default_runtime.py',
    '../../_base_/schedules/schedule_adamw_dense_cos_20e.py',
]

textzoom_train = dict(
    type='ConcatDataset',
    datasets=[
        dict(d, pipeline=_base_.textzoom_pipeline)
        for d in _base_.textzoom_train.datasets
    ])
textzoom_test = dict(
    type='ConcatDataset',
    datasets=[
        dict(d, pipeline=_base_.textzoom_pipeline)
        for d in _base_.textzoom_test.datasets
    ])

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=textzoom_train)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=textzoom_test)
test_dataloader = val_dataloader

# one score per subset: easy/textsr/PSNR, medium/textsr/PSNR, ...
val_evaluator = dict(
    _delete_=True,
    type='MultiDatasetsEvaluator',
    metrics=[dict(type='TextSRMetric', scores=('PSNR', 'SSIM'))],
    dataset_prefixes=_base_.textzoom_test_subsets)
test_evaluator = val_evaluator
