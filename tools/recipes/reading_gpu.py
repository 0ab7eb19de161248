"""The GPU reading recipe's stages, against one wall-clock deadline.

Started by ``tools/recipes/reading_gpu.sh OUT`` (which installs the carried
wheels first); by hand:

    python3 tools/recipes/reading_gpu.py --out OUT [--pack build/gpu_reading]
        [--budget 540] [--t0 EPOCH_SECONDS] [--small] [--device cuda]

Timeline (seconds after ``--t0``, the shell script's start; ``--budget``
540 = 9 minutes; fractions of the budget, so ``--small`` runs scale):

    0 ..~25      wheels installed (the shell script)
    ~25 .. 205   render: words into an LMDB with all cores but the
                 pretraining's (render_lmdb, one process per core), while
                 the GPU runs MMS pretraining of TextViT-S on the real
                 training crops (TrainTimeBudgetHook fits its epochs to 205)
    205 .. 470   backbone extraction, then CTC fine-tuning (bf16, batch 512)
                 on the real crops + the rendered LMDB, fitted to end by 470
    470 .. 515   IIIT5K + SVT test on the GPU
    then         summary.json (results, stage times, fitted schedules)

The GPU protocol (MMS vs MAE vs scratch at equal budget) is the same
script with ``--arm mms|mae|scratch`` and a fixed budget: ``--pretrain-epochs
E --finetune-iters N`` or ``--match SUMMARY`` (the epochs and iterations an
earlier run actually trained, read from its summary.json), so every arm
pretrains on the same corpus for the same number of epochs (``scratch``
skips it) and fine-tunes for the same iterations::

    bash tools/recipes/reading_gpu.sh OUT_MMS                   # fitted, arm mms
    ARM=mae MATCH=OUT_MMS/summary.json bash tools/recipes/reading_gpu.sh OUT_MAE
    ARM=scratch MATCH=OUT_MMS/summary.json bash tools/recipes/reading_gpu.sh OUT_S
    # back here: one row per run in docs/results.md ("GPU protocol runs")
    python tools/recipes/reading_gpu.py append-results OUT_*/summary.json

The pretraining corpus of every arm: the real training crops (labels
unused) plus ``--pretrain-synth`` words rendered without labels into an
LMDB in the first seconds (all cores), before pretraining starts.

Every stage runs as its own process under a timeout; a stage that fails
or overruns is recorded and the next one does what it still can
(fine-tuning from scratch without a pretrained backbone, evaluation of
whatever checkpoint exists).

Why pre-render instead of rendering in the DataLoader: the renderer makes
~100 words/s per core, so 15 cores feed ~1,500 img/s, a third of what the
H200 fine-tunes TextViT-S at; rendered while the GPU pretrains (which reads
only the small real crops and needs 3 loader processes), the corpus costs
no GPU time, and fine-tuning then reads JPEGs from the LMDB (decode +
resize, ~0.2 ms per crop) fast enough for the GPU, looping over the corpus
several times.
"""
import argparse
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRETRAIN_CONFIG = 'configs/mms/mms_text-vit-s_h200-3min_str-real-synth.py'
#: Pretraining config of each protocol arm (None: no pretraining).
ARM_CONFIGS = dict(
    mms=PRETRAIN_CONFIG,
    mae='configs/mms/mae_text-vit-s_h200-3min_str-real-synth.py',
    scratch=None)
#: The page and section that append-results writes to.
RESULTS_PAGE = 'docs/results.md'
RESULTS_SECTION = '## GPU protocol runs'
FINETUNE_CONFIG = ('configs/textrecog/svtr/'
                   'svtr_text-vit-s_h200-4min_str-real-synth.py')
TEST_SPLITS = ('iiit5k_test', 'svt_test')
TARGETS = dict(IIIT5K=0.80, SVT=0.70)

# Stage ends as fractions of the budget (540 s: 205, 470, 515).
PLAN = dict(pretrain=0.38, finetune=0.87, evaluate=0.955)
# The pretraining words get this share of the budget from the moment the
# stages start (after the wheels are installed): 27 s of 540.
WORDS_SHARE = 0.05


def plan(t0, budget):
    """Absolute deadlines (``time.time()`` values) of the stages."""
    if budget <= 0:
        raise ValueError(f'budget must be > 0 seconds, got {budget}')
    return {k: t0 + f * budget for k, f in PLAN.items()}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True,
                   help='results: summary.json, results.json, stage logs')
    p.add_argument('--work-dir', default=None,
                   help='checkpoints and the LMDB (default: '
                   '/tmp/reading_gpu, not OUT: only 8 files come back)')
    p.add_argument('--pack', default=osp.join(REPO, 'build', 'gpu_reading'),
                   help='folder of tools/misc/pack_gpu_reading.py')
    p.add_argument('--budget', type=float, default=540.0,
                   help='seconds from --t0 for everything')
    p.add_argument('--t0', type=float, default=None,
                   help='start time (time.time()); default: now')
    p.add_argument('--device', default='cuda', choices=('cuda', 'cpu'))
    p.add_argument('--small', action='store_true',
                   help='dry run: batches of 8, one loader worker, 2 render '
                   'processes, pretraining epochs of 30 crops, 40 test crops '
                   'per benchmark')
    p.add_argument('--render-workers', type=int, default=None,
                   help='default: cores - 1 - pretraining loader workers')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--arm', default='mms', choices=sorted(ARM_CONFIGS),
                   help='pretraining: mms (default), mae, or scratch (none)')
    p.add_argument('--pretrain-synth', type=int, default=50000,
                   help='rendered words (no labels) in the pretraining '
                   'corpus, rendered first with all cores')
    p.add_argument('--pretrain-epochs', type=int, default=None,
                   help='fixed pretraining epochs (>= 1) instead of fitting '
                   'them to the deadline')
    p.add_argument('--finetune-iters', type=int, default=None,
                   help='fixed fine-tuning iterations instead of fitting '
                   'them to the deadline')
    p.add_argument('--match', default=None, metavar='SUMMARY',
                   help="an earlier run's summary.json: pretrain and "
                   'fine-tune for the epochs and iterations it trained')
    args = p.parse_args(argv)
    if args.match:
        if args.pretrain_epochs or args.finetune_iters:
            p.error('--match sets the budget: do not also pass '
                    '--pretrain-epochs / --finetune-iters')
        args.pretrain_epochs, args.finetune_iters = matched_budget(
            args.match, args.arm)
    if args.pretrain_synth < 1:
        p.error('--pretrain-synth must be >= 1: the pretraining configs read '
                'the rendered words')
    if args.pretrain_epochs is not None and args.pretrain_epochs < 1:
        p.error('--pretrain-epochs must be >= 1')
    if args.finetune_iters is not None and args.finetune_iters < 1:
        p.error('--finetune-iters must be >= 1')
    return args


def matched_budget(summary_path, arm):
    """(pretraining epochs, fine-tuning iterations) that the run of
    ``summary_path`` trained (``budget`` in its summary.json); the epochs
    are None when ``arm`` does not pretrain.

    Raises:
        SystemExit: the summary lacks a trained budget this arm needs.
    """
    with open(summary_path) as f:
        budget = json.load(f).get('budget') or {}
    ft = (budget.get('finetune') or {}).get('iters')
    pre = (budget.get('pretrain') or {}).get('epochs')
    if not ft or (ARM_CONFIGS[arm] and not pre):
        raise SystemExit(f'{summary_path}: no trained budget to match '
                         f'(budget={budget})')
    return (pre if ARM_CONFIGS[arm] else None), ft




def _reading_module():
    """mmocr_mms/experiments/reading.py loaded by path: its log regexes and
    git_commit, without importing the mmocr_mms package (torch, mmocr) into
    this orchestrating process."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        '_reading', osp.join(REPO, 'mmocr_mms', 'experiments', 'reading.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_reading = _reading_module()


def trained_budget(log_path):
    """What a training stage actually trained, from its log: the last saved
    checkpoint's epoch (with iterations per epoch) or iteration; None when
    it saved none."""
    if not osp.isfile(log_path):
        return None
    with open(log_path, errors='replace') as f:
        text = f.read()
    saved = _reading._SAVED_RE.findall(text)
    if not saved:
        return None
    n, unit = int(saved[-1][0]), saved[-1][1]
    if unit == 'iterations':
        return dict(iters=n)
    per_epoch = _reading._EPOCH_RE.findall(text)
    per_epoch = int(per_epoch[-1][2]) if per_epoch else None
    return dict(epochs=n, iters_per_epoch=per_epoch,
                iters=n * per_epoch if per_epoch else None)


def fixed_pretrain_options(epochs):
    """--cfg-options of a pretraining run of exactly ``epochs`` epochs (the
    deadline hook off; 1 warm-up epoch, cosine over the rest). One epoch
    is the warm-up alone, as in a fitted run that stopped after its first
    epoch (the cosine scheduler then starts where training ends)."""
    return ['custom_hooks.0.deadline=None', f'train_cfg.max_epochs={epochs}',
            f'param_scheduler.1.T_max={max(1, epochs - 1)}',
            f'param_scheduler.1.end={max(2, epochs)}',
            f'default_hooks.checkpoint.interval={epochs}']


def fixed_finetune_options(iters, warmup):
    """--cfg-options of a fine-tuning run of exactly ``iters`` iterations
    (the deadline hook off; ``warmup`` linear, cosine to the end)."""
    warmup = min(warmup, max(1, iters // 10))
    return ['custom_hooks.0.deadline=None', f'train_cfg.max_iters={iters}',
            f'train_cfg.val_interval={iters + 1}',
            f'param_scheduler.0.end={warmup}',
            f'param_scheduler.1.begin={warmup}',
            f'param_scheduler.1.T_max={max(1, iters - warmup)}',
            f'param_scheduler.1.end={iters}',
            f'default_hooks.checkpoint.interval={iters}']


def settings(args):
    """Batch sizes, workers and hook timing for the run."""
    cores = os.cpu_count() or 1
    if args.small:
        s = dict(pre_batch=8, pre_workers=1, ft_batch=8, ft_workers=1,
                 eval_batch=16, eval_workers=0, eval_limit=40,
                 hook=dict(skip_iters=1, measure_iters=2, reserve_s=3.0),
                 warmup=2)
    else:
        s = dict(pre_batch=1024, pre_workers=3, ft_batch=512,
                 ft_workers=max(1, cores - 1), eval_batch=512,
                 eval_workers=8, eval_limit=None,
                 hook=dict(skip_iters=10, measure_iters=20, reserve_s=8.0),
                 warmup=150)
    s['render_workers'] = args.render_workers or (
        2 if args.small else max(1, cores - 1 - s['pre_workers']))
    return s


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def start(cmd, log_path, env):
    """Start ``cmd`` in its own process group, output to ``log_path``."""
    print('$ ' + ' '.join(cmd), flush=True)
    log = open(log_path, 'w')
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    proc.log = log
    proc.t_start = time.time()
    return proc


def finish(proc, deadline, name, record):
    """Wait for ``proc`` until ``deadline``, then kill it; record the
    stage's exit and seconds under ``record[name]``."""
    try:
        rc = proc.wait(timeout=max(1.0, deadline - time.time()))
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        rc, timed_out = proc.returncode, True
    proc.log.close()
    seconds = time.time() - proc.t_start
    record[name] = dict(rc=rc, timed_out=timed_out, seconds=round(seconds, 1))
    print(f'  {name}: exit {rc}{" (timed out)" if timed_out else ""} after '
          f'{seconds:.0f} s', flush=True)
    return rc == 0 and not timed_out


def last_checkpoint(work_dir):
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        ckpt = f.read().strip()
    return ckpt if osp.isfile(ckpt) else None


def budget_fits(log_path):
    """The TrainTimeBudgetHook lines of a training log."""
    if not osp.isfile(log_path):
        return []
    with open(log_path, errors='replace') as f:
        return [m.group(0) for m in re.finditer(
            r'TrainTimeBudgetHook: [^\n]*', f.read())]


def machine_name(device):
    """The GPU's name (nvidia-smi) on CUDA, else the CPU count."""
    if device == 'cuda':
        try:
            out = subprocess.run(
                ['nvidia-smi', '--query-gpu=name', '--format=csv,noheader'],
                capture_output=True, text=True, timeout=20)
            if out.returncode == 0 and out.stdout.strip():
                return (out.stdout.strip().splitlines()[0] +
                        f', {os.cpu_count()} CPU cores')
        except (OSError, subprocess.TimeoutExpired):
            pass
    return f'{os.cpu_count()} CPU cores, no GPU'


def result_row(summary):
    """One markdown table row of a run's summary.json (see
    :func:`append_results_main`)."""
    acc = summary.get('word_acc') or {}
    budget = summary.get('budget') or {}
    pre = budget.get('pretrain') or {}
    ft = budget.get('finetune') or {}

    def pct(name):
        return f'{100 * acc[name]:.2f}' if name in acc else '-'

    pre_text = (f"{pre.get('epochs')} ep ({pre.get('iters')} it)"
                if pre else 'none')
    commit = (summary.get('commit') or '?')[:7]
    fixed = 'fixed' if any((summary.get('fixed_budget') or {}).values()) \
        else 'fitted'
    return (f"| {summary.get('date', '?')} | {commit} | "
            f"{summary.get('machine', '?')} | {summary.get('arm', 'mms')} | "
            f"{summary.get('seed', 0)} | {pre_text} | "
            f"{ft.get('iters', '-')} ({fixed}) | {pct('IIIT5K')} | "
            f"{pct('SVT')} | {summary.get('wall_s', '-')} |")


RESULTS_HEADER = [
    RESULTS_SECTION, '',
    'Appended by `python tools/recipes/reading_gpu.py append-results '
    'OUT/summary.json` after each run of `tools/recipes/reading_gpu.sh` '
    '(one H200-class GPU, 9 minutes wall; word accuracy ignoring case and '
    'symbols on IIIT5K / SVT test). Arms compared at equal budget share '
    'the pretraining epochs and fine-tuning iterations (`--match`).', '',
    '| date | commit | machine | arm | seed | pretraining | fine-tuning '
    'iterations | IIIT5K | SVT | wall s |',
    '|---|---|---|---|---:|---|---|---:|---:|---:|',
]


def append_results_main(argv):
    """``reading_gpu.py append-results SUMMARY [...] [--page P]``: one row
    per run in the page's GPU-protocol table (created at the end of the
    page on first use); a run already listed (same date, arm and seed) is
    not added twice. Warns when the appended runs' budgets differ."""
    p = argparse.ArgumentParser()
    p.add_argument('summaries', nargs='+')
    p.add_argument('--page', default=osp.join(REPO, RESULTS_PAGE))
    a = p.parse_args(argv)
    rows, pre_epochs, ft_iters = [], set(), set()
    for path in a.summaries:
        with open(path) as f:
            summary = json.load(f)
        rows.append(result_row(summary))
        b = summary.get('budget') or {}
        if b.get('pretrain'):  # scratch runs pretrain nothing
            pre_epochs.add(b['pretrain'].get('epochs'))
        ft_iters.add((b.get('finetune') or {}).get('iters'))
    text = open(a.page).read() if osp.isfile(a.page) else ''
    lines = text.rstrip('\n').split('\n') if text else []
    if RESULTS_SECTION not in lines:
        lines += [''] + RESULTS_HEADER
    # the table ends at the first non-table line after the section header
    start = lines.index(RESULTS_SECTION)
    end = start + 1
    while end < len(lines) and (not lines[end].startswith('#')):
        end += 1
    while end > start and not lines[end - 1].startswith('|'):
        end -= 1
    new = [r for r in rows if r not in lines[start:end]]
    lines[end:end] = new
    with open(a.page, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print(f'{len(new)} row(s) appended to {a.page}')
    for r in new:
        print(r)
    if len(pre_epochs) > 1 or len(ft_iters) > 1:
        print('WARNING: these runs trained different budgets: pretraining '
              f'epochs {sorted(pre_epochs, key=str)}, fine-tuning iterations '
              f'{sorted(ft_iters, key=str)}')
    return 0


def render_main(argv):
    """``reading_gpu.py render LMDB --pack P --workers N --deadline T``:
    render words into LMDB until the deadline; print the stats as JSON."""
    p = argparse.ArgumentParser()
    p.add_argument('lmdb')
    p.add_argument('--pack', required=True)
    p.add_argument('--workers', type=int, required=True)
    p.add_argument('--deadline', type=float, required=True)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--num', type=int, default=10_000_000)
    p.add_argument('--chunk', type=int, default=256)
    p.add_argument('--unlabelled', action='store_true',
                   help='images only (a pretraining corpus)')
    a = p.parse_args(argv)
    sys.path.insert(0, REPO)
    from mmocr_mms.datasets.render_corpus import render_lmdb
    from mmocr_mms.utils.lexicon import read_lexicon
    fonts = sorted(osp.join(a.pack, 'fonts', f)
                   for f in os.listdir(osp.join(a.pack, 'fonts'))
                   if f.endswith('.ttf'))
    words = list(read_lexicon(osp.join(a.pack, 'lexicon.txt')))
    state = dict(last=time.time(), n=0)

    class Deadline(Exception):
        pass

    def on_chunk(done):
        state['n'] = done
        now = time.time()
        if now - state['last'] > 15:
            print(f'{done} words, {a.deadline - now:.0f} s left', flush=True)
            state['last'] = now
        if now >= a.deadline:
            raise Deadline

    t = time.time()
    print(f'{len(fonts)} fonts, {len(words)} words, {a.workers} processes',
          flush=True)
    try:
        stats = render_lmdb(a.lmdb, a.num, seed=a.seed,
                            renderer=dict(fonts=fonts, lexicon=words),
                            workers=a.workers, chunk=a.chunk, progress=False,
                            on_chunk=on_chunk, labelled=not a.unlabelled)
    except Deadline:
        stats = dict(total=state['n'])
    stats['seconds'] = time.time() - t
    stats['images_per_s'] = stats['total'] / stats['seconds']
    print('RENDER ' + json.dumps(stats), flush=True)
    # Every chunk is committed and the LMDB closed; in both CPU dry runs
    # the interpreter then lingered past the 30 s grace (pool teardown
    # under load), so leave at once.
    sys.stderr.flush()
    os._exit(0)


def evaluate_main(argv):
    """``reading_gpu.py evaluate CONFIG CKPT --json J --device D ...``:
    IIIT5K + SVT test on the device (tools/eval_benchmarks.py builds the
    model on the CPU)."""
    p = argparse.ArgumentParser()
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--benchmarks', nargs='+', required=True)
    p.add_argument('--names', nargs='+', required=True)
    p.add_argument('--json', required=True)
    p.add_argument('--device', default='cuda')
    p.add_argument('--batch-size', type=int, default=512)
    p.add_argument('--num-workers', type=int, default=8)
    a = p.parse_args(argv)
    sys.path.insert(0, REPO)
    import mmocr_mms  # noqa: F401
    from mmocr_mms.evaluation.recog_benchmarks import (
        EVAL_LABEL_RULE, dataset_cfg_of, evaluate_benchmarks, format_table,
        load_recognizer, write_json)
    t = time.time()
    model, cfg = load_recognizer(a.config, a.checkpoint, device=a.device)
    rows = evaluate_benchmarks(
        model, a.benchmarks, dataset_cfg_of(cfg, 'test')['pipeline'],
        label_rule=EVAL_LABEL_RULE, batch_size=a.batch_size,
        num_workers=a.num_workers, names=a.names)
    print(format_table(rows))
    seconds = time.time() - t
    n = sum(r['num_total'] for r in rows if r['name'] != 'average')
    print(f'({seconds:.0f} s for {n} crops, model loading included)')
    write_json(rows, a.json, dict(config=a.config, checkpoint=a.checkpoint,
                                  device=a.device, seconds=seconds))


def limited_benchmarks(src_root, dst_root, limit):
    """Copies of the test splits' labels.tsv with the first ``limit`` lines
    (images linked to the originals), for dry runs."""
    out = []
    for split in TEST_SPLITS:
        dst = osp.join(dst_root, split)
        os.makedirs(dst, exist_ok=True)
        with open(osp.join(src_root, split, 'labels.tsv'),
                  encoding='utf-8') as f:
            lines = f.readlines()[:limit]
        with open(osp.join(dst, 'labels.tsv'), 'w', encoding='utf-8') as f:
            f.writelines(lines)
        link = osp.join(dst, 'IMG')
        if not osp.lexists(link):
            os.symlink(osp.abspath(osp.join(src_root, split, 'IMG')), link)
        out.append(dst)
    return out


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ['render']:
        return render_main(argv[1:])
    if argv[:1] == ['evaluate']:
        return evaluate_main(argv[1:])
    if argv[:1] == ['append-results']:
        return append_results_main(argv[1:])
    args = parse_args(argv)
    t0 = args.t0 or time.time()
    deadlines = plan(t0, args.budget)
    s = settings(args)
    out = osp.abspath(args.out)
    wd = osp.abspath(args.work_dir or '/tmp/reading_gpu')
    pack = osp.abspath(args.pack)
    os.makedirs(out, exist_ok=True)
    os.makedirs(wd, exist_ok=True)
    str_real = osp.join(pack, 'str_real')
    for need in ('wheels', 'fonts', 'lexicon.txt', 'str_real'):
        if not osp.exists(osp.join(pack, need)):
            raise SystemExit(f'{pack} lacks {need}: run '
                             'tools/misc/pack_gpu_reading.py here first')
    env = dict(os.environ, MMOCR_MMS_STR_REAL=str_real,
               PYTHONUNBUFFERED='1',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH',
                                                             ''))
    py = sys.executable
    amp = ['--amp'] if args.device == 'cuda' else []
    bf16 = (['optim_wrapper.dtype=bfloat16'] if args.device == 'cuda'
            else [])
    hook = [f'custom_hooks.0.{k}={v}' for k, v in s['hook'].items()]
    stages, summary = {}, dict(settings=s, budget_s=args.budget,
                               small=args.small, device=args.device)
    lmdb = osp.join(wd, 'rendered_words')
    pre_dir = osp.join(wd, 'pretrain')
    pre_config = ARM_CONFIGS[args.arm]
    summary.update(arm=args.arm, seed=args.seed,
                   fixed_budget=dict(pretrain_epochs=args.pretrain_epochs,
                                     finetune_iters=args.finetune_iters),
                   match=args.match)

    # -- the pretraining corpus's rendered words (every arm, same seed) ------
    words = osp.join(wd, 'pretrain_words')
    env['MMOCR_MMS_PRETRAIN_WORDS'] = words
    n_words = 64 if args.small else args.pretrain_synth
    if n_words > 0:
        words_deadline = time.time() + WORDS_SHARE * args.budget
        pw = start([py, __file__, 'render', words, '--pack', pack,
                    '--workers', str(max(1, (os.cpu_count() or 1) - 1)),
                    '--deadline', str(words_deadline),
                    '--seed', '100', '--num', str(n_words), '--unlabelled',
                    '--chunk', '32' if args.small else '1024'],
                   osp.join(out, 'pretrain_words.log'), env)
        finish(pw, words_deadline + 30, 'pretrain_words', stages)
        with open(osp.join(out, 'pretrain_words.log'), errors='replace') as f:
            m = re.search(r'^RENDER (.*)$', f.read(), re.M)
        summary['pretrain_words'] = json.loads(m.group(1)) if m else None

    # -- render + pretrain, side by side ------------------------------------
    render = start([py, __file__, 'render', lmdb, '--pack', pack,
                    '--workers', str(s['render_workers']), '--deadline',
                    str(deadlines['pretrain']), '--seed', str(args.seed),
                    '--chunk', '32' if args.small else '256'],
                   osp.join(out, 'render.log'), env)
    pre_opts = []
    if args.small:  # epochs of 4 iterations: 1 crop per split and copy
        from mmengine.config import Config
        copies = Config.fromfile(osp.join(REPO, PRETRAIN_CONFIG)).mask_copies
        pre_opts = [f'train_dataloader.dataset.datasets.{k}.dataset.indices=1'
                    for k in range(copies)]
    if args.pretrain_epochs:
        pre_opts += fixed_pretrain_options(args.pretrain_epochs)
    pretrain = None
    if pre_config:
        pretrain = start([
            py, 'tools/train.py', pre_config, '--work-dir', pre_dir, *amp,
            '--cfg-options',
            f'custom_hooks.0.deadline={deadlines["pretrain"]}', *hook, *bf16,
            f'randomness.seed={args.seed}',
            f'train_dataloader.batch_size={s["pre_batch"]}',
            f'train_dataloader.num_workers={s["pre_workers"]}', *pre_opts
        ], osp.join(out, 'pretrain.log'), env)
    # the epoch loop ends on whole epochs: allow it a little past its
    # deadline, the render process 30 s for its last chunk and shutdown
    finish(render, deadlines['pretrain'] + 30, 'render', stages)
    if pretrain is not None:
        finish(pretrain, deadlines['pretrain'] + 25, 'pretrain', stages)
    with open(osp.join(out, 'render.log'), errors='replace') as f:
        m = re.search(r'^RENDER (.*)$', f.read(), re.M)
    summary['render'] = json.loads(m.group(1)) if m else None
    summary['pretrain_fits'] = budget_fits(osp.join(out, 'pretrain.log'))

    backbone = None
    ckpt = last_checkpoint(pre_dir) if pre_config else None
    if ckpt:
        backbone = osp.join(pre_dir, 'backbone.pth')
        conv = start([py, 'tools/model_converters/mms_to_backbone.py', ckpt,
                      backbone], osp.join(wd, 'convert.log'), env)
        if not finish(conv, time.time() + 60, 'convert', stages):
            backbone = None
    summary['pretrain_checkpoint'] = ckpt
    summary['backbone'] = backbone

    # -- fine-tune -------------------------------------------------------------
    ft_dir = osp.join(wd, 'finetune')
    n_synth = (summary['render'] or {}).get('total', 0)
    init = (f'model.backbone.init_cfg.checkpoint={backbone}' if backbone
            else 'model.backbone.init_cfg=None')
    ft_opts = [
        f'custom_hooks.0.deadline={deadlines["finetune"]}', *hook, *bf16,
        init, f'randomness.seed={args.seed}',
        f'train_dataloader.sampler.seed={args.seed}',
        f'train_dataloader.batch_size={s["ft_batch"]}',
        f'train_dataloader.num_workers={s["ft_workers"]}',
        f'param_scheduler.0.end={s["warmup"]}',
        f'param_scheduler.1.begin={s["warmup"]}',
    ]
    ft_opts.append(f'train_dataloader.dataset.datasets.1.data_root={lmdb}')
    if args.finetune_iters:
        ft_opts += fixed_finetune_options(args.finetune_iters, s['warmup'])
    summary['finetune_init'] = args.arm if backbone else 'scratch'
    if n_synth > 0:
        finetune = start([py, 'tools/train.py', FINETUNE_CONFIG,
                          '--work-dir', ft_dir, *amp, '--cfg-options',
                          *ft_opts], osp.join(out, 'finetune.log'), env)
        finish(finetune, deadlines['finetune'] + 20, 'finetune', stages)
    else:
        print('no rendered words (see render.log): no fine-tuning')
    summary['finetune_fits'] = budget_fits(osp.join(out, 'finetune.log'))
    ft_ckpt = last_checkpoint(ft_dir)
    summary['finetune_checkpoint'] = ft_ckpt

    # -- evaluate --------------------------------------------------------------
    results = None
    if ft_ckpt:
        config = osp.join(ft_dir, osp.basename(FINETUNE_CONFIG))
        benchmarks = [osp.join(str_real, b) for b in TEST_SPLITS]
        if s['eval_limit']:
            benchmarks = limited_benchmarks(str_real, osp.join(wd, 'bench'),
                                            s['eval_limit'])
        result_json = osp.join(out, 'results.json')
        ev = start([py, __file__, 'evaluate', config, ft_ckpt,
                    '--benchmarks', *benchmarks, '--names', 'IIIT5K', 'SVT',
                    '--json', result_json, '--device', args.device,
                    '--batch-size', str(s['eval_batch']), '--num-workers',
                    str(s['eval_workers'])],
                   osp.join(out, 'evaluate.log'), env)
        if finish(ev, deadlines['evaluate'], 'evaluate', stages):
            with open(result_json) as f:
                results = json.load(f)['results']
    summary['stages'] = stages
    summary['wall_s'] = round(time.time() - t0, 1)
    summary['budget'] = dict(
        pretrain=trained_budget(osp.join(out, 'pretrain.log'))
        if pre_config else None,
        finetune=trained_budget(osp.join(out, 'finetune.log')))
    summary['commit'] = _reading.git_commit()
    summary['machine'] = machine_name(args.device)
    summary['date'] = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    if results:
        acc = {r['name']: r['word_acc_ignore_case_symbol'] for r in results}
        summary['word_acc'] = acc
        summary['targets'] = {k: dict(target=v, reached=acc.get(k, 0) >= v)
                              for k, v in TARGETS.items()}
    with open(osp.join(out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(dict(word_acc=summary.get('word_acc'),
                          wall_s=summary['wall_s'], stages=stages),
                     indent=1))
    return 0 if results else 1


if __name__ == '__main__':
    sys.exit(main())
