"""Data pipeline throughput of one worker: LMDB read -> decode -> resize ->
mask -> pack."""
import os.path as osp
import tempfile
import time
from typing import Dict

import cv2

__all__ = ['make_jpeg_lmdb', 'pipeline_throughput']


def make_jpeg_lmdb(root: str, num: int, seed: int = 0) -> str:
    """An LMDB of ``num`` synthetic word crops encoded as JPEG (quality 90),
    the format of Union14M-U."""
    import lmdb

    from mmocr_mms.datasets.synth_render import WordRenderer
    renderer = WordRenderer()
    path = osp.join(root, 'bench_lmdb')
    env = lmdb.open(path, map_size=1 << 32)
    with env.begin(write=True) as txn:
        for i in range(num):
            img, _, _ = renderer.render(seed, i)
            ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 90])
            assert ok
            txn.put(b'image-%09d' % (i + 1), buf.tobytes())
        txn.put(b'num-samples', str(num).encode())
    env.close()
    return path


def pipeline_throughput(num: int = 2000, passes: int = 2,
                        threads: int = 1) -> Dict:
    """Images/s of ``dataset[i]`` in one process (= one DataLoader worker)
    with the pretraining pipeline (Resize 32x128, MultiMasking,
    PackMIMInputs) over an LMDB of JPEG word crops."""
    import mmocr_mms  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmocr.registry import DATASETS
    init_default_scope('mmocr')
    cv2.setNumThreads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        path = make_jpeg_lmdb(tmp, num)
        ds = DATASETS.build(dict(
            type='UnlabeledLMDBDataset', data_root=path,
            pipeline=[
                dict(type='Resize', scale=(128, 32), keep_ratio=False),
                dict(type='MultiMasking', seed=0),
                dict(type='PackMIMInputs'),
            ]))
        ds[0]
        rates = []
        for _ in range(passes):
            start = time.perf_counter()
            for i in range(len(ds)):
                ds[i]
            rates.append(len(ds) / (time.perf_counter() - start))
        # the stages alone, for the profile
        stage = {}
        results = ds.get_data_info(0)
        start = time.perf_counter()
        for i in range(len(ds)):
            r = ds.get_data_info(i)
            with ds.env.begin() as txn:
                txn.get(b'image-%09d' % (i + 1))
        stage['lmdb_read_us'] = (time.perf_counter() - start) / len(ds) * 1e6
        start = time.perf_counter()
        for i in range(len(ds)):
            r = ds.get_data_info(i)
            ds.load_sample(r)
        stage['read_decode_us'] = (time.perf_counter() - start) / len(
            ds) * 1e6
        del results
    return dict(img_per_s=max(rates), rates=rates, num=num, **stage)
