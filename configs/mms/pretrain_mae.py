# Entry point kept for the README and existing commands: the MAE baseline,
# mae_text-vit-s_20e_synth-words.py (work dir: work_dirs/pretrain_mae).
_base_ = ['mae_text-vit-s_20e_synth-words.py']
