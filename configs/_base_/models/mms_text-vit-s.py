# MMS pretraining model: TextViT-small encoder (384-d, 12 layers, 6 heads,
# the MAERec-S size) on 32 x 128 crops with 4 x 4 patches (8 x 32 grid) and
# a light pixel decoder (512-d, 8 layers, 16 heads).
model = dict(
    type='MMS',
    backbone=dict(
        type='TextViT',
        arch='small',
        img_size=(32, 128),
        patch_size=4,
        drop_path_rate=0.0),
    decoder=dict(
        type='MIMPixelDecoder', embed_dims=512, num_layers=8, num_heads=16),
    norm_pix=True,
    # Same normalisation as the fine-tuning configs (ImageNet mean/std,
    # RGB), so the encoder sees the same input statistics in both stages.
    data_preprocessor=dict(
        type='TextRecogDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True))
