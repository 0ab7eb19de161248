"""Greedy-decoding speed of MMOCR's NRTRDecoder against
:class:`~mmocr_mms.models.textrecog.CachedNRTRDecoder` (same weights, same
inputs) inside a whole recognizer."""
import copy
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch

__all__ = ['nrtr_decoding_speed']


def _time(fn, repeats: int) -> Tuple[float, float]:
    """(wall, process CPU) seconds per call, after a warm-up call."""
    fn()  # warm-up
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        fn()
    return ((time.perf_counter() - start) / repeats,
            (time.process_time() - start_cpu) / repeats)


@torch.no_grad()
def nrtr_decoding_speed(config: str,
                        batch_sizes: Sequence[int] = (1, 32),
                        repeats: int = 2,
                        cfg_options: Optional[dict] = None,
                        seed: int = 0) -> List[Dict]:
    """Time ``predict`` (backbone + encoder + decoding + postprocessing) of
    the recognizer of ``config`` with the stock and the cached decoder.

    The model is randomly initialised (``seed``) and the cached copy loads
    the stock one's state dict. The cached decoder runs the full
    ``max_seq_len`` steps (``stop_when_all_ended=False``: random weights
    rarely emit the end token, and full length is the worst case).

    Returns:
        One dict per batch size: batch, ms_stock, ms_cached (wall, per
        batch), cpu_ms_stock, cpu_ms_cached (process CPU time), speedup,
        cpu_speedup, crops_per_s_stock / _cached, max_abs_prob_diff, and
        same_text (every decoded text identical).
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmocr.registry import MODELS
    from mmocr.structures import TextRecogDataSample
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmocr'))
    mcfg = copy.deepcopy(cfg.model)
    mcfg.backbone.init_cfg = None
    if mcfg.decoder.type not in ('NRTRDecoder', 'CachedNRTRDecoder'):
        raise ValueError(f'{config}: decoder {mcfg.decoder.type} is not '
                         'an NRTR decoder')
    mcfg.decoder.pop('stop_when_all_ended', None)
    mcfg.decoder.type = 'NRTRDecoder'
    torch.manual_seed(seed)
    stock = MODELS.build(copy.deepcopy(mcfg)).eval()
    mcfg.decoder.update(type='CachedNRTRDecoder', stop_when_all_ended=False)
    cached = MODELS.build(mcfg).eval()
    cached.load_state_dict(stock.state_dict(), strict=True)
    h, w = 32, 128
    rows = []
    for batch in batch_sizes:
        gen = torch.Generator().manual_seed(seed + batch)
        x = torch.rand(batch, 3, h, w, generator=gen) * 255
        samples = []
        for _ in range(batch):
            s = TextRecogDataSample()
            s.set_metainfo(dict(valid_ratio=1.0, img_shape=(h, w)))
            samples.append(s)
        feat = stock.extract_feat((x - 127.5) / 64)
        enc = stock.encoder(feat, samples)
        p_stock = stock.decoder.forward_test(feat, enc, samples)
        p_cached = cached.decoder.forward_test(feat, enc, samples)
        texts = [
            [s.pred_text.item for s in m.decoder.postprocessor(
                p, copy.deepcopy(samples))]
            for m, p in ((stock, p_stock), (cached, p_cached))
        ]
        t_stock, c_stock = _time(
            lambda: stock.predict(x, copy.deepcopy(samples)), repeats)
        t_cached, c_cached = _time(
            lambda: cached.predict(x, copy.deepcopy(samples)), repeats)
        rows.append(dict(
            batch=batch, ms_stock=1e3 * t_stock, ms_cached=1e3 * t_cached,
            cpu_ms_stock=1e3 * c_stock, cpu_ms_cached=1e3 * c_cached,
            speedup=t_stock / t_cached, cpu_speedup=c_stock / c_cached,
            crops_per_s_stock=batch / t_stock,
            crops_per_s_cached=batch / t_cached,
            max_abs_prob_diff=float((p_stock - p_cached).abs().max()),
            same_text=texts[0] == texts[1]))
    return rows
