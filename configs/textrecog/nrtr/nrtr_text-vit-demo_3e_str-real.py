# CPU-sized variant of nrtr_text-vit-s_10e_str-real.py: the demo-pretrained
# TextViT (128-d, 4 layers, 4 heads; `python tools/demo.py` writes
# work_dirs/demo/backbone.pth), a 2-layer 128-d NRTR decoder, 3 epochs,
# validation at the end only.
#   python tools/train.py configs/textrecog/nrtr/nrtr_text-vit-demo_3e_str-real.py
# Init switch: model.backbone.init_cfg.checkpoint=PATH (e.g. a MAE-baseline
# demo backbone) or model.backbone.init_cfg=None (from scratch).
_base_ = ['nrtr_text-vit-s_10e_str-real.py']

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=128, num_layers=4, num_heads=4,
                  mlp_ratio=4),
        drop_path_rate=0.0,
        init_cfg=dict(checkpoint='work_dirs/demo/backbone.pth')),
    encoder=dict(in_channels=128),
    decoder=dict(
        n_layers=2,
        d_model=128,
        d_embedding=128,
        n_head=4,
        d_k=32,
        d_v=32,
        d_inner=512,
        # 25 characters + start and end tokens
        max_seq_len=27))

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
