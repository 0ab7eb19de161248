"""Evaluate a checkpoint on a config's test set (MMOCR-like).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

Runs mmengine's test loop with the config's ``test_dataloader`` /
``test_evaluator`` (for configs/textrecog/*/*: IIIT5K and SVT word and char
metrics) and prints the metrics; with ``--work-dir`` the log and the
metrics JSON go there (default: work_dirs/<config name>).
For any list of benchmark folders use tools/eval_benchmarks.py.
"""
import argparse
import os
import os.path as osp

import torch

import mmocr_mms  # noqa: F401  (compat layer + registration, before mmocr)
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner


def parse_args() -> argparse.Namespace:
    """Command-line arguments (see the module docstring)."""
    parser = argparse.ArgumentParser(description='Test a recognizer')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save logs and metrics')
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


def build_test_config(args: argparse.Namespace) -> Config:
    """Config with the command-line switches applied (test only: no
    pretraining checkpoint is loaded, the weights come from CHECKPOINT)."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.launcher != 'none' and not torch.cuda.is_available():
        # as tools/train.py: gloo on machines without GPUs
        cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    return cfg


def main() -> None:
    """Build the runner and run the test loop."""
    args = parse_args()
    cfg = build_test_config(args)
    if args.launcher == 'pytorch' and not torch.cuda.is_available():
        import torch.distributed as dist
        if not dist.is_initialized():
            # mmengine's init_dist calls torch.cuda.set_device even for gloo
            dist.init_process_group(backend='gloo')
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else \
        RUNNERS.build(cfg)
    runner.test()


if __name__ == '__main__':
    main()
