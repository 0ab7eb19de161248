# CTC fine-tuning stage of the GPU reading recipe (tools/recipes/
# reading_gpu.sh, README "Recognition recipes"): the CPU recipe's
# recognizer (svtr_text-vit-mini-p8_20k-iters_str-real-synth.py) at the
# TextViT-S size: 384-d, 12 layers, 4x4 patches (8 x 32 tokens), the 8
# rows of each column stacked (pool='concat') -> 32 CTC frames, stock MMOCR SVTR CTC head (36
# lowercase alphanumerics), initialised from the MMS pretraining of
# configs/mms/mms_text-vit-s_h200-3min_str-real.py (the recipe passes
# model.backbone.init_cfg.checkpoint=...).
#
# Data per batch of 512: the real training crops (light augmentation) and
# words pre-rendered into an LMDB by the recipe
# (tools/dataset_converters/render_words.py layout; data_root below is the
# default, the recipe passes its own), mixed by `real_fraction`. bf16
# autocast with --amp and optim_wrapper.dtype=bfloat16.
#
# Length: TrainTimeBudgetHook fits max_iters to a wall-clock deadline
# (custom_hooks.0.deadline=<time.time()>); the cosine ends with it.
_base_ = ['svtr_text-vit-mini-p8_20k-iters_str-real-synth.py']

embed_dims = 384
model = dict(
    backbone=dict(
        arch='small',
        patch_size=4,
        stem='linear',  # as the MMS TextViT-S pretraining
        drop_path_rate=0.1,
        init_cfg=dict(
            checkpoint='work_dirs/reading_gpu/pretrain/backbone.pth')),
    encoder=dict(in_channels=embed_dims, pool='concat', height=8,
                 frames_per_column=1),
    decoder=dict(in_channels=embed_dims))

real_fraction = 0.3
max_iters = 100000  # upper bound; TrainTimeBudgetHook fits it
warmup_iters = 150
batch_size = 512
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=15,
    persistent_workers=True,
    pin_memory=True,
    prefetch_factor=4,
    sampler=dict(weights=[real_fraction, 1 - real_fraction]),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        verify_meta=False,
        datasets=[
            dict(type='TSVSplitsDataset',
                 data_root=_base_.str_real_root,
                 splits=_base_.str_real_train_splits,
                 dataset=dict(type='FilteredTSVTextRecogDataset',
                              label_rule=_base_.train_label_rule,
                              pipeline=_base_.real_train_pipeline)),
            dict(type='LabelledLMDBDataset', data_root='data/rendered_words',
                 pipeline=_base_.synth_train_pipeline),
        ]))
# No validation during the run (the recipe evaluates at the end); the test
# pipeline stays for tools/eval_benchmarks.py and the recipe's evaluation.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = dict(num_workers=8, batch_size=512)

# mmengine AMP on the GPU (the recipe passes --amp and
# optim_wrapper.dtype=bfloat16), not the CPU recipe's BF16OptimWrapper
optim_wrapper = dict(type='GuardedOptimWrapper', optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', T_max=max_iters - warmup_iters,
         eta_min=1e-5, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1, save_last=True))
custom_hooks = [
    dict(type='TrainTimeBudgetHook', deadline=None, skip_iters=10,
         measure_iters=20, reserve_s=8.0),
]
