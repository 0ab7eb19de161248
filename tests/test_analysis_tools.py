"""tools/analysis_tools/plot_loss.py: loss curves of mmengine work dirs."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _tool():
    spec = importlib.util.spec_from_file_location(
        'plot_loss', osp.join(ROOT, 'tools', 'analysis_tools',
                              'plot_loss.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _work_dir(root, name, losses):
    log_dir = root / name / '20261130_000000'
    log_dir.mkdir(parents=True)
    lines = [f'2026/11/30 00:00:00 - mmengine - INFO - Iter(train) '
             f'[{25 * (k + 1):4d}/100]  lr: 1.0e-03  time: 0.3  '
             f'loss: {v}  loss_ctc: {v}' for k, v in enumerate(losses)]
    (log_dir / '20261130_000000.log').write_text('\n'.join(lines) + '\n')
    return str(root / name)


def test_plot_loss_writes_a_figure_and_reports_the_last_loss(
        tmp_path, capsys):
    tool = _tool()
    a = _work_dir(tmp_path, 'a', [4.0, 3.0, 2.0, 1.0])
    b = _work_dir(tmp_path, 'b', [4.0, 3.5, 3.25, 3.0])
    out = tmp_path / 'curves.png'
    tool.main([a, b, '--labels', 'run a', 'run b', '--smooth', '2',
               '--out', str(out)])
    text = capsys.readouterr().out
    assert 'run a: 4 points, last iteration 100, loss 1.0000' in text
    assert 'run b: 4 points, last iteration 100, loss 3.0000' in text
    assert out.stat().st_size > 1000
    assert open(out, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    # the running mean over 2 logged points
    assert tool.smoothed({25: 4.0, 50: 3.0, 75: 2.0}, 2) == {
        25: 4.0, 50: 3.5, 75: 2.5}


def test_plot_loss_refuses_bad_arguments(tmp_path):
    tool = _tool()
    a = _work_dir(tmp_path, 'a', [4.0, 3.0])
    with pytest.raises(SystemExit, match='1 labels for 2 work dirs'):
        tool.main([a, a, '--labels', 'x', '--out', str(tmp_path / 'o.png')])
    with pytest.raises(SystemExit, match='nothing to plot'):
        tool.main([str(tmp_path / 'empty'), '--out',
                   str(tmp_path / 'o.png')])
