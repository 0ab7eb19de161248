"""Runner checkpoints with torch >= 2.6.

torch 2.6 changed the default of ``torch.load`` to ``weights_only=True``.
mmengine 0.10.7 calls ``torch.load(filename, map_location=...)`` for local
files, so ``load_from`` and ``resume`` of its own runner checkpoints (which
hold a ``MessageHub`` state, numpy scalars, config metadata, ...) fail with
``UnpicklingError``. :func:`register_checkpoint_loader` replaces mmengine's
local-file loader with one that loads full runner checkpoints again.

Runner checkpoints are pickles: load only files you trust, as with
torch < 2.6. Backbone checkpoints written by ``tools/convert_checkpoint.py``
are plain tensors and load with ``weights_only=True``.
"""
import os.path as osp
from typing import Any, Optional

import torch
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = ['load_local_checkpoint', 'register_checkpoint_loader']


def load_local_checkpoint(filename: str,
                          map_location: Optional[Any] = None) -> Any:
    """Load a local (trusted) checkpoint file, runner state included."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


_registered = False


def register_checkpoint_loader() -> None:
    """Make mmengine load local runner checkpoints under torch >= 2.6.

    Idempotent; registered for the empty prefix (local paths), the same slot
    mmengine's own ``load_from_local`` uses.
    """
    global _registered
    if _registered:
        return
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
    _registered = True
