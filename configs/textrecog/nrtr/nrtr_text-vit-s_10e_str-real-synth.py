# nrtr_text-vit-s_10e_str-real.py with 20k rendered labelled words
# (SynthWordDataset) mixed into the real training splits.
_base_ = [
    '../_base_/models/nrtr_text-vit.py',
    '../_base_/datasets/str_real_synth_mix.py',
    '../_base_/schedules/schedule_adamw_cos_10e.py',
    '../_base_/default_runtime.py',
]
