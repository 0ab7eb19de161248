# MMS pretraining sized for the CPU reading recipe (`make reading-cpu`,
# README "Recognition recipes"): TextViT-mini with 8x8 patches and a
# patch-local hMLP stem (192-d, 6 layers, 3 heads; 32x128 -> 4 x 16 = 64
# tokens, 2.7M parameters), bfloat16 autocast, a
# 2-layer 128-d decoder, MMS masking on the 4 x 16 grid, 3 epochs over the
# real training crops with their labels dropped (iiit5k_train, svt_train,
# ic15_train: 6725 crops, read in place) plus 20,000 rendered words.
# Test crops are never used for pretraining.
#
# Masks on the 4 x 16 grid: a character is ~1-2 columns of 8 px, so spans
# are 1..4 columns and blocks 2..8 patches.
_base_ = ['pretrain.py']

str_real_root = '{{$MMOCR_MMS_STR_REAL:../shared/data/str_real}}'
patch_size = 8
mask_transform = dict(
    type='MultiMasking',
    strategies=[
        dict(type='RandomPatchMasking', mask_ratio=0.75),
        dict(type='BlockwiseMasking', mask_ratio=0.5, min_num_patches=2,
             max_num_patches=8, min_aspect=0.3),
        dict(type='SpanMasking', mask_ratio=0.4, min_span=1, max_span=4,
             distribution='geometric', p=0.4),
    ],
    probs=[1 / 3, 1 / 3, 1 / 3],
    mode='sample',
    input_size=(32, 128),
    patch_size=patch_size)
pipeline = [
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    mask_transform,
    dict(type='PackMIMInputs'),
]

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=192, num_layers=6, num_heads=3,
                  mlp_ratio=4),
        patch_size=patch_size,
        # patch-local hierarchical stem: no pixel of a masked patch reaches
        # a visible token; the fine-tuned recognizer learns faster with it
        stem='hmlp'),
    decoder=dict(embed_dims=128, num_layers=2, num_heads=4))

num_synth = 20000
train_dataloader = dict(
    batch_size=128,
    num_workers=1,
    pin_memory=False,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(type='ImageFolderDataset',
                 data_root=f'{str_real_root}/{split}/IMG', pipeline=pipeline)
            for split in ('iiit5k_train', 'svt_train', 'ic15_train')
        ] + [
            dict(type='SynthWordDataset', num_samples=num_synth, seed=100,
                 labelled=False, pipeline=pipeline)
        ]))

base_lr = 1.5e-4
max_epochs = 3
# bfloat16 autocast on the CPU (2x the float32 step on AVX512-BF16 CPUs;
# `python tools/benchmark.py --sections precision`); the pixel decoder too
optim_wrapper = dict(type='GuardedBF16OptimWrapper', fp32_modules=[],
                     optimizer=dict(lr=base_lr * 128 / 256 * 8))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=128)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
custom_hooks = [
    dict(type='MaskEpochHook'),
    dict(type='ReconstructionVisHook', interval=200, num_samples=4),
]
