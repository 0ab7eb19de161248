# Stock MMOCR NRTR with its backbone replaced by TextViT (MAERec-style: the
# transformer decoder attends directly to the ViT tokens).
# Changed w.r.t. mmocr::textrecog/nrtr/_base_nrtr_modality-transform.py:
# - backbone: TextViT-S (32x128, patch 4 -> 8x32 tokens), initialised from a
#   pretraining checkpoint (init_cfg; see the switch below);
# - encoder: NRTREncoder (12 layers) -> ViTSequenceEncoder, which only
#   flattens the (N, 384, 8, 32) map to (N, 256, 384) tokens (glue: the
#   stock decoder reads `out_enc`);
# - decoder: d_model / d_embedding follow the ViT width (384) as in MAERec-S
#   (d_inner 4x, 8 heads of 48); loss, dictionary, postprocessor and
#   max_seq_len (30) are stock;
# - data_preprocessor: the pretraining normalisation (bgr_to_rgb=True).
#
# Initialisation switch (one --cfg-options override, mmengine resolves
# config variables when the file is read, so override the nested key):
#   MMS weights (default)  nothing
#   MAE-baseline weights   model.backbone.init_cfg.checkpoint=PATH
#   from scratch           model.backbone.init_cfg=None
_base_ = ['mmocr::textrecog/nrtr/_base_nrtr_modality-transform.py']

model = dict(
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
    encoder=dict(_delete_=True, type='ViTSequenceEncoder', in_channels=384),
    # CachedNRTRDecoder: MMOCR's NRTRDecoder (same parameters, so stock
    # checkpoints load) whose greedy decoding caches the prefix's keys /
    # values and the memory's cross-attention keys / values: identical
    # outputs (tests/test_cached_decoder.py), 2.2x faster at batch 1 and
    # 6.6x at batch 32 on the CPU (README "Inference").
    decoder=dict(
        type='CachedNRTRDecoder',
        d_model=384,
        d_embedding=384,
        n_head=8,
        d_k=48,
        d_v=48,
        d_inner=384 * 4),
    data_preprocessor=dict(
        type='TextRecogDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True))
