# MMS pretraining on any folder of word crops (searched recursively), e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/crops
_base_ = ['mms_text-vit-s_20e_synth-words.py']

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ImageFolderDataset',
        data_root='data/word_crops',
        pipeline={{_base_.pretrain_pipeline}}))
