"""Unlabeled word crops from a folder of image files or a list file."""
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmocr.registry import DATASETS

from .base import MMSBaseDataset
from .image_io import read_image_file

__all__ = ['ImageFolderDataset', 'IMAGE_EXTENSIONS', 'scan_images']

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff',
                    '.webp')


def scan_images(root: str,
                extensions: Sequence[str] = IMAGE_EXTENSIONS) -> List[str]:
    """Image paths under ``root`` (recursive), relative to it, sorted."""
    exts = tuple(e.lower() for e in extensions)
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames.sort()
        for name in sorted(filenames):
            if name.lower().endswith(exts):
                found.append(
                    osp.relpath(osp.join(dirpath, name), root))
    return found


@DATASETS.register_module()
class ImageFolderDataset(MMSBaseDataset):
    """All images under ``data_root`` (recursive), or those named in a list
    file (``ann_file``: one path per line, relative to ``data_root``; a
    line's first tab-separated field is the path, so a ``labels.tsv`` works
    too, labels ignored).

    Args:
        data_root (str): Folder of images.
        ann_file (str, optional): List file, relative to ``data_root``.
        extensions (tuple[str]): Accepted endings when scanning.
        **kwargs: ``pipeline``, ``indices``, ... of ``BaseDataset``.

    The pipeline receives ``img`` uint8 (H, W, 3) BGR, ``img_path``.
    Unreadable files are skipped, counted and logged.
    """

    def __init__(self,
                 data_root: str,
                 ann_file: Optional[str] = '',
                 extensions: Sequence[str] = IMAGE_EXTENSIONS,
                 **kwargs) -> None:
        self.extensions = tuple(extensions)
        if not self.extensions or not all(
                isinstance(e, str) and e.startswith('.')
                for e in self.extensions):
            raise ValueError('extensions must be a non-empty list of endings '
                             f'like ".jpg", got {extensions!r}')
        super().__init__(
            data_root=data_root, ann_file=ann_file or '', **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isdir(self.data_root):
            raise FileNotFoundError(f'image folder not found: '
                                    f'{self.data_root}')
        if self.ann_file:
            with open(self.ann_file, encoding='utf-8') as f:
                rels = [
                    line.rstrip('\n').split('\t', 1)[0].strip() for line in f
                ]
            rels = [r for r in rels if r]
        else:
            rels = scan_images(self.data_root, self.extensions)
        if not rels:
            raise ValueError(f'no images found in {self.data_root}'
                             + (f' ({self.ann_file})' if self.ann_file else
                                ''))
        return [dict(img_path=osp.join(self.data_root, r)) for r in rels]

    def load_sample(self, results: dict) -> None:
        img = read_image_file(results['img_path'])
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
