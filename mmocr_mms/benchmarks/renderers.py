"""Word renderers compared: our :class:`WordRenderer` vs SynthTIGER.

Both engines run in the same process, alternated round by round, so they
see the same machine load; each round renders ``num`` images with one
engine, then ``num`` with the other (one core: OpenCV single-threaded,
OMP_NUM_THREADS=1 expected). Reported per engine and round: wall images/s
and images per CPU-second of this process (``time.process_time``, which
does not count time the process waits for a busy core, so it is the
per-core rate even on a shared machine). The headline is the median over
rounds of ours / SynthTIGER.
"""
from __future__ import annotations

import statistics
import time

import cv2

__all__ = ['compare_renderers']


def _time(fn, num: int, start_index: int) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(start_index, start_index + num):
        fn(i)
    return (num / (time.perf_counter() - w0),
            num / max(time.process_time() - c0, 1e-9))


def compare_renderers(resources: dict, num: int = 500, rounds: int = 3,
                      seed: int = 0, renderer: dict | None = None) -> dict:
    """Alternate ``rounds`` x ``num`` images of each engine.

    Args:
        resources: SynthTIGER resources
            (:func:`~.synthtiger_engine.build_resources`).
        num: Images per engine and round (new indices every round).
        rounds: Alternations.
        seed: Stream seed of both engines.
        renderer: :class:`WordRenderer` keyword arguments.

    Returns:
        dict with ``rounds`` (list of per-round dicts: ``ours_wall``,
        ``ours_cpu``, ``synthtiger_wall``, ``synthtiger_cpu`` in images/s)
        and the medians ``ratio_wall`` and ``ratio_cpu`` (ours /
        SynthTIGER).
    """
    from mmocr_mms.datasets.synth_render import WordRenderer

    from .synthtiger_engine import make_template, render_synthtiger
    for name, value in (('num', num), ('rounds', rounds)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be an int >= 1, got {value!r}')
    cv2.setNumThreads(1)
    ours = WordRenderer(**(renderer or {}))
    template = make_template(resources)
    # Warm-up: font caches, lazy imports.
    for i in range(3):
        ours.render(seed, 10**9 + i)
        render_synthtiger(template, seed, 10**9 + i)
    rows = []
    for r in range(rounds):
        ow, oc = _time(lambda i: ours.render(seed, i), num, r * num)
        sw, sc = _time(lambda i: render_synthtiger(template, seed, i), num,
                       r * num)
        rows.append(dict(ours_wall=ow, ours_cpu=oc, synthtiger_wall=sw,
                         synthtiger_cpu=sc))
    return dict(
        rounds=rows,
        ratio_wall=statistics.median(x['ours_wall'] / x['synthtiger_wall']
                                     for x in rows),
        ratio_cpu=statistics.median(x['ours_cpu'] / x['synthtiger_cpu']
                                    for x in rows))
