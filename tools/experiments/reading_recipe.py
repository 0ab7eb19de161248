"""A recognizer that reads, end to end: MMS pretraining -> backbone
extraction -> CTC fine-tuning -> IIIT5K / SVT evaluation.

    python tools/experiments/reading_recipe.py [--work-dir work_dirs/reading_cpu]
        [--init mms|scratch] [--pretrain-epochs 3] [--finetune-iters 3200]
        [--seed 0] [--benchmarks DIR ...]

(`make reading-cpu` runs it with the defaults.) Stages run as separate
`tools/train.py` / `tools/eval_benchmarks.py` processes, so each one is
exactly what a user would type; their logs are in the work dir. At the end
it prints the result table, the wall time of every stage, and the config
and checkpoint it produced, ready for
`python tools/eval_benchmarks.py CONFIG CHECKPOINT --benchmarks ...`.
A `summary.json` in the work dir holds all of it.

`--init scratch` skips pretraining (the same fine-tuning from random
weights), for the MMS-vs-scratch comparison.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRETRAIN_CONFIG = 'configs/mms/mms_text-vit-mini-p8_3e_str-real-synth.py'
FINETUNE_CONFIG = ('configs/textrecog/svtr/'
                   'svtr_text-vit-mini-p8_20k-iters_str-real-synth.py')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/reading_cpu')
    p.add_argument('--init', choices=('mms', 'scratch'), default='mms')
    p.add_argument('--pretrain-config', default=PRETRAIN_CONFIG)
    p.add_argument('--finetune-config', default=FINETUNE_CONFIG)
    p.add_argument('--pretrain-epochs', type=int, default=3)
    p.add_argument('--pretrain-synth', type=int, default=20000,
                   help='rendered words added to the real crops')
    p.add_argument('--finetune-iters', type=int, default=3200)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--str-real', default=os.environ.get(
        'MMOCR_MMS_STR_REAL', osp.join(REPO, '..', 'shared', 'data',
                                       'str_real')),
        help='folder with the real splits (default: $MMOCR_MMS_STR_REAL or '
        '../shared/data/str_real)')
    p.add_argument('--benchmarks', nargs='+', default=None,
                   help='benchmark folders (default: STR_REAL/iiit5k_test '
                   'and STR_REAL/svt_test)')
    return p.parse_args(argv)


def run(cmd, log_path):
    """Run ``cmd`` from the repository root, tee-free: output to a log file;
    raise with the log's tail when it fails."""
    print('$ ' + ' '.join(cmd), flush=True)
    t0 = time.perf_counter()
    with open(log_path, 'w') as log:
        proc = subprocess.run(cmd, cwd=REPO, stdout=log,
                              stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-4000:]
        raise SystemExit(f'stage failed (exit {proc.returncode}); end of '
                         f'{log_path}:\n{tail}')
    print(f'  done in {seconds / 60:.1f} min (log: {log_path})', flush=True)
    return seconds


def main(argv=None):
    args = parse_args(argv)
    wd = osp.abspath(args.work_dir)
    os.makedirs(wd, exist_ok=True)
    str_real = osp.abspath(args.str_real)
    if not osp.isdir(str_real):
        raise SystemExit(f'real crops not found at {str_real}: pass '
                         '--str-real or set MMOCR_MMS_STR_REAL')
    env_root = f'MMOCR_MMS_STR_REAL={str_real}'
    os.environ['MMOCR_MMS_STR_REAL'] = str_real
    py = sys.executable
    times = {}
    t_start = time.perf_counter()

    backbone = None
    if args.init == 'mms':
        pre_dir = osp.join(wd, 'pretrain')
        times['pretrain'] = run([
            py, 'tools/train.py', args.pretrain_config, '--work-dir', pre_dir,
            '--cfg-options', f'randomness.seed={args.seed}',
            f'train_cfg.max_epochs={args.pretrain_epochs}',
            f'train_dataloader.dataset.datasets.3.num_samples='
            f'{args.pretrain_synth}',
            f'param_scheduler.1.T_max={args.pretrain_epochs}',
            f'param_scheduler.1.end={args.pretrain_epochs}',
            f'default_hooks.checkpoint.interval={args.pretrain_epochs}'
        ], osp.join(wd, 'pretrain.log'))
        backbone = osp.join(pre_dir, 'backbone.pth')
        times['convert'] = run([
            py, 'tools/model_converters/mms_to_backbone.py',
            osp.join(pre_dir, f'epoch_{args.pretrain_epochs}.pth'), backbone
        ], osp.join(wd, 'convert.log'))

    ft_dir = osp.join(wd, 'finetune')
    iters = args.finetune_iters
    init = (f'model.backbone.init_cfg.checkpoint={backbone}'
            if backbone else 'model.backbone.init_cfg=None')
    warmup = min(300, max(1, iters // 10))
    times['finetune'] = run([
        py, 'tools/train.py', args.finetune_config, '--work-dir', ft_dir,
        '--cfg-options', init, f'randomness.seed={args.seed}',
        f'train_dataloader.batch_size={args.batch_size}',
        f'train_dataloader.sampler.seed={args.seed}',
        f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={iters + 1}',
        f'param_scheduler.0.end={warmup}',
        f'param_scheduler.1.begin={warmup}',
        f'param_scheduler.1.T_max={iters - warmup}',
        f'param_scheduler.1.end={iters}',
        f'default_hooks.checkpoint.interval={iters}'
    ], osp.join(wd, 'finetune.log'))
    checkpoint = osp.join(ft_dir, f'iter_{iters}.pth')
    config = osp.join(ft_dir, osp.basename(args.finetune_config))

    benchmarks = args.benchmarks or [osp.join(str_real, 'iiit5k_test'),
                                     osp.join(str_real, 'svt_test')]
    names = [osp.basename(b.rstrip('/')).split('_')[0].upper()
             for b in benchmarks]
    result_json = osp.join(wd, 'results.json')
    times['evaluate'] = run([
        py, 'tools/eval_benchmarks.py', config, checkpoint, '--benchmarks',
        *benchmarks, '--names', *names, '--json', result_json,
        '--num-workers', '1'
    ], osp.join(wd, 'evaluate.log'))
    times['total'] = time.perf_counter() - t_start

    with open(result_json) as f:
        results = json.load(f)
    with open(osp.join(wd, 'evaluate.log')) as f:
        table = f.read()
    summary = dict(args=vars(args), seconds=times, config=config,
                   checkpoint=checkpoint, backbone=backbone, results=results)
    with open(osp.join(wd, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(table.strip().split('\n\n')[-1] if table.strip() else '')
    print('wall time: ' + ', '.join(f'{k} {v / 60:.1f} min'
                                    for k, v in times.items()))
    print(f'config:     {config}')
    print(f'checkpoint: {checkpoint}')
    print(f'evaluate elsewhere: {env_root} python tools/eval_benchmarks.py '
          f'{config} {checkpoint} --benchmarks DIR [DIR ...]')


if __name__ == '__main__':
    main()
