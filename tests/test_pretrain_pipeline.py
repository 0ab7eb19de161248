"""End-to-end pretraining: configs, a short run, interrupted run + resume,
entry points, and loading the converted weights into a stock MMOCR
recognizer."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from mmocr.registry import DATASETS, MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'mms', '*.py')))


def _tiny_config(tmp_path, name='tiny_pretrain.py', **extra) -> str:
    """A tiny variant of the demo config written to a file (subprocesses
    read it)."""
    text = textwrap.dedent(f"""
        _base_ = ['{ROOT}/configs/mms/mms_text-vit-demo_4e_synth-words.py']
        model = dict(
            backbone=dict(arch=dict(embed_dims=32, num_layers=2,
                                    num_heads=2, mlp_ratio=2)),
            decoder=dict(embed_dims=32, num_layers=1, num_heads=2))
        train_dataloader = dict(batch_size=8, num_workers=0,
                                dataset=dict(num_samples={extra.get('n', 32)}))
        optim_wrapper = dict(optimizer=dict(lr={extra.get('lr', 1e-3)}))
        train_cfg = dict(max_epochs={extra.get('epochs', 2)})
        param_scheduler = []
        default_hooks = dict(logger=dict(interval=1),
                             checkpoint=dict(interval=1, max_keep_ckpts=5))
        custom_hooks = [dict(type='MaskEpochHook'),
                        dict(type='ReconstructionVisHook', interval=1000,
                             num_samples=2)]
    """) + extra.get('extra', '')
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_configs_parse_and_build(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmocr'
    assert 'mmocr_mms' in cfg.custom_imports.imports
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'MMS'
    assert cfg.train_dataloader.persistent_workers is False
    assert any(h.type == 'MaskEpochHook' for h in cfg.custom_hooks)


def test_paper_recipe_values():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/mms/mms_text-vit-s_20e_synth-words.py'))
    assert cfg.model.backbone.arch == 'small'
    assert (cfg.model.decoder.embed_dims, cfg.model.decoder.num_layers) == (
        512, 8)
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == 'AdamW' and opt.weight_decay == 0.05
    assert opt.lr == pytest.approx(1.5e-4 * 1024 / 256)
    assert opt.betas == (0.9, 0.95)
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert pipeline[1].type == 'MultiMasking'
    mae = Config.fromfile(osp.join(ROOT, 'configs/mms/mae_text-vit-s_20e_synth-words.py'))
    assert [t.type for t in mae.train_dataloader.dataset.pipeline][1] == \
        'RandomPatchMasking'


def test_short_run_loss_falls_and_writes_grids(tmp_path):
    cfg = Config.fromfile(_tiny_config(tmp_path, n=16, epochs=25, lr=2e-3))
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 50
    first, last = losses[:5].mean(), losses[-5:].mean()
    assert last < 0.8 * first, (first, last)
    assert osp.isfile(osp.join(cfg.work_dir, 'reconstructions',
                               'iter_50.png'))


def _run_train(args, cwd, **kw):
    return subprocess.Popen([sys.executable, osp.join(ROOT, 'tools/train.py'),
                             *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kw)


AMP = pytest.param(True, id='amp', marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason='AMP (loss scaler) needs a GPU'))


@pytest.mark.parametrize('amp', [pytest.param(False, id='fp32'), AMP])
def test_killed_run_resumes_to_the_same_weights(tmp_path, amp):
    """SIGKILL after the first checkpoint, then ``--resume``: the same
    final weights and the same next 10 logged losses as an uninterrupted
    run. With ``--amp`` (GPU) the fp16 loss scaler is restored too."""
    extra = ''
    args = []
    if amp:
        # a scale that changes every 3 steps, so a scaler that was not
        # restored would show; deterministic GPU kernels for the 1e-5
        # comparison
        extra = textwrap.dedent("""
            optim_wrapper = dict(loss_scale=dict(init_scale=1024.0,
                                                 growth_interval=3))
            randomness = dict(seed=0, deterministic=True)
        """)
        args = ['--amp']
    cfg = _tiny_config(tmp_path, n=96, epochs=3, extra=extra)
    env = dict(os.environ, CUBLAS_WORKSPACE_CONFIG=':4096:8')
    ref_dir, run_dir = str(tmp_path / 'ref'), str(tmp_path / 'run')
    ref = _run_train([cfg, '--work-dir', ref_dir, *args], cwd=tmp_path,
                     env=env)
    out, _ = ref.communicate(timeout=600)
    assert ref.returncode == 0, out[-3000:]

    proc = _run_train([cfg, '--work-dir', run_dir, *args], cwd=tmp_path,
                      env=env)
    deadline = time.time() + 300
    ckpt = osp.join(run_dir, 'epoch_1.pth')
    while not osp.isfile(osp.join(run_dir, 'last_checkpoint')):
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert osp.isfile(ckpt)
    assert not osp.isfile(osp.join(run_dir, 'epoch_3.pth'))

    resumed = _run_train([cfg, '--work-dir', run_dir, '--resume', *args],
                         cwd=tmp_path, env=env)
    out, _ = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, out[-3000:]
    assert 'resumed epoch' in out.lower() or 'resumed' in out.lower()
    a = torch.load(osp.join(ref_dir, 'epoch_3.pth'), weights_only=False)
    b = torch.load(osp.join(run_dir, 'epoch_3.pth'), weights_only=False)
    if amp:
        first = torch.load(ckpt, weights_only=False)
        scale_1 = first['optimizer']['loss_scaler']['scale']
        assert scale_1 != 1024.0  # the scale moved before the kill
        assert a['optimizer']['loss_scaler'] == \
            b['optimizer']['loss_scaler']
    for k, v in a['state_dict'].items():
        assert torch.allclose(v, b['state_dict'][k], atol=1e-6), k
    # the next 10 logged losses after the resume point equal the
    # uninterrupted run's (logged every iteration)
    ref_losses = _logged_losses(ref_dir)
    resumed_losses = _logged_losses(run_dir, latest_only=True)
    resumed_iters = sorted(resumed_losses)[:10]
    assert len(resumed_iters) == 10 and resumed_iters[0] > 1
    for it in resumed_iters:
        assert abs(resumed_losses[it] - ref_losses[it]) < 1e-5, it


SLOW_DISK = textwrap.dedent("""
    # Test helper: the checkpoint write of epoch 2 stalls just before the
    # temporary file would be renamed into place (the file is written and
    # fsynced), and says so through a marker file; the test kills -9 then.
    import os, time
    _replace = os.replace

    def _stalling_replace(src, dst, *args, **kwargs):
        if os.path.basename(str(dst)) == 'epoch_2.pth':
            open(os.environ['STALL_MARKER'], 'w').close()
            time.sleep(600)
        return _replace(src, dst, *args, **kwargs)

    os.replace = _stalling_replace
""")


def test_kill_during_checkpoint_write_resumes_from_last_complete(tmp_path):
    """SIGKILL while epoch_2.pth is being written: no file of that name
    appears, ``last_checkpoint`` still names epoch_1.pth, and ``--resume``
    continues from it to the same weights as an uninterrupted run."""
    (tmp_path / 'slow_disk.py').write_text(SLOW_DISK)
    extra = "custom_imports = dict(imports=['mmocr_mms', 'slow_disk'])\n"
    stalled = _tiny_config(tmp_path, n=32, epochs=3, extra=extra,
                           name='stalled.py')
    cfg = _tiny_config(tmp_path, n=32, epochs=3)
    marker = tmp_path / 'stalled'
    env = dict(os.environ, STALL_MARKER=str(marker),
               PYTHONPATH=os.pathsep.join(
                   [str(tmp_path), os.environ.get('PYTHONPATH', '')]))
    ref_dir, run_dir = tmp_path / 'ref', tmp_path / 'run'
    ref = _run_train([cfg, '--work-dir', str(ref_dir)], cwd=tmp_path)
    proc = _run_train([stalled, '--work-dir', str(run_dir)], cwd=tmp_path,
                      env=env)
    deadline = time.time() + 300
    while not marker.exists():
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        assert time.time() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    out, _ = ref.communicate(timeout=600)
    assert ref.returncode == 0, out[-3000:]
    # the interrupted write left only its hidden temporary file
    leftovers = [p.name for p in run_dir.iterdir() if 'epoch_2' in p.name]
    assert leftovers and all(n.startswith('.') and n.endswith('.tmp')
                             for n in leftovers), leftovers
    assert not (run_dir / 'epoch_2.pth').exists()
    assert (run_dir / 'last_checkpoint').read_text().strip().endswith(
        'epoch_1.pth')

    resumed = _run_train([cfg, '--work-dir', str(run_dir), '--resume'],
                         cwd=tmp_path)
    out, _ = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, out[-3000:]
    assert 'resumed epoch: 1' in out.lower(), out[-3000:]
    a = torch.load(ref_dir / 'epoch_3.pth', weights_only=False)
    b = torch.load(run_dir / 'epoch_3.pth', weights_only=False)
    for k, v in a['state_dict'].items():
        assert torch.allclose(v, b['state_dict'][k], atol=1e-6), k


def _logged_losses(work_dir, latest_only=False):
    """{iteration: loss} from the runs' vis_data/scalars.json files."""
    import json
    runs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                     'scalars.json')))
    losses = {}
    for path in runs[-1:] if latest_only else runs:
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                if 'loss' in row:
                    losses[row['iter']] = row['loss']
    return losses


def test_mim_train_entry_point(tmp_path):
    cfg = _tiny_config(tmp_path, n=16, epochs=1)
    r = subprocess.run(['mim', 'train', 'mmocr', cfg, '--work-dir',
                        str(tmp_path / 'mim')], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert osp.isfile(tmp_path / 'mim' / 'epoch_1.pth')


def test_converted_weights_load_into_stock_nrtr(tmp_path):
    """The user's promise: inherit a stock MMOCR recognizer, swap the
    backbone, load our weights with init_cfg prefix='backbone.'."""
    cfg = Config.fromfile(_tiny_config(tmp_path, n=16, epochs=1))
    cfg.work_dir = str(tmp_path / 'pre')
    Runner.from_cfg(cfg).train()
    converted = str(tmp_path / 'backbone.pth')
    r = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/model_converters/mms_to_backbone.py'),
        osp.join(cfg.work_dir, 'epoch_1.pth'), converted
    ], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    sd = torch.load(converted, weights_only=True)['state_dict']
    assert all(k.startswith('backbone.') for k in sd)

    # the reconstruction visualiser reads the same checkpoint
    png = tmp_path / 'recon.png'
    r = subprocess.run([
        sys.executable, osp.join(ROOT, 'tools/visualize_reconstruction.py'),
        str(tmp_path / 'tiny_pretrain.py'),
        osp.join(cfg.work_dir, 'epoch_1.pth'), '--num', '2', '--out',
        str(png)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    import cv2
    grid = cv2.imread(str(png))
    # 2 images x 3 strategies rows of 32 px tiles (x2), 3 columns of 128 px
    assert grid.shape[0] > 6 * 64 and grid.shape[1] > 3 * 256

    rec = tmp_path / 'nrtr_text-vit.py'
    rec.write_text(textwrap.dedent(f"""
        _base_ = ['mmocr::textrecog/nrtr/_base_nrtr_modality-transform.py']
        custom_imports = dict(imports=['mmocr_mms'])
        model = dict(
            backbone=dict(_delete_=True, type='TextViT',
                          arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                                    mlp_ratio=2),
                          init_cfg=dict(type='Pretrained',
                                        checkpoint='{converted}',
                                        prefix='backbone.')),
            encoder=dict(n_layers=1, d_model=32, n_head=2, d_k=16, d_v=16,
                         d_inner=64),
            decoder=dict(n_layers=1, d_embedding=32, d_model=32, n_head=2,
                         d_k=16, d_v=16, d_inner=64),
            data_preprocessor=dict(bgr_to_rgb=True))
    """))
    rcfg = Config.fromfile(str(rec))
    model = MODELS.build(rcfg.model)
    model.init_weights()
    for k, v in sd.items():
        name = k[len('backbone.'):]
        assert torch.equal(model.backbone.state_dict()[name], v), name
    # the stock NRTR pipeline pads to 32 x 160: pos embed is resized
    ds = DATASETS.build(dict(
        type='SynthWordDataset', num_samples=4, labelled=True,
        pipeline=rcfg.train_pipeline[1:]))
    batch = model.data_preprocessor(
        pseudo_collate([ds[i] for i in range(4)]), True)
    assert batch['inputs'].shape[-2:] == (32, 160)
    losses = model(**batch, mode='loss')
    total = sum(v.sum() for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total) and total > 0


MASK_DUMP = textwrap.dedent("""
    # Test helper: every rank saves the masks of its first batch,
    # {sample_idx: mask}, to work_dir/masks_rank<R>.pt.
    import torch
    from mmengine.dist import get_rank
    from mmengine.hooks import Hook
    from mmocr.registry import HOOKS

    @HOOKS.register_module()
    class DumpFirstMasksHook(Hook):
        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if runner.iter == 0:
                masks = {int(ds.metainfo['sample_idx']): ds.mask.clone()
                         for ds in data_batch['data_samples']}
                torch.save(masks, f'{runner.work_dir}/masks_rank'
                           f'{get_rank()}.pt')
""")


def test_dist_train_two_processes_matches_one(tmp_path):
    """Same global batch (2 x 8 vs 1 x 16) and seed: DDP over gloo reaches
    the same weights as one process (tolerance 1e-5; the difference is only
    the order of the gradient all-reduce sums). Each rank draws other
    samples, hence other masks: read back from both ranks' first batch."""
    (tmp_path / 'mask_dump.py').write_text(MASK_DUMP)
    extra = textwrap.dedent("""
        custom_imports = dict(imports=['mmocr_mms', 'mask_dump'])
        custom_hooks = [dict(type='MaskEpochHook'),
                        dict(type='DumpFirstMasksHook')]
    """)
    cfg = _tiny_config(tmp_path, n=64, epochs=1, extra=extra)
    env = dict(os.environ, PORT=str(29500 + os.getpid() % 1000),
               PYTHONPATH=os.pathsep.join(
                   [str(tmp_path), os.environ.get('PYTHONPATH', '')]))
    r = subprocess.run(['bash', osp.join(ROOT, 'tools/dist_train.sh'), cfg,
                        '2', '--work-dir', str(tmp_path / 'dist')],
                       cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    # 64 samples, batch 8 per process, 2 processes: 4 iterations
    assert 'Epoch(train) [1][4/4]' in out
    single = _run_train([cfg, '--work-dir', str(tmp_path / 'single'),
                         '--cfg-options', 'train_dataloader.batch_size=16'],
                        cwd=tmp_path, env=env)
    log, _ = single.communicate(timeout=600)
    assert single.returncode == 0, log[-3000:]
    assert 'Epoch(train) [1][4/4]' in log
    a = torch.load(tmp_path / 'dist' / 'epoch_1.pth', weights_only=False)
    b = torch.load(tmp_path / 'single' / 'epoch_1.pth', weights_only=False)
    for k, v in a['state_dict'].items():
        assert torch.allclose(v, b['state_dict'][k], atol=1e-5), k
    # masks: the ranks hold disjoint samples with different masks, and
    # together the single process's first batch, mask for mask
    rank0 = torch.load(tmp_path / 'dist' / 'masks_rank0.pt')
    rank1 = torch.load(tmp_path / 'dist' / 'masks_rank1.pt')
    whole = torch.load(tmp_path / 'single' / 'masks_rank0.pt')
    assert len(rank0) == len(rank1) == 8 and len(whole) == 16
    assert not set(rank0) & set(rank1)
    assert not any(torch.equal(m0, m1) for m0 in rank0.values()
                   for m1 in rank1.values())
    assert {**rank0, **rank1}.keys() == whole.keys()
    for idx, mask in {**rank0, **rank1}.items():
        assert torch.equal(mask, whole[idx]), idx
