"""Protocol v2: MMS vs MAE vs scratch by word accuracy after fine-tuning,
at equal budgets, with seeds (issue 14).

    python tools/experiments/reading_protocol.py [--scale v2|recipe] \
        [--arms mms mae scratch blockwise span] [--seeds 0 1 2] \
        [--extra-arm-seeds 0] [--jobs 2] [--pretrain-epochs 1] \
        [--pretrain-synth 10000] [--finetune-iters 1700] [--batch-size 64] \
        [--out work_dirs/reading_protocol] [--write-docs [docs/results.md]] \
        [--docs-prefix reading-v2]

``--scale`` picks a preset of the arms, seeds, budgets, output folder and
docs regions (:data:`SCALES`; the defaults shown above are ``v2``'s);
options given on the command line override it. ``--scale recipe``
(`make reading-protocol-recipe`) compares mms, mae and scratch with 3
seeds at the reading recipe's pretraining (3 epochs) and 4,000 fine-tuning
iterations, where the recognizers read (~3 h 45 min on the 2-core CPU;
``--plan`` shows what is left of an interrupted call).

Per arm and seed, the stages of the reading recipe
(``tools/experiments/reading_recipe.py``; stages in
:mod:`mmocr_mms.experiments.reading`) with the same budget for every arm:

* pretraining (not for ``scratch``): ``--pretrain-epochs`` over the real
  training crops (labels dropped) + ``--pretrain-synth`` rendered words,
  batch 128 as in the config; ``mms`` with
  ``configs/mms/mms_text-vit-mini-p8_3e_str-real-synth.py``, ``mae`` with
  ``configs/mms/mae_text-vit-mini-p8_3e_str-real-synth.py`` (random 0.75,
  nothing else differs), ``blockwise`` / ``span`` with that MultiMasking
  keeping one strategy (run only for ``--extra-arm-seeds``);
* CTC fine-tuning: ``--finetune-iters`` iterations of ``--batch-size`` from
  the pretrained encoder (random init for ``scratch``);
* evaluation on IIIT5K and SVT test: word accuracy ignoring case and
  symbols, and 1-N.E.D., computed from every prediction (kept in
  ``predictions_<NAME>.tsv``).

Budgets are checked from each run's training log and dumped config
(iterations, batch size, samples seen); the tool stops if they differ.

Outputs in --out: ``<arm>/seed<S>/`` (logs, checkpoints, ``summary.json``),
``results.json`` (per-seed rows, mean and std per arm, paired seed-by-seed
differences mms - mae, mms - scratch, mae - scratch with per-crop McNemar
tests, budgets, loss curves, wall time per stage, commit, date, machine,
command), ``pretrain_curves.png`` and ``finetune_curves.png``; as a
secondary measure, the masked-patch loss of every pretrained model on
``--recon-images`` held-out rendered words under the same random /
blockwise / span masks, and ``recon_span.png`` (span-masked
reconstructions by each arm of the lowest seed); and a linear CTC probe
on the frozen encoder each run fine-tuned from (pretrained, or scratch's
random init), trained on the real training crops and scored on the same
benchmarks (~1 min per run; ``--no-probe`` skips it). A run whose
``summary.json`` exists is not run again (with the same options; others
are refused), nor a probe whose ``probe/result.json`` exists with the same
settings, so an interrupted protocol resumes with what it had not
finished (an unfinished run starts again from its beginning). Runs added
later (another arm or seed) run alone and the results record the earlier
calls.

``--write-docs`` regenerates the marked word-accuracy sections of
docs/results.md from ``results.json`` (``--docs-only`` does that without
running anything).

Runs go ``--jobs`` at a time (worker processes with ``cpu_count // jobs``
threads each); results do not depend on it.

Default budget (sized for 120 min wall on the 2-core CPU for mms / mae /
scratch x 3 seeds + blockwise / span x 1 seed = 11 runs, two at a time
with one thread each; ``--plan`` prints the estimate): pretraining 1 epoch
of 16,725 images = 131 iterations of 128, fine-tuning 1,700 iterations of
64 (hMLP TextViT-mini, bfloat16 autocast). At that fine-tuning length the
recipe's recognizer has only just left CTC's plateau (a 1,200-iteration
run read 0.2% of IIIT5K, with 17% character recall; the recipe needs
~8,500 iterations, 54 min alone, to read 63%), so word accuracies are low
and 1 - N.E.D. separates arms better.
"""
import argparse
import json
import os
import os.path as osp
import shlex
import sys
from typing import List, Optional

import mmocr_mms  # noqa: F401  (compat layer + registration, before mmocr)
from mmocr_mms.experiments.reading import (FINETUNE_CONFIG, MAE_CONFIG,
                                           PRETRAIN_CONFIG, PROTOCOL_ARMS,
                                           DOC_PREFIX, RECIPE_DOC_PREFIX,
                                           RECON_IMAGES, REPO,
                                           doc_section_names, protocol,
                                           protocol_runs, run_summary_path,
                                           write_docs)

#: Seconds per pretraining iteration (batch 128) and per fine-tuning
#: iteration (batch 64) of the hMLP TextViT-mini p8 under bfloat16 autocast
#: on the 2-core CPU, by runs at a time (``--jobs``). One run with two
#: threads: fine-tuning 0.38 s, the mean of the measured `make reading-cpu`
#: run of 2026-11-30 (nothing else running); pretraining estimated. Two
#: one-thread runs side by side (each step): fine-tuning 0.55 s, the mean of
#: the logged steps of the six side-by-side ablation runs of 2026-11-30
#: (0.47-0.59 s); pretraining 1.02 s (the one logged side-by-side run).
#: Per-run overhead (4 process starts, dataset construction, renderer
#: font scan, evaluation of 3,647 crops) estimated.
SECONDS_PER_ITER = {1: dict(pretrain=0.6, finetune=0.38),
                    2: dict(pretrain=1.02, finetune=0.55)}
SECONDS_PER_RUN = 90
#: The secondary measures: one probe (feature extraction + training; the
#: 11 probes of the default protocol re-taken on 2026-11-30: 52-63 s each
#: one at a time with two threads, 78-90 s each two at a time with one
#: thread), and the reconstruction measure with figures (~25 s).
SECONDS_PER_PROBE = {1: 60, 2: 90}
SECONDS_AFTER_RUNS = 30
#: Real training crops in the pretraining corpus (iiit5k_train 2000 +
#: svt_train 257 + ic15_train 4468).
REAL_TRAIN_CROPS = 6725
PRETRAIN_BATCH = 128


#: Protocol scales (``--scale``): the defaults of every option below that
#: a scale sets; options given on the command line override them.
#: ``v2``: the 11-run protocol sized for 120 min (nothing reads at its
#: 1,700 fine-tuning iterations). ``recipe``: mms, mae and scratch, 3 seeds,
#: at the reading recipe's pretraining (3 epochs over the real crops +
#: 20,000 rendered words) and 4,000 fine-tuning iterations, where the
#: recognizers read (~3 h 45 min, 2 runs at a time; it resumes, so it can
#: run in parts); its docs regions are ``reading-recipe-*``.
SCALES = {
    'v2': dict(arms=['mms', 'mae', 'scratch', 'blockwise', 'span'],
               seeds=[0, 1, 2], extra_arm_seeds=[0], pretrain_epochs=1,
               pretrain_synth=10000, finetune_iters=1700, probe=True,
               out='work_dirs/reading_protocol', docs_prefix=DOC_PREFIX),
    'recipe': dict(arms=['mms', 'mae', 'scratch'], seeds=[0, 1, 2],
                   extra_arm_seeds=[],
                   pretrain_epochs=3, pretrain_synth=20000,
                   finetune_iters=4000, probe=False,
                   out='work_dirs/reading_protocol_recipe',
                   docs_prefix=RECIPE_DOC_PREFIX),
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    # --scale picks the preset that becomes the other options' defaults,
    # so it is read first; the main parser inherits it (one declaration)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument('--scale', choices=tuple(SCALES), default='v2',
                     help='preset of arms, seeds, budgets, --out and '
                     '--docs-prefix (see SCALES); options given override it')
    scale = pre.parse_known_args(argv)[0].scale
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0], parents=[pre],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--arms', nargs='+', choices=PROTOCOL_ARMS)
    p.add_argument('--seeds', type=int, nargs='+',
                   help='seeds of mms, mae and scratch')
    p.add_argument('--extra-arm-seeds', type=int, nargs='*',
                   help='seeds of blockwise and span')
    p.add_argument('--jobs', type=int, default=2,
                   help='runs at a time, each with cpu_count // jobs '
                   'threads (estimates known for 1 and 2)')
    p.add_argument('--pretrain-epochs', type=int)
    p.add_argument('--pretrain-synth', type=int,
                   help='rendered words added to the 6,725 real crops')
    p.add_argument('--finetune-iters', type=int)
    p.add_argument('--batch-size', type=int, default=64,
                   help='fine-tuning batch')
    p.add_argument('--recon-images', type=int, default=RECON_IMAGES,
                   help='held-out rendered words of the secondary '
                   'reconstruction measure')
    p.add_argument('--probe', action=argparse.BooleanOptionalAction,
                   help='take the secondary frozen-feature probe measure '
                   '(--no-probe: skip it)')
    p.add_argument('--probe-train-limit', type=int, default=None,
                   metavar='N', help='probe: at most N crops of each real '
                   'training split (default: all)')
    p.add_argument('--mms-config', default=PRETRAIN_CONFIG)
    p.add_argument('--mae-config', default=MAE_CONFIG)
    p.add_argument('--finetune-config', default=FINETUNE_CONFIG)
    p.add_argument('--pretrain-options', nargs='+', default=[],
                   metavar='KEY=VALUE',
                   help='extra --cfg-options of every pretraining run')
    p.add_argument('--finetune-options', nargs='+', default=[],
                   metavar='KEY=VALUE',
                   help='extra --cfg-options of every fine-tuning run')
    p.add_argument('--str-real', default=os.environ.get(
        'MMOCR_MMS_STR_REAL', osp.join(REPO, '..', 'shared', 'data',
                                       'str_real')),
        help='folder with the real splits ($MMOCR_MMS_STR_REAL)')
    p.add_argument('--benchmarks', nargs='+', default=None,
                   help='benchmark folders (default: STR_REAL/iiit5k_test '
                   'and STR_REAL/svt_test)')
    p.add_argument('--out')
    p.add_argument('--write-docs', nargs='?', const='docs/results.md',
                   default=None, metavar='PAGE',
                   help='regenerate the marked sections of PAGE from '
                   'results.json')
    p.add_argument('--docs-prefix',
                   help='name prefix of the regions (<!-- BEGIN '
                   'generated:PREFIX-table --> ...) and figures '
                   '(figures/PREFIX_*.png, dashes as underscores) that '
                   '--write-docs regenerates')
    p.add_argument('--docs-only', action='store_true',
                   help='only --write-docs from an existing results.json')
    p.add_argument('--plan', action='store_true',
                   help='print the runs and the estimated wall time, run '
                   'nothing')
    p.set_defaults(**SCALES[scale])
    args = p.parse_args(argv)
    try:
        doc_section_names(args.docs_prefix)
    except ValueError as e:
        p.error(str(e))
    for name in ('jobs', 'recon_images', 'pretrain_epochs',
                 'finetune_iters', 'batch_size'):
        if getattr(args, name) < 1:
            p.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.probe_train_limit is not None and args.probe_train_limit < 1:
        p.error('--probe-train-limit must be >= 1')
    if args.pretrain_synth < 0:
        p.error('--pretrain-synth must be >= 0')
    if args.docs_only and not args.write_docs:
        args.write_docs = 'docs/results.md'
    return args


def plan(args) -> dict:
    """Runs and estimated wall time (see :data:`SECONDS_PER_ITER`): each
    run's estimate, the runs started in order on the first free of
    ``--jobs`` slots. Runs whose ``summary.json`` is already in ``--out``
    (``done``) are left out of the estimate: the protocol takes them from
    there when their budget options match."""
    runs = protocol_runs(args.arms, args.seeds, args.extra_arm_seeds)
    out = osp.abspath(args.out)
    done = [r for r in runs if osp.isfile(run_summary_path(out, *r))]
    todo = [r for r in runs if r not in done]
    corpus = REAL_TRAIN_CROPS + args.pretrain_synth
    pre_iters = args.pretrain_epochs * -(-corpus // PRETRAIN_BATCH)
    rate = SECONDS_PER_ITER[min(args.jobs, 2)]
    slots = [0.0] * args.jobs
    ends = []
    for arm, _ in todo:
        seconds = (SECONDS_PER_RUN + args.finetune_iters * rate['finetune']
                   * args.batch_size / 64)
        if arm != 'scratch':
            seconds += pre_iters * rate['pretrain']
        i = slots.index(min(slots))
        slots[i] += seconds
        ends.append(slots[i])
    if args.probe:  # each run's probe, queued when the run ends
        for end in sorted(ends):
            i = slots.index(min(slots))
            slots[i] = max(slots[i], end) + SECONDS_PER_PROBE[
                min(args.jobs, 2)]
    return dict(runs=runs, done=done, pretrain_iters=pre_iters,
                corpus=corpus,
                minutes=(max(slots) + SECONDS_AFTER_RUNS) / 60)


def main(argv: Optional[List[str]] = None) -> Optional[dict]:
    args = parse_args(argv)
    out = osp.abspath(args.out)
    if args.plan:
        p = plan(args)
        print(f'{len(p["runs"])} runs: '
              + ', '.join(f'{a}/{s}' for a, s in p['runs']))
        if p['done']:
            print(f'{len(p["done"])} done before in {out} (not run again '
                  'if their budget options match): '
                  + ', '.join(f'{a}/{s}' for a, s in p['done']))
        print(f'pretraining {p["pretrain_iters"]} iterations of '
              f'{PRETRAIN_BATCH} ({p["corpus"]:,} images x '
              f'{args.pretrain_epochs} epochs), fine-tuning '
              f'{args.finetune_iters} iterations of {args.batch_size}')
        left = (f' for the {len(p["runs"]) - len(p["done"])} runs left'
                if p['done'] else '')
        print(f'estimated wall time on the 2-core CPU{left}: '
              f'{p["minutes"]:.0f} min')
        return p
    if args.docs_only:
        with open(osp.join(out, 'results.json')) as f:
            results = json.load(f)
    else:
        str_real = osp.abspath(args.str_real)
        if not osp.isdir(str_real):
            raise SystemExit(f'real crops not found at {str_real}: pass '
                             '--str-real or set MMOCR_MMS_STR_REAL')
        os.environ['MMOCR_MMS_STR_REAL'] = str_real
        benchmarks = [osp.abspath(b) for b in args.benchmarks or [
            osp.join(str_real, 'iiit5k_test'),
            osp.join(str_real, 'svt_test')]]
        opts = dict(
            mms_config=args.mms_config, mae_config=args.mae_config,
            finetune_config=args.finetune_config,
            pretrain_epochs=args.pretrain_epochs,
            pretrain_synth=args.pretrain_synth,
            finetune_iters=args.finetune_iters, batch_size=args.batch_size,
            benchmarks=benchmarks,
            pretrain_options=list(args.pretrain_options),
            finetune_options=list(args.finetune_options))
        command = 'python tools/experiments/reading_protocol.py ' + \
            ' '.join(shlex.quote(a) for a in
                     (sys.argv[1:] if argv is None else argv))
        results = protocol(args.arms, args.seeds, opts, out,
                           extra_arm_seeds=args.extra_arm_seeds,
                           command=command, jobs=args.jobs,
                           recon_images=args.recon_images,
                           probe=args.probe,
                           probe_train_limit=args.probe_train_limit)
        print(f'wrote {osp.join(out, "results.json")} '
              f'({results["elapsed_seconds"] / 60:.1f} min wall, '
              f'{results["wall_seconds"] / 60:.1f} min of runs)')
    if args.write_docs:
        for path in write_docs(results, args.write_docs,
                               prefix=args.docs_prefix):
            print(f'wrote {path}')
    return results


if __name__ == '__main__':
    main()
