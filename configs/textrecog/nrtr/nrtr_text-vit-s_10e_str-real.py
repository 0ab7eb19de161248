# NRTR (transformer decoder) on an MMS-pretrained TextViT-S, fine-tuned 10
# epochs on the real training splits, evaluated on IIIT5K and SVT.
#   python tools/train.py configs/textrecog/nrtr/nrtr_text-vit-s_10e_str-real.py
# MAE-baseline init:
#   ... --cfg-options \
#       model.backbone.init_cfg.checkpoint=work_dirs/pretrain_mae/backbone.pth
# From scratch:
#   ... --cfg-options model.backbone.init_cfg=None
_base_ = [
    '../_base_/models/nrtr_text-vit.py',
    '../_base_/datasets/str_real.py',
    '../_base_/schedules/schedule_adamw_cos_10e.py',
    '../_base_/default_runtime.py',
]
