"""Shared behaviour of this package's datasets: skip bad samples, count and
log them, and re-fetch deterministically.

MMEngine's ``BaseDataset.__getitem__`` already re-fetches when the pipeline
returns ``None``, but draws the replacement from numpy's global generator and
says nothing about why. :class:`MMSBaseDataset` loads the image itself
(:meth:`load_sample`), counts every failure per reason, logs at the 1st, 2nd,
4th, 8th... failure of each reason (so a million bad files do not flood the
log), and replaces the sample by the next index, which is the same on every
worker.
"""
import collections
from typing import Dict, Optional

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from .image_io import BadSample

__all__ = ['SkipCounter', 'MMSBaseDataset', 'VirtualDataset']


class SkipCounter:
    """Counts skipped samples per reason and logs them, rate-limited.

    Counts are per process (each DataLoader worker keeps its own) and count
    each bad sample once.
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.counts: Dict[str, int] = collections.Counter()

    def skip(self, reason: str, detail: str = '') -> None:
        """Record one skipped sample."""
        self.counts[reason] += 1
        n = self.counts[reason]
        if n & (n - 1) == 0:  # 1, 2, 4, 8, ...
            print_log(
                f'{self.owner}: skipped {n} sample(s) so far with reason '
                f'{reason!r} (latest: {detail}); totals: '
                f'{dict(self.counts)}',
                logger='current',
                level=30)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class MMSBaseDataset(BaseDataset):
    """``BaseDataset`` that loads images robustly and skips bad samples.

    Subclasses implement :meth:`load_sample`, which fills ``results`` (at
    least ``img``, ``img_shape``, ``ori_shape``) or raises
    :class:`~mmocr_mms.datasets.image_io.BadSample`. The pipeline returning
    ``None`` also counts as a skip (reason ``'pipeline'``).

    Output of ``__getitem__``: whatever the pipeline packs, e.g.
    ``dict(inputs=(3, H, W) uint8 tensor, data_samples=...)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        self.skips = SkipCounter(type(self).__name__)
        self._bad_indices: set = set()
        super().__init__(*args, **kwargs)

    #: Samples tried at start: a dataset none of whose first ``probe``
    #: samples loads fails then, with the reasons, not hours later.
    probe = 32

    def load_sample(self, results: dict) -> None:
        """Load the sample's image into ``results``; default: nothing."""

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        self.check_loadable()

    def check_loadable(self) -> None:
        """Raise ``ValueError`` when none of the first :attr:`probe`
        samples loads (the dataset holds no valid image); bad ones are
        counted as usual."""
        if type(self).load_sample is MMSBaseDataset.load_sample:
            return  # loading happens in the pipeline (e.g. TSV datasets)
        n = min(len(self), self.probe)
        for idx in range(n):
            results = self.get_data_info(idx)
            try:
                self.load_sample(results)
                return
            except BadSample as e:
                self._bad_indices.add(idx)
                self.skips.skip(e.reason, e.detail)
        if n:
            raise ValueError(
                f'{type(self).__name__}: none of the first {n} samples is a '
                f'valid image (reasons: {dict(self.skips.counts)}); check '
                'the data path and format')

    def prepare_data(self, idx: int) -> Optional[dict]:
        # A bad sample is counted once and not decoded again: later
        # fetches of it (other epochs, re-fetches) return None at once.
        if idx in self._bad_indices:
            return None
        results = self.get_data_info(idx)
        try:
            self.load_sample(results)
        except BadSample as e:
            self._bad_indices.add(idx)
            self.skips.skip(e.reason, e.detail)
            return None
        data = self.pipeline(results)
        if data is None:
            self._bad_indices.add(idx)
            self.skips.skip('pipeline', str(results.get('img_path', idx)))
        return data

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            print_log('Please call `full_init()` method manually to '
                      'accelerate the speed.', logger='current', level=30)
            self.full_init()
        n = len(self)
        start = idx
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            if self.test_mode:
                raise RuntimeError(
                    f'{type(self).__name__}: sample {idx} could not be '
                    f'loaded in test mode (skips: {dict(self.skips.counts)})')
            idx = (idx + 1) % n  # deterministic on every worker
        raise RuntimeError(
            f'{type(self).__name__}: {self.max_refetch + 1} consecutive '
            f'samples from index {start} could not be loaded '
            f'(skips: {dict(self.skips.counts)}); check the data')


class VirtualDataset(MMSBaseDataset):
    """A dataset whose samples are produced by index, without a data list
    (rendered words, LMDB records): no per-sample metadata is built or
    serialised, so ten million samples cost nothing at start.

    Subclasses implement :meth:`num_samples` (called once in
    :meth:`full_init`) and :meth:`load_sample`.
    """

    def __init__(self, *args, **kwargs) -> None:
        self._length = 0
        kwargs.setdefault('serialize_data', False)
        super().__init__(*args, **kwargs)

    def num_samples(self) -> int:
        raise NotImplementedError

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self._length = int(self.num_samples())
        if self._indices is not None:
            self._length = min(self._length, int(self._indices))
        self._fully_initialized = True
        self.check_loadable()

    def load_data_list(self) -> list:
        return []

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        return self._length

    def get_data_info(self, idx: int) -> dict:
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f'index {idx} out of range for {n} samples')
        return dict(sample_idx=idx % n)
