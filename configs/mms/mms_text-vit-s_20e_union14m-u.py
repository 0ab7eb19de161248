# MMS pretraining on Union14M-U (unlabeled LMDBs with `num-samples` and
# `image-%09d` keys). Set the root with
#   --cfg-options union14m_u_root=/path/to/Union14M-U
# (re-evaluated here) or edit the subsets.
_base_ = ['mms_text-vit-s_20e_synth-words.py']

union14m_u_root = 'data/Union14M-U'
union14m_u_subsets = ['book32_lmdb', 'cc_lmdb', 'openvino_lmdb']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(type='UnlabeledLMDBDataset',
                 data_root=union14m_u_root + '/' + name,
                 pipeline={{_base_.pretrain_pipeline}})
            for name in union14m_u_subsets
        ]))
