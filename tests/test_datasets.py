"""Built-in data sources: synthetic, LMDB, image folder, labels.tsv."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmocr.registry import DATASETS

from mmocr_mms.datasets import (ImageFolderDataset, SynthWordDataset,
                                TSVTextRecogDataset, UnlabeledLMDBDataset,
                                collect_items, decode_image, write_lmdb)
from mmocr_mms.datasets.image_io import BadSample

MIM_PIPELINE = [
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    dict(type='MultiMasking', seed=0),
    dict(type='PackMIMInputs'),
]


def _png(img):
    ok, buf = cv2.imencode('.png', img)
    assert ok
    return buf.tobytes()


def _word(seed=0, h=40, w=120):
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 255, np.uint8)
    cv2.putText(img, 'ab%d' % seed, (5, h - 10), cv2.FONT_HERSHEY_SIMPLEX,
                1.0, tuple(int(c) for c in rng.integers(0, 120, 3)), 2)
    return img


@pytest.fixture
def bad_files(tmp_path):
    """A folder with 3 good images and one of each fault."""
    root = tmp_path / 'imgs'
    (root / 'sub').mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(root / f'good{i}.png'), _word(i))
    good = _png(_word(9))
    (root / 'corrupt.png').write_bytes(b'this is not an image at all')
    (root / 'empty.jpg').write_bytes(b'')
    (root / 'truncated.png').write_bytes(good[:len(good) // 3])
    cv2.imwrite(str(root / 'sub' / 'tiny.png'), np.zeros((1, 1, 3), np.uint8))
    return root


def test_decode_conversions():
    gray = np.full((10, 20), 7, np.uint8)
    assert decode_image(_png(gray)).shape == (10, 20, 3)
    rgba = np.zeros((10, 20, 4), np.uint8)  # fully transparent -> white
    out = decode_image(_png(rgba))
    assert out.shape == (10, 20, 3) and (out == 255).all()
    deep = np.full((10, 20, 3), 65535, np.uint16)
    out = decode_image(_png(deep))
    assert out.dtype == np.uint8 and (out == 255).all()
    for data, reason in [(b'', 'empty'), (b'garbage', 'corrupt'),
                         (_png(np.zeros((1, 1, 3), np.uint8)), 'too_small')]:
        with pytest.raises(BadSample) as e:
            decode_image(data)
        assert e.value.reason == reason


def test_synth_dataset_deterministic_and_labelled():
    a = SynthWordDataset(num_samples=50, seed=3, labelled=True,
                         pipeline=[dict(type='LoadOCRAnnotations',
                                        with_text=True)] + MIM_PIPELINE)
    b = SynthWordDataset(num_samples=50, seed=3, labelled=True,
                         pipeline=[dict(type='LoadOCRAnnotations',
                                        with_text=True)] + MIM_PIPELINE)
    assert len(a) == 50
    x, y = a[7], b[7]
    assert torch.equal(x['inputs'], y['inputs'])
    assert x['inputs'].shape == (3, 32, 128) and x['inputs'].dtype == torch.uint8
    assert x['data_samples'].gt_text.item == y['data_samples'].gt_text.item
    assert len(x['data_samples'].gt_text.item) > 0
    assert torch.equal(x['data_samples'].mask, y['data_samples'].mask)
    assert not torch.equal(a[8]['inputs'], x['inputs'])
    other = SynthWordDataset(num_samples=50, seed=4, pipeline=MIM_PIPELINE)
    assert not torch.equal(other[7]['inputs'], x['inputs'])


def test_synth_unlabeled_has_no_text():
    ds = SynthWordDataset(num_samples=5, pipeline=MIM_PIPELINE)
    assert 'gt_text' not in ds[0]['data_samples']
    with pytest.raises(ValueError, match='num_samples'):
        SynthWordDataset(num_samples=0)


def test_synth_fg_mask_matches_image():
    ds = SynthWordDataset(num_samples=5, with_fg_mask=True)
    out = ds[2]
    assert out['gt_fg_mask'].shape == out['img'].shape[:2]
    assert 0 < out['gt_fg_mask'].mean() < 0.9


def test_lmdb_round_trip_with_corrupt_images(tmp_path, bad_files):
    items = collect_items(str(bad_files))
    assert len(items) == 7
    # store everything unchecked, so the reader meets the bad records
    stats = write_lmdb(items, str(tmp_path / 'lmdb'), check=False,
                       progress=False)
    assert stats['written'] == 7
    ds = UnlabeledLMDBDataset(data_root=str(tmp_path / 'lmdb'),
                              pipeline=MIM_PIPELINE)
    assert len(ds) == 7
    outputs = [ds[i] for i in range(len(ds))]
    assert all(o['inputs'].shape == (3, 32, 128) for o in outputs)
    assert ds.skips.counts == {'corrupt': 2, 'empty': 1, 'too_small': 1}
    with pytest.raises(FileExistsError):
        write_lmdb(items, str(tmp_path / 'lmdb'), progress=False)


def test_lmdb_writer_checks_and_labels(tmp_path, bad_files):
    stats = write_lmdb(collect_items(str(bad_files)), str(tmp_path / 'l2'),
                       progress=False)
    assert stats == {'written': 3, 'corrupt': 2, 'empty': 1, 'too_small': 1}
    import lmdb
    env = lmdb.open(str(tmp_path / 'l2'), readonly=True, lock=False)
    with env.begin() as txn:
        assert txn.get(b'num-samples') == b'3'
        assert txn.get(b'label-000000001') is None
    env.close()


def test_lmdb_workers_open_their_own_environment(tmp_path, bad_files):
    """The main process reads the LMDB (as the reconstruction hook does),
    then forked workers, twice (workers restart each epoch), still read it;
    a second dataset over the same file works too."""
    write_lmdb(collect_items(str(bad_files)), str(tmp_path / 'l3'),
               progress=False)
    ds = UnlabeledLMDBDataset(data_root=str(tmp_path / 'l3'),
                              pipeline=MIM_PIPELINE)
    assert ds[0]['inputs'].shape == (3, 32, 128)  # main process reads
    other = UnlabeledLMDBDataset(data_root=str(tmp_path / 'l3'),
                                 pipeline=MIM_PIPELINE)
    assert len(other) == 3
    for _ in range(2):
        loader = torch.utils.data.DataLoader(
            ds, batch_size=3, num_workers=2, collate_fn=lambda b: b)
        assert sum(len(b) for b in loader) == 3


def test_lmdb_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        UnlabeledLMDBDataset(data_root=str(tmp_path / 'nope'))


def test_image_folder_recursive_and_list_file(bad_files):
    ds = ImageFolderDataset(data_root=str(bad_files), pipeline=MIM_PIPELINE)
    assert len(ds) == 7
    for i in range(len(ds)):
        assert ds[i]['inputs'].shape == (3, 32, 128)
    assert ds.skips.total == 4
    (bad_files / 'list.txt').write_text('good0.png\ngood2.png\n')
    listed = ImageFolderDataset(
        data_root=str(bad_files), ann_file='list.txt', pipeline=MIM_PIPELINE)
    assert len(listed) == 2
    assert listed[1]['data_samples'].img_path.endswith('good2.png')


def test_image_folder_refuses_empty(tmp_path):
    with pytest.raises(ValueError, match='no images'):
        ImageFolderDataset(data_root=str(tmp_path))


def test_refetch_gives_up_with_clear_error(tmp_path):
    root = tmp_path / 'mostlybad'
    root.mkdir()
    cv2.imwrite(str(root / '0.png'), _word(0))  # the probe finds this one
    for i in range(1, 6):
        (root / f'{i}.png').write_bytes(b'bad')
    ds = ImageFolderDataset(data_root=str(root), max_refetch=3)
    with pytest.raises(RuntimeError, match='could not be loaded'):
        ds[1]


@pytest.mark.parametrize('kind', ['folder', 'lmdb'])
def test_dataset_without_valid_image_fails_at_start(tmp_path, kind):
    root = tmp_path / 'allbad'
    root.mkdir()
    for i in range(3):
        (root / f'{i}.png').write_bytes(b'bad')
    (root / 'e.png').write_bytes(b'')
    if kind == 'folder':
        build = lambda: ImageFolderDataset(data_root=str(root))  # noqa
    else:
        write_lmdb(collect_items(str(root)), str(tmp_path / 'l'),
                   check=False, progress=False)
        build = lambda: UnlabeledLMDBDataset(  # noqa
            data_root=str(tmp_path / 'l'))
    with pytest.raises(ValueError, match="none of the first 4.*'corrupt': 3"):
        build()


def test_extreme_aspect_and_16bit_gray(tmp_path):
    root = tmp_path / 'odd'
    root.mkdir()
    cv2.imwrite(str(root / 'a_long.png'), np.zeros((10, 10000, 3), np.uint8))
    cv2.imwrite(str(root / 'b_gray16.png'), np.full((32, 100), 40000,
                                                    np.uint16))
    ds = ImageFolderDataset(data_root=str(root), pipeline=MIM_PIPELINE)
    out = ds[0]  # the 10000 x 10 crop is skipped, replaced by the next
    assert out['data_samples'].img_path.endswith('b_gray16.png')
    assert ds.skips.counts == {'extreme_aspect': 1}


def _tsv_folder(root, n=4):
    (root / 'IMG').mkdir(parents=True)
    lines = []
    for i in range(n):
        cv2.imwrite(str(root / 'IMG' / f'{i}.jpg'), _word(i))
        lines.append(f'IMG/{i}.jpg\tWord {i}')
    (root / 'IMG' / 'bad.jpg').write_bytes(b'')
    lines.append('IMG/bad.jpg\tbroken')
    (root / 'labels.tsv').write_text('\n'.join(lines) + '\n',
                                     encoding='utf-8')
    return root


RECOG_PIPELINE = [
    dict(type='LoadImageFromFile', ignore_empty=True, min_size=2),
    dict(type='LoadOCRAnnotations', with_text=True),
    dict(type='Resize', scale=(128, 32), keep_ratio=False),
    dict(type='PackTextRecogInputs',
         meta_keys=('img_path', 'ori_shape', 'img_shape', 'valid_ratio')),
]


def test_tsv_dataset_with_mmocr_pipeline(tmp_path):
    root = _tsv_folder(tmp_path / 'split')
    ds = DATASETS.build(dict(type='TSVTextRecogDataset', data_root=str(root),
                             pipeline=RECOG_PIPELINE))
    assert len(ds) == 5
    texts = [ds[i]['data_samples'].gt_text.item for i in range(5)]
    # the empty image is skipped (replaced by the next sample) and counted
    assert texts == ['Word 0', 'Word 1', 'Word 2', 'Word 3', 'Word 0']
    assert ds.skips.counts == {'pipeline': 1}


def test_tsv_missing_labels_and_files_are_counted(tmp_path):
    root = _tsv_folder(tmp_path / 'split', n=2)
    with open(root / 'labels.tsv', 'a', encoding='utf-8') as f:
        f.write('IMG/0.jpg\n')            # no tab: no label
        f.write('IMG/1.jpg\t\n')          # empty label
        f.write('IMG/gone.jpg\tGone\n')   # missing file
    ds = TSVTextRecogDataset(data_root=str(root), pipeline=RECOG_PIPELINE)
    assert len(ds) == 3  # 2 good + the empty (unreadable) image
    assert ds.skips.counts == {'missing_label': 2, 'missing': 1}


def test_tsv_without_usable_line_fails_at_start(tmp_path):
    (tmp_path / 'labels.tsv').write_text('IMG/a.jpg no tab here\n')
    with pytest.raises(ValueError, match='no usable image'):
        TSVTextRecogDataset(data_root=str(tmp_path))


def test_tsv_real_data(str_real_root):
    ds = TSVTextRecogDataset(data_root=osp.join(str_real_root, 'svt_train'),
                             pipeline=RECOG_PIPELINE)
    assert len(ds) == 257
    sample = ds[0]['data_samples']
    assert sample.gt_text.item == 'LIVING'
    assert ds[0]['inputs'].shape == (3, 32, 128)


def test_make_lmdb_tool_on_tsv(tmp_path):
    import subprocess
    import sys
    root = _tsv_folder(tmp_path / 'split')
    tool = osp.join(osp.dirname(__file__), '..', 'tools',
                    'dataset_converters', 'make_lmdb.py')
    r = subprocess.run([sys.executable, tool, str(root), str(tmp_path / 'o')],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert 'wrote 4 images' in r.stdout and "'empty': 1" in r.stdout
    import lmdb
    env = lmdb.open(str(tmp_path / 'o'), readonly=True, lock=False)
    with env.begin() as txn:
        assert txn.get(b'label-000000002').decode() == 'Word 1'
    env.close()
