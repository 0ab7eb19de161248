"""Plot the training loss of mmengine runs against iteration (OpenMMLab's
``analyze_logs.py plot_curve``, for our work dirs).

    python tools/analysis_tools/plot_loss.py WORK_DIR [WORK_DIR ...]
        [--labels A B ...] [--smooth 4] --out curves.png [--title TEXT]

Each WORK_DIR is a ``tools/train.py`` work dir (its ``<time>/<time>.log``
files are read, oldest first; epoch-based logs are turned into global
iterations). ``--smooth N`` plots the running mean of N logged points.
Work dirs given the same label are drawn as one line (their mean) with a
min..max band. Prints, per run, the last logged iteration and loss.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from mmocr_mms.experiments.mms_vs_mae import plot_loss_curves  # noqa: E402
from mmocr_mms.experiments.reading import loss_curve  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('work_dirs', nargs='+')
    p.add_argument('--labels', nargs='+')
    p.add_argument('--smooth', type=int, default=1,
                   help='running mean over this many logged points')
    p.add_argument('--out', required=True, help='figure path (.png)')
    p.add_argument('--title', default='training loss')
    p.add_argument('--ylabel', default='loss')
    return p.parse_args(argv)


def smoothed(curve: dict, n: int) -> dict:
    """Running mean over the last ``n`` logged points of ``curve``."""
    its = sorted(curve)
    out = {}
    for k, i in enumerate(its):
        window = [curve[j] for j in its[max(0, k - n + 1):k + 1]]
        out[i] = sum(window) / len(window)
    return out


def main(argv=None):
    args = parse_args(argv)
    labels = args.labels or [osp.basename(osp.normpath(d))
                             for d in args.work_dirs]
    if len(labels) != len(args.work_dirs):
        raise SystemExit(f'{len(labels)} labels for '
                         f'{len(args.work_dirs)} work dirs')
    if args.smooth < 1:
        raise SystemExit('--smooth must be >= 1')
    runs = []
    for work_dir, label in zip(args.work_dirs, labels):
        curve = loss_curve(work_dir)
        if not curve:
            print(f'{label}: no logged loss in {work_dir}', file=sys.stderr)
            continue
        last = max(curve)
        print(f'{label}: {len(curve)} points, last iteration {last}, '
              f'loss {curve[last]:.4f}')
        runs.append(dict(arm=label, curve=smoothed(curve, args.smooth)))
    if not plot_loss_curves(runs, args.out, curve_of=lambda r: r['curve'],
                            ylabel=args.ylabel, title=args.title,
                            seed_counts=False):
        raise SystemExit('nothing to plot')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
