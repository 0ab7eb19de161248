"""Recognizer inference throughput at a given batch size."""
import time
from typing import Dict

import torch

__all__ = ['recognizer_throughput']


def recognizer_throughput(config: str, batch: int, steps: int = 3,
                          size=None, device='cpu') -> Dict:
    """Images/s of ``model(inputs, data_samples, mode='predict')`` (decoding
    and post-processing included) for the recognizer of ``config``
    (randomly initialised: speed does not depend on the weights).

    Args:
        config: Config path, or a package config such as
            ``mmocr::textrecog/satrn/satrn_shallow-small_5e_st_mj.py``.
        batch: Batch size.
        size: (H, W) input; defaults to 32 x 128.
    """
    import mmocr_mms  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmocr.registry import MODELS
    from mmocr.structures import TextRecogDataSample
    init_default_scope('mmocr')
    if '::' in config:  # a package config: inherit it from a stub file
        import tempfile
        with tempfile.NamedTemporaryFile('w', suffix='.py') as stub:
            stub.write(f"_base_ = ['{config}']\n")
            stub.flush()
            cfg = Config.fromfile(stub.name)
    else:
        cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model).to(device).eval()
    h, w = size or (32, 128)
    inputs = torch.randn(batch, 3, h, w, device=device)
    samples = []
    for _ in range(batch):
        ds = TextRecogDataSample()
        ds.set_metainfo(dict(valid_ratio=1.0, img_shape=(h, w)))
        samples.append(ds)
    with torch.no_grad():
        model(inputs, samples, mode='predict')
        start = time.perf_counter()
        for _ in range(steps):
            model(inputs, samples, mode='predict')
        if str(device).startswith('cuda'):
            torch.cuda.synchronize()
        t = (time.perf_counter() - start) / steps
    params = sum(p.numel() for p in model.parameters())
    return dict(img_per_s=batch / t, ms_per_batch=t * 1e3,
                params_m=params / 1e6)
