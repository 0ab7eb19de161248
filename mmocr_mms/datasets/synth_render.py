"""On-the-fly, deterministic synthetic scene-text word renderer.

The renderer draws single words (lexicon words or random alphanumeric
strings) onto plausible backgrounds with PIL, then applies light geometric
and photometric degradations with numpy / OpenCV.  Nothing is downloaded:
the default fonts are the DejaVu TTFs bundled with matplotlib.

Every sample is a pure function of ``(seed, index)`` so that a dataset built
on top of :class:`WordRenderer` can be indexed like a static dataset (same
index -> same image in every epoch, process and DataLoader worker) while
never touching the disk.
"""
from __future__ import annotations

import importlib.util
import math
import operator
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    'DEFAULT_LEXICON',
    'default_font_paths',
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

DEFAULT_CHARSET = (
    '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')

_FONT_EXTS = ('.ttf', '.otf', '.ttc')

# ITU-R BT.601 luma weights (RGB order); they sum to 1 so adding the same
# offset to all three channels shifts luminance by exactly that offset.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)

# Case styles applied to lexicon words: as-is, UPPER, lower, Title.
_CASE_PROBS = (0.4, 0.25, 0.2, 0.15)

# Background styles: flat, linear gradient, smooth random texture.
_BG_PROBS = (0.35, 0.3, 0.35)

# A code point no sane font maps: its rendering is the font's .notdef glyph,
# which is what a font draws for any character it does not cover.
_NOTDEF_PROBE = '\uffff'


# ---------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------
def default_font_paths() -> list[str]:
    """Return the DejaVu TTF files shipped with matplotlib, sorted.

    The ``*Display*`` variants are skipped: they only contain a handful of
    glyphs for math rendering.  matplotlib is located with
    :func:`importlib.util.find_spec` so it is not imported (importing it is
    slow and pulls in a plotting backend).  Returns an empty list when
    matplotlib is not installed.
    """
    spec = importlib.util.find_spec('matplotlib')
    if spec is None or not spec.submodule_search_locations:
        return []
    paths: list[str] = []
    for location in spec.submodule_search_locations:
        ttf_dir = Path(location) / 'mpl-data' / 'fonts' / 'ttf'
        if ttf_dir.is_dir():
            paths.extend(
                str(p) for p in ttf_dir.glob('DejaVu*.ttf')
                if 'Display' not in p.name)
    return sorted(paths)


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


def _font_coverage(path: str, chars: Iterable[str]) -> frozenset[str]:
    """Characters of ``chars`` that ``path`` draws with a real glyph.

    PIL exposes no cmap query, so a character counts as missing when it
    renders with no ink or exactly like the .notdef glyph.  This guards
    fine-tuning labels against fonts that would silently draw boxes.
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

    What it draws: one word per image - a lexicon word in a random case
    style (as-is / UPPER / lower / Title) or, with probability
    ``random_word_prob``, a random string over ``charset`` - in a random font
    and size, with a random text colour on a background (flat colour, linear
    gradient or smooth random texture) whose luminance differs from the text
    by at least ``min_contrast`` everywhere.  The crop has random padding
    around the word, then the text layer is rotated (up to ``rotation``
    degrees) and perspective-warped (corners jittered by up to
    ``perspective`` of the width / height), and the composite is optionally
    blurred, optionally down-/up-sampled, and gets additive Gaussian noise.
    Word crops are roughly ``height`` to ``2 * height`` pixels tall, their
    width follows the text.

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
    ``(H, W)``, True on glyph pixels after the same geometric warp as the
    image (blur and noise are photometric and do not move it).

    Args:
        fonts: Font file paths. ``None`` means :func:`default_font_paths`.
            Pass ``[]`` together with ``font_dir`` to use only your fonts.
        lexicon: Words to draw. ``None`` means :data:`DEFAULT_LEXICON`.
            Words outside ``[min_len, max_len]`` characters and words no
            font can draw are skipped.
        font_dir: Optional folder whose fonts (see :func:`find_fonts`) are
            added to ``fonts``.
        height: Nominal crop height in pixels; the font size is drawn from
            ``[height, 1.5 * height]``.
        random_word_prob: Probability of a random ``charset`` string instead
            of a lexicon word.
        min_len: Minimum length of random strings and lexicon words.
        max_len: Maximum length of random strings and lexicon words.
        charset: Characters random strings are drawn from.
        rotation: Maximum absolute rotation in degrees, in ``[0, 45]``.
        perspective: Maximum corner jitter as a fraction of the crop size
            (x as a fraction of the width, y of the height), in
            ``[0, 0.3]`` so opposite corners cannot cross.
        blur_prob: Probability of a Gaussian blur.
        noise_std: ``(low, high)`` range of the additive Gaussian noise
            standard deviation (uint8 units), or one number for a fixed std.
        lowres_prob: Probability of a down-then-up resampling (a cheap
            stand-in for low camera resolution).
        min_contrast: Minimum luminance difference (0-255) between text and
            background colours, before blur and noise.
    """

    def __init__(self,
                 fonts: Sequence[str | os.PathLike] | None = None,
                 lexicon: Sequence[str] | None = None,
                 font_dir: str | os.PathLike | None = None,
                 height: int = 32,
                 random_word_prob: float = 0.3,
                 min_len: int = 1,
                 max_len: int = 12,
                 charset: str = DEFAULT_CHARSET,
                 rotation: float = 5.0,
                 perspective: float = 0.05,
                 blur_prob: float = 0.3,
                 noise_std: tuple[float, float] | float = (0.0, 8.0),
                 lowres_prob: float = 0.2,
                 min_contrast: float = 60.0) -> None:
        # -- scalar arguments ------------------------------------------------
        if isinstance(height, bool) or not isinstance(height, (int, np.integer)) \
                or height < 8:
            raise ValueError(f'height must be an int >= 8, got {height!r}')
        self.height = int(height)
        self.random_word_prob = _check_prob('random_word_prob',
                                            random_word_prob)
        self.blur_prob = _check_prob('blur_prob', blur_prob)
        self.lowres_prob = _check_prob('lowres_prob', lowres_prob)
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
        for name, value in (('min_len', min_len), ('max_len', max_len)):
            if isinstance(value, bool) or not isinstance(
                    value, (int, np.integer)) or value < 1:
                raise ValueError(f'{name} must be an int >= 1, got {value!r}')
        if min_len > max_len:
            raise ValueError(
                f'min_len ({min_len}) must be <= max_len ({max_len})')
        self.min_len, self.max_len = int(min_len), int(max_len)

        # -- charset ---------------------------------------------------------
        if not isinstance(charset, str):
            raise ValueError(f'charset must be a str, got {type(charset)}')
        # Whitespace would produce invisible characters in the label.
        if any(ch.isspace() for ch in charset):
            raise ValueError('charset must not contain whitespace')
        # dict.fromkeys: de-duplicate but keep a stable order.
        self.charset = ''.join(dict.fromkeys(charset))
        if self.random_word_prob > 0 and not self.charset:
            raise ValueError('charset is empty but random_word_prob > 0')

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
                'fonts is empty (and no default DejaVu fonts were found); '
                'pass font paths or font_dir')
        for path in font_list:
            if not os.path.isfile(path):
                raise ValueError(f'fonts: font file not found: {path!r}')

        # -- lexicon ---------------------------------------------------------
        raw_lexicon = DEFAULT_LEXICON if lexicon is None else lexicon
        if isinstance(raw_lexicon, str):
            raise ValueError('lexicon must be a sequence of words, not a str')
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
        # Computed once here (a few ms per font) so labels never describe
        # characters a font would draw as .notdef boxes.
        universe = set(self.charset)
        for word in words:
            universe.update(word, word.upper(), word.lower())
        coverage: list[frozenset[str]] = []
        for path in font_list:
            try:
                coverage.append(_font_coverage(path, sorted(universe)))
            except OSError as exc:
                raise ValueError(
                    f'fonts: cannot load font {path!r}: {exc}') from exc
        all_covered = frozenset().union(*coverage)
        missing = sorted(set(self.charset) - all_covered)
        if self.random_word_prob > 0 and missing:
            raise ValueError(
                f'charset characters {"".join(missing)!r} are not drawable '
                f'with any of the fonts')

        def drawable(word: str) -> bool:
            need = set(word) | set(word.upper()) | set(word.lower())
            return any(need <= cov for cov in coverage)

        self.lexicon: tuple[str, ...] = tuple(w for w in words if drawable(w))
        if self.random_word_prob < 1 and not self.lexicon:
            raise ValueError(
                'lexicon has no usable word (after filtering by '
                f'[min_len, max_len] = [{min_len}, {max_len}] and font '
                'coverage); pass words or set random_word_prob=1')

        self.fonts: tuple[str, ...] = tuple(font_list)
        self._coverage: tuple[frozenset[str], ...] = tuple(coverage)
        # Lazily filled, (path, size) -> FreeTypeFont; not picklable, so it is
        # dropped in __getstate__ and refilled in each worker.
        self._font_cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}

    # -- pickling -----------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Return the picklable state: everything but the font cache."""
        state = self.__dict__.copy()
        state['_font_cache'] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`__getstate__` with an empty font cache."""
        self.__dict__.update(state)
        self._font_cache = {}

    # -- helpers ------------------------------------------------------------
    def _font(self, path: str, size: int) -> ImageFont.FreeTypeFont:
        key = (path, size)
        font = self._font_cache.get(key)
        if font is None:
            font = _load_font(path, size)
            self._font_cache[key] = font
        return font

    def _sample_text(self, rng: np.random.Generator) -> str:
        if rng.random() < self.random_word_prob:
            length = int(rng.integers(self.min_len, self.max_len + 1))
            idx = rng.integers(0, len(self.charset), size=length)
            return ''.join(self.charset[i] for i in idx)
        word = self.lexicon[int(rng.integers(len(self.lexicon)))]
        style = int(rng.choice(4, p=_CASE_PROBS))
        if style == 1:
            return word.upper()
        if style == 2:
            return word.lower()
        if style == 3:
            return word[:1].upper() + word[1:].lower()
        return word

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
        style = int(rng.choice(3, p=_BG_PROBS))
        out = np.empty((h, w, 3), np.float32)
        out[:] = bg
        amp = float(rng.uniform(0, min(slack, 40.0)))
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
        """Rotate + perspective-warp the coverage map, growing the canvas so
        no glyph is cut off."""
        h, w = alpha.shape
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
            True where glyph pixels are (after the geometric warp).
        """
        seed, index = operator.index(seed), operator.index(index)
        if seed < 0:
            raise ValueError(f'seed must be >= 0, got {seed}')
        if index < 0:
            raise ValueError(f'index must be >= 0, got {index}')
        rng = np.random.Generator(np.random.PCG64([seed, index]))

        # Word and a font that can draw every one of its characters; a
        # random string may need a redraw when fonts cover the charset only
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

        alpha = self._warp(rng, self._draw_text(rng, text, font, size))
        h, w = alpha.shape
        fg_mask = alpha >= 128

        fg, bg = self._sample_colors(rng)
        slack = abs(float(fg @ _LUMA) - float(bg @ _LUMA)) - self.min_contrast
        img = self._background(rng, h, w, bg, max(slack, 0.0))
        a = alpha.astype(np.float32) * (1.0 / 255.0)
        img += a[:, :, None] * (fg - img)

        if rng.random() < self.blur_prob:
            sigma = rng.uniform(0.4, 1.2) * size / 32.0
            img = cv2.GaussianBlur(img, (0, 0), sigma)
        if rng.random() < self.lowres_prob:
            f = rng.uniform(0.4, 0.8)
            small = cv2.resize(img, (max(1, int(w * f)), max(1, int(h * f))),
                               interpolation=cv2.INTER_AREA)
            img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        std = rng.uniform(*self.noise_std)
        if std > 0:
            img += rng.standard_normal((h, w, 3), dtype=np.float32) * std

        # +0.5 rounds instead of truncating; [..., ::-1] turns RGB into BGR.
        np.clip(img + 0.5, 0, 255, out=img)
        out = np.ascontiguousarray(img.astype(np.uint8)[:, :, ::-1])
        return out, text, fg_mask
