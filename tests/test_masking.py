"""Properties of the MMS mask transforms (exact counts, shapes, coverage,
proportions, determinism)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from mmocr.registry import TRANSFORMS

from mmocr_mms.datasets.transforms import (BlockwiseMasking, MultiMasking,
                                           RandomPatchMasking, SpanMasking)
from mmocr_mms.datasets.transforms.masking import (bits_to_mask,
                                                   mask_to_bits)

GRIDS = st.sampled_from([(32, 128, 4), (16, 64, 4), (32, 128, 8),
                         (48, 96, 4), (32, 256, 4), (64, 64, 8)])
RATIOS = st.floats(0.15, 0.85)


def _grid_cells(rect):
    top, left, h, w = rect
    return {(r, c) for r in range(top, top + h) for c in range(left, left + w)}


@settings(max_examples=40, deadline=None)
@given(GRIDS, RATIOS, st.integers(0, 10**6))
def test_exact_counts_every_strategy(grid, ratio, idx):
    h, w, p = grid
    n = (h // p) * (w // p)
    cfgs = [RandomPatchMasking, SpanMasking]
    for cls in cfgs:
        t = cls(input_size=(h, w), patch_size=p, mask_ratio=ratio, seed=1)
        out = t.transform({'sample_idx': idx})
        assert out['mask'].shape == (h // p, w // p)
        assert out['mask'].dtype == bool
        assert out['mask'].sum() == round(ratio * n)
    if round(ratio * n) >= 4:
        t = BlockwiseMasking(
            input_size=(h, w), patch_size=p, mask_ratio=ratio, seed=1)
        assert t.transform({'sample_idx': idx})['mask'].sum() == round(
            ratio * n)
    if round(ratio * n) >= 4:
        t = SpanMasking(input_size=(h, w), patch_size=p, mask_ratio=ratio,
                        span_height=(1, h // p), seed=1)
        assert t.transform({'sample_idx': idx})['mask'].sum() == round(
            ratio * n)


@pytest.mark.parametrize('mode', ['sample', 'union'])
def test_multimasking_exact_counts(mode):
    t = MultiMasking(mode=mode, mask_ratio=0.6, seed=3)
    expected = {'random': 192, 'blockwise': 128, 'span': 102, 'union': 154}
    for idx in range(300):
        out = t.transform({'sample_idx': idx})
        assert out['mask'].sum() == expected[out['mask_type']]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), st.floats(0.2, 0.7),
       st.sampled_from([(4, 16, 0.3), (2, 8, 0.5), (6, 24, 0.25)]))
def test_blockwise_is_union_of_rectangles_within_bounds(idx, ratio, bounds):
    lo, hi, min_aspect = bounds
    t = BlockwiseMasking(mask_ratio=ratio, min_num_patches=lo,
                         max_num_patches=hi, min_aspect=min_aspect, seed=7)
    bits, rects, topped = t.sample_parts(idx)
    mask = bits_to_mask(bits, t.grid)
    covered = set()
    for rect in rects:
        top, left, h, w = rect
        assert 0 <= top and top + h <= 8 and 0 <= left and left + w <= 32
        # a clipped placement: never larger than the largest allowed shape
        assert h * w <= hi
        # the bounds hold before clipping: a rectangle outside them was
        # clipped, so it touches the border
        if h * w < lo or not (min_aspect - 1e-9 <= h / w
                              <= 1 / min_aspect + 1e-9):
            assert top == 0 or left == 0 or top + h == 8 or left + w == 32
        covered |= _grid_cells(rect)
    top_cells = set(zip(*np.nonzero(bits_to_mask(topped, t.grid))))
    assert covered | top_cells == set(zip(*np.nonzero(mask)))
    assert not covered & top_cells
    # The remainder rule: fewer top-up cells than the smallest rectangle.
    assert len(top_cells) < lo
    # Unclipped shapes respect area and aspect bounds.
    for h, w in t.shapes:
        assert lo <= h * w <= hi
        assert min_aspect - 1e-9 <= h / w <= 1 / min_aspect + 1e-9


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), st.floats(0.1, 0.9),
       st.sampled_from(['geometric', 'uniform']))
def test_span_masks_are_full_height_column_runs(idx, ratio, dist):
    t = SpanMasking(mask_ratio=ratio, distribution=dist, seed=5)
    mask = t.transform({'sample_idx': idx})['mask']
    target = round(ratio * 256)
    full_cols = mask.all(axis=0)
    assert full_cols.sum() == target // 8
    partial = [c for c in range(32) if mask[:, c].any() and not mask[:, c].all()]
    if target % 8:
        # one partial column: a vertical run beside a full column
        assert len(partial) == 1
        (c, ) = partial
        rows = np.flatnonzero(mask[:, c])
        assert len(rows) == target % 8
        assert rows[-1] - rows[0] == len(rows) - 1
        assert (c > 0 and full_cols[c - 1]) or (c < 31 and full_cols[c + 1])
    else:
        assert not partial


def test_span_lengths_respect_bounds_before_clipping():
    t = SpanMasking(mask_ratio=0.4, min_span=3, max_span=5, seed=0)
    target_cols = round(0.4 * 256) // 8
    for idx in range(200):
        _, spans, _ = t.sample_parts(idx)
        cols = set()
        for top, left, h, w in spans:
            assert h == 8 and 1 <= w <= 5
            # only spans clipped at the word ends or by the remaining budget
            # (fewer than min_span columns left to mask) may be shorter
            assert (w >= 3 or left == 0 or left + w == 32
                    or target_cols - len(cols) < 3), (idx, spans)
            cols |= set(range(left, left + w))


def test_partial_height_spans():
    t = SpanMasking(mask_ratio=0.3, span_height=(2, 4), seed=0)
    clipped = 0
    for idx in range(100):
        bits, spans, topped = t.sample_parts(idx)
        covered = set()
        for top, left, h, w in spans:
            # 2..4 rows, fewer only where clipped at the top/bottom border
            assert 0 <= top and top + h <= 8 and 1 <= h <= 4
            assert h >= 2 or top == 0 or top + h == 8
            clipped += h < 2
            covered |= _grid_cells((top, left, h, w))
        top_cells = set(zip(*np.nonzero(bits_to_mask(topped, t.grid))))
        assert covered | top_cells == set(
            zip(*np.nonzero(bits_to_mask(bits, t.grid))))
        assert len(covered | top_cells) == round(0.3 * 256)
    assert clipped  # spans do hang over the border


def _coverage(t, n):
    acc = np.zeros(t.grid)
    for idx in range(n):
        acc += t.transform({'sample_idx': idx})['mask']
    return acc / n


@pytest.mark.parametrize('transform,axis_tol', [
    (RandomPatchMasking(seed=11), 0.06),
    (BlockwiseMasking(seed=11), 0.12),
    (SpanMasking(seed=11), 0.12),
    (SpanMasking(span_height=(2, 6), seed=11), 0.12),
])
def test_coverage_is_close_to_uniform(transform, axis_tol):
    """Per-row and per-column masking frequency over 3000 samples stays
    within ``axis_tol`` (relative) of the mean: no systematic edge bias.
    (For comparison, placing 4-row blocks fully inside the 8-row grid
    covers the edge rows at 1/4 the rate of the middle rows.)"""
    cov = _coverage(transform, 3000)
    mean = cov.mean()
    rows, cols = cov.mean(axis=1), cov.mean(axis=0)
    assert np.abs(rows / mean - 1).max() < axis_tol, rows / mean
    assert np.abs(cols / mean - 1).max() < axis_tol, cols / mean


def test_multimasking_proportions_match_probs():
    probs = [0.5, 0.3, 0.2]
    t = MultiMasking(probs=probs, seed=2)
    n = 6000
    names = [t.transform({'sample_idx': i})['mask_type'] for i in range(n)]
    for p, name in zip(probs, ['random', 'blockwise', 'span']):
        freq = names.count(name) / n
        # 4.5 binomial standard deviations: fails by chance < 1e-5
        assert abs(freq - p) < 4.5 * np.sqrt(p * (1 - p) / n), (name, freq)


def test_per_strategy_ratios_inside_multimasking():
    t = MultiMasking(strategies=[
        dict(type='RandomPatchMasking', mask_ratio=0.6),
        dict(type='SpanMasking', mask_ratio=0.25)
    ], probs=[0.5, 0.5], seed=0)
    counts = {
        out['mask_type']: out['mask'].sum()
        for out in (t.transform({'sample_idx': i}) for i in range(50))
    }
    assert counts == {'random': round(0.6 * 256), 'span': 64}


def test_multimasking_rejects_strategy_seeds():
    """A strategy's own seed would be ignored (masks come from
    MultiMasking's seed), so it is refused unless it is MultiMasking's."""
    with pytest.raises(ValueError, match=r"SpanMasking has seed=2.*own seed"):
        MultiMasking(seed=1, strategies=[dict(type='SpanMasking', seed=2)])
    with pytest.raises(ValueError, match='RandomPatchMasking has seed=3'):
        MultiMasking(seed=1, strategies=[RandomPatchMasking(seed=3)])
    # None or MultiMasking's own seed are accepted and give the same masks
    # as leaving the seed out
    base = MultiMasking(seed=1, strategies=[dict(type='SpanMasking')])
    for seed in (None, 1):
        t = MultiMasking(seed=1, strategies=[dict(type='SpanMasking',
                                                  seed=seed)])
        assert t.strategies[0].seed == 1
        assert np.array_equal(t.generate(123), base.generate(123))
    built = MultiMasking(seed=1, strategies=[SpanMasking(seed=1)])
    assert np.array_equal(built.generate(123), base.generate(123))


def test_same_sample_same_mask_and_epochs_differ():
    for t in [RandomPatchMasking(seed=4), BlockwiseMasking(seed=4),
              SpanMasking(seed=4), MultiMasking(seed=4)]:
        a = t.transform({'sample_idx': 17})['mask']
        b = t.transform({'sample_idx': 17})['mask']
        c = t.transform({'sample_idx': 18})['mask']
        t.set_epoch(1)
        d = t.transform({'sample_idx': 17})['mask']
        t.set_epoch(0)
        assert np.array_equal(a, b)
        assert not np.array_equal(a, c)
        assert not np.array_equal(a, d)
        # another seed, another mask
        other = type(t)(seed=5).transform({'sample_idx': 17})['mask']
        assert not np.array_equal(a, other)


class _IndexDataset(torch.utils.data.Dataset):

    def __init__(self, transform):
        self.transform = transform

    def __len__(self):
        return 24

    def __getitem__(self, idx):
        out = self.transform.transform({'sample_idx': idx})
        return idx, torch.from_numpy(out['mask'])


@pytest.mark.parametrize('num_workers', [0, 2])
def test_masks_independent_of_worker_count(num_workers):
    t = MultiMasking(seed=9)
    reference = {
        i: torch.from_numpy(t.transform({'sample_idx': i})['mask'])
        for i in range(24)
    }
    loader = torch.utils.data.DataLoader(
        _IndexDataset(MultiMasking(seed=9)), batch_size=5,
        num_workers=num_workers, shuffle=True,
        generator=torch.Generator().manual_seed(num_workers))
    seen = 0
    for idxs, masks in loader:
        for i, m in zip(idxs.tolist(), masks):
            assert torch.equal(m, reference[i])
            seen += 1
    assert seen == 24


def test_bits_round_trip():
    rng = np.random.default_rng(0)
    for shape in [(8, 32), (3, 5), (16, 16)]:
        m = rng.random(shape) < 0.4
        assert np.array_equal(bits_to_mask(mask_to_bits(m), shape), m)


@pytest.mark.parametrize('cfg,arg', [
    (dict(type='RandomPatchMasking', mask_ratio=0.0), 'mask_ratio'),
    (dict(type='RandomPatchMasking', mask_ratio=1.0), 'mask_ratio'),
    (dict(type='RandomPatchMasking', mask_ratio=1.5), 'mask_ratio'),
    (dict(type='RandomPatchMasking', input_size=(30, 128)), 'patch_size'),
    (dict(type='RandomPatchMasking', patch_size=0), 'patch_size'),
    (dict(type='BlockwiseMasking', min_num_patches=20, max_num_patches=30,
          min_aspect=5.0, max_aspect=8.0), 'impossible'),
    (dict(type='BlockwiseMasking', min_num_patches=200), 'min_num_patches'),
    (dict(type='BlockwiseMasking', min_num_patches=8, max_num_patches=4),
     'max_num_patches'),
    (dict(type='BlockwiseMasking', min_aspect=-1), 'min_aspect'),
    (dict(type='SpanMasking', min_span=0), 'min_span'),
    (dict(type='SpanMasking', max_span=40), 'max_span'),
    (dict(type='SpanMasking', distribution='poisson'), 'distribution'),
    (dict(type='SpanMasking', p=0), 'p must'),
    (dict(type='SpanMasking', span_height=(3, 9)), 'span_height'),
    (dict(type='MultiMasking', probs=[0.5, 0.5, 0.5]), 'probs'),
    (dict(type='MultiMasking', probs=[1.2, -0.1, -0.1]), 'probs'),
    (dict(type='MultiMasking', probs=[0.5, 0.5]), 'probs'),
    (dict(type='MultiMasking', strategies=[dict(type='NoSuchMask')]),
     'strategies'),
    (dict(type='MultiMasking', strategies=[dict(type='Resize', scale=(1, 1))]),
     'strategies'),
    (dict(type='MultiMasking', strategies=[
        dict(type='SpanMasking', patch_size=8)]), 'patch_size'),
    (dict(type='MultiMasking', mode='union'), 'mask_ratio'),
    (dict(type='MultiMasking', seed=1, strategies=[
        dict(type='SpanMasking', seed=2)]), 'seed=2'),
    (dict(type='MultiMasking', mode='both'), 'mode'),
])
def test_invalid_arguments_raise_value_error(cfg, arg):
    with pytest.raises(ValueError, match=arg):
        TRANSFORMS.build(cfg)


def test_visualize_masks_tool(tmp_path):
    import os.path as osp
    import subprocess
    import sys

    import cv2
    tool = osp.join(osp.dirname(__file__), '..', 'tools', 'visualize_masks.py')
    out = tmp_path / 'm.png'
    r = subprocess.run([sys.executable, tool, '--num', '2', '--out', str(out),
                        '--scale', '1'], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    grid = cv2.imread(str(out))
    # layout of make_grid at scale 1: an 18 px title line, then per word a
    # row of 32 x 128 tiles, each followed by a 4 px gap
    assert grid.shape == (18 + 2 * (32 + 4), 4 * (128 + 4), 3)
    from mmocr_mms.visualization import word_images
    words = word_images(2, (32, 128), None, seed=0)
    strategies = [RandomPatchMasking(seed=0), BlockwiseMasking(seed=0),
                  SpanMasking(seed=0)]
    for i, word in enumerate(words):
        y = 18 + i * 36

        def tile(j):
            return grid[y:y + 32, j * 132:j * 132 + 128]

        assert np.array_equal(tile(0), word)
        for j, t in enumerate(strategies, 1):
            mask = t.transform({'sample_idx': i})['mask']
            big = np.kron(mask, np.ones((4, 4), int)).astype(bool)
            # masked patches are the overlay grey, the rest is the word
            assert np.all(tile(j)[big] == 128), (i, j)
            assert np.array_equal(tile(j)[~big], word[~big]), (i, j)
            assert big.sum() == 16 * t.num_masked
