"""Mean CTC loss of a CTC recognizer on benchmark folders (labels under the
protocol's evaluation rule), for comparisons where word accuracy and char
recall are still 0 (a model that predicts blanks only).

    python tools/experiments/test_ctc_loss.py CONFIG CKPT \
        --benchmarks ../shared/data/str_real/iiit5k_test ... [--json OUT]

Prints one line per benchmark: samples and the per-sample mean of the
model's own training loss (``loss_ctc``).
"""
import argparse
import json

import mmocr_mms  # noqa: F401  (compat layer + registration, before mmocr)
import torch
from mmengine.dataset import pseudo_collate
from mmocr.registry import DATASETS

from mmocr_mms.evaluation.recog_benchmarks import (EVAL_LABEL_RULE,
                                                   benchmark_dataset_cfg,
                                                   dataset_cfg_of,
                                                   load_recognizer)


@torch.no_grad()
def mean_loss(model, ds, batch_size=64):
    total, n = 0.0, 0
    for lo in range(0, len(ds), batch_size):
        batch = pseudo_collate([ds[i] for i in
                                range(lo, min(len(ds), lo + batch_size))])
        data = model.data_preprocessor(batch, False)
        # In eval mode (no dropout / drop-path) the decoder does not add
        # the CTC targets itself.
        samples = model.decoder.module_loss.get_targets(data['data_samples'])
        losses = model.loss(data['inputs'], samples)
        k = len(data['data_samples'])
        total += float(losses['loss_ctc']) * k
        n += k
    return total / max(n, 1), n


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--benchmarks', nargs='+', required=True)
    p.add_argument('--json', default=None)
    args = p.parse_args()
    torch.manual_seed(0)
    model, cfg = load_recognizer(args.config, args.checkpoint)
    pipeline = dataset_cfg_of(cfg, 'test')['pipeline']
    out = {}
    for path in args.benchmarks:
        ds = DATASETS.build(benchmark_dataset_cfg(path, pipeline,
                                                  dict(EVAL_LABEL_RULE)))
        loss, n = mean_loss(model, ds)
        out[path] = dict(loss_ctc=loss, num_samples=n)
        print(f'{path}: n={n} mean loss_ctc={loss:.4f}', flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=1)


if __name__ == '__main__':
    main()
