"""Benchmarks against the anchors, in one process, printed as a table.

    python tools/benchmark.py                      # all sections, CPU, fp32
    python tools/benchmark.py --sections step flops --batch 32 --threads 2
    python tools/benchmark.py --device cuda --dtype bf16 --batch 256 1024

Sections:
  step      MMS vs mmpretrain MAE pretraining step (fwd + bwd + AdamW) at
            equal work, alternated --rounds times, median ratio
  flops     analytic FLOPs per image and the fraction of the n^3 matmul
            rate measured in the same run (model-FLOPs utilisation)
  memory    peak training-step memory of MMS and MAE (fresh processes)
  varcount  cost of variable visible counts (mixed MMS batch, bucketed and
            padded) against a fixed-count batch
  masks     each mask transform vs BEiTMaskGenerator (one pinned core)
  pipeline  LMDB read -> decode -> resize -> mask -> pack, one worker
  infer     recognizer inference, TextViT recognizer vs a stock one
  loop      fine-tuning loop (DataLoader + step) vs the step alone, for
            --loop-config (default: the CPU reading recipe), batch
            --loop-batch, --loop-workers DataLoader workers
  augs      microseconds per image of each transform of each training
            source of --loop-config
Writes all figures as JSON with --json.
"""
import argparse
import json
import os
import platform
import time

import torch

PRESETS = {
    'tiny': dict(embed_dims=192, num_layers=12, num_heads=3),
    'small': dict(embed_dims=384, num_layers=12, num_heads=6),
    'base': dict(embed_dims=768, num_layers=12, num_heads=12),
}
DTYPES = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}


def parse_args():
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n', 2)[2])
    p.add_argument('--sections', nargs='+',
                   default=['step', 'flops', 'memory', 'varcount', 'masks',
                            'pipeline', 'infer'],
                   help="also: 'profile' (where an MMS step's time goes), "
                   "'loop' / 'augs' (input pipeline of --loop-config), "
                   "'precision' (--loop-config's step, float32 vs "
                   "bfloat16 autocast)")
    p.add_argument('--model-size', choices=sorted(PRESETS), default='small')
    p.add_argument('--decoder', type=int, nargs=3, default=(512, 8, 16),
                   metavar=('DIMS', 'LAYERS', 'HEADS'))
    p.add_argument('--batch', type=int, nargs='+', default=[32])
    p.add_argument('--mask-ratio', type=float, default=0.75)
    p.add_argument('--dtype', choices=sorted(DTYPES), default='fp32')
    p.add_argument('--threads', type=int, default=None,
                   help='torch threads (default: torch default)')
    p.add_argument('--compile', action='store_true',
                   help='torch.compile our encoder and decoder (MMS(compile=True))')
    p.add_argument('--device', default='cpu')
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--rec-config', default=None,
                   help='TextViT recognizer config for the infer section')
    p.add_argument('--stock-config',
                   default='mmocr::textrecog/satrn/'
                   'satrn_shallow-small_5e_st_mj.py',
                   help='stock MMOCR recognizer for the infer section')
    p.add_argument('--infer-batch', type=int, nargs='+', default=[1, 64])
    p.add_argument('--loop-config', default='configs/textrecog/svtr/'
                   'svtr_text-vit-mini-p8_20k-iters_str-real-synth.py')
    p.add_argument('--loop-batch', type=int, default=None,
                   help='batch size of the loop section (default: config)')
    p.add_argument('--loop-workers', type=int, default=None,
                   help='DataLoader workers of the loop section')
    p.add_argument('--loop-iters', type=int, default=20)
    p.add_argument('--json', help='write the results to this file')
    return p.parse_args()


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import logging
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    from mmocr_mms.benchmarks import train_step
    enc = PRESETS[args.model_size]
    dec = dict(zip(('embed_dims', 'num_layers', 'num_heads'), args.decoder))
    dtype = DTYPES[args.dtype]
    out = dict(machine=dict(
        processor=platform.processor() or platform.machine(),
        cpus=os.cpu_count(), torch=torch.__version__,
        threads=torch.get_num_threads(), device=args.device,
        gpu=torch.cuda.get_device_name() if args.device.startswith('cuda')
        else None,
        date=time.strftime('%Y-%m-%d')), args=vars(args))
    print(f"machine: {out['machine']}")
    if {'step', 'flops'} & set(args.sections):
        mm_dtype = dtype or torch.float32
        rate = train_step.matmul_rate(
            8192 if args.device.startswith('cuda') else 2048, mm_dtype,
            args.device)
        out['matmul_tflops'] = rate / 1e12
        print(f'matmul rate ({args.dtype}): {rate / 1e9:.1f} GFLOP/s')
        out['step'] = []
        print(f'{"batch":>6} {"MMS img/s":>10} {"MAE img/s":>10} '
              f'{"ratio":>6} {"GFLOP/img":>10} {"MFU":>6}')
        for batch in args.batch:
            r = train_step.compare_step_throughput(
                enc, dec, batch, args.mask_ratio, args.rounds, args.steps,
                args.device, dtype, args.compile)
            r['batch'] = batch
            r['mfu'] = r['mms_img_s'] * r['train_flops_per_img'] / rate
            out['step'].append(r)
            print(f'{batch:6d} {r["mms_img_s"]:10.2f} {r["mae_img_s"]:10.2f}'
                  f' {r["ratio"]:6.2f} {r["train_flops_per_img"] / 1e9:10.1f}'
                  f' {r["mfu"]:6.1%}')
    if 'memory' in args.sections:
        out['memory_mib'] = {}
        for batch in args.batch:
            mem = {k: train_step.peak_step_memory(k, enc, dec, batch,
                                                  args.mask_ratio,
                                                  args.device, dtype)
                   for k in ('mms', 'mae')}
            out['memory_mib'][batch] = mem
            print(f'peak step memory, batch {batch}: MMS {mem["mms"]:.0f} '
                  f'MiB, MAE {mem["mae"]:.0f} MiB')
    if 'varcount' in args.sections:
        r = train_step.variable_count_cost(enc, dec, args.batch[0],
                                           args.rounds, 2, args.device)
        out['varcount'] = r
        print('variable visible counts (s/step): ' + ', '.join(
            f'{k} {v:.2f}' for k, v in r['sec_per_step'].items()) +
            f'; bucket/fixed {r["bucket_over_fixed"]:.2f}, '
            f'pad/fixed {r["pad_over_fixed"]:.2f}')
    if 'masks' in args.sections:
        from mmocr_mms.benchmarks.masks import run_mask_benchmark
        rows = run_mask_benchmark(20000, 3, pin_core=False)
        out['masks'] = rows
        for r in rows:
            print(f'  {r["name"]:40s} {r["us_per_sample"]:8.1f} us '
                  f'{r["beit_ratio"]:6.1f}x')
    if 'pipeline' in args.sections:
        from mmocr_mms.benchmarks.pipeline import pipeline_throughput
        r = pipeline_throughput()
        out['pipeline'] = r
        print(f'pipeline, one worker: {r["img_per_s"]:.0f} img/s '
              f'(read+decode {r["read_decode_us"]:.0f} us/img)')
    if 'infer' in args.sections:
        from mmocr_mms.benchmarks.inference import recognizer_throughput
        out['infer'] = []
        configs = [('stock', args.stock_config)]
        if args.rec_config:
            configs.insert(0, ('TextViT', args.rec_config))
        for name, cfg in configs:
            for b in args.infer_batch:
                r = recognizer_throughput(cfg, b, device=args.device)
                r.update(name=name, config=cfg, batch=b)
                out['infer'].append(r)
                print(f'  infer {name:8s} batch {b:3d}: '
                      f'{r["img_per_s"]:8.1f} img/s '
                      f'({r["params_m"]:.1f}M params)')
    if {'loop', 'augs', 'precision'} & set(args.sections):
        from mmocr_mms.benchmarks.finetune_loop import (finetune_loop,
                                                        step_precision,
                                                        transform_costs)
        opts = {'model.backbone.init_cfg': None}
        if args.loop_batch:
            opts['train_dataloader.batch_size'] = args.loop_batch
        if args.loop_workers is not None:
            opts['train_dataloader.num_workers'] = args.loop_workers
            opts['train_dataloader.persistent_workers'] = \
                args.loop_workers > 0
    if 'augs' in args.sections:
        rows = transform_costs(args.loop_config, cfg_options=opts)
        out['augs'] = rows
        print(f'training transforms of {args.loop_config}:')
        for r in rows:
            print(f'  {r["source"]:20s} {r["transform"]:36s} '
                  f'{r["us_per_img"]:9.1f} us/img')
    if 'loop' in args.sections:
        r = finetune_loop(args.loop_config, iters=args.loop_iters,
                          device=args.device, amp=dtype is not None,
                          cfg_options=opts)
        out['loop'] = r
        print(f'fine-tuning loop, batch {r["batch_size"]}, '
              f'{r["num_workers"]} workers: step alone '
              f'{r["step_img_per_s"]:.1f} img/s, loop '
              f'{r["loop_img_per_s"]:.1f} img/s = '
              f'{r["loop_over_step"]:.1%} of the step; waiting for data '
              f'{r["data_wait_fraction"]:.1%} of the loop')
    if 'precision' in args.sections:
        r = step_precision(args.loop_config, iters=args.loop_iters,
                           rounds=args.rounds, device=args.device,
                           cfg_options=opts)
        out['precision'] = r
        print(f'training step of {args.loop_config}, batch '
              f'{r["batch_size"]}: float32 {r["fp32_img_per_s"]:.1f} img/s, '
              f'bfloat16 autocast {r["bf16_img_per_s"]:.1f} img/s = '
              f'{r["bf16_over_fp32"]:.2f}x (median of {r["rounds"]} '
              'alternated rounds)')
    if 'profile' in args.sections:
        r = train_step.profile_step(enc, dec, args.batch[-1],
                                    args.mask_ratio, 3, args.device, dtype)
        out['profile'] = r
        print(f'profile, batch {args.batch[-1]}: {r["total_ms"]:.1f} ms of '
              'operator/kernel time per step; ' + ', '.join(
                  f'{k} {v:.1%}' for k, v in r['components'].items()))
        for name, ms, share in r['top']:
            print(f'  {ms:9.2f} ms {share:6.1%}  {name}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=2, default=str)
        print(f'wrote {args.json}')


if __name__ == '__main__':
    main()
