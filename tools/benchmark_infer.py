"""CPU latency and word accuracy of our recognizer (PyTorch and
onnxruntime) against the PP-OCR recognizer of the ``rapidocr`` wheel, on
the same crops, one table (+ JSON, + speed/accuracy plot).

    python tools/benchmark_infer.py CONFIG CHECKPOINT \
        [--onnx FILE] [--benchmarks DIR ...] [--names IIIT5K SVT] \
        [--batch 1 32] [--threads 1 2] [--num-batches 8] \
        [--max-crops 0] [--no-peer] [--no-ours] [--json F] [--plot F.png]
    python tools/benchmark_infer.py CONFIG --random-weights ...  # our speed only

Benchmarks default to IIIT5K and SVT test of ../shared/data/str_real
(``labels.tsv`` folders; $MMOCR_MMS_STR_REAL overrides the root).
Accuracy: protocol normalisation re.sub('[^0-9a-z]', '', s.lower()), empty
labels skipped; measured once per recognizer with the largest thread count,
at batch --acc-batch-ours (default 32: our fixed-size input makes the
output independent of the batch) and --acc-batch-peer (default 1, one crop
per call: PP-OCR pads a batch to its widest crop, so its output can depend
on the batch). --include-json adds the rows of earlier runs (e.g. the
peer's, measured once) to the table and the plot. Latency: median over --num-batches batches of decoded crops, each
recognizer's own preprocessing + network + decoding included; wall time
and process CPU time (the latter is the 1-thread latency on an idle core,
and robust to other processes competing for the CPU).
For a CTC config the ONNX model is exported to a temporary file unless
--onnx is given (attention decoders: PyTorch only).
Logic: :mod:`mmocr_mms.benchmarks.peer`.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import sys
import tempfile
import time
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = os.environ.get('MMOCR_MMS_STR_REAL',
                      osp.join(ROOT, '..', 'shared', 'data', 'str_real'))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments (see the module docstring)."""
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config', nargs='?', help='our recognizer config')
    p.add_argument('checkpoint', nargs='?', help='its checkpoint')
    p.add_argument('--random-weights', action='store_true',
                   help='no checkpoint: random weights (our latency only, '
                   'no accuracy)')
    p.add_argument('--label', help='our row name (default: config name)')
    p.add_argument('--onnx', help='our exported ONNX model')
    p.add_argument('--benchmarks', nargs='+', default=[
        osp.join(DATA, 'iiit5k_test'), osp.join(DATA, 'svt_test')])
    p.add_argument('--names', nargs='+', default=['IIIT5K', 'SVT'])
    p.add_argument('--batch', type=int, nargs='+', default=[1, 32])
    p.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    p.add_argument('--num-batches', type=int, default=8,
                   help='timed batches per setting (median)')
    p.add_argument('--max-crops', type=int, default=0,
                   help='first N crops of each benchmark (0: all)')
    p.add_argument('--no-peer', action='store_true')
    p.add_argument('--no-ours', action='store_true')
    p.add_argument('--no-accuracy', action='store_true')
    p.add_argument('--acc-batch-ours', type=int, default=32)
    p.add_argument('--acc-batch-peer', type=int, default=1)
    p.add_argument('--include-json', nargs='+', default=[],
                   help='JSON files of earlier runs whose rows are added')
    p.add_argument('--json')
    p.add_argument('--plot')
    args = p.parse_args(argv)
    if len(args.names) != len(args.benchmarks):
        p.error('--names needs one name per benchmark')
    if not args.no_ours:
        if not args.config:
            p.error('CONFIG is required unless --no-ours')
        if not args.checkpoint and not args.random_weights:
            p.error('give CHECKPOINT or --random-weights')
    if min(args.batch) < 1 or min(args.threads) < 1:
        p.error('--batch and --threads must be >= 1')
    return args


def _readers(args, threads, tmpdir):
    """(name, backend, params in M, factory(threads) -> reader, with
    accuracy)."""
    out = []
    if not args.no_ours:
        import torch

        from mmocr_mms.apis import TorchCropReader
        label = args.label or osp.splitext(osp.basename(args.config))[0]
        if args.random_weights:
            label += ' [random weights]'
        ckpt = None if args.random_weights else args.checkpoint
        opts = {'model.backbone.init_cfg': None} if ckpt is None else None
        torch_reader = TorchCropReader(args.config, ckpt, cfg_options=opts)
        params = sum(p.numel() for p in
                     torch_reader.model.parameters()) / 1e6

        def torch_factory(t, r=torch_reader):
            torch.set_num_threads(t)
            return r
        acc = None if args.random_weights else args.acc_batch_ours
        out.append((f'{label} (PyTorch)', 'pytorch', params, torch_factory,
                    acc))
        post = type(torch_reader.model.decoder.postprocessor).__name__
        onnx_file = args.onnx
        if onnx_file is None and post == 'CTCPostProcessor':
            from mmocr_mms.deployment import export_ctc_onnx
            onnx_file = osp.join(tmpdir, 'ours.onnx')
            export_ctc_onnx(args.config, ckpt, onnx_file, cfg_options=opts)
        if onnx_file:
            from mmocr_mms.deployment import ONNXCTCRecognizer

            def ort_factory(t, f=onnx_file):
                return ONNXCTCRecognizer(f, args.config, num_threads=t,
                                         cfg_options=opts)
            out.append((f'{label} (onnxruntime)', 'onnxruntime', params,
                        ort_factory, acc))
    if not args.no_peer:
        from mmocr_mms.benchmarks.peer import RapidOCRRecReader
        probe = RapidOCRRecReader(1)
        params = None
        try:
            import onnx
            from onnx import numpy_helper
            m = onnx.load(probe.model_path)
            params = sum(numpy_helper.to_array(i).size
                         for i in m.graph.initializer) / 1e6
        except Exception:  # noqa: BLE001 - size is informative only
            pass
        out.append((probe.name, 'onnxruntime', params,
                    lambda t: RapidOCRRecReader(t), args.acc_batch_peer))
    return out


def main(argv: Optional[List[str]] = None) -> List[dict]:
    """Run the benchmark, print the table, write JSON / plot."""
    args = parse_args(argv)
    import mmocr_mms  # noqa: F401
    from mmocr_mms.benchmarks.peer import (load_benchmark,
                                           measure_latency,
                                           plot_speed_accuracy,
                                           word_accuracy)
    start = time.time()
    benches = []
    for name, folder in zip(args.names, args.benchmarks):
        crops, labels, skipped = load_benchmark(folder, args.max_crops)
        benches.append((name, crops, labels, skipped))
        print(f'{name}: {len(crops)} crops ({skipped} empty labels '
              f'skipped) from {folder}', file=sys.stderr)
    all_crops = [c for _, crops, _, _ in benches for c in crops]
    rows = []
    with tempfile.TemporaryDirectory() as tmpdir:
        for name, backend, params, factory, acc_batch in _readers(
                args, args.threads, tmpdir):
            acc = {}
            if acc_batch and not args.no_accuracy:
                reader = factory(max(args.threads))
                for bname, crops, labels, _ in benches:
                    preds = [t for t, _ in reader.readtext(crops, acc_batch)]
                    acc[bname] = word_accuracy(preds, labels)
                print(f'  {name} accuracy (batch {acc_batch}): {acc}',
                      file=sys.stderr)
            for t in args.threads:
                reader = factory(t)
                for b in args.batch:
                    lat = measure_latency(reader, all_crops, b,
                                          args.num_batches)
                    rows.append(dict(recognizer=name, backend=backend,
                                     params_m=params, threads=t, batch=b,
                                     accuracy=acc, accuracy_batch=acc_batch
                                     if acc else None, **lat))
                    print(f'  {name} threads={t} batch={b}: '
                          f'{lat["ms_per_crop"]:.2f} ms/crop (CPU '
                          f'{lat["cpu_ms_per_crop"]:.2f})', file=sys.stderr)
    for path in args.include_json:
        with open(path) as f:
            old = json.load(f)
        for r in old['rows']:
            rows.append(dict(r, recognizer=f'{r["recognizer"]} '
                             f'[{old.get("date", "earlier run")}]'))
    bnames = [n for n, _, _, _ in benches]
    head = (f'{"recognizer":<48} {"backend":<11} {"params":>7} '
            f'{"thr":>3} {"batch":>5} {"ms/crop":>8} {"crops/s":>8} '
            f'{"CPU ms/crop":>11} ' +
            ' '.join(f'{n:>7}' for n in bnames))
    print(head)
    print('-' * len(head))
    for r in rows:
        pm = f'{r["params_m"]:.1f}M' if r['params_m'] else '?'
        accs = ' '.join(
            f'{100 * r["accuracy"][n]:>6.1f}%' if n in r['accuracy']
            else f'{"-":>7}' for n in bnames)
        print(f'{r["recognizer"]:<48} {r["backend"]:<11} {pm:>7} '
              f'{r["threads"]:>3} {r["batch"]:>5} {r["ms_per_crop"]:>8.2f} '
              f'{r["crops_per_s"]:>8.1f} {r["cpu_ms_per_crop"]:>11.2f} '
              f'{accs}')
    import onnxruntime
    import torch
    machine = (f'{platform.node()} {platform.processor() or platform.machine()}'
               f', {os.cpu_count()} logical CPUs, torch {torch.__version__}, '
               f'onnxruntime {onnxruntime.__version__}')
    date = datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%d %H:%M UTC')
    load = ' '.join(f'{x:.1f}' for x in os.getloadavg())
    print(f'({machine}; {date}; load average at the end {load}; '
          f'{time.time() - start:.0f} s; accuracy: protocol normalisation, '
          'empty labels skipped)')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(rows=rows, machine=machine, date=date,
                           load_average=os.getloadavg(),
                           argv=sys.argv if argv is None else argv,
                           benchmarks={n: dict(n=len(c), skipped_empty=s)
                                       for n, c, _, s in benches}),
                      f, indent=2)
    if args.plot:
        plot_speed_accuracy(rows, args.plot, title=f'{machine.split(",")[0]}'
                            f', {date}')
        print(f'wrote {args.plot}')
    return rows


if __name__ == '__main__':
    main()
