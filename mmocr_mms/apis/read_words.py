"""Read word crops with a recognizer config + checkpoint through MMOCR's
``TextRecInferencer`` (the logic behind ``tools/infer.py``)."""
import os
import os.path as osp
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ['IMAGE_EXTENSIONS', 'list_images', 'read_words']

#: File name endings treated as images when a folder is listed.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff',
                    '.webp')


def list_images(source: str) -> List[str]:
    """Image paths named by ``source``.

    Args:
        source: An image file; a folder (its images, sorted by name, not
            recursive); or a text file listing one image path per line
            (relative paths are relative to the list file's folder; blank
            lines and lines starting with ``#`` are skipped).

    Returns:
        The paths, in order.
    """
    if not isinstance(source, str) or not source:
        raise ValueError(f'source must be a path, got {source!r}')
    if osp.isdir(source):
        paths = sorted(
            osp.join(source, f) for f in os.listdir(source)
            if f.lower().endswith(IMAGE_EXTENSIONS)
            and osp.isfile(osp.join(source, f)))
        if not paths:
            raise ValueError(f'source folder {source} holds no images '
                             f'({", ".join(IMAGE_EXTENSIONS)})')
        return paths
    if not osp.isfile(source):
        raise FileNotFoundError(f'source {source} does not exist')
    if source.lower().endswith(IMAGE_EXTENSIONS):
        return [source]
    root = osp.dirname(osp.abspath(source))
    paths = []
    with open(source, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                paths.append(line if osp.isabs(line) else
                             osp.join(root, line))
    if not paths:
        raise ValueError(f'source list {source} names no images')
    return paths


def read_words(config: str,
               checkpoint: Optional[str],
               inputs: Sequence[Union[str, np.ndarray]],
               batch_size: int = 32,
               device: str = 'cpu',
               vis_dir: Optional[str] = None,
               progress: bool = True
               ) -> Iterator[Tuple[Union[str, int], str, float]]:
    """Recognise every input with MMOCR's ``TextRecInferencer``.

    Args:
        config: Recognizer config path.
        checkpoint: Its checkpoint (None: random weights, for tests).
        inputs: Image paths and / or BGR uint8 arrays (H, W, 3).
        batch_size: Crops per forward.
        device: Torch device.
        vis_dir: When set, MMOCR's visualisation (crop + predicted text)
            of every input is written to ``<vis_dir>/vis/<name>.jpg``.
        progress: Show a tqdm progress bar (on stderr).

    Yields:
        ``(path or index of an array input, text, score)`` per input, in
        order; score is the mean of the per-character scores (0.0 for an
        empty prediction).
    """
    from mmocr.apis import TextRecInferencer
    from tqdm import tqdm
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f'batch_size must be an int >= 1, got '
                         f'{batch_size!r}')
    inputs = list(inputs)
    inferencer = TextRecInferencer(
        model=config, weights=checkpoint, device=device)
    bar = tqdm(total=len(inputs), unit='crop', disable=not progress)
    # hand MMOCR a few batches at a time so the bar moves
    chunk = batch_size * 4
    for start in range(0, len(inputs), chunk):
        part = inputs[start:start + chunk]
        kwargs = dict(batch_size=batch_size, progress_bar=False)
        if vis_dir:
            kwargs.update(save_vis=True, out_dir=vis_dir)
        preds = inferencer(part, **kwargs)['predictions']
        for i, (item, pred) in enumerate(zip(part, preds)):
            score = pred['scores'] if pred['text'] else 0.0
            key = item if isinstance(item, str) else start + i
            yield key, pred['text'], float(score)
        bar.update(len(part))
    bar.close()
