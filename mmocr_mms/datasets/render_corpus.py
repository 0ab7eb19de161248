"""Pre-render synthetic words into an LMDB (MMOCR recognition layout) with
all cores, deterministically and resumably.

Sample ``i`` (key ``image-%09d`` % (i + 1)) is always
``WordRenderer(**renderer).render(seed, i)``, whatever the number of
workers, so two runs with the same arguments write the same corpus and an
interrupted run continues where its last commit ended.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import os.path as osp
import time
from collections.abc import Callable
from typing import Any

import cv2

from .synth_render import WordRenderer

__all__ = ['render_lmdb', 'check_corpus_args']

_META_KEY = b'render-meta'

# Per-worker renderer (set by the pool initializer; fork shares the parent's
# glyph-coverage cache, so workers start instantly).
_WORKER: dict[str, Any] = {}


def _init_worker(renderer: WordRenderer, seed: int, ext: str,
                 params: list) -> None:
    _WORKER.update(renderer=renderer, seed=seed, ext=ext, params=params)
    # One thread per worker: OpenCV's own pool would oversubscribe cores.
    cv2.setNumThreads(1)


def _render_chunk(bounds: tuple[int, int]) -> list:
    """Encoded (image bytes, label) or (None, error) for a range of
    indices."""
    renderer: WordRenderer = _WORKER['renderer']
    out = []
    for i in range(*bounds):
        try:
            img, text, _ = renderer.render(_WORKER['seed'], i)
            ok, buf = cv2.imencode(_WORKER['ext'], img, _WORKER['params'])
            if not ok:
                raise RuntimeError('encoding failed')
            out.append((buf.tobytes(), text))
        except Exception as e:  # noqa: BLE001  (counted, never fatal)
            out.append((None, f'{type(e).__name__}: {e}'))
    return out


def check_corpus_args(num: int, seed: int, image_format: str,
                      chunk: int) -> None:
    """ValueError naming the argument for a bad corpus size, seed, image
    format ('jpg' / 'png') or chunk size (shared by the corpus writers)."""
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ValueError(f'num must be an int >= 1, got {num!r}')
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f'seed must be an int >= 0, got {seed!r}')
    if image_format not in ('jpg', 'png'):
        raise ValueError(
            f"image_format must be 'jpg' or 'png', got {image_format!r}")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f'chunk must be an int >= 1, got {chunk!r}')


def render_lmdb(out: str,
                num: int,
                seed: int = 0,
                renderer: dict | None = None,
                workers: int | None = None,
                labelled: bool = True,
                image_format: str = 'jpg',
                quality: int = 90,
                chunk: int = 256,
                progress: bool = True,
                map_size: int = 1 << 40,
                on_chunk: Callable[[int], None] | None = None) -> dict:
    """Render samples ``0..num-1`` of stream ``seed`` into the LMDB ``out``.

    Keys: ``image-%09d`` (1-based, JPEG or PNG bytes), ``label-%09d``
    (UTF-8, when ``labelled``), ``num-samples`` and ``render-meta`` (JSON of
    the arguments that define the corpus). Every ``chunk`` samples are
    committed in one transaction together with ``num-samples``, so a killed
    run leaves a valid LMDB of the committed samples and a rerun with the
    same arguments continues from there. A rerun with other corpus-defining
    arguments (seed, renderer, format, labelled) raises ``ValueError``
    instead of mixing two corpora.

    A sample whose rendering fails is counted under ``failed`` and replaced
    by the next index's image (indices and keys then differ by the failures
    so far; both are in the returned stats), so the corpus stays contiguous.
    Fonts the renderer cannot use are skipped and counted
    (``skipped_fonts``).

    Args:
        out: LMDB folder (created if missing).
        num: Number of samples wanted in total.
        seed: Stream seed of :meth:`WordRenderer.render`.
        renderer: Keyword arguments of :class:`WordRenderer`.
        workers: Processes; ``None`` means ``os.cpu_count()``.
        labelled: Store labels (``False``: images only, for pretraining).
        image_format: ``'jpg'`` or ``'png'``.
        quality: JPEG quality.
        chunk: Samples per task and per commit.
        progress: Show a tqdm progress bar (images/s).
        on_chunk: Called with the number of committed samples after each
            commit (tests use it to interrupt a run).

    Returns:
        dict with ``written`` (new samples this run), ``total``,
        ``resumed_from``, ``failed``, ``skipped_fonts`` (count),
        ``seconds`` and ``images_per_s``.
    """
    import lmdb
    from tqdm import tqdm
    check_corpus_args(num, seed, image_format, chunk)
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f'workers must be >= 1, got {workers}')
    renderer = dict(renderer or {})
    meta = dict(seed=seed, renderer=renderer, labelled=bool(labelled),
                image_format=image_format,
                quality=quality if image_format == 'jpg' else None)
    meta_bytes = json.dumps(meta, sort_keys=True).encode()

    os.makedirs(out, exist_ok=True)
    env = lmdb.open(out, map_size=map_size)
    try:
        with env.begin() as txn:
            old_meta = txn.get(_META_KEY)
            done = int((txn.get(b'num-samples') or b'0').decode())
            next_index = int((txn.get(b'render-next-index') or
                              str(done).encode()).decode())
            failed = int((txn.get(b'render-failed') or b'0').decode())
        if old_meta is not None and old_meta != meta_bytes:
            raise ValueError(
                f'{out} holds a corpus rendered with other arguments '
                f'({old_meta.decode()}); choose another output folder')
        if old_meta is None and done:
            raise ValueError(f'{out} already holds an LMDB that was not '
                             'written by render_lmdb; choose another output')
        resumed_from = done
        # Built once here: the glyph-coverage check is cached per process
        # and forked workers inherit it.
        r = WordRenderer(**renderer)
        stats = dict(resumed_from=resumed_from, failed=failed,
                     skipped_fonts=len(r.skipped_fonts))
        start = time.perf_counter()
        if done < num:
            ext = '.' + image_format
            params = ([cv2.IMWRITE_JPEG_QUALITY, int(quality)]
                      if image_format == 'jpg' else [])
            # Over-schedule a little so failures can be replaced in order.
            tasks = ((s, s + chunk)
                     for s in range(next_index, 1 << 62, chunk))
            ctx = mp.get_context('fork')
            bar = tqdm(total=num, initial=done, unit='img',
                       desc=f'rendering {osp.basename(osp.normpath(out))}',
                       disable=not progress, smoothing=0.1)
            pool = None
            if workers > 1:
                pool = ctx.Pool(workers, initializer=_init_worker,
                                initargs=(r, seed, ext, params))
                results = pool.imap(_render_chunk, tasks)
            else:
                _init_worker(r, seed, ext, params)
                results = map(_render_chunk, tasks)
            try:
                for part in results:
                    with env.begin(write=True) as txn:
                        for data, text in part:
                            if done >= num:
                                break
                            next_index += 1
                            if data is None:
                                failed += 1
                                continue
                            done += 1
                            txn.put(b'image-%09d' % done, data)
                            if labelled:
                                txn.put(b'label-%09d' % done,
                                        text.encode('utf-8'))
                        txn.put(b'num-samples', str(done).encode())
                        txn.put(b'render-next-index',
                                str(next_index).encode())
                        txn.put(b'render-failed', str(failed).encode())
                        txn.put(_META_KEY, meta_bytes)
                    bar.n = done
                    bar.refresh()
                    if on_chunk is not None:
                        on_chunk(done)
                    if done >= num:
                        break
            finally:
                bar.close()
                if pool is not None:
                    pool.terminate()
                    pool.join()
        seconds = time.perf_counter() - start
        written = done - resumed_from
        stats.update(written=written, total=done, failed=failed,
                     seconds=seconds,
                     images_per_s=written / seconds if seconds > 0 else 0.0)
        return stats
    finally:
        env.close()
