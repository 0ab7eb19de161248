"""TextZoom (Wang et al., ECCV 2020) super-resolution pairs from LMDB.

Layout (the released ``train1``, ``train2``, ``test/{easy,medium,hard}``
LMDBs): ``num-samples`` -> count, and for i = 1..count
``image_hr-%09d`` / ``image_lr-%09d`` -> encoded HR / LR images,
``label-%09d`` -> the word (utf-8).
"""


from mmocr.registry import DATASETS

from .image_io import BadSample, decode_image
from .lmdb_dataset import UnlabeledLMDBDataset

__all__ = ['TextZoomDataset']

@DATASETS.register_module()
class TextZoomDataset(UnlabeledLMDBDataset):
    """LR/HR word pairs of a TextZoom LMDB.

    Reuses :class:`UnlabeledLMDBDataset`'s key handling; the environment
    is opened lazily, once per process and path (:func:`process_lmdb_env`).

    Args:
        data_root: The LMDB folder (or file).
        hr_key: Key pattern of HR images. Defaults to ``'image_hr-%09d'``.
        lr_key: Key pattern of LR images. Defaults to ``'image_lr-%09d'``.
        label_key: Key pattern of labels (None: not read). Defaults to
            ``'label-%09d'``.
        num_key: Key of the sample count. Defaults to ``'num-samples'``.
        index_base: Number of the first key. Defaults to 1.
        **kwargs: ``pipeline``, ``indices``, ``test_mode``, ... of
            ``BaseDataset``.

    The pipeline receives ``img`` = LR and ``gt_img`` = HR, uint8
    (h, w, 3) BGR at their stored sizes (resize them with
    :class:`ResizeSRPair`), ``text`` (the label, '' when absent),
    ``img_path`` (``<lmdb>:<lr key>``). A missing or undecodable image
    skips the sample (counted).
    """

    METAINFO = dict(dataset_type='TextZoomDataset', task_name='textsr')

    def __init__(self,
                 data_root: str,
                 hr_key: str = 'image_hr-%09d',
                 lr_key: str = 'image_lr-%09d',
                 label_key: str = 'label-%09d',
                 num_key: str = 'num-samples',
                 index_base: int = 1,
                 **kwargs) -> None:
        self.hr_key = hr_key
        self.lr_key = lr_key
        self.label_key = label_key
        super().__init__(
            data_root=data_root,
            image_key=lr_key,
            num_key=num_key,
            index_base=index_base,
            **kwargs)

    def load_sample(self, results: dict) -> None:
        """Decode pair ``sample_idx`` into ``img`` (LR) / ``gt_img`` (HR)."""
        n = results['sample_idx'] + self.index_base
        keys = dict(hr=self.hr_key % n, lr=self.lr_key % n)
        with self.env.begin(write=False) as txn:
            raw = {k: txn.get(v.encode()) for k, v in keys.items()}
            label = txn.get((self.label_key % n).encode()) \
                if self.label_key else None
        imgs = {}
        for k, data in raw.items():
            source = f'{self.data_root}:{keys[k]}'
            if data is None:
                raise BadSample('missing', source)
            imgs[k] = decode_image(data, source)
        results['img'] = imgs['lr']
        results['gt_img'] = imgs['hr']
        results['img_shape'] = results['ori_shape'] = imgs['lr'].shape[:2]
        results['hr_shape'] = imgs['hr'].shape[:2]
        results['img_path'] = f'{self.data_root}:{keys["lr"]}'
        results['text'] = label.decode('utf-8', 'replace') if label else ''
