"""Runner checkpoints with torch >= 2.6.

torch 2.6 changed the default of ``torch.load`` to ``weights_only=True``.
mmengine 0.10.7 calls ``torch.load(filename, map_location=...)`` for local
files, so ``load_from`` and ``resume`` of its own runner checkpoints (which
hold a ``MessageHub`` state, numpy scalars, config metadata, ...) fail with
``UnpicklingError``. :func:`register_checkpoint_loader` replaces mmengine's
local-file loader with one that loads full runner checkpoints again.

Runner checkpoints are pickles: load only files you trust, as with
torch < 2.6. Backbone checkpoints written by
``tools/model_converters/mms_to_backbone.py`` are plain tensors and load
with ``weights_only=True``.

Writes are made atomic too (:class:`AtomicLocalBackend`): mmengine saves a
checkpoint by writing its bytes straight to ``epoch_N.pth``, so a process
killed mid-write leaves a truncated file under the final name. With this
backend the bytes go to a temporary file in the same folder that is renamed
over the final name only when complete.
"""
import glob
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Any, List, Optional, Union

import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = [
    'AtomicLocalBackend', 'load_local_checkpoint',
    'register_checkpoint_loader', 'remove_stale_temp_checkpoints'
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


def load_local_checkpoint(filename: str,
                          map_location: Optional[Any] = None) -> Any:
    """Load a local (trusted) checkpoint file, runner state included."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


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
