# The MAE baseline of the CPU reading recipe's pretraining, for equal-budget
# comparisons (tools/experiments/reading_protocol.py): identical to
# mms_text-vit-mini-p8_3e_str-real-synth.py (TextViT-mini p8, same corpus of
# real training crops + rendered words, optimiser, schedule, batch, hooks)
# except the mask: random patch masking only, ratio 0.75, on the same
# 4 x 16 patch grid.
_base_ = ['mms_text-vit-mini-p8_3e_str-real-synth.py']

random_mask = dict(
    type='RandomPatchMasking',
    mask_ratio=0.75,
    input_size=(32, 128),
    patch_size={{_base_.patch_size}})
mask_transform = dict(_delete_=True, **random_mask)
pipeline = [
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    random_mask,
    dict(type='PackMIMInputs'),
]
# every corpus part of the MMS config, with this pipeline
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(dataset, pipeline=pipeline)
        for dataset in _base_.train_dataloader.dataset.datasets
    ]))
