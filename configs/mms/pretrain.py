# Entry point kept for the README and existing commands: the MMS pretraining
# recipe, mms_text-vit-s_20e_synth-words.py (OpenMMLab name:
# <algorithm>_<backbone>_<schedule>_<dataset>). `tools/train.py` names the
# work dir after this file: work_dirs/pretrain, where the recognition and
# dense configs look for the pretrained weights by default.
_base_ = ['mms_text-vit-s_20e_synth-words.py']
