# Pretraining pipeline: word image -> 32 x 128 -> MMS mask -> pack.
# Each strategy with its own ratio (defaults of the method notes): random
# patch 0.75, blockwise 0.5, span 0.4; one strategy per sample, 1/3 each.
mask_strategies = [
    dict(type='RandomPatchMasking', mask_ratio=0.75),
    dict(type='BlockwiseMasking', mask_ratio=0.5, min_num_patches=4,
         max_num_patches=16, min_aspect=0.3),
    dict(type='SpanMasking', mask_ratio=0.4, min_span=2, max_span=8,
         distribution='geometric', p=0.3),
]
mask_transform = dict(
    type='MultiMasking',
    strategies=mask_strategies,
    probs=[1 / 3, 1 / 3, 1 / 3],
    mode='sample',
    input_size=(32, 128),
    patch_size=4)
pretrain_pipeline = [
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    mask_transform,
    dict(type='PackMIMInputs'),
]
