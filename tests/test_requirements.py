"""Dependencies: mmpretrain and openmim are optional (benchmarks, tests),
`make install` still installs them, and the library works without
mmpretrain and says what needs it when it is missing."""
import importlib.util
import os.path as osp
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _check_install():
    spec = importlib.util.spec_from_file_location(
        'check_install', osp.join(ROOT, 'tools', 'misc', 'check_install.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_optional_dependencies_are_not_runtime_requirements():
    ci = _check_install()
    req = {f: set(ci.required(osp.join(ROOT, 'requirements', f)))
           for f in ci.INSTALLED_FILES}
    assert not {'mmpretrain', 'openmim'} & req['runtime.txt']
    assert 'mmpretrain' in req['benchmark.txt']
    assert 'openmim' in req['tests.txt']
    # `make force-install` installs every one of these files
    with open(osp.join(ROOT, 'Makefile'), encoding='utf-8') as f:
        make = f.read()
    for name in ci.INSTALLED_FILES:
        assert f'requirements/{name}' in make


def test_pins_compare_as_pep440_versions():
    """fontpkg wheels pinned `1.2` install metadata `1.002` (the same
    release for pip); local build tags are ignored; a different release is
    not accepted."""
    ci = _check_install()
    assert ci.same_release('1.002', '1.2')
    assert ci.same_release('2.14.1+cu130', '2.14.1')
    assert not ci.same_release('1.3', '1.2')
    assert not ci.same_release('2.14.0+cpu', '2.14.1')


def test_every_installed_requirement_is_pinned(tmp_path):
    ci = _check_install()
    assert ci.unpinned() == []
    # an unpinned addition is reported (so `make install` re-runs)
    shutil.copytree(osp.join(ROOT, 'requirements'), tmp_path / 'requirements')
    with open(tmp_path / 'requirements' / 'benchmark.txt', 'a') as f:
        f.write('somepkg>=1.0  # new\n')
    assert ci.unpinned(str(tmp_path)) == [
        'somepkg (requirements/benchmark.txt) has no pin in constraints.txt']


def test_library_works_without_mmpretrain():
    """With mmpretrain unimportable the package, MMOCR's models and our
    pretraining model still import and build."""
    code = textwrap.dedent("""
        import sys
        sys.modules['mmpretrain'] = None  # as if not installed
        import mmocr_mms, mmocr.models
        from mmocr.registry import MODELS
        from mmengine.registry import init_default_scope
        init_default_scope('mmocr')
        m = MODELS.build(dict(
            type='MMS',
            backbone=dict(type='TextViT', arch=dict(
                embed_dims=32, num_layers=1, num_heads=2)),
            decoder=dict(type='MIMPixelDecoder', embed_dims=32,
                         num_layers=1, num_heads=2)))
        assert not [k for k in sys.modules
                    if k.startswith('mmpretrain') and sys.modules[k]]
        print('ok')
    """)
    r = subprocess.run([sys.executable, '-c', code], capture_output=True,
                       text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0 and 'ok' in r.stdout, r.stderr[-3000:]


def test_benchmarks_name_the_missing_dependency(monkeypatch):
    from mmocr_mms.benchmarks import masks, train_step
    for name in [k for k in sys.modules if k.startswith('mmpretrain')] + [
            'mmpretrain']:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r'requirements/benchmark\.txt'):
        masks.run_mask_benchmark(n=1, repeats=1, pin_core=False)
    with pytest.raises(ImportError, match='mmpretrain'):
        train_step.build_mae(dict(embed_dims=32, num_layers=1, num_heads=2),
                             dict(embed_dims=32, num_layers=1, num_heads=2),
                             batch=1, mask_ratio=0.75)
