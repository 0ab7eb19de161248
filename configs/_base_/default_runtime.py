# Runtime shared by every mmocr_mms config.
default_scope = 'mmocr'
# Importing mmocr_mms registers our modules, makes MMOCR importable with
# mmcv-lite and lets mmengine load runner checkpoints under torch >= 2.6.
custom_imports = dict(imports=['mmocr_mms'], allow_failed_imports=False)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo when no GPU is present
    dist_cfg=dict(backend='nccl'),
)
# A fixed seed: masks are keyed by (seed, epoch, sample index), so a run is
# reproducible whatever the number of workers.
randomness = dict(seed=0)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
log_level = 'INFO'
log_processor = dict(type='LogProcessor', window_size=10, by_epoch=True)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='Visualizer', name='visualizer', vis_backends=vis_backends)

load_from = None
resume = False
