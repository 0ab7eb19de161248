# str_real.py plus rendered labelled words (SynthWordDataset, no download)
# in the training set: real splits first, then `synth_num_samples` words.
# Override the real root with
#   --cfg-options train_dataloader.dataset.datasets.0.data_root=DIR
_base_ = ['str_real.py']

synth_num_samples = 20000
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        verify_meta=False,
        datasets=[
            _base_.str_real_train,
            dict(
                type='SynthWordDataset',
                num_samples=synth_num_samples,
                seed=1,
                labelled=True,
                # rendered words arrive decoded: no LoadImageFromFile
                pipeline=_base_.vit_train_pipeline[1:])
        ]))
