"""Write word crops into an LMDB in the Union14M / MMOCR layout."""
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Tuple

from .image_folder import scan_images
from .image_io import BadSample, decode_image
from .tsv_dataset import read_labels_tsv

__all__ = ['collect_items', 'write_lmdb']

Item = Tuple[str, Optional[str]]  # (image path, label or None)


def collect_items(source: str) -> List[Item]:
    """Images (and labels) of a source, in a stable order.

    ``source`` is one of: a folder with ``labels.tsv`` (labelled), a
    ``.tsv`` file (labelled, paths relative to its folder), a list file
    (one path per line, relative to its folder; unlabeled), or an image
    folder (scanned recursively; unlabeled).
    """
    if osp.isdir(source) and osp.isfile(osp.join(source, 'labels.tsv')):
        source = osp.join(source, 'labels.tsv')
    if osp.isdir(source):
        return [(osp.join(source, r), None) for r in scan_images(source)]
    if not osp.isfile(source):
        raise FileNotFoundError(f'no such folder or file: {source}')
    root = osp.dirname(osp.abspath(source))
    if source.endswith('.tsv'):
        return [(osp.join(root, rel), label)
                for rel, label in read_labels_tsv(source)]
    with open(source, encoding='utf-8') as f:
        rels = [line.strip().split('\t', 1)[0] for line in f]
    return [(osp.join(root, r), None) for r in rels if r]


def write_lmdb(items: Iterable[Item],
               out: str,
               check: bool = True,
               progress: bool = True,
               commit_every: int = 1000,
               map_size: int = 1 << 40) -> Dict[str, int]:
    """Store the encoded bytes of each image (no re-encoding) under
    ``image-%09d`` (1-based), labels under ``label-%09d`` when given, and
    the count under ``num-samples``.

    With ``check`` each image is decoded first; unreadable ones are skipped
    and counted (numbering stays contiguous). Returns counts:
    ``written`` and one entry per skip reason.

    Raises ``FileExistsError`` if ``out`` already holds an LMDB, so an
    existing corpus is never overwritten by accident.
    """
    import lmdb
    from tqdm import tqdm
    items = list(items)
    if osp.exists(osp.join(out, 'data.mdb')):
        raise FileExistsError(f'{out} already holds an LMDB; remove it or '
                              'choose another output')
    os.makedirs(out, exist_ok=True)
    stats: Dict[str, int] = {'written': 0}
    env = lmdb.open(out, map_size=map_size)
    txn = env.begin(write=True)
    try:
        n = 0
        for path, label in tqdm(
                items, desc=f'writing {osp.basename(out)}',
                unit='img', disable=not progress):
            try:
                with open(path, 'rb') as f:
                    data = f.read()
                if check:
                    decode_image(data, path)
            except (OSError, BadSample) as e:
                reason = e.reason if isinstance(e, BadSample) else 'missing'
                stats[reason] = stats.get(reason, 0) + 1
                continue
            n += 1
            txn.put(b'image-%09d' % n, data)
            if label is not None:
                txn.put(b'label-%09d' % n, label.encode('utf-8'))
            if n % commit_every == 0:
                txn.commit()
                txn = env.begin(write=True)
        txn.put(b'num-samples', str(n).encode())
        txn.commit()
        stats['written'] = n
    except BaseException:
        txn.abort()
        raise
    finally:
        env.close()
    return stats
