# DBNet with the MMS-pretrained TextViT-S as backbone: MMOCR's stock
# ResNet-18 DBNet config inherited unchanged except
#   - backbone: TextViT (patch 4 -> one stride-4 map, 384 channels);
#   - neck: ViTSimpleFPN (stride-4 map -> strides 4/8/16/32 with
#     identity / max-pooling, 64/128/256/512 channels) followed by the
#     stock FPNC neck, chained by SequentialNeck;
#   - optimiser: AdamW (SGD at lr 0.007 is the ResNet recipe).
# Pipelines, DB head, loss, post-processing (pyclipper + shapely, no
# compiled mmcv op), ICDAR 2015 data and HmeanIOU evaluation are stock.
# Cost: a 640 x 640 crop is a 160 x 160 grid = 25,600 tokens per image and
# attention is quadratic in it, so this needs a GPU (memory-efficient SDPA);
# the 2-core CPU only runs the tiny test version (tests/test_textdet.py).
_base_ = ['mmocr::textdet/dbnet/dbnet_resnet18_fpnc_1200e_icdar2015.py']

custom_imports = dict(imports=['mmocr_mms'], allow_failed_imports=False)

pretrained = 'work_dirs/pretrain/epoch_20.pth'
vit_dims = 384
model = dict(
    backbone=dict(
        _delete_=True,
        type='TextViT',
        arch='small',
        img_size=(32, 128),  # pretraining grid; resized to each input
        patch_size=4,
        out_type='featmap',
        output_tuple=True,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(
        _delete_=True,
        type='SequentialNeck',
        necks=[
            dict(
                type='ViTSimpleFPN',
                in_channels=vit_dims,
                out_channels=[64, 128, 256, 512],
                scale_factors=(1., 0.5, 0.25, 0.125)),
            dict(
                type='FPNC',
                in_channels=[64, 128, 256, 512],
                lateral_channels=256),
        ]))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999),
                   weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={'pos_embed': dict(decay_mult=0.)}))
