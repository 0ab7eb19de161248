# CPU-sized variant of svtr_text-vit-s_10e_str-real.py (CTC head): the
# demo-pretrained TextViT (128-d, 4 layers, 4 heads;
# work_dirs/demo/backbone.pth from `python tools/demo.py`), 3 epochs,
# validation at the end only. Init switch as in the -s config.
_base_ = ['svtr_text-vit-s_10e_str-real.py']

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=128, num_layers=4, num_heads=4,
                  mlp_ratio=4),
        drop_path_rate=0.0,
        init_cfg=dict(checkpoint='work_dirs/demo/backbone.pth')),
    encoder=dict(in_channels=128),
    decoder=dict(in_channels=128))

max_epochs = 3
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, begin=0, end=max_epochs,
         convert_to_iter_based=True),
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
