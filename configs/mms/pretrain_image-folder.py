# MMS pretraining on any folder of word crops (searched recursively), e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/crops
_base_ = ['pretrain.py']

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ImageFolderDataset',
        data_root='data/word_crops',
        pipeline={{_base_.pretrain_pipeline}}))
