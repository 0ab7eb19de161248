"""SynthTIGER as an alternative word renderer, for the renderer comparison.

SynthTIGER (``pip install -r requirements/synthtiger.txt``, MIT) ships its
engine but not its resources (fonts, corpus, colour maps, textures), and
those cannot be downloaded here. :func:`build_resources` writes equivalent
minimal resources from what this project already has:

- fonts: :func:`~mmocr_mms.datasets.synth_render.default_font_paths`
  (trdg + DejaVu; 185 files when measured, with the since-dropped
  pretix-fontpack-free), linked into one folder
  with the ``<font>.txt`` glyph list SynthTIGER reads next to each font;
  the glyph lists are :class:`WordRenderer`'s own coverage check (glyphs
  that draw something other than .notdef), so both engines pick from the
  same fonts for the same text;
- corpus: ``num_texts`` texts drawn from our
  :class:`~mmocr_mms.datasets.synth_text.TextSampler` (wordfreq words in
  all case styles, numbers, prices, dates, codes, punctuated words), one
  per line, so both engines draw the same text distribution and the
  comparison isolates the rendering;
- colour map: ``colormap.txt`` in SynthTIGER's k=2 format (one pair of
  ``centre std`` gray clusters per line), centres at least
  ``min_contrast`` = 50 apart, as :class:`WordRenderer` requires;
- textures: ``num_textures`` procedural grayscale PNGs (smooth noise,
  gradients, stripes, speckle), in place of SynthTIGER's photo textures.

:func:`make_template` builds a SynthTIGER template composed from its
components (per-character layout straight or curved, border / shadow /
extrusion, perspective / trapezoid / skew / rotation, coloured background
with texture, noise / blur / resampling / median / motion blur / JPEG).
What SynthTIGER's reference template has and this one switches off:
midground text (neighbouring words), character- and length-augmented
corpora, vertical text, photo textures (procedural instead) and the
IIIT5K-fitted colour map (generated instead).

:func:`render_lmdb_synthtiger` writes sample ``i`` (deterministic per
``(seed, i)``: the global ``random``, NumPy and imgaug states are seeded
from ``SeedSequence([seed, i, attempt])`` before each try, as SynthTIGER's
own generator does per task) into the MMOCR recognition LMDB layout that
:class:`~mmocr_mms.datasets.LabelledLMDBDataset` reads.
"""
from __future__ import annotations

import os
import os.path as osp
import time

import cv2
import numpy as np

__all__ = ['build_resources', 'make_template',
           'render_synthtiger', 'render_lmdb_synthtiger']

_INSTALL_HINT = ('SynthTIGER is not installed; install it with '
                 '`pip install -c requirements/constraints.txt '
                 '-r requirements/synthtiger.txt`')


def _require_synthtiger():
    try:
        import synthtiger  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(_INSTALL_HINT) from exc
    _pillow_getsize_shim()


def _pillow_getsize_shim() -> None:
    """SynthTIGER 1.2.1's ``TextLayer`` calls ``FreeTypeFont.getsize``,
    which Pillow 10 removed (we pin Pillow 13). Add it back, in the
    process that uses SynthTIGER only, as Pillow's deprecation note
    describes: width from ``getlength`` (advance) or the ink's right edge,
    whichever is larger, height from the ink's bottom edge."""
    from PIL import ImageFont
    if hasattr(ImageFont.FreeTypeFont, 'getsize'):
        return

    def getsize(self, text, direction=None, *args, **kwargs):
        _, _, right, bottom = self.getbbox(text, direction=direction)
        width = int(np.ceil(self.getlength(text, direction=direction)))
        return max(width, int(right)), int(bottom)

    ImageFont.FreeTypeFont.getsize = getsize


def _textures(rng: np.random.Generator, num: int, size: int = 256) -> list:
    """``num`` procedural grayscale textures of ``size`` x ``size``."""
    out = []
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    for i in range(num):
        kind = i % 4
        if kind == 0:  # smooth noise at a random scale
            cells = int(rng.integers(3, 24))
            small = rng.random((cells, cells)).astype(np.float32)
            tex = cv2.resize(small, (size, size),
                             interpolation=cv2.INTER_CUBIC)
        elif kind == 1:  # linear gradient in a random direction
            a = rng.uniform(0, 2 * np.pi)
            tex = np.cos(a) * xx + np.sin(a) * yy
        elif kind == 2:  # stripes / grain
            f = rng.uniform(4, 40)
            a = rng.uniform(0, np.pi)
            tex = 0.5 + 0.5 * np.sin(
                2 * np.pi * f * (np.cos(a) * xx + np.sin(a) * yy))
        else:  # speckle on paper
            tex = cv2.GaussianBlur(
                rng.random((size, size)).astype(np.float32), (0, 0),
                rng.uniform(0.5, 2.0))
        tex = tex - tex.min()
        tex = tex / max(float(tex.max()), 1e-6)
        lo, hi = sorted(rng.uniform(0, 255, 2))
        out.append((lo + tex * (hi - lo)).astype(np.uint8))
    return out


def build_resources(root: str, seed: int = 0, num_texts: int = 100000,
                    num_colormaps: int = 1000, num_textures: int = 32,
                    min_contrast: float = 50.0,
                    renderer: dict | None = None) -> dict:
    """Write SynthTIGER resources under ``root`` and return their paths.

    Args:
        root: Folder to write ``fonts/``, ``corpus.txt``, ``colormap.txt``
            and ``textures/`` into (created; existing files are replaced).
        seed: Seed of the corpus, colour map and textures.
        num_texts: Corpus lines (texts from our ``TextSampler``).
        num_colormaps: Colour-map lines (pairs of gray clusters).
        num_textures: Procedural texture images.
        min_contrast: Smallest gray difference of a colour-map pair.
        renderer: :class:`WordRenderer` keyword arguments defining fonts,
            lexicon and text sampler (default: the defaults).

    Returns:
        dict with ``fonts`` (folder), ``corpus``, ``colormap`` (files),
        ``textures`` (folder) and ``num_fonts``.
    """
    from mmocr_mms.datasets.synth_render import WordRenderer
    for name, value in (('num_texts', num_texts),
                        ('num_colormaps', num_colormaps),
                        ('num_textures', num_textures)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be an int >= 1, got {value!r}')
    if not 0 <= min_contrast <= 200:
        raise ValueError(
            f'min_contrast must be in [0, 200], got {min_contrast!r}')
    r = WordRenderer(**(renderer or {}))
    font_dir = osp.join(root, 'fonts')
    tex_dir = osp.join(root, 'textures')
    os.makedirs(font_dir, exist_ok=True)
    os.makedirs(tex_dir, exist_ok=True)
    # Coverage of each font as WordRenderer checked it (drawn glyphs).
    coverage = r._coverage
    for i, (path, cov) in enumerate(zip(r.fonts, coverage)):
        stem = f'{i:04d}_' + osp.splitext(osp.basename(path))[0]
        link = osp.join(font_dir, stem + '.ttf')
        if osp.lexists(link):
            os.remove(link)
        os.symlink(osp.abspath(path), link)
        with open(osp.join(font_dir, stem + '.txt'), 'w',
                  encoding='utf-8') as f:
            f.write(''.join(sorted(cov)))

    rng = np.random.Generator(np.random.PCG64([seed, 0x5117]))
    corpus = osp.join(root, 'corpus.txt')
    with open(corpus, 'w', encoding='utf-8') as f:
        written = 0
        while written < num_texts:
            text = r.text_sampler.sample(rng)
            need = set(text)
            if any(need <= cov for cov in coverage):
                f.write(text + '\n')
                written += 1

    colormap = osp.join(root, 'colormap.txt')
    with open(colormap, 'w', encoding='utf-8') as f:
        for _ in range(num_colormaps):
            while True:
                a, b = rng.uniform(0, 255, 2)
                if abs(a - b) >= min_contrast:
                    break
            sa, sb = rng.uniform(1, 8, 2)
            f.write(f'{a:.1f} {sa:.2f} {b:.1f} {sb:.2f}\n')

    for i, tex in enumerate(_textures(rng, num_textures)):
        cv2.imwrite(osp.join(tex_dir, f'tex_{i:03d}.png'), tex)
    return dict(fonts=font_dir, corpus=corpus, colormap=colormap,
                textures=tex_dir, num_fonts=len(r.fonts))


def _template_base():
    _require_synthtiger()
    from synthtiger import templates
    return templates.Template


def make_template(resources: dict, height: int = 32, curve_prob: float = 0.15,
                  style_prob: float = 0.2, transform_prob: float = 0.7,
                  texture_prob: float = 0.5, effect_prob: float = 0.6):
    """A SynthTIGER ``Template`` that draws one word crop per call.

    ``generate()`` returns ``dict(image=uint8 (H, W, 3) RGB, label=str)``
    with ``H`` about ``height`` to ``2 * height`` (font size in
    ``[height, 1.5 * height]`` as :class:`WordRenderer`, plus a margin).

    Args:
        resources: :func:`build_resources` output.
        height: Nominal crop height in pixels.
        curve_prob: Probability of a curved (arched) character layout.
        style_prob: Probability of a border, shadow or extrusion.
        transform_prob: Probability of a perspective, trapezoid, skew or
            rotation.
        texture_prob: Probability of a texture on the background.
        effect_prob: Probability of one of noise, Gaussian blur,
            resampling, median blur, motion blur or JPEG compression.
    """
    base = _template_base()
    from synthtiger import components, layers, utils

    for name, p in (('curve_prob', curve_prob), ('style_prob', style_prob),
                    ('transform_prob', transform_prob),
                    ('texture_prob', texture_prob),
                    ('effect_prob', effect_prob)):
        if not 0 <= p <= 1:
            raise ValueError(f'{name} must be in [0, 1], got {p!r}')
    if isinstance(height, bool) or not isinstance(height, int) or height < 8:
        raise ValueError(f'height must be an int >= 8, got {height!r}')

    class _SynthTigerWords(base):
        """SynthTIGER template of single-word crops (see make_template)."""

        def __init__(self, config=None):
            super().__init__(config)
            self.height = height
            self.corpus = components.BaseCorpus(
                paths=[resources['corpus']], weights=[1])
            self.font = components.BaseFont(
                paths=[resources['fonts']], weights=[1],
                size=(height, int(round(1.5 * height))), bold=0.1)
            self.color = components.GrayMap(
                paths=[resources['colormap']], weights=[1], k=2,
                colorize=0.5)
            self.layout = components.Selector(
                [components.FlowLayout(),
                 components.CurveLayout(curve=(height // 3, height),
                                        convex=0.5, upward=0.5)],
                weights=[1 - curve_prob, curve_prob])
            self.style = components.Switch(components.Selector([
                components.TextBorder(size=(1, max(2, height // 12))),
                components.TextShadow(distance=(1, max(2, height // 8))),
                components.TextExtrusion(length=(1, max(2, height // 8))),
            ]), prob=style_prob)
            self.transform = components.Switch(components.Selector([
                components.Perspective(percents=((0.85, 1), (0.85, 1))),
                components.Trapezoidate(percent=(0.85, 1)),
                components.Skew(angle=(-15, 15)),
                components.Rotate(angle=(-5, 5)),
            ]), prob=transform_prob)
            self.texture = components.Switch(components.BaseTexture(
                paths=[resources['textures']], weights=[1],
                alpha=(0, 0.5), grayscale=1, crop=1), prob=texture_prob)
            self.pad = components.Pad(percents=((0.05, 0.25),) * 4)
            self.effect = components.Switch(components.Selector([
                components.AdditiveGaussianNoise(scale=(2, 12)),
                components.GaussianBlur(sigma=(0.4, 1.2)),
                components.Resample(size=(0.3, 0.8)),
                components.MedianBlur(k=(1, 2)),
                components.MotionBlur(k=(3, 5)),
                components.JpegCompression(compression=(40, 90)),
            ]), prob=effect_prob)

        def generate(self):
            text = self.corpus.data(self.corpus.sample())
            fg, bg = self.color.data(self.color.sample())
            font = self.font.sample({'text': text})
            chars = utils.split_text(text, reorder=True)
            char_layers = [layers.TextLayer(ch, color=fg, **font)
                           for ch in chars]
            self.layout.apply(char_layers)
            text_layer = layers.Group(char_layers).merge()
            self.style.apply([text_layer])
            self.transform.apply([text_layer])
            components.Fit().apply([text_layer])
            self.pad.apply([text_layer])
            bg_layer = layers.RectLayer(text_layer.size, bg)
            bg_layer.topleft = text_layer.topleft
            self.texture.apply([bg_layer])
            image = (text_layer + bg_layer).merge()
            self.effect.apply([image])
            rgb = np.clip(image.output()[..., :3], 0, 255).astype(np.uint8)
            return dict(image=rgb, label=text)

        def init_save(self, root):
            pass

        def save(self, root, data, idx):
            pass

        def end_save(self, root):
            pass

    return _SynthTigerWords()


def _seed32(seed: int, index: int, attempt: int) -> int:
    return int(np.random.SeedSequence([seed, index, attempt])
               .generate_state(1)[0])


def render_synthtiger(template, seed: int, index: int,
                      max_attempts: int = 20) -> tuple[np.ndarray, str]:
    """Sample ``index`` of stream ``seed``: ``(BGR uint8 (H, W, 3), text)``.

    The global ``random`` / NumPy / imgaug states are seeded from
    ``(seed, index, attempt)`` (and restored afterwards); a try that raises
    (e.g. a degenerate transform) is retried with the next attempt.
    """
    from synthtiger import gen
    if seed < 0 or index < 0:
        raise ValueError(f'seed and index must be >= 0, got {seed}, {index}')
    states = gen.get_global_random_states()
    try:
        err = None
        for attempt in range(max_attempts):
            gen.set_global_random_seed(_seed32(seed, index, attempt))
            try:
                data = template.generate()
            except Exception as exc:  # noqa: BLE001 (retried, then raised)
                err = exc
                continue
            img = data['image']
            if img.shape[0] < 2 or img.shape[1] < 2:
                err = RuntimeError(f'empty image {img.shape}')
                continue
            return np.ascontiguousarray(img[:, :, ::-1]), data['label']
        raise RuntimeError(f'SynthTIGER failed {max_attempts} times for '
                           f'sample {index}: {err!r}')
    finally:
        gen.set_global_random_states(states)


def render_lmdb_synthtiger(out: str, num: int, resources: dict,
                           seed: int = 0, image_format: str = 'jpg',
                           quality: int = 90, chunk: int = 256,
                           template_kwargs: dict | None = None,
                           progress: bool = True) -> dict:
    """Write samples ``0..num-1`` of stream ``seed`` into the LMDB ``out``.

    Keys (MMOCR layout): ``image-%09d`` (1-based, JPEG or PNG bytes),
    ``label-%09d`` (UTF-8) and ``num-samples``, committed every ``chunk``
    samples. One process (the comparison runs one per engine).

    Returns:
        dict with ``total``, ``seconds`` and ``images_per_s``.
    """
    import lmdb
    from tqdm import tqdm
    from mmocr_mms.datasets.render_corpus import check_corpus_args
    check_corpus_args(num, seed, image_format, chunk)
    cv2.setNumThreads(1)
    template = make_template(resources, **(template_kwargs or {}))
    ext = '.' + image_format
    params = ([cv2.IMWRITE_JPEG_QUALITY, int(quality)]
              if image_format == 'jpg' else [])
    os.makedirs(out, exist_ok=True)
    env = lmdb.open(out, map_size=1 << 40)
    start = time.perf_counter()
    try:
        with env.begin() as txn:
            if txn.get(b'num-samples') is not None:
                raise ValueError(f'{out} already holds an LMDB; choose '
                                 'another output folder')
        bar = tqdm(total=num, unit='img', desc='synthtiger',
                   disable=not progress)
        for lo in range(0, num, chunk):
            with env.begin(write=True) as txn:
                for i in range(lo, min(num, lo + chunk)):
                    img, text = render_synthtiger(template, seed, i)
                    ok, buf = cv2.imencode(ext, img, params)
                    if not ok:
                        raise RuntimeError(f'encoding sample {i} failed')
                    txn.put(b'image-%09d' % (i + 1), buf.tobytes())
                    txn.put(b'label-%09d' % (i + 1), text.encode('utf-8'))
                txn.put(b'num-samples', str(min(num, lo + chunk)).encode())
            bar.update(min(num, lo + chunk) - lo)
        bar.close()
    finally:
        env.close()
    seconds = time.perf_counter() - start
    return dict(total=num, seconds=seconds, images_per_s=num / seconds)
