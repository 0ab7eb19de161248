"""MMOCR's inferencers and tools/infer.py on our recognition configs (tiny
TextViT + CTC model, random weights, a few generated crops)."""
import glob
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

from mmocr.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _repo_config(pattern):
    """A repository config by file name (wherever configs/textrecog keeps
    it)."""
    found = sorted(glob.glob(osp.join(ROOT, 'configs', 'textrecog', '**',
                                      pattern), recursive=True))
    assert found, f'no config matching {pattern}'
    return found[0]


def write_tiny_ctc(folder, seed=0):
    """A tiny TextViT + CTC config inheriting the demo SVTR config and a
    random-weights checkpoint of it; returns (config, checkpoint, model)."""
    base = _repo_config('svtr_text-vit-demo_3e_str-real.py')
    cfg_path = osp.join(folder, 'tiny_ctc.py')
    with open(cfg_path, 'w') as f:
        f.write(f"_base_ = [{base!r}]\n"
                "model = dict(\n"
                "    backbone=dict(arch=dict(embed_dims=32, num_layers=1,\n"
                "                            num_heads=2), init_cfg=None),\n"
                "    encoder=dict(in_channels=32),\n"
                "    decoder=dict(in_channels=32))\n")
    torch.manual_seed(seed)
    model = MODELS.build(Config.fromfile(cfg_path).model).eval()
    ckpt = osp.join(folder, 'tiny_ctc.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    return cfg_path, ckpt, model


def write_crops(folder, n=4, seed=0):
    """n BGR word crops of different widths written as PNG / JPEG."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        img = np.full((40, int(rng.integers(70, 150)), 3),
                      int(rng.integers(150, 255)), np.uint8)
        cv2.putText(img, f'w{i}rd', (3, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                    (20, 40, 60), 2)
        path = osp.join(folder, f'{i:02d}.{"png" if i % 2 else "jpg"}')
        cv2.imwrite(path, img)
        paths.append(path)
    return paths


@pytest.fixture(scope='module')
def tiny_ctc(tmp_path_factory):
    d = tmp_path_factory.mktemp('tiny_ctc')
    cfg, ckpt, model = write_tiny_ctc(str(d))
    paths = write_crops(str(d / 'crops'))
    return cfg, ckpt, model, paths


def _direct(cfg_path, model, paths):
    """(text, mean char score) of the model run directly on the config's
    test pipeline without annotations."""
    from mmocr_mms.apis import leaf_dataset_cfg
    cfg = Config.fromfile(cfg_path)
    pipe = [t for t in leaf_dataset_cfg(cfg.test_dataloader.dataset)
            ['pipeline'] if t['type'] != 'LoadOCRAnnotations']
    pipe = Compose(pipe)
    batch = pseudo_collate([pipe(dict(img_path=p)) for p in paths])
    with torch.no_grad():
        out = model.test_step(batch)
    return [(o.pred_text.item, float(np.mean(o.pred_text.score))
             if o.pred_text.item else 0.0) for o in out]


def test_text_rec_inferencer_folder_arrays_and_vis(tiny_ctc, tmp_path):
    from mmocr.apis import TextRecInferencer
    cfg, ckpt, model, paths = tiny_ctc
    expected = _direct(cfg, model, paths)
    assert any(text for text, _ in expected)  # random weights still emit
    inf = TextRecInferencer(model=cfg, weights=ckpt, device='cpu')
    # a folder: MMOCR lists it itself (order of its listing)
    res = inf(osp.dirname(paths[0]), batch_size=3, return_vis=True,
              progress_bar=False)
    assert sorted(p['text'] for p in res['predictions']) == \
        sorted(t for t, _ in expected)
    # list of paths, in order, equals the direct model output
    res = inf(paths, batch_size=3, return_vis=True, progress_bar=False)
    for (text, score), pred in zip(expected, res['predictions']):
        assert pred['text'] == text
        if text:
            assert pred['scores'] == pytest.approx(score, abs=1e-6)
    # visualisation: MMOCR's recognition visualiser (crop above its text)
    vis = res['visualization']
    assert len(vis) == len(paths) and all(
        isinstance(v, np.ndarray) and v.ndim == 3 and v.shape[2] == 3
        for v in vis)
    assert type(inf.visualizer).__name__ == 'TextRecogLocalVisualizer'
    # numpy BGR arrays give the same texts as their files (PNG: lossless)
    arrays = [cv2.imread(p) for p in paths]
    res = inf(arrays, batch_size=2, progress_bar=False)
    for i, pred in enumerate(res['predictions']):
        if paths[i].endswith('.png'):
            assert pred['text'] == expected[i][0]


def test_mmocr_inferencer_rec_only(tiny_ctc):
    from mmocr.apis import MMOCRInferencer
    cfg, ckpt, model, paths = tiny_ctc
    expected = _direct(cfg, model, paths[:2])
    inf = MMOCRInferencer(rec=cfg, rec_weights=ckpt, device='cpu')
    res = inf(paths[:2], return_vis=True)
    assert [p['rec_texts'][0] for p in res['predictions']] == \
        [t for t, _ in expected]
    assert len(res['visualization']) == 2 and all(
        v.ndim == 3 for v in res['visualization'])


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'_tool_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_infer_tool_folder_and_list(tiny_ctc, tmp_path, capsys):
    cfg, ckpt, model, paths = tiny_ctc
    expected = _direct(cfg, model, paths)
    tool = _load_tool('infer')
    out_tsv = str(tmp_path / 'pred.tsv')
    vis = str(tmp_path / 'vis')
    tool.main([cfg, ckpt, osp.dirname(paths[0]), '--out-tsv', out_tsv,
               '--batch-size', '3', '--vis-dir', vis, '--no-progress'])
    rows = [line.split('\t') for line in
            capsys.readouterr().out.splitlines() if '\t' in line]
    assert [r[0] for r in rows] == paths  # sorted folder listing
    for (text, score), row in zip(expected, rows):
        assert row[1] == text and float(row[2]) == pytest.approx(
            score, abs=1e-4)
    with open(out_tsv, encoding='utf-8') as f:
        assert [line.rstrip('\n').split('\t') for line in f] == rows
    assert sorted(os.listdir(osp.join(vis, 'vis'))) == sorted(
        osp.splitext(osp.basename(p))[0] + '.jpg' for p in paths)
    # a list file with relative paths, and a single file
    lst = tmp_path / 'crops.txt'
    lst.write_text('# crops\n' + '\n'.join(
        osp.relpath(p, str(tmp_path)) for p in paths[::-1]) + '\n\n')
    tool.main([cfg, ckpt, str(lst), '--no-progress'])
    rows = [line.split('\t') for line in
            capsys.readouterr().out.splitlines() if '\t' in line]
    assert [r[1] for r in rows] == [t for t, _ in expected[::-1]]
    tool.main([cfg, ckpt, paths[1], '--no-progress'])
    rows = [line.split('\t') for line in
            capsys.readouterr().out.splitlines() if '\t' in line]
    assert rows == [[paths[1], expected[1][0], f'{expected[1][1]:.4f}']]


def test_list_images_errors(tmp_path):
    from mmocr_mms.apis.read_words import list_images, read_words
    with pytest.raises(ValueError, match='source'):
        list_images('')
    with pytest.raises(FileNotFoundError):
        list_images(str(tmp_path / 'missing'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='no images'):
        list_images(str(tmp_path / 'empty'))
    with pytest.raises(ValueError, match='batch_size'):
        next(read_words('x.py', None, ['a.png'], batch_size=0))
