# AdamW, lr = 1.5e-4 x total_batch / 256, weight decay 0.05, betas (0.9,
# 0.95), linear warmup then cosine decay (per iteration). The lr below is
# for a total batch of 1024 (8 GPUs x 128); with --auto-scale-lr it is
# rescaled to the batch actually used.
base_lr = 1.5e-4
total_batch_size = 1024
# GuardedOptimWrapper: a non-finite loss or gradient skips the step (warned,
# counted as train/skipped_steps); 10 in a row stop training before NaN
# weights are saved.
optim_wrapper = dict(
    type='GuardedOptimWrapper',
    max_consecutive=10,
    optimizer=dict(
        type='AdamW',
        lr=base_lr * total_batch_size / 256,
        betas=(0.9, 0.95),
        weight_decay=0.05),
    # no weight decay on norms, biases, tokens and position embeddings
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.)
        }))
max_epochs = 20
warmup_epochs = 1
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
val_cfg = None
test_cfg = None
auto_scale_lr = dict(base_batch_size=total_batch_size, enable=False)
