"""Tests for mmocr_mms.datasets.synth_text: lexicon and text sampling."""
import re

import numpy as np
import pytest

from mmocr_mms.datasets.synth_text import (TEXT_KINDS, TextSampler,
                                           wordfreq_lexicon)


@pytest.fixture(scope='module')
def lexicon():
    return wordfreq_lexicon()


def test_wordfreq_lexicon_size_and_alphabet(lexicon) -> None:
    assert 90000 <= len(lexicon) <= 100000
    assert len(set(lexicon)) == len(lexicon)
    assert all(re.fullmatch('[a-z0-9]+', w) for w in lexicon)
    assert lexicon[:3] == ('the', 'to', 'and')  # most frequent first


@pytest.mark.parametrize('temperature', [0.0, 0.5])
def test_any_2000_consecutive_words_hold_1500_distinct(lexicon,
                                                       temperature) -> None:
    """The documented diversity: windows of 2,000 consecutive lexicon draws
    hold >= 1,500 distinct words (uniform: ~1,980; default 0.5: ~1,945)."""
    s = TextSampler(lexicon, text_probs=dict(word=1.0),
                    temperature=temperature, case_probs=(1, 0, 0, 0))
    rng = np.random.default_rng(0)
    words = [s.word(rng) for _ in range(8000)]
    distinct = [len(set(words[i:i + 2000])) for i in range(0, 6001, 250)]
    assert min(distinct) >= 1500, distinct


def test_rank_weights_follow_the_temperature() -> None:
    lex = [f'w{i}' for i in range(100)]
    for t in (0.0, 0.5, 1.0):
        s = TextSampler(lex, text_probs=dict(word=1.0), temperature=t)
        weights = np.arange(1, 101, dtype=np.float64) ** -t
        np.testing.assert_allclose(np.diff(s._word_cdf, prepend=0.0),
                                   weights / weights.sum())
    # Empirically: rank 1 is drawn ~ 1/H_100 = 19% of the time at t=1.
    s = TextSampler(lex, text_probs=dict(word=1.0), temperature=1.0,
                    case_probs=(1, 0, 0, 0))
    rng = np.random.default_rng(1)
    draws = [s.word(rng) for _ in range(20000)]
    assert abs(draws.count('w0') / 20000 - 1 / sum(1 / k for k in
                                                   range(1, 101))) < 0.01


PATTERNS = dict(
    number=r'\d+|\d{1,3},\d{3}|\d+\.\d+|\d+%',
    price=r'(\$|EUR|Rs\.)?\d+([.,]\d\d)?\$?',
    date=r'\d\d/\d\d/\d{4}|\d{4}-\d\d-\d\d|\d\d\.\d\d\.\d\d|\d\d:\d\d|\d{4}',
    code=r'[A-Z]{1,3}-\d+|[A-Z]\d+|([A-Z]\d)+[A-Z]?|\d+-\d{4}|\d+[A-Z]',
)


@pytest.mark.parametrize('kind', sorted(PATTERNS))
def test_generated_kinds_have_their_shape(kind) -> None:
    s = TextSampler(['word'], text_probs={kind: 1.0}, max_len=25)
    rng = np.random.default_rng(2)
    texts = {s.sample(rng) for _ in range(300)}
    assert len(texts) > 100
    for t in texts:
        assert re.fullmatch(PATTERNS[kind], t), (kind, t)


def test_punct_kind_puts_punctuation_in_or_around_words() -> None:
    s = TextSampler(['shop', 'open'], text_probs=dict(punct=1.0),
                    case_probs=(1, 0, 0, 0), max_len=25)
    rng = np.random.default_rng(3)
    texts = [s.sample(rng) for _ in range(300)]
    assert all(re.search(r"[^a-zA-Z0-9]", t) for t in texts)
    assert any(re.fullmatch(r"(shop|open)'[st]", t) for t in texts)
    assert any(re.fullmatch(r'(shop|open)[-&](shop|open)', t) for t in texts)
    assert any(re.fullmatch(r'([A-Z]\.){2,4}', t) for t in texts)


def test_case_styles_and_kind_mix() -> None:
    s = TextSampler(['hello'], charset='ab')
    rng = np.random.default_rng(4)
    texts = [s.sample(rng) for _ in range(2000)]
    words = [t for t in texts if t.lower() == 'hello']
    # word share ~ 0.64, then lower / UPPER / Title / rAnDoM
    assert 0.58 < len(words) / 2000 < 0.70
    for variant, p in (('hello', 0.35), ('HELLO', 0.3), ('Hello', 0.3)):
        share = words.count(variant) / len(words)
        assert abs(share - p) < 0.06, (variant, share)


def test_deterministic_and_bounded() -> None:
    s = TextSampler(wordfreq_lexicon()[:5000], charset='abc', max_len=8)
    a = [s.sample(np.random.default_rng(7)) for _ in range(3)]
    b = [s.sample(np.random.default_rng(7)) for _ in range(3)]
    assert a == b
    rng = np.random.default_rng(8)
    assert all(1 <= len(s.sample(rng)) <= 8 for _ in range(500))


@pytest.mark.parametrize('kwargs, match', [
    (dict(text_probs=dict(haiku=1.0)), 'unknown kinds'),
    (dict(text_probs=dict(word=-1.0, code=2.0)), 'text_probs'),
    (dict(temperature=-0.1), 'temperature'),
    (dict(case_probs=(1, 0, 0)), 'case_probs'),
])
def test_invalid_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        TextSampler(['a'], charset='a', **kwargs)


def test_empty_sources_rejected() -> None:
    with pytest.raises(ValueError, match='lexicon'):
        TextSampler([], charset='a')
    with pytest.raises(ValueError, match='charset'):
        TextSampler(['a'], text_probs=dict(random=1.0), charset='')
    assert set(TEXT_KINDS) == {'word', 'random', 'number', 'price', 'date',
                               'code', 'punct'}
