"""Cheap, worker-independent per-sample random streams.

Masks must not depend on which DataLoader worker draws them, so each sample
gets its own generator derived from ``(seed, epoch, sample index)`` instead of
global state. Seeding numpy's ``SeedSequence`` costs 15-24 us per sample on a
2-core CPU; here the key is a SplitMix64 hash of the three integers (well
under 1 us in pure Python) and the generators are seeded directly with it.
"""
import random

import numpy as np

__all__ = ['mix64', 'sample_key', 'numpy_rng', 'python_rng']

_MASK64 = 0xFFFFFFFFFFFFFFFF


def mix64(x: int) -> int:
    """SplitMix64 finaliser: a bijective avalanche hash of a 64-bit int."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def sample_key(seed: int, epoch: int, index: int, salt: int = 0) -> int:
    """64-bit key of one sample: equal inputs give equal keys on any worker.

    ``salt`` separates independent streams of the same sample (e.g. the
    strategy choice and the mask of :class:`MultiMasking`).
    """
    key = mix64(seed & _MASK64)
    key = mix64(key ^ (epoch & _MASK64))
    key = mix64(key ^ (index & _MASK64))
    return mix64(key ^ (salt & _MASK64)) if salt else key


def numpy_rng(key: int) -> np.random.Generator:
    """A numpy generator for vectorised draws (about 7 us to create)."""
    return np.random.Generator(np.random.PCG64(key))


def python_rng(key: int) -> random.Random:
    """A ``random.Random`` for scalar draws in loops (about 3 us to seed;
    each scalar draw costs ~60 ns against ~1 us for a numpy call)."""
    return random.Random(key)
