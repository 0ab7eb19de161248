# Demo pretraining: a small TextViT (128-d, 4 layers) and decoder (64-d,
# 2 layers) on synthetic words, sized to finish on a 2-core CPU in under
# 5 minutes (`make demo`) and already give recognisable reconstructions.
# Same MMS masking as mms_text-vit-s_20e_synth-words.py. Alias:
# pretrain_demo.py.
_base_ = ['mms_text-vit-s_20e_synth-words.py']

model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=128, num_layers=4,
                            num_heads=4, mlp_ratio=4)),
    decoder=dict(embed_dims=64, num_layers=2, num_heads=4))

num_images = 5760
train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    pin_memory=False,
    dataset=dict(num_samples=num_images))

base_lr = 1.5e-4
max_epochs = 4
optim_wrapper = dict(optimizer=dict(lr=base_lr * 64 / 256 * 8))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
custom_hooks = [
    dict(type='MaskEpochHook'),
    dict(type='ReconstructionVisHook', interval=400, num_samples=4),
]
