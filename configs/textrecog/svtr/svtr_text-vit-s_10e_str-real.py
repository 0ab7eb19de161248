# CTC (SVTR's linear CTC head over row-pooled ViT columns) on an
# MMS-pretrained TextViT-S, fine-tuned 10 epochs on the real training
# splits, evaluated on IIIT5K and SVT. Init switch as in
# nrtr_text-vit-s_10e_str-real.py.
_base_ = [
    '../_base_/models/svtr_text-vit.py',
    '../_base_/datasets/str_real.py',
    '../_base_/schedules/schedule_adamw_cos_10e.py',
    '../_base_/default_runtime.py',
]

# The CTC dictionary holds 36 lowercase alphanumerics: train on the
# protocol text (symbols would otherwise become <UKN> targets).
train_dataloader = dict(
    dataset=dict(dataset=dict(label_rule=dict(text_mode='normalized'))))
