# Stock MMOCR SVTR's CTC recognizer (SVTRDecoder: linear CTC head) on
# TextViT features.
# Changed w.r.t. mmocr::textrecog/svtr/_base_svtr-tiny.py:
# - preprocessor: STN removed (the ViT takes a fixed 32x128 crop, as in
#   pretraining);
# - backbone: TextViT-S added (32x128 -> (N, 384, 8, 32)), initialised from a
#   pretraining checkpoint (init_cfg; see the switch below);
# - encoder: SVTREncoder -> ViTColumnPoolEncoder, which averages the 8 rows
#   into one (N, 384, 1, 32) map: 32 CTC frames (glue: SVTRDecoder reads a
#   height-1 `out_enc`);
# - decoder: in_channels follows the ViT width; CTC loss (lower case,
#   zero_infinity), dictionary (36 lowercase alphanumerics + unknown) and
#   postprocessor are stock;
# - data_preprocessor: the pretraining normalisation (bgr_to_rgb=True).
#
# Initialisation switch (one --cfg-options override):
#   MMS weights (default)  nothing
#   MAE-baseline weights   model.backbone.init_cfg.checkpoint=PATH
#   from scratch           model.backbone.init_cfg=None
_base_ = ['mmocr::textrecog/svtr/_base_svtr-tiny.py']

model = dict(
    preprocessor=None,
    backbone=dict(
        type='TextViT',
        arch='small',
        img_size=(32, 128),
        patch_size=4,
        drop_path_rate=0.1,
        out_type='featmap',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/pretrain/backbone.pth',
            prefix='backbone.')),
    encoder=dict(_delete_=True, type='ViTColumnPoolEncoder', in_channels=384),
    decoder=dict(in_channels=384),
    data_preprocessor=dict(
        type='TextRecogDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True))
