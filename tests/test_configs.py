"""Every config parses, every metafile entry names an existing config, and
the OpenMMLab-named pretraining configs keep their documented aliases."""
import glob
import os.path as osp

import pytest
import yaml
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(ROOT, 'configs')
METAFILE_DIRS = ['configs/mms', 'configs/textrecog/nrtr',
                 'configs/textrecog/svtr', 'configs/textseg/vitseg',
                 'configs/textsr/vitsr', 'configs/textdet/dbnet']


def _configs():
    """Every config under configs/ outside the _base_ folders."""
    paths = glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    return sorted(osp.relpath(p, ROOT) for p in paths
                  if '_base_' not in osp.relpath(p, CONFIG_DIR).split(osp.sep))


def _metafile(folder):
    with open(osp.join(ROOT, folder, 'metafile.yml'), encoding='utf-8') as f:
        return yaml.safe_load(f)


def test_config_list_is_not_empty():
    # guards the glob: a wrong path would parametrize nothing
    assert len(_configs()) >= 20
    assert 'configs/mms/pretrain.py' in _configs()


@pytest.mark.parametrize('path', _configs())
def test_config_parses(path):
    cfg = Config.fromfile(osp.join(ROOT, path))
    assert cfg.model.type
    if not osp.basename(path).startswith('_base_'):  # folder-local bases
        assert cfg.default_scope == 'mmocr'
        assert 'mmocr_mms' in cfg.custom_imports.imports


@pytest.mark.parametrize('folder', METAFILE_DIRS)
def test_metafile(folder):
    """OpenMMLab metafile layout; Config paths exist; every (non-base,
    non-alias) config of the folder is listed exactly once; the epochs
    stated match the config."""
    meta = _metafile(folder)
    assert set(meta) == {'Collections', 'Models'}
    collections = {c['Name']: c for c in meta['Collections']}
    assert collections
    for c in collections.values():
        assert osp.isfile(osp.join(ROOT, c['README'])), c['README']
    listed = []
    for m in meta['Models']:
        assert {'Name', 'In Collection', 'Config', 'Metadata'} <= set(m)
        assert 'Weights' not in m  # no published weights
        assert m['In Collection'] in collections
        assert osp.isfile(osp.join(ROOT, m['Config'])), m['Config']
        assert osp.dirname(m['Config']) == folder
        assert m['Name'] == osp.splitext(osp.basename(m['Config']))[0]
        listed.append(m['Config'])
        epochs = m['Metadata'].get(
            'Epochs', collections[m['In Collection']]['Metadata'].get(
                'Epochs'))
        if epochs is not None:
            cfg = Config.fromfile(osp.join(ROOT, m['Config']))
            assert cfg.train_cfg.max_epochs == epochs, m['Name']
        for r in m.get('Results', []):
            assert {'Task', 'Dataset', 'Metrics'} <= set(r)
    aliases = {'pretrain.py', 'pretrain_mae.py', 'pretrain_demo.py'}
    own = sorted(p for p in _configs() if osp.dirname(p) == folder
                 and not osp.basename(p).startswith('_base_')
                 and osp.basename(p) not in aliases)
    assert sorted(listed) == own


def test_model_index_imports_every_metafile():
    with open(osp.join(ROOT, 'model-index.yml'), encoding='utf-8') as f:
        index = yaml.safe_load(f)
    assert sorted(index['Import']) == sorted(
        f'{d}/metafile.yml' for d in METAFILE_DIRS)
    found = glob.glob(osp.join(CONFIG_DIR, '**', 'metafile.yml'),
                      recursive=True)
    assert sorted(osp.relpath(p, ROOT) for p in found) == sorted(
        index['Import'])


@pytest.mark.parametrize('alias,target', [
    ('pretrain.py', 'mms_text-vit-s_20e_synth-words.py'),
    ('pretrain_mae.py', 'mae_text-vit-s_20e_synth-words.py'),
    ('pretrain_demo.py', 'mms_text-vit-demo_4e_synth-words.py'),
])
def test_pretrain_aliases_equal_named_configs(alias, target):
    a = Config.fromfile(osp.join(CONFIG_DIR, 'mms', alias))
    b = Config.fromfile(osp.join(CONFIG_DIR, 'mms', target))
    assert a.to_dict() == b.to_dict()


def _data_roots(node):
    """Every ``data_root`` value in a (nested) config."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == 'data_root' and isinstance(v, str):
                yield v
            else:
                yield from _data_roots(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _data_roots(v)


def test_default_data_roots_follow_mmocr(monkeypatch):
    """Datasets default to MMOCR's ``data/<name>`` layout; only the real
    word crops come from MMOCR_MMS_STR_REAL (default
    ../shared/data/str_real)."""
    monkeypatch.delenv('MMOCR_MMS_STR_REAL', raising=False)
    roots = {}
    for path in _configs():
        cfg = Config.fromfile(osp.join(ROOT, path))
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            for root in _data_roots(cfg.to_dict().get(loader, {})):
                roots.setdefault(root, path)
    str_real = '../shared/data/str_real'
    assert str_real in roots
    # the real crops' root or folders inside it (split image folders)
    others = {r for r in roots if r != str_real
              and not r.startswith(str_real + '/')}
    assert {'data/Union14M-U/book32_lmdb', 'data/word_crops',
            'data/TextSeg', 'data/TextZoom/train1',
            'data/icdar2015'} <= others
    assert all(r.startswith("data/") for r in others), \
        [r for r in others if not r.startswith("data/")]
    monkeypatch.setenv('MMOCR_MMS_STR_REAL', '/elsewhere/str_real')
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, 'textrecog/nrtr/nrtr_text-vit-s_10e_str-real.py'))
    assert cfg.train_dataloader.dataset.data_root == '/elsewhere/str_real'
