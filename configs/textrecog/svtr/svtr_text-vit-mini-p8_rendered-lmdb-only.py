# Renderer comparison (README "Renderer: ours vs SynthTIGER"): the CPU
# recipe's recognizer (TextViT-mini, 8x8 patches, CTC) trained on ONE
# pre-rendered LMDB only (no real crops), so that two corpora of equal size
# from two engines can be compared. Pass the corpus, the budget and no
# pretraining on the command line, e.g.
#   tools/train.py THIS --cfg-options model.backbone.init_cfg=None \
#       train_dataloader.dataset.data_root=work_dirs/w13cmp/ours_2500 \
#       train_cfg.max_iters=600 ...
# (a top-level `rendered_lmdb=...` override would be ignored: mmengine
# substitutes variables before --cfg-options are applied.)
_base_ = ['./svtr_text-vit-mini-p8_20k-iters_str-real-synth.py']

rendered_lmdb = 'data/rendered_words'
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='LabelledLMDBDataset',
        data_root=rendered_lmdb,
        pipeline=_base_.synth_train_pipeline))
