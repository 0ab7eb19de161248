"""Checkpoint formats for :class:`~mmocr_mms.models.backbones.TextViT`.

* :func:`extract_backbone_state_dict`: runner checkpoints, converted
  backbone files and timm / MAE / MAERec / Union14M files -> backbone-relative
  keys (decoder entries dropped);
* :func:`adapt_pos_embed`: a checkpoint's ``pos_embed`` / ``pos_grid`` made to
  fit a model's grid (resized, cls row added or dropped, or replaced by the
  model's fixed sin-cos table); ``TextViT._load_from_state_dict`` calls it, so
  torch's ``load_state_dict`` and mmengine's loaders adapt tables too;
* :func:`load_backbone_weights`: both of the above, plus a report of
  missing / unexpected / mismatched keys and an error when no layer weight
  matches.
"""
import logging
import os
from collections.abc import Mapping
from typing import Any, Dict, Optional, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from ..utils import infer_grid, resize_pos_embed, sincos_pos_embed_2d

__all__ = ['extract_backbone_state_dict', 'adapt_pos_embed',
           'load_backbone_weights']

# Keys that make a checkpoint look like a backbone without holding any of
# its learned layer weights; a load that matches only these is treated as a
# failed load (see load_backbone_weights).
_NON_LAYER_KEYS = ('pos_embed', 'pos_grid', 'cls_token')


def adapt_pos_embed(model: nn.Module, state_dict: dict, prefix: str) -> None:
    """Make ``state_dict``'s ``pos_embed`` / ``pos_grid`` fit ``model``.

    ``model`` is a :class:`TextViT` (read: ``pos_embed`` (1, extra + gh*gw,
    C), ``pos_grid``, ``grid``, ``learnable_pos_embed``, ``with_cls_token``,
    ``num_extra_tokens``); ``state_dict`` is edited in place, keys under
    ``prefix``. The rules are those of ``TextViT._load_from_state_dict``.
    """
    pe_key, grid_key = prefix + 'pos_embed', prefix + 'pos_grid'
    grid = model.grid
    src_grid_t = state_dict.get(grid_key)
    state_dict[grid_key] = model.pos_grid.detach().clone()
    ours = model.pos_embed.detach()
    src = state_dict.get(pe_key)
    has_cls = prefix + 'cls_token' in state_dict
    if not model.learnable_pos_embed:
        if src is not None and (src.shape != ours.shape
                                or not torch.allclose(
                                    src.to(ours), ours, atol=1e-5)):
            src_layout = _sincos_layout(src, src_grid_t, has_cls, grid)
            if src_layout is not None:
                # another grid's sin-cos table: nothing learned is lost
                print_log(
                    f'{pe_key}: the checkpoint\'s sin-cos table of grid '
                    f'{src_layout[0]} (+{src_layout[1]} cls) replaced by '
                    f'the fixed sin-cos table of grid {grid} '
                    '(learnable_pos_embed=False)',
                    logger='current', level=logging.INFO)
            else:
                print_log(
                    f'{pe_key}: the checkpoint\'s table '
                    f'{tuple(src.shape)} is not a sin-cos table (a '
                    'learned position embedding) and is DROPPED: this '
                    'model keeps its fixed sin-cos table of grid '
                    f'{grid} (learnable_pos_embed=False). Set '
                    'learnable_pos_embed=True to load (and resize) it.',
                    logger='current', level=logging.WARNING)
        state_dict[pe_key] = ours.clone()
        return
    if src is None or not torch.is_tensor(src) or src.dim() != 3 or \
            src.shape[-1] != ours.shape[-1]:
        return  # missing / malformed: let the default loader report it
    num_src = src.shape[1]
    try:
        if src_grid_t is not None:
            src_grid = tuple(int(v) for v in src_grid_t.flatten()[:2])
            src_extra = num_src - src_grid[0] * src_grid[1]
        elif src.shape == ours.shape:
            return  # same layout assumed: nothing to tell otherwise
        else:
            src_grid, src_extra = _guess_src_layout(num_src, has_cls, grid)
    except ValueError as err:
        print_log(f'{pe_key}: cannot resize ({err})', logger='current',
                  level=logging.WARNING)
        return
    if src_extra not in (0, 1):
        print_log(f'{pe_key}: {num_src} tokens do not fit grid '
                  f'{src_grid} (+0/1 cls); not resized',
                  logger='current', level=logging.WARNING)
        return
    if src_grid == grid and src_extra == model.num_extra_tokens:
        return
    grid_part = resize_pos_embed(src[:, src_extra:], src_grid, grid)
    parts = [grid_part]
    if model.with_cls_token:
        # Keep the checkpoint's cls row, or start it at zero like the
        # sin-cos table does.
        parts.insert(0, src[:, :1] if src_extra else
                     src.new_zeros(1, 1, src.shape[-1]))
    state_dict[pe_key] = torch.cat(parts, dim=1)
    dropped = src_extra > model.num_extra_tokens
    print_log(
        f'{pe_key}: resized from grid {src_grid} (+{src_extra} cls) to '
        f'{grid} (+{model.num_extra_tokens} cls)' +
        ("; the checkpoint's learned cls row is dropped (this model "
         'has no cls token)' if dropped else ''),
        logger='current',
        level=logging.WARNING if dropped else logging.INFO)


def _sincos_layout(src: torch.Tensor, src_grid_t: Optional[torch.Tensor],
                   has_cls: bool, ref_grid: Tuple[int, int]
                   ) -> Optional[Tuple[Tuple[int, int], int]]:
    """(grid, num_extra) when a checkpoint's ``pos_embed`` (1, L, C) is the
    fixed sin-cos table of its own grid (from its ``pos_grid``, else
    guessed), None when it is anything else (a learned table). Compared with
    atol 1e-3, which fp16 copies of the table pass."""
    if not torch.is_tensor(src) or src.dim() != 3 or src.shape[0] != 1 \
            or src.shape[-1] % 4:
        return None
    num_src = src.shape[1]
    try:
        if src_grid_t is not None:
            grid = tuple(int(v) for v in src_grid_t.flatten()[:2])
            extra = num_src - grid[0] * grid[1]
        else:
            grid, extra = _guess_src_layout(num_src, has_cls, ref_grid)
    except ValueError:
        return None
    if extra not in (0, 1):
        return None
    table = sincos_pos_embed_2d(src.shape[-1], grid, bool(extra))
    if torch.allclose(src[0].float(), table, atol=1e-3):
        return grid, extra
    return None


def _guess_src_layout(num_tokens: int, has_cls: bool,
                      ref_grid: Tuple[int, int]
                      ) -> Tuple[Tuple[int, int], int]:
    """(grid, num_extra) of a checkpoint table without ``pos_grid`` (grid
    guessed by :func:`infer_grid` against ``ref_grid``); tries the layout
    implied by the presence of ``cls_token`` first."""
    errors = []
    for extra in ((1, 0) if has_cls else (0, 1)):
        try:
            return infer_grid(num_tokens - extra, ref_grid), extra
        except ValueError as err:
            errors.append(str(err))
    raise ValueError('; '.join(errors))


def extract_backbone_state_dict(checkpoint: Mapping,
                                prefix: Optional[str] = None
                                ) -> Dict[str, torch.Tensor]:
    """Normalise a checkpoint to backbone-relative keys.

    Handles runner checkpoints (``{'state_dict': {'backbone.x': ...}}``),
    converted backbone files (keys with or without ``backbone.``) and timm /
    MAE / MAERec / Union14M files (``{'model': {...}}``, timm names).

    Args:
        checkpoint: Loaded checkpoint (any of the above).
        prefix: Keep only keys under this prefix and strip it (a missing
            trailing '.' is added). None: strip ``backbone.`` if any key has
            it, else ``encoder.``, else keep all keys.

    Returns:
        Tensor-only dict without DDP ``module.`` prefixes and without MAE
        decoder entries (``decoder*``, ``mask_token``), which never belong
        to an encoder.
    """
    sd: Any = checkpoint
    # Unwrap nested containers ({'state_dict': ...}, {'model': ...}).
    for _ in range(3):
        if not isinstance(sd, Mapping):
            break
        for wrapper in ('state_dict', 'model'):
            if isinstance(sd.get(wrapper), Mapping):
                sd = sd[wrapper]
                break
        else:
            break
    if not isinstance(sd, Mapping):
        raise TypeError(f'checkpoint holds no state dict ({type(sd)})')
    sd = {k: v for k, v in sd.items() if torch.is_tensor(v)}
    if sd and all(k.startswith('module.') for k in sd):
        sd = {k[len('module.'):]: v for k, v in sd.items()}
    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        sd = {k[len(prefix):]: v for k, v in sd.items()
              if k.startswith(prefix)}
    else:
        for auto in ('backbone.', 'encoder.'):
            if any(k.startswith(auto) for k in sd):
                sd = {k[len(auto):]: v for k, v in sd.items()
                      if k.startswith(auto)}
                break
    return {
        k: v
        for k, v in sd.items()
        if not (k.startswith('decoder') or k.startswith('mask_token'))
    }


def _is_fixed_pos_embed(model: nn.Module, key: str) -> bool:
    """Whether ``key`` names the non-learnable pos_embed of a TextViT (a
    module with a ``learnable_pos_embed`` flag that is off; duck-typed so
    this module need not import the backbone)."""
    owner_name, _, leaf = key.rpartition('.')
    if leaf != 'pos_embed':
        return False
    try:
        owner = model.get_submodule(owner_name) if owner_name else model
    except AttributeError:
        return False
    return (hasattr(owner, 'learnable_pos_embed')
            and not owner.learnable_pos_embed)


def load_backbone_weights(model: nn.Module,
                          checkpoint: Union[str, os.PathLike, Mapping],
                          prefix: Optional[str] = None,
                          strict: bool = False,
                          logger: Optional[Any] = None) -> Dict[str, Any]:
    """Load encoder weights from any supported checkpoint layout.

    Keys are normalised with :func:`extract_backbone_state_dict`; the
    position embedding is adapted by :func:`adapt_pos_embed` (through
    ``TextViT._load_from_state_dict``).
    Tensors whose shape differs from the model's (other than ``pos_embed``)
    are skipped and listed as ``mismatched``.

    Args:
        model: The backbone (a :class:`TextViT`, or any module whose keys
            match the normalised checkpoint).
        checkpoint: Path (loaded on CPU through mmengine's
            ``CheckpointLoader``) or an already loaded dict.
        prefix: See :func:`extract_backbone_state_dict`.
        strict: Raise RuntimeError when anything is missing, unexpected or
            mismatched.
        logger: mmengine logger (name) for the report; default 'current'.

    Returns:
        dict(missing=[...], unexpected=[...], mismatched=[...],
        matched=int): ``matched`` counts checkpoint tensors whose values
        were loaded (a fixed sin-cos ``pos_embed`` and ``pos_grid`` are not
        counted).

    Raises:
        ValueError: When no layer weight matches, i.e. nothing but
            ``pos_embed`` / ``pos_grid`` / ``cls_token`` (wrong prefix or
            naming would otherwise leave a randomly initialised encoder).
    """
    logger = logger if logger is not None else 'current'
    if isinstance(checkpoint, (str, os.PathLike)):
        source = str(checkpoint)
        checkpoint = CheckpointLoader.load_checkpoint(
            source, map_location='cpu')
    else:
        source = '<state dict>'
    sd = extract_backbone_state_dict(checkpoint, prefix)
    model_sd = model.state_dict()

    mismatched = []
    for k in list(sd):
        if k in model_sd and k.rpartition('.')[2] != 'pos_embed' and \
                sd[k].shape != model_sd[k].shape:
            mismatched.append(f'{k}: checkpoint {tuple(sd[k].shape)} vs '
                              f'model {tuple(model_sd[k].shape)}')
            del sd[k]
    loaded = [
        k for k in sd if k in model_sd and k.rpartition('.')[2] != 'pos_grid'
        and not _is_fixed_pos_embed(model, k)
    ]
    if not any(k.rpartition('.')[2] not in _NON_LAYER_KEYS for k in loaded):
        raise ValueError(
            f'no layer weight of {source} matches the model (prefix='
            f'{prefix!r}); checkpoint keys e.g. {list(sd)[:5]}, model keys '
            f'e.g. {list(model_sd)[:5]}')

    result = model.load_state_dict(sd, strict=False)
    missing = list(result.missing_keys)
    unexpected = list(result.unexpected_keys)
    lines = [f'loaded {len(loaded)} tensors from {source}']
    if missing:
        lines.append(f'missing keys: {", ".join(missing)}')
    if unexpected:
        lines.append(f'unexpected keys: {", ".join(unexpected)}')
    if mismatched:
        lines.append(f'shape mismatches (skipped): {"; ".join(mismatched)}')
    problems = bool(missing or unexpected or mismatched)
    print_log('\n'.join(lines), logger=logger,
              level=logging.WARNING if problems else logging.INFO)
    if strict and problems:
        raise RuntimeError('\n'.join(lines))
    return dict(
        missing=missing,
        unexpected=unexpected,
        mismatched=mismatched,
        matched=len(loaded))
