# The ViT DBNet on synthetic scenes (no download, smaller images): a wiring
# check / demo, not a tuned recipe. Images arrive decoded, so the stock
# pipelines lose LoadImageFromFile; LoadOCRAnnotations parses the
# dataset's `instances` as it does for OCRDataset.
_base_ = [
    'dbnet_text-vit-s-simplefpn_1200e_icdar2015.py',
    '../_base_/datasets/synth_scenes.py',
]

train_pipeline = [
    dict(type='LoadOCRAnnotations', with_polygon=True, with_bbox=True,
         with_label=True),
    dict(type='TorchVisionWrapper', op='ColorJitter',
         brightness=32.0 / 255, saturation=0.5),
    dict(type='Resize', scale=(320, 320), keep_ratio=True),
    dict(type='PackTextDetInputs',
         meta_keys=('img_path', 'ori_shape', 'img_shape')),
]
test_pipeline = [
    dict(type='Resize', scale=(320, 320), keep_ratio=True),
    dict(type='LoadOCRAnnotations', with_polygon=True, with_bbox=True,
         with_label=True),
    dict(type='PackTextDetInputs',
         meta_keys=('img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
synth_train = _base_.synth_scenes_train
synth_train.pipeline = train_pipeline
synth_test = _base_.synth_scenes_test
synth_test.pipeline = test_pipeline

train_dataloader = dict(
    batch_size=16, num_workers=4, dataset=synth_train)
val_dataloader = dict(
    batch_size=4, num_workers=2, dataset=synth_test)
test_dataloader = val_dataloader

max_epochs = 50
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=1e-7,
                        end=max_epochs)]
default_hooks = dict(checkpoint=dict(interval=10))
