"""Train a model from a config (pretraining or fine-tuning).

    python tools/train.py configs/mms/pretrain.py [--work-dir DIR]
        [--resume [CKPT]] [--amp] [--auto-scale-lr] [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG N      # N processes (torchrun)

As MMOCR's tools/train.py, plus: ``--resume`` takes an optional checkpoint
(without one, the latest in the work dir); on a machine without GPUs the
distributed backend is gloo.
"""
import argparse
import os
import os.path as osp

import torch

import mmocr_mms  # noqa: F401  (compat layer + registration, before mmocr)
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmocr_mms.utils.checkpoint import remove_stale_temp_checkpoints


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or from the latest one in the '
        'work dir when no path is given')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: mmengine AmpOptimWrapper on '
                        'a GPU, bfloat16 autocast (BF16OptimWrapper) on the '
                        'CPU')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr to the actual total batch size')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value (xxx=yyy format)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args) -> Config:
    """Config with the command-line switches applied."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        bf16_types = ('BF16OptimWrapper', 'GuardedBF16OptimWrapper')
        amp_types = {'OptimWrapper': 'AmpOptimWrapper',
                     'AmpOptimWrapper': 'AmpOptimWrapper',
                     'GuardedOptimWrapper': 'GuardedAmpOptimWrapper',
                     'GuardedAmpOptimWrapper': 'GuardedAmpOptimWrapper'}
        if wrapper not in amp_types and wrapper not in bf16_types:
            raise ValueError(f'--amp needs OptimWrapper, GuardedOptimWrapper '
                             f'or a BF16OptimWrapper, config has {wrapper}')
        if wrapper in bf16_types or not torch.cuda.is_available():
            # mmengine's AmpOptimWrapper asserts an accelerator; on the CPU
            # (and for configs that already ask for it) --amp means
            # bfloat16 autocast with BF16OptimWrapper, no loss scaling.
            if wrapper not in bf16_types:
                cfg.optim_wrapper.type = (
                    'GuardedBF16OptimWrapper' if wrapper.startswith('Guarded')
                    else 'BF16OptimWrapper')
            for key in ('loss_scale', 'dtype'):
                cfg.optim_wrapper.pop(key, None)
        else:
            cfg.optim_wrapper.type = amp_types[wrapper]
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise RuntimeError('config has no auto_scale_lr.base_batch_size')
        cfg.auto_scale_lr.enable = True
    if args.launcher != 'none' and not torch.cuda.is_available():
        cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
        # DDP of a CPU module takes no device_ids (mmengine passes the
        # local rank unless a wrapper config is given).
        cfg.setdefault('model_wrapper_cfg',
                       dict(type='MMDistributedDataParallel',
                            device_ids=None, broadcast_buffers=False))
    return cfg


def init_cpu_distributed(launcher: str) -> None:
    """mmengine 0.10.7 calls torch.cuda.set_device() in init_dist even for
    gloo; on a machine without GPUs start the process group here (the
    runner then finds it initialised and skips its own)."""
    import torch.distributed as dist
    if launcher == 'pytorch' and not torch.cuda.is_available() \
            and not dist.is_initialized():
        dist.init_process_group(backend='gloo')


def main():
    args = parse_args()
    cfg = build_config(args)
    init_cpu_distributed(args.launcher)
    if cfg.get('resume') and int(os.environ.get('RANK', 0)) == 0 and \
            osp.isdir(cfg.work_dir):
        # a kill during a checkpoint write leaves its hidden temporary file
        for path in remove_stale_temp_checkpoints(cfg.work_dir):
            print(f'removed the unfinished checkpoint write {path}')
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else \
        RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
