# ViTSeg: MMS-pretrained TextViT-S encoder + a CCD-style head (3 transformer
# blocks + per-patch linear predicting 4x4 pixels x 2 classes), pixel
# cross-entropy, on 32 x 128 word crops (the pretraining input, so the
# position embedding is used as pretrained).
#
# Pretrained encoder: a pretraining run's checkpoint
# (`python tools/train.py configs/mms/mms_text-vit-s_20e_synth-words.py` ->
# work_dirs/pretrain/epoch_20.pth) or a converted backbone file
# (tools/model_converters/mms_to_backbone.py); set it with
# --cfg-options model.backbone.init_cfg.checkpoint=PATH.
pretrained = 'work_dirs/pretrain/epoch_20.pth'
model = dict(
    type='TextSegmentor',
    backbone=dict(
        type='TextViT',
        arch='small',
        img_size=(32, 128),
        patch_size=4,
        out_type='featmap',
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    decode_head=dict(
        type='PatchDecodeHead', embed_dims=384, num_blocks=3, num_heads=6),
    num_classes=2,
    ignore_index=255,
    # the pretraining normalisation (ImageNet mean/std, BGR -> RGB)
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True))

# `Resize` (MMOCR's) resizes `gt_seg_map` with nearest interpolation; the
# test pipeline also packs the original-size target, on which the metric
# scores the prediction (upsampled back by the model).
train_pipeline = [
    dict(type='TorchVisionWrapper', op='ColorJitter', brightness=0.3,
         contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    dict(type='PackTextSegInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    dict(type='PackTextSegInputs', pack_ori_gt=True),
]
# Synthetic words carry a boolean glyph mask: turn it into labels first.
synth_train_pipeline = [dict(type='FgMaskToSegMap')] + train_pipeline
synth_test_pipeline = [dict(type='FgMaskToSegMap')] + test_pipeline

val_evaluator = dict(type='TextSegMetric', average='dataset')
test_evaluator = val_evaluator
