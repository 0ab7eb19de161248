# MMS pretraining recipe (paper-sized): TextViT-small on 32 x 128 crops,
# multi-masking (random 0.75 / blockwise 0.5 / span 0.4, 1/3 each), decoder
# 512-d x 8, AdamW lr 1.5e-4 x 1024/256, wd 0.05, cosine with 1-epoch
# warmup, 20 epochs, total batch 1024 (8 GPUs x 128).
# Data: synthetic words by default (runs anywhere); for Union14M-U use
# mms_text-vit-s_20e_union14m-u.py, for a folder of crops
# mms_text-vit-s_20e_image-folder.py. Alias: pretrain.py.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/mms_text-vit-s.py',
    '../_base_/datasets/synth_words_unlabeled.py',
    '../_base_/schedules/schedule_adamw_cos_20e.py',
]

train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    # workers must restart each epoch to see the new mask epoch
    persistent_workers=False,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset={{_base_.pretrain_dataset}})

custom_hooks = [
    dict(type='MaskEpochHook'),
    # original | masked | reconstruction grid every 2000 iterations, to the
    # visualizer backends (work_dir/vis_data; TensorBoard if configured)
    dict(type='ReconstructionVisHook', interval=2000, num_samples=6),
]
