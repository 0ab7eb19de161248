# Entry point kept for the README and existing commands: the demo
# pretraining of `make demo`, mms_text-vit-demo_4e_synth-words.py.
_base_ = ['mms_text-vit-demo_4e_synth-words.py']
