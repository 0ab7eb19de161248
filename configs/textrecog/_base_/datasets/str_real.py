# Real labelled word crops (../shared/data/str_real: research-use data, read
# in place, never copied into the repository).
#
# train: iiit5k_train + svt_train + ic15_train (6725 crops)
# test:  iiit5k_test (3000) and svt_test (647), reported separately by
#        MultiDatasetsEvaluator as IIIT5K/... and SVT/...
#
# Data root: the environment variable MMOCR_MMS_STR_REAL (mmengine
# substitutes it when the config is read), default ../shared/data/str_real
# relative to the working directory (the repository root). On the command
# line: --cfg-options train_dataloader.dataset.data_root=DIR
#   val_dataloader.dataset.data_root=DIR test_dataloader.dataset.data_root=DIR
#
# Label rule (mmocr_mms.datasets.TextLabelRule): labels empty after
# re.sub('[^0-9a-z]', '', s.lower()) are dropped everywhere (counted);
# whitespace is removed from labels (dictionaries have no space); labels
# longer than 25 characters are dropped from training and kept + counted in
# evaluation. Counts are logged when the datasets are built.
str_real_root = '{{$MMOCR_MMS_STR_REAL:../shared/data/str_real}}'
str_real_train_splits = ['iiit5k_train', 'svt_train', 'ic15_train']
str_real_test_splits = ['iiit5k_test', 'svt_test']

train_label_rule = dict(
    max_len=25, empty='drop', too_long='drop', text_mode='no_space')
test_label_rule = dict(
    max_len=25, empty='drop', too_long='keep', text_mode='no_space')

# 32x128 without keeping the aspect ratio, as in pretraining (valid_ratio 1).
vit_train_pipeline = [
    dict(type='LoadImageFromFile', ignore_empty=True, min_size=2),
    dict(type='LoadOCRAnnotations', with_text=True),
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    dict(
        type='PackTextRecogInputs',
        meta_keys=('img_path', 'ori_shape', 'img_shape', 'valid_ratio'))
]
vit_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    dict(type='LoadOCRAnnotations', with_text=True),
    dict(
        type='PackTextRecogInputs',
        meta_keys=('img_path', 'ori_shape', 'img_shape', 'valid_ratio'))
]

str_real_train = dict(
    type='TSVSplitsDataset',
    data_root=str_real_root,
    splits=str_real_train_splits,
    dataset=dict(
        type='FilteredTSVTextRecogDataset',
        label_rule=train_label_rule,
        pipeline=vit_train_pipeline))
str_real_test = dict(
    type='TSVSplitsDataset',
    data_root=str_real_root,
    splits=str_real_test_splits,
    dataset=dict(
        type='FilteredTSVTextRecogDataset',
        label_rule=test_label_rule,
        pipeline=vit_test_pipeline,
        test_mode=True))

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=str_real_train)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=str_real_test)
test_dataloader = val_dataloader

# The common protocol's normalisation: lower-case, then drop [^0-9a-z].
recog_metrics = [
    dict(
        type='WordMetric',
        mode=['exact', 'ignore_case', 'ignore_case_symbol'],
        valid_symbol='[^0-9a-z]'),
    dict(type='CharMetric', valid_symbol='[^0-9a-z]')
]
val_evaluator = dict(
    type='MultiDatasetsEvaluator',
    metrics=recog_metrics,
    dataset_prefixes=['IIIT5K', 'SVT'])
test_evaluator = val_evaluator
