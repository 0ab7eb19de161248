"""pytest root configuration: import mmocr_mms first so MMOCR imports work
with mmcv-lite, and expose the shared data folder to tests."""
import os
import os.path as osp

import pytest

import mmocr_mms  # noqa: F401  (installs the mmcv compatibility layer)
from mmengine.registry import init_default_scope

# Stock MMOCR transforms inside dataset pipelines resolve in scope `mmocr`,
# as they do under a runner with default_scope='mmocr'.
init_default_scope('mmocr')

STR_REAL = os.environ.get(
    'MMOCR_MMS_STR_REAL',
    osp.join(osp.dirname(osp.abspath(__file__)), '..', 'shared', 'data',
             'str_real'))


@pytest.fixture
def str_real_root():
    """Path of ../shared/data/str_real; skips the test when it is absent."""
    if not osp.isdir(STR_REAL):
        pytest.skip(f'real word crops not found at {STR_REAL} '
                    '(set MMOCR_MMS_STR_REAL to their folder)')
    return osp.abspath(STR_REAL)
