"""Unlabeled word crops from an LMDB (the Union14M-U layout)."""
import os
import os.path as osp
from typing import Any, Dict, Tuple

from mmocr.registry import DATASETS

from .base import VirtualDataset
from .image_io import BadSample, decode_image

__all__ = ['UnlabeledLMDBDataset', 'LabelledLMDBDataset', 'open_lmdb',
           'process_lmdb_env']


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


# realpath -> (pid that opened it, environment)
_PROCESS_ENVS: Dict[str, Tuple[int, Any]] = {}


def process_lmdb_env(path: str) -> Any:
    """The read-only environment of ``path`` for this process, shared by
    every dataset object that reads it.

    py-lmdb refuses to open one LMDB twice in a process ("already open in
    this process"), and that bookkeeping survives ``fork``: two datasets
    over one file (val and test loaders, train and val without workers)
    or a worker forked from a process holding the file would fail with a
    per-object environment. Here one environment is kept per path and
    process; a forked child closes its inherited copy (only the child's
    mapping) and opens its own.
    """
    key = osp.realpath(path)
    pid = os.getpid()
    entry = _PROCESS_ENVS.get(key)
    if entry is not None:
        if entry[0] == pid:
            return entry[1]
        try:  # inherited from the parent: release the child's copy
            entry[1].close()
        except Exception:  # noqa: BLE001  (already closed)
            pass
    env = open_lmdb(path)
    _PROCESS_ENVS[key] = (pid, env)
    return env


@DATASETS.register_module()
class UnlabeledLMDBDataset(VirtualDataset):
    """Images stored in an LMDB under ``image-%09d`` keys (1-based) with the
    count under ``num-samples``: Union14M-U, and MMOCR's labelled text
    recognition LMDBs (their ``label-%09d`` keys are ignored).

    One LMDB environment per process and file, opened on first access
    (:func:`process_lmdb_env`): a worker forked from a process that already
    read the file opens its own.

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
        for name, pattern in (('image_key', image_key), ):
            try:
                pattern % 1
            except (TypeError, ValueError):
                raise ValueError(f'{name} must be a %-pattern taking the '
                                 f'index, e.g. "image-%09d", got '
                                 f'{pattern!r}') from None
        if not isinstance(index_base, int) or index_base < 0:
            raise ValueError(
                f'index_base must be an int >= 0, got {index_base!r}')
        self.image_key = image_key
        self.num_key = num_key
        self.index_base = index_base
        super().__init__(data_root=data_root, **kwargs)

    def num_samples(self) -> int:
        if not osp.exists(self.data_root):
            raise FileNotFoundError(f'LMDB not found: {self.data_root}')
        with self.env.begin(write=False) as txn:
            raw = txn.get(self.num_key.encode())
        if raw is None:
            raise ValueError(f'{self.data_root} has no {self.num_key!r} key; '
                             'is it an LMDB in the MMOCR / Union14M / TextZoom layout?')
        n = int(raw.decode().strip())
        if n < 1:
            raise ValueError(f'{self.data_root} holds no samples ({n})')
        return n

    @property
    def env(self) -> Any:
        """This process's environment of the LMDB, opened lazily and shared
        with other datasets over the same file (:func:`process_lmdb_env`)."""
        return process_lmdb_env(self.data_root)

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


@DATASETS.register_module()
class LabelledLMDBDataset(UnlabeledLMDBDataset):
    """Labelled word crops from an LMDB in MMOCR's recognition layout
    (``image-%09d``, ``label-%09d``, ``num-samples``), e.g. the corpora
    written by ``tools/dataset_converters/render_words.py`` or
    ``make_lmdb.py`` from a ``labels.tsv`` folder.

    Like MMOCR's ``RecogLMDBDataset`` but with one LMDB environment per
    process (safe with forked DataLoader workers), lazy reads (nothing is
    scanned at start, so a 10M-sample corpus builds instantly) and bad
    images skipped and counted.

    Args:
        data_root (str): The LMDB folder (or file).
        label_key (str): Key pattern of labels. Defaults to
            ``'label-%09d'``.
        **kwargs: ``image_key``, ``num_key``, ``index_base`` of
            :class:`UnlabeledLMDBDataset`; ``pipeline``, ``indices``... of
            MMEngine's ``BaseDataset``.

    The pipeline receives ``img`` uint8 (H, W, 3) BGR at the stored size and
    ``instances=[dict(text=label)]`` (what MMOCR's
    ``LoadOCRAnnotations(with_text=True)`` and ``PackTextRecogInputs``
    read), so no ``LoadImageFromFile`` step is needed.
    """

    def __init__(self, data_root: str, label_key: str = 'label-%09d',
                 **kwargs) -> None:
        try:
            label_key % 1
        except (TypeError, ValueError):
            raise ValueError('label_key must be a %-pattern taking the '
                             f'index, e.g. "label-%09d", got {label_key!r}'
                             ) from None
        self.label_key = label_key
        super().__init__(data_root=data_root, **kwargs)

    def load_sample(self, results: dict) -> None:
        super().load_sample(results)
        key = self.label_key % (results['sample_idx'] + self.index_base)
        with self.env.begin(write=False) as txn:
            raw = txn.get(key.encode())
        if raw is None:
            raise BadSample('no label', f'{self.data_root}:{key}')
        results['instances'] = [dict(text=raw.decode('utf-8'))]
