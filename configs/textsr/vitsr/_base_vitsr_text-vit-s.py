# ViTSR: the LR word (16 x 64) is upsampled bicubically to 32 x 128, the
# MMS-pretrained TextViT-S encodes it exactly as in pretraining (patch 4,
# 8 x 32 grid), and a PatchDecodeHead (3 transformer blocks + per-patch
# linear) predicts the 4 x 4 x 3 residual of every patch, added to the
# bicubic image. MSE loss in the normalised space; PSNR / SSIM on RGB.
#
# Pretrained encoder: as in configs/textseg (set
# model.backbone.init_cfg.checkpoint).
pretrained = 'work_dirs/pretrain/epoch_20.pth'
model = dict(
    type='TextSuperResolver',
    backbone=dict(
        type='TextViT',
        arch='small',
        img_size=(32, 128),
        patch_size=4,
        out_type='featmap',
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    head=dict(
        type='PatchDecodeHead', embed_dims=384, num_blocks=3, num_heads=6),
    hr_size=(32, 128),
    upsample_mode='bicubic',
    residual=True,
    loss_type='mse',
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True))

# TextZoom pairs vary in size: bring them to 16 x 64 / 32 x 128.
textzoom_pipeline = [
    dict(type='ResizeSRPair', lr_size=(16, 64), hr_size=(32, 128)),
    dict(type='PackTextSRInputs'),
]
# Proxy pairs from single word crops: HR = crop at 32 x 128, LR = HR
# downscaled x2 (bicubic) after a random blur (train only).
synth_train_pipeline = [
    dict(type='MakeLRHRPair', hr_size=(32, 128), lr_size=(16, 64),
         blur_sigma=(0.0, 1.0)),
    dict(type='PackTextSRInputs'),
]
synth_test_pipeline = [
    dict(type='MakeLRHRPair', hr_size=(32, 128), lr_size=(16, 64)),
    dict(type='PackTextSRInputs'),
]

val_evaluator = dict(type='TextSRMetric', scores=('PSNR', 'SSIM'))
test_evaluator = val_evaluator
