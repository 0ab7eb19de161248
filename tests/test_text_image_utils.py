"""mmocr_mms.utils.text (character sets, label normaliser) and
mmocr_mms.utils.image (to_bgr_uint8): one definition each, imported
everywhere else."""
import ast
import glob
import os.path as osp

import numpy as np
import pytest
import torch

from mmocr_mms.datasets import TextLabelRule
from mmocr_mms.datasets.image_io import BadSample, decode_image
from mmocr_mms.evaluation import probe
from mmocr_mms.utils.image import UnsupportedImageError, to_bgr_uint8
from mmocr_mms.utils.text import (DEFAULT_CHARSET, PROTOCOL_CHARSET,
                                  PROTOCOL_PATTERN, normalize_label)
from mmocr_mms.visualization import reconstruction

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_charsets_and_pattern():
    assert PROTOCOL_CHARSET == '0123456789abcdefghijklmnopqrstuvwxyz'
    assert PROTOCOL_PATTERN == '[^0-9a-z]'
    assert DEFAULT_CHARSET == (
        '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')


def test_normalize_label():
    assert normalize_label('Hello, World!') == 'helloworld'
    assert normalize_label('PLEASE DRIVE') == 'pleasedrive'
    assert normalize_label('...&') == ''
    assert normalize_label('Ab-1 c', '[^a-z]') == 'abc'


def test_users_share_the_normaliser():
    # the probe's classes and normaliser, the label rule's protocol text
    assert probe.normalize_label is normalize_label
    assert probe.LinearCTCProbe(4).charset == PROTOCOL_CHARSET
    rule = TextLabelRule()
    for label in ['Hello, World!', 'A-b', '%', 'Straße']:
        assert rule.normalize(label) == normalize_label(label)


# Definitions that must exist once, in mmocr_mms/utils/text.py.
# synth_render.py is being rewritten elsewhere; its DEFAULT_CHARSET literal
# is allowed until it imports mmocr_mms.utils.text.DEFAULT_CHARSET.
PENDING: set = set()


def test_text_constants_defined_once():
    names = {'DEFAULT_CHARSET', 'PROTOCOL_CHARSET', 'PROTOCOL_PATTERN'}
    found = []
    for path in sorted(glob.glob(osp.join(ROOT, 'mmocr_mms', '**', '*.py'),
                                 recursive=True) +
                       glob.glob(osp.join(ROOT, 'tools', '**', '*.py'),
                                 recursive=True)):
        rel = osp.relpath(path, ROOT)
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) \
                    else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name) and t.id in names:
                        found.append((rel, t.id))
            elif isinstance(node, ast.Constant) and isinstance(
                    node.value, str) and (
                        node.value == PROTOCOL_PATTERN
                        or node.value.startswith(PROTOCOL_CHARSET)):
                found.append((rel, node.value))
    outside = [f for f in found if f[0] != 'mmocr_mms/utils/text.py'
               and f[0] not in PENDING]
    assert not outside, outside


def test_to_bgr_uint8_float_rounding_and_order():
    # RGB floats 0..255: rounded half up, clipped, channels reversed
    img = np.array([[[0.49, 0.5, 254.5], [300.0, -3.0, 127.2]]], np.float32)
    out = to_bgr_uint8(img, rgb=True)
    assert out.dtype == np.uint8 and out.shape == (1, 2, 3)
    assert out.tolist() == [[[255, 1, 0], [127, 0, 255]]]
    assert out.flags['C_CONTIGUOUS']
    # without rgb the order is kept; [0, 1] floats with float_max=1
    assert to_bgr_uint8(img[:, :1]).tolist() == [[[0, 1, 255]]]
    assert to_bgr_uint8(np.array([[0.5, 1.2]]), float_max=1.0).tolist() == \
        [[[128] * 3, [255] * 3]]
    # the word renderer's conversion (float RGB 0..255), bit for bit
    rng = np.random.default_rng(0)
    x = rng.uniform(-20, 275, (8, 16, 3)).astype(np.float32)
    renderer_way = np.clip(x + 0.5, 0, 255).astype(np.uint8)[:, :, ::-1]
    assert np.array_equal(to_bgr_uint8(x, rgb=True), renderer_way)


def test_to_bgr_uint8_depth_channels_alpha():
    assert to_bgr_uint8(np.array([[0, 257, 65535]], np.uint16)).tolist() == \
        [[[0] * 3, [1] * 3, [255] * 3]]
    gray = np.array([[7]], np.uint8)
    assert to_bgr_uint8(gray[:, :, None]).tolist() == [[[7, 7, 7]]]
    # alpha 0 -> white, 255 -> the colour; rgb reverses before compositing
    rgba = np.array([[[10, 20, 30, 0], [10, 20, 30, 255]]], np.uint8)
    assert to_bgr_uint8(rgba).tolist() == [[[255] * 3, [10, 20, 30]]]
    assert to_bgr_uint8(rgba, rgb=True).tolist() == [[[255] * 3,
                                                     [30, 20, 10]]]
    with pytest.raises(UnsupportedImageError) as e:
        to_bgr_uint8(np.zeros((2, 2), np.int32))
    assert e.value.reason == 'unsupported_dtype'
    assert isinstance(e.value, ValueError)
    with pytest.raises(UnsupportedImageError) as e:
        to_bgr_uint8(np.zeros((2, 2, 2), np.uint8))
    assert e.value.reason == 'unsupported_channels'


def test_decoding_and_pictures_use_the_helper():
    import cv2
    # 16-bit grayscale and transparent BGRA PNGs decode through it
    ok, png = cv2.imencode('.png', np.full((4, 4), 514, np.uint16))
    assert ok and decode_image(png.tobytes()).tolist() == \
        [[[2, 2, 2]] * 4] * 4
    bgra = np.zeros((4, 4, 4), np.uint8)
    bgra[..., :3] = (1, 2, 3)
    bgra[0, 0, 3] = 255
    ok, png = cv2.imencode('.png', bgra)
    out = decode_image(png.tobytes())
    assert out[0, 0].tolist() == [1, 2, 3] and out[1, 1].tolist() == [255] * 3
    with pytest.raises(BadSample, match='corrupt|empty'):
        decode_image(b'not an image')
    t = torch.tensor([[[0.4]], [[128.5]], [[300.0]]])  # (3, 1, 1) RGB
    assert reconstruction._to_bgr_uint8(t).tolist() == [[[255, 129, 0]]]
