# MMS pretraining of the GPU reading recipe and of the GPU protocol
# (tools/recipes/reading_gpu.py --arm mms): mms_text-vit-s_h200-3min_str-real.py
# (TextViT-S, the paper's decoder and masks, batch 1024, bf16, the real
# training crops with their labels unused, `mask_copies` passes per epoch)
# plus rendered words without labels, read from an LMDB that the recipe
# renders just before pretraining ($MMOCR_MMS_PRETRAIN_WORDS; one pass per
# epoch, fresh masks every epoch through MaskEpochHook). Every arm of the
# protocol pretrains on exactly this corpus.
_base_ = ['mms_text-vit-s_h200-3min_str-real.py']

pretrain_words = '{{$MMOCR_MMS_PRETRAIN_WORDS:data/pretrain_words}}'
word_pipeline = [
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    dict(_base_.mask_transform, seed=2000),
    dict(type='PackMIMInputs'),
]
train_dataloader = dict(
    # verify_meta=False: the LMDB's metainfo differs from the TSV splits'
    dataset=dict(
        verify_meta=False,
        datasets=_base_.train_dataloader.dataset.datasets + [
            dict(type='UnlabeledLMDBDataset', data_root=pretrain_words,
                 pipeline=word_pipeline)
        ]))
