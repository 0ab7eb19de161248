# The MAE baseline: identical to mms_text-vit-s_20e_synth-words.py but
# random patch masking only (ratio 0.75), for equal-budget comparisons.
# Alias: pretrain_mae.py.
_base_ = ['mms_text-vit-s_20e_synth-words.py']

train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='Resize', scale=(128, 32), keep_ratio=False),
        dict(type='RandomPatchMasking', input_size=(32, 128), patch_size=4,
             mask_ratio=0.75),
        dict(type='PackMIMInputs'),
    ]))
