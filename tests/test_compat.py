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
