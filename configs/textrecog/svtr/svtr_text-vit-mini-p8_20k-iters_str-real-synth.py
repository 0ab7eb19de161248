# CPU reading recipe, fine-tuning stage (`make reading-cpu`, README
# "Recognition recipes"): TextViT-mini, 8x8 patches embedded by a
# patch-local hMLP stem (192-d, 6 layers, 3 heads, 4 x 16 tokens; the stem
# halved the CTC loss plateau against a linear patch embedding in a
# side-by-side run), bfloat16 autocast, initialised from the MMS pretraining of
# configs/mms/mms_text-vit-mini-p8_3e_str-real-synth.py, the 4 rows of each
# column stacked (pool='concat': a mean over rows left the CTC loss on its
# plateau about twice as long in a side-by-side run) and each column split
# into 2 CTC frames (32 frames), stock MMOCR SVTR CTC head (36 lowercase
# alphanumerics).
#
# Training data per batch of 64: real training crops (iiit5k_train +
# svt_train + ic15_train, 6725, light augmentation) and words rendered on
# the fly (SynthWordDataset: wordfreq lexicon, 112 fonts, numbers, prices,
# curved text, clutter...), mixed by sampling weight `real_fraction`.
# Labels are normalised to the protocol's 36 characters for training.
# Budget in iterations (`max_iters`), evaluated on IIIT5K and SVT test.
_base_ = [
    '../_base_/models/svtr_text-vit.py',
    '../_base_/datasets/str_real.py',
    '../_base_/default_runtime.py',
]

embed_dims = 192
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=embed_dims, num_layers=6,
                  num_heads=3, mlp_ratio=4),
        patch_size=8,
        stem='hmlp',  # as pretrained; see TextViT
        drop_path_rate=0.05,
        init_cfg=dict(
            checkpoint='work_dirs/reading_cpu/pretrain/backbone.pth')),
    encoder=dict(in_channels=embed_dims, pool='concat', height=4,
                 frames_per_column=2),
    decoder=dict(in_channels=embed_dims))

train_label_rule = dict(
    max_len=25, empty='drop', too_long='drop', text_mode='normalized')
real_train_pipeline = [
    dict(type='LoadImageFromFile', ignore_empty=True, min_size=2),
    dict(type='LoadOCRAnnotations', with_text=True),
    dict(type='RandomApply', prob=0.3,
         transforms=[dict(type='CropHeight', min_pixels=2, max_pixels=6)]),
    dict(type='RandomApply', prob=0.3,
         transforms=[dict(type='TorchVisionWrapper', op='ColorJitter',
                          brightness=0.4, contrast=0.4, saturation=0.4,
                          hue=0.1)]),
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    dict(type='PackTextRecogInputs',
         meta_keys=('img_path', 'ori_shape', 'img_shape', 'valid_ratio')),
]
synth_train_pipeline = [
    dict(type='ApplyTextLabelRule', label_rule=train_label_rule),
    dict(type='LoadOCRAnnotations', with_text=True),
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    dict(type='PackTextRecogInputs',
         meta_keys=('img_path', 'ori_shape', 'img_shape', 'valid_ratio')),
]

real_fraction = 0.4
num_synth = 2000000  # virtual: every index renders a new word
max_iters = 20000
batch_size = 64
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(
        _delete_=True, type='MixedSourceSampler',
        weights=[real_fraction, 1 - real_fraction], seed=0),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        verify_meta=False,
        datasets=[
            dict(type='TSVSplitsDataset',
                 data_root=_base_.str_real_root,
                 splits=_base_.str_real_train_splits,
                 dataset=dict(type='FilteredTSVTextRecogDataset',
                              label_rule=train_label_rule,
                              pipeline=real_train_pipeline)),
            dict(type='SynthWordDataset', num_samples=num_synth, seed=1,
                 labelled=True, pipeline=synth_train_pipeline),
        ]))
val_dataloader = dict(num_workers=1, persistent_workers=False,
                      batch_size=128)
test_dataloader = val_dataloader

base_lr = 1e-3
# bfloat16 autocast, on the CPU too (the CTC head and loss in float32)
optim_wrapper = dict(
    type='GuardedBF16OptimWrapper',
    optimizer=dict(type='AdamW', lr=base_lr, betas=(0.9, 0.999),
                   weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'pos_embed': dict(decay_mult=0.)}),
    clip_grad=dict(max_norm=5.0))
warmup_iters = 300
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', T_max=max_iters - warmup_iters,
         eta_min=1e-5, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop',
                 max_iters=max_iters, val_interval=max_iters + 1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
