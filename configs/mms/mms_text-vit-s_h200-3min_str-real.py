# MMS pretraining stage of the GPU reading recipe (tools/recipes/
# reading_gpu.sh, README "Recognition recipes"): TextViT-S (384-d, 12
# layers, 4x4 patches on 32x128: 8 x 32 tokens) with the paper's decoder
# and masks (mms_text-vit-s_20e_synth-words.py), batch 1024, bf16 (--amp
# and optim_wrapper.dtype=bfloat16 on the command line), on the real
# training crops with their labels unused (iiit5k_train + svt_train +
# ic15_train, 6725 crops) while the CPUs render the fine-tuning corpus.
#
# Length: TrainTimeBudgetHook fits the number of epochs to a wall-clock
# deadline (the recipe passes custom_hooks.0.deadline=<time.time()>);
# max_epochs below is only the upper bound it starts from. One epoch is
# `mask_copies` passes over the crops, each pass with its own mask seed, so
# an image meets a fresh mask in every pass (MaskEpochHook adds new masks
# per epoch; epochs are long enough that the per-epoch restart of the
# loader workers costs little).
_base_ = ['mms_text-vit-s_20e_synth-words.py']

str_real_root = '{{$MMOCR_MMS_STR_REAL:../shared/data/str_real}}'
str_real_train_splits = ['iiit5k_train', 'svt_train', 'ic15_train']
mask_copies = 10
max_epochs = 1000

mask_transform = _base_.mask_transform


def _pipeline(seed):
    return [
        dict(type='LoadImageFromFile', ignore_empty=True, min_size=2),
        dict(type='Resize', scale=(128, 32), keep_ratio=False),
        dict(mask_transform, seed=seed),
        dict(type='PackMIMInputs'),
    ]


train_dataloader = dict(
    batch_size=1024,
    num_workers=3,
    persistent_workers=False,  # MaskEpochHook: new masks every epoch
    pin_memory=True,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(type='TSVSplitsDataset',
                 data_root=str_real_root,
                 splits=str_real_train_splits,
                 dataset=dict(
                     type='FilteredTSVTextRecogDataset',
                     label_rule=dict(max_len=25, empty='drop',
                                     too_long='drop', text_mode='no_space'),
                     pipeline=_pipeline(1000 + copy)))
            for copy in range(mask_copies)
        ]))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-6,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_last=True))
log_processor = dict(by_epoch=True)
custom_hooks = [
    dict(type='TrainTimeBudgetHook', deadline=None, skip_iters=10,
         measure_iters=20, reserve_s=8.0),
    dict(type='MaskEpochHook'),
]
