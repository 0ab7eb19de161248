"""Word lists as plain text files: one word per line, UTF-8, in order.

Used to carry the renderer's lexicon (``wordfreq``'s English words, most
frequent first) to a machine without ``wordfreq``:
``tools/misc/pack_gpu_reading.py`` writes it, ``tools/recipes/reading_gpu.py``
reads it and passes the list as ``WordRenderer(lexicon=...)``.
"""
from __future__ import annotations

import os
from collections.abc import Iterable

__all__ = ['write_lexicon', 'read_lexicon']


def _check_word(word, where: str) -> str:
    if not isinstance(word, str):
        raise ValueError(f'words: {where} is not a str: {word!r}')
    if not word or any(ch.isspace() for ch in word):
        raise ValueError(
            f'words: {where} must be a non-empty word without whitespace, '
            f'got {word!r}')
    return word


def write_lexicon(path: str | os.PathLike, words: Iterable[str]) -> int:
    """Write ``words`` to ``path``, one per line (UTF-8, ``\\n``), keeping
    their order (for a frequency-ranked lexicon the order is the rank).

    Returns:
        The number of words written.

    Raises:
        ValueError: if a word is not a str, is empty or holds whitespace
            (a line break would split it into two entries).
    """
    words = [_check_word(w, f'entry {i}') for i, w in enumerate(words)]
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        for w in words:
            f.write(w + '\n')
    return len(words)


def read_lexicon(path: str | os.PathLike) -> tuple[str, ...]:
    """The words of a file written by :func:`write_lexicon`, in file order.

    Raises:
        ValueError: if ``path`` is not a file, holds no word, or a line is
            empty or holds whitespace inside the word.
    """
    if not os.path.isfile(path):
        raise ValueError(f'path {os.fspath(path)!r} is not a file')
    with open(path, encoding='utf-8', newline='') as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()  # the final line break
    words = tuple(
        _check_word(line, f'line {i + 1} of {os.fspath(path)}')
        for i, line in enumerate(lines))
    if not words:
        raise ValueError(f'path {os.fspath(path)!r} holds no word')
    return words
