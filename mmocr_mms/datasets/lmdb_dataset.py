"""Unlabeled word crops from an LMDB (the Union14M-U layout)."""
import os
import os.path as osp
from typing import Optional

from mmocr.registry import DATASETS

from .base import VirtualDataset
from .image_io import BadSample, decode_image

__all__ = ['UnlabeledLMDBDataset', 'open_lmdb']


def open_lmdb(path: str):
    """Open an LMDB read-only, the way many readers on one file want it."""
    import lmdb
    return lmdb.open(
        path,
        readonly=True,
        lock=False,
        readahead=False,
        meminit=False,
        max_readers=256,
        subdir=osp.isdir(path))


@DATASETS.register_module()
class UnlabeledLMDBDataset(VirtualDataset):
    """Images stored in an LMDB under ``image-%09d`` keys (1-based) with the
    count under ``num-samples``: Union14M-U, and MMOCR's labelled text
    recognition LMDBs (their ``label-%09d`` keys are ignored).

    One LMDB environment per process, opened on first access: an
    environment must not cross a ``fork`` into DataLoader workers.

    Args:
        data_root (str): The LMDB folder (or file).
        image_key (str): Key pattern of images. Defaults to ``'image-%09d'``.
        num_key (str): Key of the sample count. Defaults to
            ``'num-samples'``.
        index_base (int): Number of the first image key. Defaults to 1.
        **kwargs: ``pipeline``, ``indices`` (int: use the first n), ... of
            MMEngine's ``BaseDataset``.

    The pipeline receives ``img`` uint8 (H, W, 3) BGR at the stored size.
    """

    def __init__(self,
                 data_root: str,
                 image_key: str = 'image-%09d',
                 num_key: str = 'num-samples',
                 index_base: int = 1,
                 **kwargs) -> None:
        self.image_key = image_key
        self.num_key = num_key
        self.index_base = index_base
        self._env = None
        self._env_pid: Optional[int] = None
        super().__init__(data_root=data_root, **kwargs)

    def num_samples(self) -> int:
        if not osp.exists(self.data_root):
            raise FileNotFoundError(f'LMDB not found: {self.data_root}')
        env = open_lmdb(self.data_root)
        try:
            with env.begin(write=False) as txn:
                raw = txn.get(self.num_key.encode())
        finally:
            env.close()
        if raw is None:
            raise ValueError(f'{self.data_root} has no {self.num_key!r} key; '
                             'is it an MMOCR/Union14M-style LMDB?')
        n = int(raw.decode().strip())
        if n < 1:
            raise ValueError(f'{self.data_root} holds no samples ({n})')
        return n

    def check_loadable(self) -> None:
        try:
            super().check_loadable()
        finally:
            # The probe opened the environment in this (parent) process;
            # close it so no handle crosses a fork into the workers.
            self.close()

    def close(self) -> None:
        """Close this process's environment (reopened on next access)."""
        if self._env is not None and self._env_pid == os.getpid():
            self._env.close()
        self._env = None

    @property
    def env(self):
        """This process's environment, opened lazily."""
        if self._env is None or self._env_pid != os.getpid():
            self._env = open_lmdb(self.data_root)
            self._env_pid = os.getpid()
        return self._env

    def load_sample(self, results: dict) -> None:
        key = self.image_key % (results['sample_idx'] + self.index_base)
        with self.env.begin(write=False) as txn:
            data = txn.get(key.encode())
        if data is None:
            raise BadSample('missing', f'{self.data_root}:{key}')
        img = decode_image(data, f'{self.data_root}:{key}')
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        results['img_path'] = f'{self.data_root}:{key}'

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_env'] = None  # environments are not picklable
        return state
