"""The mmcv-lite compatibility layer."""
import subprocess
import sys
import textwrap

import pytest

from mmocr_mms.utils import compat


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=300)


def test_mmocr_imports_after_mmocr_mms():
    r = _run("""
        import mmocr_mms, mmocr.models, mmocr.datasets, mmpretrain.models
        from mmocr_mms.utils import is_compat_active, has_compiled_mmcv_ops
        print(is_compat_active(), has_compiled_mmcv_ops())
    """)
    assert r.returncode == 0, r.stderr[-2000:]
    active, compiled = r.stdout.split()
    assert active != compiled  # exactly one of the two is true


@pytest.mark.skipif(compat.has_compiled_mmcv_ops(),
                    reason='compiled mmcv installed: the layer is inactive')
def test_without_layer_mmocr_fails_to_import():
    """Shows the layer is needed: plain mmocr.models fails on mmcv-lite."""
    r = _run('import mmocr.models')
    assert r.returncode != 0
    assert "No module named 'mmcv._ext'" in r.stderr


@pytest.mark.skipif(compat.has_compiled_mmcv_ops(),
                    reason='compiled mmcv installed: the layer is inactive')
def test_calling_a_compiled_op_raises_actionable_error():
    import torch
    from mmcv.ops import RoIAlign, nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.]])
    scores = torch.tensor([0.9, 0.8])
    with pytest.raises(compat.CompiledOpsUnavailableError,
                       match=r"mmcv op 'nms'.*make mmcv-full"):
        nms(boxes, scores, 0.5)
    roi = RoIAlign((2, 2), 1.0)  # building is fine, calling is not
    with pytest.raises(compat.CompiledOpsUnavailableError, match='roi_align'):
        roi(torch.zeros(1, 1, 8, 8), torch.tensor([[0., 0., 0., 4., 4.]]))


def test_layer_is_inactive_when_compiled_ops_exist(monkeypatch):
    """With a real mmcv._ext present, install_mmcv_compat changes nothing."""
    import types
    fake_ext = types.ModuleType('mmcv._ext')
    monkeypatch.setitem(sys.modules, 'mmcv._ext', fake_ext)
    assert compat.has_compiled_mmcv_ops()
    assert not compat.is_compat_active()
    assert compat.install_mmcv_compat() is False
    assert sys.modules['mmcv._ext'] is fake_ext


@pytest.mark.skipif(compat.has_compiled_mmcv_ops(),
                    reason='compiled mmcv installed: the layer is inactive')
def test_mmengine_still_sees_no_mmcv_full():
    from mmengine.utils.dl_utils import mmcv_full_available
    assert compat.is_compat_active()
    assert mmcv_full_available() is False


def test_placeholder_behaves_like_a_module():
    mod = compat._MissingExtModule('mmcv._ext')
    with pytest.raises(AttributeError):
        mod.__wrapped__  # dunder look-ups are not ops
    assert callable(mod.some_op)
    assert mod.some_op.__name__ == 'some_op'


def _fake_transformers_5(root) -> dict:
    """A transformers 5.0.0 stand-in: any name imports (a dummy class)
    except the helpers that transformers 5 removed from modeling_utils and
    mmpretrain 1.2's BLIP model still imports. Returns the environment that
    puts it first on the path."""
    anything = ("def __getattr__(name):\n"
                "    if name.startswith('__'):\n"
                "        raise AttributeError(name)\n"
                "    import importlib\n"
                "    m = importlib.import_module('transformers.modeling_utils')\n"
                "    if name == 'PreTrainedModel':\n"
                "        return m.PreTrainedModel\n"
                "    return m.__dict__.setdefault(\n"
                "        name, type(name, (m.PreTrainedModel, ), {}))\n")
    pkg = root / 'transformers'
    (pkg / 'models' / 'auto').mkdir(parents=True)
    (pkg / 'models' / 'bert').mkdir(parents=True)
    for f in ('__init__.py', 'activations.py', 'modeling_outputs.py',
              'models/__init__.py', 'models/auto/__init__.py',
              'models/auto/auto_factory.py', 'models/bert/__init__.py',
              'models/bert/configuration_bert.py'):
        (pkg / f).write_text(anything)
    (pkg / 'modeling_utils.py').write_text(
        'class Config:\n'
        '    @classmethod\n'
        '    def from_pretrained(cls, *args, **kwargs):\n'
        '        return cls()\n'
        'class PreTrainedModel:\n'
        '    config_class = Config\n'
        '    from_config = Config.from_pretrained\n')
    meta = root / 'transformers-5.0.0.dist-info'
    meta.mkdir()
    (meta / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: transformers\nVersion: 5.0.0\n')
    import os
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(root), os.environ.get('PYTHONPATH', '')]))


def test_transformers_5_does_not_break_mmocr_models(tmp_path):
    """mmpretrain 1.2 + transformers 5 fails on ``import mmocr.models``
    ('NoneType takes no arguments'); after ``import mmocr_mms`` it works
    and mmpretrain's multimodal models are switched off."""
    env = _fake_transformers_5(tmp_path)
    # the mmcv placeholder alone, without importing the mmocr_mms package
    broken = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(f"""
            import importlib.util
            spec = importlib.util.spec_from_file_location(
                'compat_only', {compat.__file__!r})
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            mod.install_mmcv_compat()
            import mmpretrain.models
        """)], capture_output=True, text=True, env=env, timeout=300)
    assert broken.returncode != 0
    assert 'NoneType takes no arguments' in broken.stderr
    fixed = subprocess.run(
        [sys.executable, '-c', textwrap.dedent("""
            import mmocr_mms, mmocr.models, mmpretrain.models
            from mmpretrain.utils import dependency
            assert dependency.WITH_MULTIMODAL is False
            import transformers
            print('ok', transformers.__file__)
        """)], capture_output=True, text=True, env=env, timeout=300)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert 'ok' in fixed.stdout and str(tmp_path) in fixed.stdout


def _stand_in_transformers(monkeypatch, version, missing=()):
    """Put a transformers stand-in (``version``, every name mmpretrain's
    BLIP imports except ``missing``) into sys.modules, whatever is
    installed."""
    import importlib.machinery
    import importlib.metadata
    import types
    pkg = types.ModuleType('transformers')
    pkg.__spec__ = importlib.machinery.ModuleSpec('transformers', None,
                                                  is_package=True)
    pkg.__path__ = []
    monkeypatch.setitem(sys.modules, 'transformers', pkg)
    stand_ins = {}
    for module, names in compat._MMPRETRAIN_TRANSFORMERS_NAMES:
        parts = module.split('.')
        for i in range(2, len(parts) + 1):  # the module and its parents
            name = '.'.join(parts[:i])
            stand_ins.setdefault(name, types.ModuleType(name))
        for attr in names:
            if attr not in missing:
                setattr(stand_ins[module], attr, object())
    for name, mod in stand_ins.items():
        monkeypatch.setitem(sys.modules, name, mod)
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, 'version',
        lambda dist: version if dist == 'transformers' else
        real_version(dist))


@pytest.mark.parametrize('case,switched_off', [
    ('absent', False),
    ('4.40.0 complete', False),
    ('4.40.0 without apply_chunking_to_forward', True),
    ('5.0.0', True),
])
def test_multimodal_switch_for_each_transformers_state(monkeypatch, case,
                                                       switched_off):
    """mmpretrain's multimodal models are switched off exactly when the
    installed transformers cannot serve them; the same answer whether or
    not transformers is really installed here (stand-ins)."""
    import importlib.util

    from mmpretrain.utils import dependency
    monkeypatch.setattr(dependency, 'WITH_MULTIMODAL', True)
    # mmpretrain.models already imported: too late to change anything
    monkeypatch.setitem(sys.modules, 'mmpretrain.models',
                        sys.modules.get('mmpretrain.models', object()))
    assert compat.disable_broken_mmpretrain_multimodal() is False
    monkeypatch.delitem(sys.modules, 'mmpretrain.models')
    if case == 'absent':
        real_find_spec = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util, 'find_spec',
            lambda name, *a: None if name == 'transformers' else
            real_find_spec(name, *a))
    else:
        version, _, rest = case.partition(' ')
        missing = rest.split()[-1:] if rest.startswith('without') else ()
        _stand_in_transformers(monkeypatch, version, missing)
    assert compat.disable_broken_mmpretrain_multimodal() is switched_off
    assert dependency.WITH_MULTIMODAL is (not switched_off)
