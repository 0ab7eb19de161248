# Runtime of the recognition fine-tuning configs: the package runtime
# (default_scope='mmocr', custom_imports=['mmocr_mms'], fixed seed) plus
# per-epoch checkpoints (only the latest kept) and a shorter log interval.
_base_ = ['../../_base_/default_runtime.py']

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
