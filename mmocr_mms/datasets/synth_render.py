"""On-the-fly, deterministic synthetic scene-text word renderer.

The renderer draws single words (a 94k-word English lexicon from
``wordfreq``, numbers, prices, dates, codes, punctuated words, random
strings; see :mod:`.synth_text`) onto plausible backgrounds with PIL, then
applies the geometric and photometric effects of real crops (curved
baselines, perspective, outlines / shadows / extrusion, photo-like
backgrounds, neighbouring text, blur, motion blur, low resolution, noise,
JPEG; see :mod:`.synth_effects`) with numpy / OpenCV.  Nothing is
downloaded: the default fonts are those shipped in font wheels (the
``trdg`` wheel's Latin fonts, requirements/fonts.txt, and 185 Google Fonts
families packaged one per ``fontpkg-<family>`` wheel,
requirements/fonts-google.txt) plus matplotlib's DejaVu family; variable
fonts are drawn at a random weight.

Every sample is a pure function of ``(seed, index)`` so that a dataset built
on top of :class:`WordRenderer` can be indexed like a static dataset (same
index -> same image in every epoch, process and DataLoader worker) while
never touching the disk.
"""
from __future__ import annotations

import functools
import importlib.util
import math
import re
import warnings
import operator
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..utils.text import DEFAULT_CHARSET
from .synth_effects import (curve_coverage, decoration_layers, jpeg_artefacts,
                            motion_blur, photo_background)
from .synth_text import DEFAULT_TEXT_PROBS, TextSampler, wordfreq_lexicon

__all__ = [
    'DEFAULT_LEXICON',
    'default_font_paths',
    'package_font_paths',
    'fontpkg_font_paths',
    'find_fonts',
    'WordRenderer',
]

# ---------------------------------------------------------------------------
# Lexicon
# ---------------------------------------------------------------------------
# Written for this module: everyday English words of the kind seen on shop
# signs, street furniture, packaging and posters.  Letters only, so every word
# is representable with the default 62-character alphanumeric charset; case
# variants (UPPER / lower / Title) are produced at render time, the few mixed
# spellings below just keep the "as-is" style from being all lower case.
_LEXICON_TEXT = """
OPEN CLOSED EXIT ENTRANCE PUSH PULL STOP SALE SHOP Hotel parking coffee
PHARMACY Restaurant Bakery BAR Cafe TAXI BUS Police Hospital Bank Market
Pizza Burger Sushi Noodles Grill Kitchen Diner Bistro Pub Tavern Inn Motel
Hostel Museum Library School College University Station Airport Terminal
Platform Gate Ticket Tickets Office Reception Lobby Elevator Stairs Toilet
Toilets Restroom Ladies Gents Men Women Staff Only Private Danger Caution
Warning Notice Fire Alarm Emergency Keep Clear Slow Yield Speed Limit Zone
Road Street Avenue Lane Drive Boulevard Square Park Garden Bridge Tunnel
Highway Center Centre Mall Plaza Tower Building Floor Level Room Suite Hall
Church Temple Castle Palace Theatre Cinema Studio Gallery Arena Stadium
Club Gym Fitness Yoga Dance Music Radio News Times Daily Weekly Post Mail
Express Delivery Service Repair Garage Motors Auto Tyres Wash Laundry Dry
Cleaning Salon Barber Beauty Spa Nails Fashion Shoes Boots Jeans Shirts
Sport Sports Outdoor Travel Tours Books Toys Games Gifts Flowers Florist
Jewelry Watches Optician Dental Clinic Doctor Medical Health Care Vet Pets
Food Fresh Fruit Vegetables Meat Fish Bread Cakes Cookies Candy Sweets
Chocolate Cheese Milk Butter Eggs Honey Juice Water Tea Beer Wine Whisky
Drinks Snacks Deli Grocery Organic Natural Local Homemade Best Quality
Price Prices Cheap Discount Offer Special Deal Deals Free New Now Today
Hot Cold Ice Cream Soup Salad Sandwich Pasta Steak Chicken Beef Pork Lamb
Rice Curry Tacos Kebab Bagel Donuts Waffles Pancakes Breakfast Lunch
Dinner Brunch Menu Order Takeaway Open Late Welcome Hello Thanks Please
Sorry Goodbye Enjoy Visit Call Phone Online Website Email Internet WiFi
Mobile Computer Camera Video Photo Print Copy Paper Pens Art Craft Design
Home House Apartment Rent Lease Sold Buy Sell Estate Agency Insurance
Finance Money Cash Credit Card Cards Coins Exchange Dollar Euro Pound
Change Save Plus Extra Super Mega Mini Max Big Small Large Little Great
Happy Lucky Golden Silver Royal Grand Central City Town Village Country
North South East West Upper Lower Old Green Red Blue Black White Yellow
Orange Purple Pink Brown Grey Light Dark Bright Clean Quick Easy Smart
Good Nice Fine Real True Pure Simple Classic Modern Vintage Retro Urban
Next Last First Second Third Left Right Up Down In Out On Off Go Do Be
It We My No Yes Hi Ok Of To At By Or As If So Me
Way Turn Walk Run Ride Bike Cycle Train Tram Metro Subway Ferry Boat Ship
Car Cars Truck Van Fuel Petrol Diesel Electric Charging Power Energy Oil
Gas Lock Key Keys Door Window Wall Roof Glass Steel Metal Plastic
Tools Hardware Paint Lumber Supply Supplies Store Stores Depot Warehouse
Factory Company Limited Group Brothers Sons Family Friends People Kids
Baby Children Adults Seniors Students Members Guests Visitors Customers
Parking Lot Space Spaces Reserved Disabled Access Entry Lift Escalator
Information Help Desk Lost Found Security Check Arrivals Departures
Baggage Customs Passport Control Transfer Connection Platforms Tickets
Coffeehouse Bookshop Supermarket Marketplace Hairdresser Photography
Championship Neighbourhood Skateboarding Washington
Garlic Pepper Salt Sugar Flour Vanilla Caramel Mint Ginger Olive
"""


def _build_lexicon(text: str) -> tuple[str, ...]:
    """Split, de-duplicate (case-insensitively) and keep first spellings."""
    seen: set[str] = set()
    words: list[str] = []
    for word in text.split():
        key = word.lower()
        if key not in seen:
            seen.add(key)
            words.append(word)
    return tuple(words)


DEFAULT_LEXICON: tuple[str, ...] = _build_lexicon(_LEXICON_TEXT)


_FONT_EXTS = ('.ttf', '.otf', '.ttc')

# ITU-R BT.601 luma weights (RGB order); they sum to 1 so adding the same
# offset to all three channels shifts luminance by exactly that offset.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)

# Background styles: flat, linear gradient, smooth random texture, photo-like
# (multi-octave noise with straight structures).
_BG_PROBS = (0.25, 0.2, 0.25, 0.3)

# Decorations drawn under the text: outline, drop shadow, 3-D extrusion.
_DECORATIONS = ('outline', 'shadow', 'extrude')

# A code point no sane font maps: its rendering is the font's .notdef glyph,
# which is what a font draws for any character it does not cover.
_NOTDEF_PROBE = '\uffff'

# Characters the non-word text kinds (numbers, prices, dates, codes,
# punctuated words) can produce; part of every glyph-coverage check.
_ALNUM = DEFAULT_CHARSET
_GENERATED_CHARS = _ALNUM + '$.,%:/-\'&!?"'


# ---------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------
#: ``wght`` range drawn for variable fonts (regular to extra-bold).
VARIABLE_WEIGHTS = (350.0, 800.0)

# Font files shipped inside PyPI wheels, as (import name, folder inside the
# package, file-name pattern to skip).  We only read the font files; the
# package is not imported.
FONT_PACKAGES = (
    ('trdg', 'fonts/latin', None),
)


def _package_dirs(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(p) for p in spec.submodule_search_locations]


#: Entry-point group under which the ``fontpkg-<family>`` wheels
#: (requirements/fonts-google.txt: 185 Google Fonts families) register their
#: module; the fonts are the module folder's ``files/*.ttf``.
FONTPKG_GROUP = 'fontpkg.family'


def fontpkg_font_paths() -> list[str]:
    """Font files of the installed ``fontpkg-<family>`` wheels (found
    through their ``fontpkg.family`` entry points and
    :func:`importlib.util.find_spec`, never imported), sorted; empty when
    none is installed."""
    import importlib.metadata as md
    paths: list[str] = []
    for ep in md.entry_points(group=FONTPKG_GROUP):
        module = ep.value.split(':', 1)[0].strip()
        for root in _package_dirs(module):
            folder = root / 'files'
            if folder.is_dir():
                paths.extend(str(p) for p in folder.iterdir()
                             if p.suffix.lower() in _FONT_EXTS
                             and p.is_file())
    return sorted(set(paths))


def package_font_paths() -> list[str]:
    """Latin font files shipped in font wheels: those of
    :data:`FONT_PACKAGES` (``trdg``: 100 Latin files) and of the
    ``fontpkg-<family>`` wheels (:func:`fontpkg_font_paths`), sorted; empty
    when none is installed.

    The packages are located with :func:`importlib.util.find_spec`, never
    imported.
    """
    paths: list[str] = []
    for name, sub, skip in FONT_PACKAGES:
        skip_re = re.compile(skip) if skip else None
        for root in _package_dirs(name):
            folder = root / sub
            if folder.is_dir():
                paths.extend(
                    str(p) for p in folder.iterdir()
                    if p.suffix.lower() in _FONT_EXTS and p.is_file()
                    and not (skip_re and skip_re.search(p.name)))
    return sorted(set(paths) | set(fontpkg_font_paths()))


def dejavu_font_paths() -> list[str]:
    """Return the DejaVu TTF files shipped with matplotlib, sorted.

    The ``*Display*`` variants are skipped: they only contain a handful of
    glyphs for math rendering.  matplotlib is located with
    :func:`importlib.util.find_spec` so it is not imported (importing it is
    slow and pulls in a plotting backend).  Returns an empty list when
    matplotlib is not installed.
    """
    paths: list[str] = []
    for location in _package_dirs('matplotlib'):
        ttf_dir = location / 'mpl-data' / 'fonts' / 'ttf'
        if ttf_dir.is_dir():
            paths.extend(
                str(p) for p in ttf_dir.glob('DejaVu*.ttf')
                if 'Display' not in p.name)
    return sorted(paths)


def default_font_paths() -> list[str]:
    """The renderer's default fonts: :func:`package_font_paths` plus
    matplotlib's DejaVu family (:func:`dejavu_font_paths`), sorted and
    de-duplicated.  Which files exist depends on the installed wheels
    (requirements/runtime.txt pins them), so sample pixels are reproducible
    for one environment, not across font sets.
    """
    return sorted(set(package_font_paths()) | set(dejavu_font_paths()))


def find_fonts(font_dir: str | os.PathLike) -> list[str]:
    """Return all ``*.ttf`` / ``*.otf`` / ``*.ttc`` files under ``font_dir``.

    The search is recursive and the extension match case-insensitive; the
    result is sorted so the font order (and therefore the rendered samples)
    does not depend on file system listing order.

    Raises:
        ValueError: if ``font_dir`` is not a directory or holds no font.
    """
    root = Path(font_dir)
    if not root.is_dir():
        raise ValueError(f'font_dir {str(font_dir)!r} is not a directory')
    paths = sorted(
        str(p) for p in root.rglob('*')
        if p.suffix.lower() in _FONT_EXTS and p.is_file())
    if not paths:
        raise ValueError(
            f'font_dir {str(font_dir)!r} contains no .ttf/.otf/.ttc files')
    return paths


def _load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout on purpose: it is faster than raqm for single words and,
    # more importantly, does not depend on whether libraqm happens to be
    # installed, which would otherwise change pixels between environments.
    return ImageFont.truetype(
        path, size=size, layout_engine=ImageFont.Layout.BASIC)


def _weight_axes(font: ImageFont.FreeTypeFont) -> list[dict] | None:
    """The variation axes of a variable font (None for a static font)."""
    try:
        return font.get_variation_axes()
    except (OSError, AttributeError):
        return None


def _set_weight(font: ImageFont.FreeTypeFont, axes: list[dict],
                weight: float) -> None:
    """Set a variable font's ``wght`` axis to ``weight`` (clipped to its
    range), every other axis to its default."""
    values = []
    for axis in axes:
        name = axis.get('name')
        name = name.decode() if isinstance(name, bytes) else str(name)
        if name.lower() in ('weight', 'wght'):
            values.append(min(max(weight, axis['minimum']), axis['maximum']))
        else:
            values.append(axis['default'])
    font.set_variation_by_axes(values)


def _glyph_bitmap(font: ImageFont.FreeTypeFont, ch: str) -> bytes | None:
    """Raster of ``ch`` (size + pixels), or None if it has no ink."""
    box = font.getbbox(ch)
    w, h = box[2] - box[0], box[3] - box[1]
    if w <= 0 or h <= 0:
        return None
    canvas = Image.new('L', (w, h), 0)
    ImageDraw.Draw(canvas).text((-box[0], -box[1]), ch, font=font, fill=255)
    data = canvas.tobytes()
    if not any(data):
        return None
    return bytes(f'{w}x{h}:', 'ascii') + data


@functools.lru_cache(maxsize=4096)
def _font_coverage(path: str, chars: tuple[str, ...]) -> frozenset[str]:
    """Characters of ``chars`` that ``path`` draws with a real glyph.

    PIL exposes no cmap query, so a character counts as missing when it
    renders with no ink or exactly like the .notdef glyph.  This guards
    fine-tuning labels against fonts that would silently draw boxes.
    Cached per process (about 3 ms per font and 100 characters).
    """
    font = _load_font(path, 24)
    notdef = _glyph_bitmap(font, _NOTDEF_PROBE)
    covered = set()
    for ch in chars:
        bitmap = _glyph_bitmap(font, ch)
        if bitmap is not None and bitmap != notdef:
            covered.add(ch)
    return frozenset(covered)


# ---------------------------------------------------------------------------
# Renderer
# ---------------------------------------------------------------------------
def _check_prob(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f'{name} must be in [0, 1], got {value}')
    return value


def _check_nonneg(name: str, value: float, upper: float = math.inf) -> float:
    value = float(value)
    if not (math.isfinite(value) and 0.0 <= value <= upper):
        raise ValueError(
            f'{name} must be a finite number in [0, {upper}], got {value}')
    return value


class WordRenderer:
    """Deterministic synthetic renderer of single-word scene-text crops.

    What it draws: one text per image (:class:`~.synth_text.TextSampler`:
    a lexicon word in a case style, a number, price, date, code, punctuated
    word or random string) in a random font and size, in a random colour on
    a background (flat, gradient, smooth texture or photo-like noise with
    straight structures) whose luminance differs from the text by at least
    ``min_contrast`` everywhere.  The text layer may be bent along an arc or
    wave (``curve_prob``), is rotated (``rotation``) and perspective-warped
    (``perspective``), may get an outline, drop shadow or 3-D extrusion in
    another colour (``decoration_prob``) and pieces of neighbouring text cut
    by the crop border (``clutter_prob``); the composite is optionally
    blurred, motion-blurred, down-/up-sampled, gets Gaussian noise and JPEG
    artefacts.  Crops are roughly ``height`` to ``2 * height`` pixels tall;
    their width follows the text.

    Determinism contract: :meth:`render` draws all randomness from
    ``np.random.Generator(np.random.PCG64([seed, index]))`` and never from
    global state, so the same ``(seed, index)`` gives bit-identical pixels,
    text and mask across calls, instances (with the same arguments) and
    processes (with the same library versions and font files); different
    indices or seeds give different samples.  Instances are picklable (the
    lazily filled font cache is dropped) so they can be shipped to
    DataLoader workers.

    Output format: ``(img, text, fg_mask)`` with ``img`` a ``uint8`` array of
    shape ``(H, W, 3)`` in BGR channel order (OpenCV / MMOCR convention),
    ``text`` the transcription and ``fg_mask`` a ``bool`` array of shape
    ``(H, W)``, True on the labelled text's glyph pixels after the same
    geometric warp as the image (decorations and neighbouring text are not
    in it; blur, noise and JPEG are photometric and do not move it).

    Fonts that cannot be loaded or draw none of the needed characters are
    skipped with a warning and listed in :attr:`skipped_fonts`
    (``{path: reason}``); it is an error only when no font is left.

    Args:
        fonts: Font file paths. ``None`` means :func:`default_font_paths`.
            Pass ``[]`` together with ``font_dir`` to use only your fonts.
        lexicon: Words to draw, most frequent first. ``None`` means the
            ``lexicon_size`` most frequent English words of ``wordfreq``
            (:func:`~.synth_text.wordfreq_lexicon`, ~94.6k of 100k),
            ``'builtin'`` the 495 signage words of :data:`DEFAULT_LEXICON`.
            Words outside ``[min_len, max_len]`` characters and words no
            font can draw are skipped.
        lexicon_size: Number of wordfreq words when ``lexicon`` is None.
        temperature: Rank exponent of the word sampler (0 uniform, 1
            Zipf-like); see :class:`~.synth_text.TextSampler`.
        text_probs: Probabilities of the text kinds (dict over
            :data:`~.synth_text.TEXT_KINDS`); ``None`` means
            :data:`~.synth_text.DEFAULT_TEXT_PROBS`.
        case_probs: Probabilities of (lower, UPPER, Title, rAnDoM) words.
        font_dir: Optional folder whose fonts (see :func:`find_fonts`) are
            added to ``fonts``.
        height: Nominal crop height in pixels; the font size is drawn from
            ``[height, 1.5 * height]``.
        random_word_prob: Backward-compatible shortcut: when given (and
            ``text_probs`` is None), only lexicon words (probability
            ``1 - random_word_prob``) and random strings are drawn.
        min_len: Minimum text length.
        max_len: Maximum text length (random strings: at most 12).
        charset: Characters random strings are drawn from.
        rotation: Maximum absolute rotation in degrees, in ``[0, 45]``.
        perspective: Maximum corner jitter as a fraction of the crop size
            (x as a fraction of the width, y of the height), in
            ``[0, 0.3]`` so opposite corners cannot cross.
        curve_prob: Probability of a curved baseline (arc or sine).
        max_bend: Largest baseline displacement as a fraction of the text
            height, in ``[0, 1]``.
        decoration_prob: Probability of an outline, drop shadow or 3-D
            extrusion (one of them, equally likely).
        clutter_prob: Probability of cut-off neighbouring text at one
            border (left, right, top or bottom).
        blur_prob: Probability of a Gaussian blur.
        motion_blur_prob: Probability of a linear motion blur.
        noise_std: ``(low, high)`` range of the additive Gaussian noise
            standard deviation (uint8 units), or one number for a fixed std.
        lowres_prob: Probability of a down-then-up resampling (low camera
            resolution), by a factor in [0.3, 0.8].
        jpeg_prob: Probability of JPEG re-encoding at quality 10-60.
        min_contrast: Minimum luminance difference (0-255) between text and
            background colours, before blur and noise.
    """

    def __init__(self,
                 fonts: Sequence[str | os.PathLike] | None = None,
                 lexicon: Sequence[str] | str | None = None,
                 font_dir: str | os.PathLike | None = None,
                 height: int = 32,
                 random_word_prob: float | None = None,
                 min_len: int = 1,
                 max_len: int = 16,
                 charset: str = DEFAULT_CHARSET,
                 rotation: float = 5.0,
                 perspective: float = 0.1,
                 blur_prob: float = 0.25,
                 noise_std: tuple[float, float] | float = (0.0, 8.0),
                 lowres_prob: float = 0.2,
                 min_contrast: float = 50.0,
                 lexicon_size: int = 100000,
                 temperature: float = 0.5,
                 text_probs: dict | None = None,
                 case_probs: Sequence[float] = (0.35, 0.3, 0.3, 0.05),
                 curve_prob: float = 0.15,
                 max_bend: float = 0.35,
                 decoration_prob: float = 0.2,
                 clutter_prob: float = 0.2,
                 motion_blur_prob: float = 0.1,
                 jpeg_prob: float = 0.3) -> None:
        # -- scalar arguments ------------------------------------------------
        if isinstance(height, bool) or not isinstance(height, (int, np.integer)) \
                or height < 8:
            raise ValueError(f'height must be an int >= 8, got {height!r}')
        self.height = int(height)
        if random_word_prob is not None:
            random_word_prob = _check_prob('random_word_prob',
                                           random_word_prob)
        self.random_word_prob = random_word_prob
        for name in ('blur_prob', 'lowres_prob', 'curve_prob',
                     'decoration_prob', 'clutter_prob', 'motion_blur_prob',
                     'jpeg_prob'):
            setattr(self, name, _check_prob(name, locals()[name]))
        self.max_bend = _check_nonneg('max_bend', max_bend, 1.0)
        self.rotation = _check_nonneg('rotation', rotation, 45.0)
        # Beyond ~0.3 opposite corners could cross and fold the text.
        self.perspective = _check_nonneg('perspective', perspective, 0.3)
        # 127 keeps the black/white fallback colour always feasible.
        self.min_contrast = _check_nonneg('min_contrast', min_contrast, 127.0)
        if isinstance(noise_std, (int, float, np.number)):
            noise_std = (noise_std, noise_std)
        try:
            lo, hi = (float(v) for v in noise_std)
        except (TypeError, ValueError):
            raise ValueError(
                f'noise_std must be a number or a (low, high) pair, '
                f'got {noise_std!r}') from None
        if not (math.isfinite(hi) and 0.0 <= lo <= hi):
            raise ValueError(
                f'noise_std must satisfy 0 <= low <= high, got {noise_std!r}')
        self.noise_std = (lo, hi)
        for name, value in (('min_len', min_len), ('max_len', max_len),
                            ('lexicon_size', lexicon_size)):
            if isinstance(value, bool) or not isinstance(
                    value, (int, np.integer)) or value < 1:
                raise ValueError(f'{name} must be an int >= 1, got {value!r}')
        if min_len > max_len:
            raise ValueError(
                f'min_len ({min_len}) must be <= max_len ({max_len})')
        self.min_len, self.max_len = int(min_len), int(max_len)

        # -- what kinds of text ---------------------------------------------
        if text_probs is None:
            if random_word_prob is None:
                text_probs = dict(DEFAULT_TEXT_PROBS)
            else:
                text_probs = dict(word=1.0 - random_word_prob,
                                  random=random_word_prob)
        elif random_word_prob is not None:
            raise ValueError('pass either text_probs or random_word_prob')
        text_probs = dict(text_probs)

        # -- charset ---------------------------------------------------------
        if not isinstance(charset, str):
            raise ValueError(f'charset must be a str, got {type(charset)}')
        # Whitespace would produce invisible characters in the label.
        if any(ch.isspace() for ch in charset):
            raise ValueError('charset must not contain whitespace')
        # dict.fromkeys: de-duplicate but keep a stable order.
        self.charset = ''.join(dict.fromkeys(charset))
        if text_probs.get('random', 0) > 0 and not self.charset:
            raise ValueError('charset is empty but random strings are drawn '
                             '(random_word_prob / text_probs["random"] > 0)')

        # -- fonts -----------------------------------------------------------
        if fonts is None:
            font_list = default_font_paths()
        elif isinstance(fonts, (str, os.PathLike)):
            font_list = [os.fspath(fonts)]
        else:
            font_list = [os.fspath(f) for f in fonts]
        if font_dir is not None:
            font_list += find_fonts(font_dir)
        font_list = list(dict.fromkeys(font_list))
        if not font_list:
            raise ValueError(
                'fonts is empty (and no default fonts were found); '
                'pass font paths or font_dir')
        for path in font_list:
            if not os.path.isfile(path):
                raise ValueError(f'fonts: font file not found: {path!r}')

        # -- lexicon ---------------------------------------------------------
        if lexicon is None:
            raw_lexicon: Sequence[str] = wordfreq_lexicon(int(lexicon_size))
        elif isinstance(lexicon, str):
            if lexicon != 'builtin':
                raise ValueError(
                    "lexicon must be a sequence of words, None (wordfreq) "
                    f"or 'builtin', got the str {lexicon!r}")
            raw_lexicon = DEFAULT_LEXICON
        else:
            raw_lexicon = lexicon
        words: list[str] = []
        for word in raw_lexicon:
            if not isinstance(word, str):
                raise ValueError(f'lexicon entries must be str, got {word!r}')
            if not word or any(ch.isspace() for ch in word):
                raise ValueError(
                    f'lexicon entries must be non-empty single words, '
                    f'got {word!r}')
            if min_len <= len(word) <= max_len:
                words.append(word)
        words = list(dict.fromkeys(words))

        # -- glyph coverage --------------------------------------------------
        # Computed once per font and character set (cached per process) so
        # labels never describe characters a font would draw as .notdef.
        universe = set(self.charset) | set(_GENERATED_CHARS)
        for word in words:
            universe.update(word)
        universe |= {c.upper() for c in universe} | \
            {c.lower() for c in universe}
        chars = tuple(sorted(universe))
        coverage: list[frozenset[str]] = []
        kept: list[str] = []
        self.skipped_fonts: dict[str, str] = {}
        for path in font_list:
            try:
                cov = _font_coverage(path, chars)
            except OSError as exc:
                self.skipped_fonts[path] = f'cannot load: {exc}'
                continue
            if not cov & set(_ALNUM):
                self.skipped_fonts[path] = 'draws no letter or digit'
                continue
            kept.append(path)
            coverage.append(cov)
        if self.skipped_fonts:
            warnings.warn(
                f'WordRenderer: skipped {len(self.skipped_fonts)} of '
                f'{len(font_list)} fonts: ' + '; '.join(
                    f'{k}: {v}'
                    for k, v in list(self.skipped_fonts.items())[:5]),
                stacklevel=2)
        if not kept:
            raise ValueError('fonts: none of the fonts can be used: ' +
                             '; '.join(f'{k}: {v}' for k, v in
                                       self.skipped_fonts.items()))
        all_covered = frozenset().union(*coverage)
        missing = sorted(set(self.charset) - all_covered)
        if text_probs.get('random', 0) > 0 and missing:
            raise ValueError(
                f'charset characters {"".join(missing)!r} are not drawable '
                f'with any of the fonts')

        def drawable(word: str) -> bool:
            need = set(word) | set(word.upper()) | set(word.lower())
            return any(need <= cov for cov in coverage)

        self.lexicon: tuple[str, ...] = tuple(w for w in words if drawable(w))
        if text_probs.get('word', 0) > 0 and not self.lexicon:
            raise ValueError(
                'lexicon has no usable word (after filtering by '
                f'[min_len, max_len] = [{min_len}, {max_len}] and font '
                'coverage); pass words or set random_word_prob=1')

        self.fonts: tuple[str, ...] = tuple(kept)
        self._coverage: tuple[frozenset[str], ...] = tuple(coverage)
        self.text_sampler = TextSampler(
            self.lexicon, text_probs=text_probs, temperature=temperature,
            case_probs=case_probs, charset=self.charset,
            min_len=self.min_len, max_len=self.max_len)
        # Lazily filled, (path, size) -> FreeTypeFont; not picklable, so it is
        # dropped in __getstate__ and refilled in each worker.
        self._font_cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}
        self._axes_cache: dict[str, list[dict] | None] = {}

    # -- pickling -----------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Return the picklable state: everything but the font cache."""
        state = self.__dict__.copy()
        state['_font_cache'] = {}
        state['_axes_cache'] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`__getstate__` with an empty font cache."""
        self.__dict__.update(state)
        self._font_cache = {}
        self._axes_cache = {}

    # -- helpers ------------------------------------------------------------
    def _variable_axes(self, path: str,
                       font: ImageFont.FreeTypeFont) -> list[dict] | None:
        """Variation axes of ``path`` (cached; None for static fonts)."""
        if path not in self._axes_cache:
            self._axes_cache[path] = _weight_axes(font)
        return self._axes_cache[path]

    def _font(self, path: str, size: int) -> ImageFont.FreeTypeFont:
        key = (path, size)
        font = self._font_cache.get(key)
        if font is None:
            font = _load_font(path, size)
            self._font_cache[key] = font
        return font

    def _sample_text(self, rng: np.random.Generator) -> str:
        return self.text_sampler.sample(rng)

    @staticmethod
    def _random_color(rng: np.random.Generator) -> np.ndarray:
        color = rng.uniform(0, 255, 3).astype(np.float32)
        if rng.random() < 0.6:
            # Uniform RGB is mostly vivid; real signs, walls and paper are
            # often muted.  Pulling towards the colour's own luminance keeps
            # that luminance unchanged.
            y = float(color @ _LUMA)
            color = y + (color - y) * np.float32(rng.uniform(0.0, 0.6))
        return color

    def _sample_colors(
            self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(fg, bg) RGB float32 colours with luminance gap >= min_contrast."""
        bg = self._random_color(rng)
        bg_y = float(bg @ _LUMA)
        # Black or white text, whichever reads on this background: common in
        # practice and the fallback when random colours keep failing.
        mono = np.full(3, 0.0 if bg_y > 127.5 else 255.0, np.float32)
        if rng.random() < 0.3:
            return mono, bg
        for _ in range(8):
            fg = self._random_color(rng)
            if abs(float(fg @ _LUMA) - bg_y) >= self.min_contrast:
                return fg, bg
        return mono, bg

    def _background(self, rng: np.random.Generator, h: int, w: int,
                    bg: np.ndarray, slack: float) -> np.ndarray:
        """(h, w, 3) float32 RGB background around colour ``bg``.

        Luminance varies by at most ``slack`` so the text keeps its contrast.
        """
        style = int(rng.choice(4, p=_BG_PROBS))
        amp = float(rng.uniform(0, min(slack, 40.0)))
        if style == 3 and amp >= 1.0:
            return photo_background(rng, h, w, bg, amp)
        out = np.empty((h, w, 3), np.float32)
        out[:] = bg
        if style == 0 or amp < 1.0:
            return out
        if style == 1:
            theta = rng.uniform(0, 2 * np.pi)
            c, s = math.cos(theta), math.sin(theta)
            xs = np.linspace(-1, 1, w, dtype=np.float32) * c
            ys = np.linspace(-1, 1, h, dtype=np.float32) * s
            field = (ys[:, None] + xs[None, :]) * (amp / (abs(c) + abs(s)))
        else:
            cell = int(rng.integers(3, 25))
            grid = rng.uniform(-1, 1, (max(2, h // cell + 1),
                                       max(2, w // cell + 1)))
            field = cv2.resize(grid.astype(np.float32), (w, h),
                               interpolation=cv2.INTER_CUBIC)
            np.clip(field, -1, 1, out=field)
            field *= amp
        # A random tint direction normalised to unit luminance: the colour
        # drifts a bit but luminance moves by exactly `field`.
        tint = rng.uniform(0.5, 1.5, 3).astype(np.float32)
        tint /= float(tint @ _LUMA)
        out += field[:, :, None] * tint
        return out

    def _draw_text(self, rng: np.random.Generator, text: str,
                   font: ImageFont.FreeTypeFont,
                   size: int) -> np.ndarray:
        """Anti-aliased coverage (uint8, 0..255) of ``text`` with padding."""
        ascent, _ = font.getmetrics()
        cap_top = font.getbbox('H')[1]
        spacing = 0
        if len(text) > 1 and rng.random() < 0.15:
            # Letter-spaced signage; per-glyph drawing drops kerning.
            spacing = int(round(rng.uniform(0.05, 0.35) * size))
        if spacing:
            xs, boxes, x = [], [], 0.0
            for ch in text:
                xs.append(int(round(x)))
                boxes.append(font.getbbox(ch))
                x += font.getlength(ch) + spacing
            left = min(b[0] + xi for b, xi in zip(boxes, xs))
            right = max(b[2] + xi for b, xi in zip(boxes, xs))
            top = min(b[1] for b in boxes)
            bottom = max(b[3] for b in boxes)
        else:
            left, top, right, bottom = font.getbbox(text)
        # Vertical extent always spans cap height to baseline (plus any
        # descender/ascender ink) so e.g. "one" and "ONE" crop alike.
        top = min(top, cap_top)
        bottom = max(bottom, ascent)
        pad = rng.uniform([0.05, 0.05, 0.05, 0.05],
                          [0.4, 0.3, 0.4, 0.3]) * size
        pad_l, pad_t, pad_r, pad_b = (int(round(p)) for p in pad)
        ch = bottom - top + pad_t + pad_b
        cw = right - left + pad_l + pad_r
        if cw < int(0.6 * ch):
            # Keep single narrow glyphs ("I", "1") from becoming slivers.
            extra = int(0.6 * ch) - cw
            pad_l += extra // 2
            cw += extra
        canvas = Image.new('L', (cw, ch), 0)
        draw = ImageDraw.Draw(canvas)
        ox, oy = pad_l - left, pad_t - top
        if spacing:
            for c, xi in zip(text, xs):
                draw.text((ox + xi, oy), c, font=font, fill=255)
        else:
            draw.text((ox, oy), text, font=font, fill=255)
        return np.asarray(canvas)

    def _warp(self, rng: np.random.Generator,
              alpha: np.ndarray) -> np.ndarray:
        """Rotate + perspective-warp the coverage map (H, W) or stacked maps
        (H, W, C), growing the canvas so no glyph is cut off."""
        h, w = alpha.shape[:2]
        angle = math.radians(rng.uniform(-self.rotation, self.rotation))
        jitter = rng.uniform(-self.perspective, self.perspective, (4, 2))
        if angle == 0.0 and not jitter.any():
            return alpha
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        centre = np.array([w / 2, h / 2], np.float32)
        ca, sa = math.cos(angle), math.sin(angle)
        rot = np.array([[ca, -sa], [sa, ca]], np.float32)
        dst = (src - centre) @ rot.T + centre + jitter * np.array([w, h])
        dst -= dst.min(axis=0)
        out_w, out_h = (int(math.ceil(v)) for v in dst.max(axis=0))
        matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
        # Only the text layer is warped; the background is generated at the
        # output size afterwards, so there are no replicated-border streaks
        # and image and mask come from the very same warped coverage.
        return cv2.warpPerspective(
            alpha, matrix, (max(out_w, 1), max(out_h, 1)),
            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
            borderValue=0)

    def _clutter(self, rng: np.random.Generator, alpha: np.ndarray,
                 path: str, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Grow the canvas on one side and draw a piece of another text
        there, cut by the crop border (neighbouring words / lines).

        Returns:
            ``(text_alpha, clutter_alpha)``, both uint8 of the new size; the
            first is ``alpha`` moved into place.
        """
        h, w = alpha.shape
        other = self._draw_text(rng, self.text_sampler.sample(rng),
                                self._font(path, size), size)
        # Crop the other text to its ink so the visible piece always holds
        # glyph strokes, not only its padding.
        ys_ink, xs_ink = np.nonzero(other)
        if len(ys_ink):
            other = other[ys_ink.min():ys_ink.max() + 1,
                          xs_ink.min():xs_ink.max() + 1]
        oh, ow = other.shape
        side = int(rng.integers(0, 4))  # left, right, top, bottom
        if side < 2:
            margin = max(2, int(rng.uniform(0.15, 0.45) * h))
            gap = int(rng.integers(0, margin // 2 + 1))
            out_t = np.zeros((h, w + margin), np.uint8)
            out_c = np.zeros_like(out_t)
            y0 = int(rng.integers(-oh // 4, max(1, h - 3 * oh // 4)))
            if side == 0:
                out_t[:, margin:] = alpha
                x0 = margin - gap - ow  # the other text ends in the margin
            else:
                out_t[:, :w] = alpha
                x0 = w + gap
        else:
            margin = max(2, int(rng.uniform(0.1, 0.3) * h))
            gap = int(rng.integers(0, margin // 2 + 1))
            out_t = np.zeros((h + margin, w), np.uint8)
            out_c = np.zeros_like(out_t)
            x0 = int(rng.integers(-ow // 2, max(1, w - ow // 2)))
            if side == 2:
                out_t[margin:] = alpha
                y0 = margin - gap - oh
            else:
                out_t[:h] = alpha
                y0 = h + gap
        H, W = out_c.shape
        ys, xs = max(0, y0), max(0, x0)
        ye, xe = min(H, y0 + oh), min(W, x0 + ow)
        if ye > ys and xe > xs:
            out_c[ys:ye, xs:xe] = other[ys - y0:ye - y0, xs - x0:xe - x0]
        return out_t, out_c

    # -- public API ---------------------------------------------------------
    def render(self, seed: int, index: int) -> tuple[np.ndarray, str,
                                                     np.ndarray]:
        """Render sample ``index`` of the stream identified by ``seed``.

        Args:
            seed: Non-negative stream seed.
            index: Non-negative sample index.

        Returns:
            ``(img, text, fg_mask)``: ``img`` uint8 ``(H, W, 3)`` in BGR
            order, ``text`` the transcription, ``fg_mask`` bool ``(H, W)``
            True where the labelled text's glyph pixels are (after the
            geometric warp).
        """
        seed, index = operator.index(seed), operator.index(index)
        if seed < 0:
            raise ValueError(f'seed must be >= 0, got {seed}')
        if index < 0:
            raise ValueError(f'index must be >= 0, got {index}')
        rng = np.random.Generator(np.random.PCG64([seed, index]))

        # Text and a font that can draw every one of its characters; a
        # text may need a redraw when fonts cover the characters only
        # jointly.
        for _ in range(20):
            text = self._sample_text(rng)
            need = set(text)
            candidates = [i for i, cov in enumerate(self._coverage)
                          if need <= cov]
            if candidates:
                break
        else:
            raise RuntimeError('no font can draw the sampled strings; '
                               'check charset against the fonts')
        path = self.fonts[candidates[int(rng.integers(len(candidates)))]]
        size = int(rng.integers(self.height, int(round(1.5 * self.height)) + 1))
        font = self._font(path, size)
        axes = self._variable_axes(path, font)
        if axes:
            # Variable fonts (many Google Fonts families) default to any
            # weight, often Thin: draw a regular-to-heavy one per sample.
            _set_weight(font, axes, float(rng.uniform(*VARIABLE_WEIGHTS)))

        alpha = self._draw_text(rng, text, font, size)
        if rng.random() < self.curve_prob:
            alpha = curve_coverage(rng, alpha, self.max_bend)
        clutter = None
        if rng.random() < self.clutter_prob:
            alpha, clutter = self._clutter(rng, alpha, path, size)
            # One warp for both layers: stack them as two channels.
            both = self._warp(rng, np.dstack([alpha, clutter]))
            alpha, clutter = both[:, :, 0], both[:, :, 1]
        else:
            alpha = self._warp(rng, alpha)
        h, w = alpha.shape
        fg_mask = alpha >= 128

        fg, bg = self._sample_colors(rng)
        slack = abs(float(fg @ _LUMA) - float(bg @ _LUMA)) - self.min_contrast
        img = self._background(rng, h, w, bg, max(slack, 0.0))
        a = alpha.astype(np.float32) * (1.0 / 255.0)
        if rng.random() < self.decoration_prob:
            kind = _DECORATIONS[int(rng.integers(len(_DECORATIONS)))]
            deco = decoration_layers(rng, a, size, kind)
            # A third colour that reads on the background too.
            deco_color = self._random_color(rng)
            if abs(float(deco_color @ _LUMA) - float(bg @ _LUMA)) < \
                    self.min_contrast:
                deco_color = 255.0 - fg
            img += deco[:, :, None] * (deco_color - img)
        if clutter is not None:
            c = clutter.astype(np.float32) * (1.0 / 255.0)
            img += c[:, :, None] * (fg - img)
        img += a[:, :, None] * (fg - img)

        if rng.random() < self.blur_prob:
            sigma = rng.uniform(0.4, 1.2) * size / 32.0
            img = cv2.GaussianBlur(img, (0, 0), sigma)
        if rng.random() < self.motion_blur_prob:
            img = motion_blur(rng, img, size)
        if rng.random() < self.lowres_prob:
            f = rng.uniform(0.3, 0.8)
            small = cv2.resize(img, (max(1, int(w * f)), max(1, int(h * f))),
                               interpolation=cv2.INTER_AREA)
            img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        std = rng.uniform(*self.noise_std)
        if std > 0:
            img += rng.standard_normal((h, w, 3), dtype=np.float32) * std

        # +0.5 rounds instead of truncating; [..., ::-1] turns RGB into BGR.
        np.clip(img + 0.5, 0, 255, out=img)
        out = np.ascontiguousarray(img.astype(np.uint8)[:, :, ::-1])
        if rng.random() < self.jpeg_prob:
            out = jpeg_artefacts(rng, out)
        return out, text, fg_mask
