# Unlabeled synthetic word crops rendered on the fly: runs anywhere, no
# download. Real data: configs/mms/mms_text-vit-s_20e_union14m-u.py (LMDBs)
# and configs/mms/mms_text-vit-s_20e_image-folder.py.
_base_ = ['mms_pipeline.py']
pretrain_dataset = dict(
    type='SynthWordDataset', num_samples=1000000, seed=0, labelled=False,
    pipeline={{_base_.pretrain_pipeline}})
