"""Tests for mmocr_mms.datasets.synth_render (fast, CPU only, no downloads)."""
from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmocr_mms.datasets.synth_render import (_GENERATED_CHARS,
                                             DEFAULT_LEXICON, WordRenderer,
                                             default_font_paths,
                                             dejavu_font_paths, find_fonts,
                                             package_font_paths)

CHARSET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'


@pytest.fixture(scope='module')
def renderer() -> WordRenderer:
    # Module-scoped: building the glyph-coverage table costs a few ms/font.
    return WordRenderer()


NO_EFFECTS = dict(blur_prob=0.0, noise_std=(0.0, 0.0), lowres_prob=0.0,
                  curve_prob=0.0, decoration_prob=0.0, clutter_prob=0.0,
                  motion_blur_prob=0.0, jpeg_prob=0.0)


def _clean(**kwargs) -> WordRenderer:
    """Renderer without photometric degradations, decorations or clutter
    (for contrast and colour checks)."""
    return WordRenderer(**NO_EFFECTS, **kwargs)


def _assert_same(a, b) -> None:
    assert a[1] == b[1]
    assert a[0].shape == b[0].shape
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[2], b[2])


# -- fonts / lexicon ---------------------------------------------------------
def test_dejavu_fonts_without_display() -> None:
    paths = dejavu_font_paths()
    assert paths, 'matplotlib ships DejaVu fonts'
    assert paths == sorted(paths)
    names = [Path(p).name for p in paths]
    assert all(n.startswith('DejaVu') and n.endswith('.ttf') for n in names)
    assert not any('Display' in n for n in names)
    assert all(Path(p).is_file() for p in paths)


def test_default_fonts_come_from_the_font_wheels() -> None:
    """trdg's 100 Latin TTFs plus the fontpkg-<family> wheels
    (requirements/fonts-google.txt) plus DejaVu: at least 200 families
    that draw every letter and digit."""
    from PIL import ImageFont

    from mmocr_mms.datasets.synth_render import (_ALNUM, _font_coverage,
                                                 fontpkg_font_paths)
    pkg = package_font_paths()
    paths = default_font_paths()
    assert paths == sorted(set(pkg) | set(dejavu_font_paths()))
    # trdg ships 100 Latin TTFs (its CJK fonts are left out).
    assert sum('/trdg/' in p for p in pkg) == 100
    google = fontpkg_font_paths()
    assert google and set(google) <= set(pkg)
    assert len(pkg) == 100 + len(google)
    full = set(_ALNUM)
    families = {ImageFont.truetype(p, 12).getname()[0] for p in paths
                if full <= _font_coverage(p, tuple(sorted(full)))}
    assert len(families) >= 200, len(families)


def test_variable_fonts_get_a_regular_to_bold_weight() -> None:
    """Variable fonts default to any weight (often Thin); the renderer
    draws one in VARIABLE_WEIGHTS per sample, deterministically."""
    from PIL import Image, ImageDraw

    from mmocr_mms.datasets.synth_render import (VARIABLE_WEIGHTS,
                                                 _load_font, _set_weight,
                                                 _weight_axes,
                                                 fontpkg_font_paths)
    variable = [p for p in fontpkg_font_paths()
                if '[wght]' in Path(p).name]
    assert variable, 'fontpkg wheels ship variable fonts'
    path = variable[0]
    font = _load_font(path, 32)
    axes = _weight_axes(font)
    assert axes and _weight_axes(_load_font(
        str(Path(dejavu_font_paths()[0])), 32)) is None

    def ink(weight: float) -> int:
        _set_weight(font, axes, weight)
        canvas = Image.new('L', (400, 60), 0)
        ImageDraw.Draw(canvas).text((5, 5), 'Weight', font=font, fill=255)
        return int(np.asarray(canvas).astype(np.int64).sum())

    lo, hi = VARIABLE_WEIGHTS
    assert ink(hi) > ink(lo) * 1.2
    r = WordRenderer(fonts=[path], **NO_EFFECTS)
    a, b = r.render(0, 3), WordRenderer(fonts=[path], **NO_EFFECTS).render(
        0, 3)
    _assert_same(a, b)


def test_default_lexicon_shape() -> None:
    assert 300 <= len(DEFAULT_LEXICON) <= 500
    assert all(2 <= len(w) <= 14 for w in DEFAULT_LEXICON)
    assert all(w.isascii() and w.isalpha() for w in DEFAULT_LEXICON)
    # Case-insensitively unique: case variants come from the renderer.
    assert len({w.lower() for w in DEFAULT_LEXICON}) == len(DEFAULT_LEXICON)


def test_find_fonts_recursive_and_sorted(tmp_path: Path) -> None:
    src = default_font_paths()[0]
    (tmp_path / 'sub').mkdir()
    shutil.copy(src, tmp_path / 'sub' / 'b.TTF')
    shutil.copy(src, tmp_path / 'a.otf')
    (tmp_path / 'readme.txt').write_text('not a font')
    found = find_fonts(str(tmp_path))
    assert found == sorted(found)
    assert [Path(p).name for p in found] == ['a.otf', 'b.TTF']


def test_find_fonts_empty_dir_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match='font_dir'):
        find_fonts(str(tmp_path))


# -- determinism ---------------------------------------------------------------
def test_same_seed_index_identical_across_instances() -> None:
    a, b = WordRenderer(), WordRenderer()
    for index in (0, 1, 17, 12345):
        _assert_same(a.render(7, index), b.render(7, index))
        # Repeated calls on one instance (warm font cache) agree too.
        _assert_same(a.render(7, index), a.render(7, index))


def test_different_index_and_seed_differ(renderer: WordRenderer) -> None:
    base = renderer.render(0, 0)

    def differs(other) -> bool:
        return (other[1] != base[1] or other[0].shape != base[0].shape
                or not np.array_equal(other[0], base[0]))

    assert differs(renderer.render(0, 1))
    assert differs(renderer.render(1, 0))
    # Over many indices the texts are varied, not a handful of repeats.
    texts = {renderer.render(3, i)[1] for i in range(50)}
    assert len(texts) > 40


# Source shared by this process and a fresh interpreter (run with ``-c``, so
# it must not depend on importing this test module).
_DIGEST_SRC = """
import hashlib
from mmocr_mms.datasets.synth_render import WordRenderer


def digest(r, seed, n):
    h = hashlib.sha256()
    for index in range(n):
        img, text, mask = r.render(seed, index)
        h.update(text.encode())
        h.update(str(img.shape).encode())
        h.update(img.tobytes())
        h.update(mask.tobytes())
    return h.hexdigest()
"""


def test_identical_across_processes(renderer: WordRenderer) -> None:
    namespace: dict = {}
    exec(_DIGEST_SRC, namespace)
    expected = namespace["digest"](renderer, 4, 30)
    code = _DIGEST_SRC + '\nprint(digest(WordRenderer(), 4, 30))\n'
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(root)] + [p for p in [env.get('PYTHONPATH')] if p])
    out = subprocess.run([sys.executable, '-c', code], cwd=root, env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_pickle_round_trip_renders_identically(
        renderer: WordRenderer) -> None:
    renderer.render(0, 0)  # fill the font cache before pickling
    clone = pickle.loads(pickle.dumps(renderer))
    assert clone._font_cache == {}
    for index in range(5):
        _assert_same(renderer.render(11, index), clone.render(11, index))


def test_negative_seed_or_index_rejected(renderer: WordRenderer) -> None:
    with pytest.raises(ValueError, match='seed'):
        renderer.render(-1, 0)
    with pytest.raises(ValueError, match='index'):
        renderer.render(0, -1)


# -- output format -------------------------------------------------------------
def test_output_format(renderer: WordRenderer) -> None:
    allowed = set(CHARSET) | set(_GENERATED_CHARS)
    for index in range(40):
        img, text, mask = renderer.render(5, index)
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
        assert img.flags['C_CONTIGUOUS']
        assert mask.dtype == np.bool_ and mask.shape == img.shape[:2]
        h, w = mask.shape
        # Natural word crop: roughly height..2*height (+ rotation growth).
        assert 24 <= h <= 128 and w >= 16
        assert 0.4 <= w / h <= 14
        assert mask.any() and not mask.all()
        # hairline faces (Lato Hairline, Walkway) cover under 1% of a crop
        assert 0.003 < mask.mean() < 0.8
        assert text and set(text) <= allowed
        assert 1 <= len(text) <= renderer.max_len


def test_lexicon_case_styles(renderer: WordRenderer) -> None:
    lex = {w.lower(): w for w in renderer.lexicon}
    r = WordRenderer(random_word_prob=0.0)
    styles = set()
    for index in range(300):
        text = r.render(0, index)[1]
        word = lex[text.lower()]  # always a lexicon word
        for name, variant in (('upper', word.upper()),
                              ('lower', word.lower()),
                              ('title', word[:1].upper() + word[1:].lower())):
            if text == variant and len(word) > 1:
                styles.add(name)
        if len(word) > 2 and text not in (word.upper(), word.lower(),
                                          word[:1].upper() + word[1:]):
            styles.add('random')
    assert styles == {'upper', 'lower', 'title', 'random'}


def test_random_strings_from_charset() -> None:
    r = WordRenderer(random_word_prob=1.0, min_len=3, max_len=6,
                     charset='abcXYZ789')
    lengths = set()
    for index in range(60):
        text = r.render(1, index)[1]
        assert set(text) <= set('abcXYZ789')
        assert 3 <= len(text) <= 6
        lengths.add(len(text))
    assert lengths == {3, 4, 5, 6}


def test_lexicon_filtered_by_max_len() -> None:
    r = WordRenderer(lexicon=['ok', 'hotel', 'supermarket'], max_len=5,
                     random_word_prob=0.0)
    assert r.lexicon == ('ok', 'hotel')
    texts = {r.render(0, i)[1].lower() for i in range(30)}
    assert texts == {'ok', 'hotel'}


def test_words_without_glyphs_are_dropped() -> None:
    # DejaVu has no CJK ideographs: the word would render as .notdef boxes
    # with a label that does not describe the pixels.
    r = WordRenderer(lexicon=['hello', '\u4e2d\u6587'], random_word_prob=0.0)
    assert r.lexicon == ('hello',)
    with pytest.raises(ValueError, match='lexicon'):
        WordRenderer(lexicon=['\u4e2d\u6587'], random_word_prob=0.0)
    with pytest.raises(ValueError, match='charset'):
        WordRenderer(charset='abc\u4e2d')


def test_user_font_dir(tmp_path: Path) -> None:
    src = Path(default_font_paths()[0])
    shutil.copy(src, tmp_path / 'MyFont.ttf')
    r = WordRenderer(fonts=[], font_dir=str(tmp_path))
    assert r.fonts == (str(tmp_path / 'MyFont.ttf'),)
    img, text, mask = r.render(0, 0)
    assert text and mask.any() and img.shape[:2] == mask.shape
    # font_dir adds to the defaults when fonts is None.
    both = WordRenderer(font_dir=str(tmp_path))
    assert len(both.fonts) == len(default_font_paths()) + 1


# -- appearance ---------------------------------------------------------------
def test_text_contrasts_with_background() -> None:
    r = _clean()
    for index in range(12):
        img, _, mask = r.render(2, index)
        gray = img.astype(np.float64) @ np.array([0.114, 0.587, 0.299])
        inner = gray[mask].mean()
        outer = gray[~mask].mean()
        assert abs(inner - outer) > 30, (index, inner, outer)


def test_mask_matches_image_without_warp() -> None:
    # Flat background, no degradation: glyph pixels have the text colour
    # and pixels far from any glyph have the background colour.
    r = _clean(rotation=0.0, perspective=0.0)
    for index in range(8):
        img, _, mask = r.render(9, index)
        core = img[mask].astype(np.int16)
        # Anti-aliasing only touches the mask border; the glyph interior is
        # (nearly) one colour.
        assert np.median(np.abs(core - np.median(core, 0)).sum(1)) < 40


class _RedOnBlack(WordRenderer):
    """Forces RGB text colour (255, 0, 0) on black to pin the channel order."""

    def _sample_colors(self, rng):
        return (np.array([255, 0, 0], np.float32),
                np.zeros(3, np.float32))


def test_channel_order_is_bgr() -> None:
    r = _RedOnBlack(**NO_EFFECTS)
    img, _, mask = r.render(0, 0)
    glyph = img[mask].astype(np.float64).mean(0)
    # Red lives in the last channel in BGR order.
    assert glyph[2] > 150 and glyph[0] < 30 and glyph[1] < 30


# -- validation ---------------------------------------------------------------
@pytest.mark.parametrize('kwargs, name', [
    (dict(random_word_prob=-0.1), 'random_word_prob'),
    (dict(random_word_prob=1.5), 'random_word_prob'),
    (dict(blur_prob=-1), 'blur_prob'),
    (dict(lowres_prob=2), 'lowres_prob'),
    (dict(min_len=5, max_len=3), 'min_len'),
    (dict(min_len=0), 'min_len'),
    (dict(max_len=0), 'max_len'),
    (dict(height=4), 'height'),
    (dict(rotation=-1), 'rotation'),
    (dict(perspective=0.9), 'perspective'),
    (dict(noise_std=(5, 1)), 'noise_std'),
    (dict(noise_std=(-1, 2)), 'noise_std'),
    (dict(min_contrast=200), 'min_contrast'),
    (dict(lexicon=[], random_word_prob=0.0), 'lexicon'),
    (dict(lexicon=['two words']), 'lexicon'),
    (dict(charset='', random_word_prob=0.5), 'charset'),
    (dict(charset='a b'), 'charset'),
    (dict(fonts=['/nonexistent/font.ttf']), 'fonts'),
    (dict(fonts=[]), 'fonts'),
    (dict(curve_prob=2), 'curve_prob'),
    (dict(jpeg_prob=-0.5), 'jpeg_prob'),
    (dict(max_bend=3), 'max_bend'),
    (dict(temperature=-1), 'temperature'),
    (dict(text_probs=dict(poem=1.0)), 'text_probs'),
    (dict(text_probs=dict(word=0.0)), 'text_probs'),
    (dict(lexicon='everything'), 'lexicon'),
    (dict(lexicon_size=0), 'lexicon_size'),
    (dict(text_probs=dict(word=1.0), random_word_prob=0.5),
     'random_word_prob'),
])
def test_invalid_arguments(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        WordRenderer(**kwargs)


def test_invalid_font_file(tmp_path: Path) -> None:
    bad = tmp_path / 'broken.ttf'
    bad.write_bytes(b'not a font')
    with pytest.raises(ValueError, match='fonts: none of the fonts'):
        WordRenderer(fonts=[str(bad)])
    with pytest.raises(ValueError, match='font_dir'):
        WordRenderer(font_dir=str(tmp_path / 'missing'))


def test_empty_lexicon_ok_when_only_random() -> None:
    r = WordRenderer(lexicon=[], random_word_prob=1.0)
    assert set(r.render(0, 0)[1]) <= set(CHARSET)


def test_bad_fonts_are_skipped_and_counted(tmp_path: Path) -> None:
    bad = tmp_path / 'broken.ttf'
    bad.write_bytes(b'<!doctype html><html>not a font</html>')
    good = dejavu_font_paths()[0]
    with pytest.warns(UserWarning, match='skipped 1 of 2 fonts'):
        r = WordRenderer(fonts=[good, str(bad)])
    assert r.fonts == (good,)
    assert list(r.skipped_fonts) == [str(bad)]
    assert r.skipped_fonts[str(bad)].startswith('cannot load')
    assert r.render(0, 0)[1]


def test_default_lexicon_is_wordfreq(renderer: WordRenderer) -> None:
    from mmocr_mms.datasets.synth_text import wordfreq_lexicon
    # >= 50,000 English words, most frequent first, filtered by length.
    assert len(renderer.lexicon) >= 50000
    full = wordfreq_lexicon()
    expected = tuple(w for w in full if 1 <= len(w) <= renderer.max_len)
    assert renderer.lexicon[:1000] == expected[:1000]
    assert renderer.lexicon[0] == 'the'


def test_text_kinds_all_occur() -> None:
    """Numbers, prices, dates, codes and punctuated words are drawn (each
    recognisable by its characters), not only letters."""
    r = _clean()
    texts = [r.render(8, i)[1] for i in range(300)]
    assert any(t.startswith('$') for t in texts)            # price
    assert any(':' in t or '/' in t for t in texts)         # date / time
    assert any(t.isdigit() for t in texts)                  # number
    assert any("'" in t or '-' in t or '&' in t for t in texts)
    assert any(t.isalpha() and t.isupper() for t in texts)  # UPPER words
    assert sum(t.isalpha() for t in texts) > 150            # mostly words


def test_effects_change_pixels_not_the_label_mask() -> None:
    """Curves, decorations and clutter each change the image; the mask
    stays the labelled text's glyphs (clutter and decorations are not in
    it)."""
    base = _clean()
    for name in ('curve_prob', 'decoration_prob', 'clutter_prob',
                 'motion_blur_prob', 'jpeg_prob'):
        kwargs = dict(NO_EFFECTS)
        kwargs[name] = 1.0
        r = WordRenderer(**kwargs)
        changed = 0
        for i in range(6):
            a, b = base.render(4, i), r.render(4, i)
            assert a[1] == b[1], name  # same text: effects draw later
            changed += a[0].shape != b[0].shape or \
                not np.array_equal(a[0], b[0])
        assert changed == 6, name
    # Clutter adds ink outside the labelled text's mask (red text on
    # black: red pixels far from the mask are neighbouring text).
    import cv2
    for clutter, expect in ((0.0, False), (1.0, True)):
        r = _RedOnBlack(**dict(NO_EFFECTS, clutter_prob=clutter,
                               rotation=0.0, perspective=0.0))
        found = []
        for i in range(6):
            img, _, mask = r.render(5, i)
            near = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5)))
            red = img[:, :, 2] > 128
            found.append(bool((red & (near == 0)).any()))
        assert all(found) if expect else not any(found), (clutter, found)


def test_segmentation_dataset_turns_clutter_off() -> None:
    from mmocr_mms.datasets import SynthWordDataset
    seg = SynthWordDataset(num_samples=2, with_fg_mask=True, pipeline=[])
    assert seg.renderer.clutter_prob == 0.0
    rec = SynthWordDataset(num_samples=2, labelled=True, pipeline=[])
    assert rec.renderer.clutter_prob == 0.2
    forced = SynthWordDataset(num_samples=2, with_fg_mask=True, pipeline=[],
                              renderer=dict(clutter_prob=0.5))
    assert forced.renderer.clutter_prob == 0.5
