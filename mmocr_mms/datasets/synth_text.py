"""What the synthetic renderer writes: a large English lexicon from
``wordfreq``, sampled with tempered word frequencies, plus the non-word text
real scene crops are full of (numbers, prices, dates, codes, words with inner
punctuation), in every case style.

Everything here is deterministic given the ``np.random.Generator`` passed in,
so the renderer keeps its ``(seed, index)`` -> sample contract.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    'TEXT_KINDS',
    'TextSampler',
    'wordfreq_lexicon',
]

# Kinds of text and their default probabilities (see TextSampler).
TEXT_KINDS = ('word', 'random', 'number', 'price', 'date', 'code', 'punct')
DEFAULT_TEXT_PROBS = dict(
    word=0.64, random=0.08, number=0.07, price=0.04, date=0.04, code=0.07,
    punct=0.06)

# Case styles of lexicon words: lower, UPPER, Title, rAnDoM.
CASE_STYLES = ('lower', 'upper', 'title', 'random')
DEFAULT_CASE_PROBS = (0.35, 0.3, 0.3, 0.05)

_WORD_RE = re.compile(r'[a-z0-9]+')


@functools.lru_cache(maxsize=4)
def wordfreq_lexicon(size: int = 100000, lang: str = 'en') -> tuple:
    """The ``size`` most frequent words of ``lang`` in ``wordfreq``, most
    frequent first, keeping only words made of ``[a-z0-9]`` (wordfreq's
    tokens are lower case; apostrophes and hyphens are added back by the
    ``punct`` text kind).

    About 94,600 words remain of the top 100,000 English tokens
    (wordfreq 3.1). Cached per process.

    Raises:
        ImportError: if ``wordfreq`` is not installed (``pip install
            wordfreq``; it is in requirements/runtime.txt).
    """
    try:
        import wordfreq
    except ImportError as e:  # pragma: no cover - it is a requirement
        raise ImportError(
            "lexicon='wordfreq' needs the wordfreq package "
            '(pip install wordfreq)') from e
    words = wordfreq.top_n_list(lang, int(size), wordlist='best')
    return tuple(w for w in words if _WORD_RE.fullmatch(w))


def _check_probs(name: str, probs: Sequence[float], n: int) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.shape != (n,) or not np.all(np.isfinite(p)) or np.any(p < 0) \
            or p.sum() <= 0:
        raise ValueError(
            f'{name} must be {n} non-negative numbers with a positive sum, '
            f'got {probs!r}')
    return p / p.sum()


class TextSampler:
    """Draws the text of one synthetic crop.

    Kinds (probabilities ``text_probs``, a dict over :data:`TEXT_KINDS`;
    missing kinds get 0):

    - ``word``: a lexicon word, drawn with probability proportional to
      ``rank ** -temperature`` (rank 1 = most frequent): ``temperature=0``
      is uniform over the lexicon (as MJSynth samples its 90k words),
      ``1`` is Zipf-like (close to running-text frequencies, dominated by
      "the", "to", ...); the default 0.5 keeps frequent words frequent
      while any 2,000 consecutive samples hold over 1,500 distinct words
      (tested). Then a case style from ``case_probs`` over
      (lower, UPPER, Title, rAnDoM).
    - ``random``: a random string over ``charset`` of
      ``min_len..min(max_len, 12)`` characters.
    - ``number``: integers (with optional thousands separators), decimals,
      percentages.
    - ``price``: ``$12.99``, ``12,50``, ``9.99$``, ``EUR 5``...
    - ``date``: ``12/05/2019``, ``2019-05-12``, ``12.05.19``, times ``18:30``.
    - ``code``: product / room / licence codes (``AB-1234``, ``X5R``,
      ``M25``, ``B2``).
    - ``punct``: words with inner or trailing punctuation (``don't``,
      ``e-mail``, ``U.S.A.``, ``rock&roll``, ``sale!``).

    Args:
        lexicon: Words, most frequent first (the order defines the ranks).
        text_probs: Probability of each kind (normalised).
        temperature: Rank exponent of the word sampler, >= 0.
        case_probs: Probabilities of (lower, UPPER, Title, rAnDoM) for words.
        charset: Characters of ``random`` strings.
        min_len, max_len: Length bounds of ``random`` strings; words and
            generated strings longer than ``max_len`` are redrawn.
    """

    def __init__(self,
                 lexicon: Sequence[str],
                 text_probs: dict | None = None,
                 temperature: float = 0.5,
                 case_probs: Sequence[float] = DEFAULT_CASE_PROBS,
                 charset: str = '',
                 min_len: int = 1,
                 max_len: int = 25) -> None:
        probs = dict(DEFAULT_TEXT_PROBS if text_probs is None else text_probs)
        unknown = set(probs) - set(TEXT_KINDS)
        if unknown:
            raise ValueError(f'text_probs: unknown kinds {sorted(unknown)}; '
                             f'choose from {TEXT_KINDS}')
        self.kind_probs = _check_probs(
            'text_probs', [probs.get(k, 0.0) for k in TEXT_KINDS],
            len(TEXT_KINDS))
        self._kind_cdf = np.cumsum(self.kind_probs)
        temperature = float(temperature)
        if not (np.isfinite(temperature) and temperature >= 0):
            raise ValueError(f'temperature must be >= 0, got {temperature}')
        self.temperature = temperature
        self.case_probs = _check_probs('case_probs', case_probs, 4)
        self._case_cdf = np.cumsum(self.case_probs)
        self.lexicon = tuple(lexicon)
        if self.kind_probs[0] > 0 and not self.lexicon:
            raise ValueError('lexicon is empty but text_probs["word"] > 0')
        if self.kind_probs[1] > 0 and not charset:
            raise ValueError('charset is empty but text_probs["random"] > 0')
        self.charset = charset
        self.min_len, self.max_len = int(min_len), int(max_len)
        ranks = np.arange(1, len(self.lexicon) + 1, dtype=np.float64)
        weights = ranks ** -self.temperature
        self._word_cdf = np.cumsum(weights / weights.sum())

    @staticmethod
    def _pick(rng: np.random.Generator, cdf: np.ndarray) -> int:
        # One uniform draw + binary search: O(log n) for a 100k lexicon.
        return min(int(np.searchsorted(cdf, rng.random(), side='right')),
                   len(cdf) - 1)

    def word(self, rng: np.random.Generator) -> str:
        """A lexicon word in a random case style."""
        word = self.lexicon[self._pick(rng, self._word_cdf)]
        return self.apply_case(rng, word)

    def apply_case(self, rng: np.random.Generator, word: str) -> str:
        style = CASE_STYLES[self._pick(rng, self._case_cdf)]
        if style == 'upper':
            return word.upper()
        if style == 'title':
            return word[:1].upper() + word[1:].lower()
        if style == 'random':
            flips = rng.random(len(word)) < 0.5
            return ''.join(c.upper() if f else c.lower()
                           for c, f in zip(word, flips))
        return word.lower()

    def _random(self, rng: np.random.Generator) -> str:
        length = int(rng.integers(self.min_len,
                                  min(self.max_len, 12) + 1))
        idx = rng.integers(0, len(self.charset), size=length)
        return ''.join(self.charset[i] for i in idx)

    @staticmethod
    def _digits(rng: np.random.Generator, lo: int, hi: int) -> str:
        n = int(rng.integers(lo, hi + 1))
        first = str(int(rng.integers(1, 10)))
        return first + ''.join(str(d) for d in rng.integers(0, 10, n - 1))

    def _number(self, rng: np.random.Generator) -> str:
        r = rng.random()
        if r < 0.45:
            return self._digits(rng, 1, 5)
        if r < 0.6:  # thousands separator
            head = str(int(rng.integers(1, 1000)))
            return head + ',' + f'{int(rng.integers(0, 1000)):03d}'
        if r < 0.8:
            return f'{self._digits(rng, 1, 3)}.{int(rng.integers(0, 100)):d}'
        if r < 0.9:
            return f'{int(rng.integers(1, 101))}%'
        return '0' + self._digits(rng, 2, 4)  # leading zero: 007, 0800

    def _price(self, rng: np.random.Generator) -> str:
        units = str(int(rng.integers(0, 1000)))
        cents = f'{int(rng.integers(0, 100)):02d}'
        sep = '.' if rng.random() < 0.7 else ','
        body = units + sep + cents if rng.random() < 0.8 else units
        r = rng.random()
        if r < 0.5:
            return '$' + body
        if r < 0.75:
            return body
        if r < 0.9:
            return body + '$'
        return ('EUR' if rng.random() < 0.5 else 'Rs.') + body

    @staticmethod
    def _date(rng: np.random.Generator) -> str:
        d, m = int(rng.integers(1, 29)), int(rng.integers(1, 13))
        y = int(rng.integers(1950, 2031))
        r = rng.random()
        if r < 0.3:
            return f'{d:02d}/{m:02d}/{y}'
        if r < 0.5:
            return f'{y}-{m:02d}-{d:02d}'
        if r < 0.7:
            return f'{d:02d}.{m:02d}.{y % 100:02d}'
        if r < 0.85:
            return f'{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}'
        return str(y)

    def _code(self, rng: np.random.Generator) -> str:
        letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

        def let(n: int) -> str:
            return ''.join(letters[i] for i in rng.integers(0, 26, n))

        r = rng.random()
        if r < 0.3:
            return let(int(rng.integers(1, 4))) + '-' + self._digits(rng, 2, 5)
        if r < 0.55:
            return let(1) + self._digits(rng, 1, 3)
        if r < 0.75:  # alternating letters and digits: X5R, A4B2
            n = int(rng.integers(3, 7))
            return ''.join(let(1) if i % 2 == 0 else
                           str(int(rng.integers(0, 10))) for i in range(n))
        if r < 0.9:
            return self._digits(rng, 3, 4) + '-' + self._digits(rng, 4, 4)
        return self._digits(rng, 1, 3) + let(1)

    def _punct(self, rng: np.random.Generator) -> str:
        r = rng.random()
        if r < 0.25:  # contraction / possessive
            w = self.lexicon[self._pick(rng, self._word_cdf)]
            text = w + ("'s" if rng.random() < 0.6 else "'t")
        elif r < 0.5:  # hyphenated or ampersand compound
            a = self.lexicon[self._pick(rng, self._word_cdf)]
            b = self.lexicon[self._pick(rng, self._word_cdf)]
            text = a + ('-' if rng.random() < 0.7 else '&') + b
        elif r < 0.65:  # initialism with dots
            n = int(rng.integers(2, 5))
            text = '.'.join('ABCDEFGHIJKLMNOPQRSTUVWXYZ'[i]
                            for i in rng.integers(0, 26, n)) + '.'
            return text
        else:  # trailing / leading punctuation
            w = self.lexicon[self._pick(rng, self._word_cdf)]
            mark = '!.:,?"'[int(rng.integers(0, 6))]
            text = (w + mark) if mark != '"' else f'"{w}"'
        return self.apply_case(rng, text)

    def sample(self, rng: np.random.Generator) -> str:
        """One text string of length ``1..max_len``."""
        kind = TEXT_KINDS[self._pick(rng, self._kind_cdf)]
        for _ in range(10):
            if kind == 'word':
                text = self.word(rng)
            elif kind == 'random':
                text = self._random(rng)
            elif kind == 'number':
                text = self._number(rng)
            elif kind == 'price':
                text = self._price(rng)
            elif kind == 'date':
                text = self._date(rng)
            elif kind == 'code':
                text = self._code(rng)
            else:
                text = self._punct(rng)
            if self.min_len <= len(text) <= self.max_len:
                return text
        return text[:self.max_len]
