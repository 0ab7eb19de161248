"""Runner checkpoints with torch >= 2.6, loaded without a full unpickle.

torch 2.6 changed the default of ``torch.load`` to ``weights_only=True``.
mmengine 0.10.7 calls ``torch.load(filename, map_location=...)`` for local
files, so ``load_from`` and ``resume`` of its own runner checkpoints fail
with ``UnpicklingError``: besides tensors they hold the ``MessageHub``
state (``HistoryBuffer`` objects with numpy arrays, scalars and dtypes).

:func:`register_checkpoint_loader` replaces mmengine's local-file loader
with :func:`load_local_checkpoint`, which still loads with
``weights_only=True`` and allows, only for the duration of that call, the
few extra types a runner checkpoint needs (:func:`runner_checkpoint_globals`;
``getattr`` only as ``getattr(HistoryBuffer, <statistic>)``). Any other
global is refused, whatever the file's origin (``load_from``, ``resume``,
``init_cfg`` of a backbone): a pickle that would run code is never executed.
torch's own default is left unchanged.

Writes are made atomic too (:class:`AtomicLocalBackend`): mmengine saves a
checkpoint by writing its bytes straight to ``epoch_N.pth``, so a process
killed mid-write leaves a truncated file under the final name. With this
backend the bytes go to a temporary file in the same folder that is renamed
over the final name only when complete.
"""
import glob
import os
import os.path as osp
import pickle
import tempfile
from pathlib import Path
from typing import Any, List, Optional, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = [
    'AtomicLocalBackend', 'load_local_checkpoint',
    'register_checkpoint_loader', 'remove_stale_temp_checkpoints',
    'runner_checkpoint_globals'
]


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend whose ``put`` never leaves a partly
    written file under the target name (temporary file + fsync +
    ``os.replace``, atomic on POSIX within one file system)."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        filepath = str(filepath)
        folder = osp.dirname(osp.abspath(filepath))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=folder, prefix='.' + osp.basename(filepath) + '.',
            suffix='.tmp')
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise


def _history_buffer_getattr(obj: Any, name: Any) -> Any:
    """``getattr`` as runner checkpoints use it, and nothing else.

    A pickled ``MessageHub`` refers to ``HistoryBuffer``'s statistic methods
    (``min``, ``max``, ``current``, ``mean`` and any registered with
    ``HistoryBuffer.register_statistics``) as ``getattr(HistoryBuffer,
    'min')``. Stands in for ``builtins.getattr`` during
    :func:`load_local_checkpoint`; every other use is refused.
    """
    if obj is HistoryBuffer and isinstance(name, str) and (
            name in ('min', 'max', 'current', 'mean')
            or name in HistoryBuffer._statistics_methods):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def runner_checkpoint_globals() -> list:
    """The globals, beyond torch's ``weights_only`` defaults, that an
    mmengine runner checkpoint holds: ``HistoryBuffer``, numpy arrays,
    scalars and dtypes, and a restricted ``getattr``
    (:func:`_history_buffer_getattr`). None of them runs code of the
    file's choosing."""
    multiarray = np.core.multiarray
    dtype_classes = sorted({type(np.dtype(t))
                            for t in np.sctypeDict.values()},
                           key=lambda c: c.__qualname__)
    return [
        HistoryBuffer, multiarray._reconstruct, multiarray.scalar,
        np.ndarray, np.dtype, *dtype_classes,
        (_history_buffer_getattr, 'builtins.getattr')
    ]


def load_local_checkpoint(filename: str,
                          map_location: Optional[Any] = None) -> Any:
    """Load a local checkpoint with ``weights_only=True``.

    Plain state dicts load as with torch's default; mmengine runner
    checkpoints load too (:func:`runner_checkpoint_globals` are allowed
    during this call only). A file needing any other global, e.g. a pickle
    that would call a function on load, raises ``UnpicklingError`` and
    nothing in it is executed.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        pickle.UnpicklingError: the file needs globals outside the list.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    # Only what is not already allowed (by the user, globally) is added and
    # removed again, so a user's own add_safe_globals stays in force.
    present = torch.serialization.get_safe_globals()
    extra = [g for g in runner_checkpoint_globals() if g not in present]
    try:
        with torch.serialization.safe_globals(extra):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise pickle.UnpicklingError(
            f'{filename}: refused to load: it needs globals that neither '
            'torch nor mmocr_mms allow in a weights-only load (an mmengine '
            'runner checkpoint or a plain state dict never does). If you '
            'trust the file, re-save its tensors yourself, e.g. '
            "torch.save(torch.load(f, weights_only=False)['state_dict'], "
            f'out). Details: {err}') from err


_registered = False


def register_checkpoint_loader() -> None:
    """Make mmengine load local runner checkpoints under torch >= 2.6 and
    write local files atomically.

    Idempotent; registered for the empty prefix (local paths), the same slot
    mmengine's own ``load_from_local`` uses.
    """
    global _registered
    if _registered:
        return
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    _registered = True


def remove_stale_temp_checkpoints(folder: str) -> List[str]:
    """Delete the hidden temporary files (``.NAME.pth.XXXX.tmp``) that
    :class:`AtomicLocalBackend` leaves when a process is killed mid-write.

    Call it before a run resumes in ``folder`` (nothing may be writing
    there then). Returns the removed paths.
    """
    removed = []
    for path in glob.glob(osp.join(glob.escape(folder), '.*.pth.*.tmp')):
        os.remove(path)
        removed.append(path)
    return removed
