"""Turn a pretraining checkpoint into a backbone-only checkpoint."""
import os
import os.path as osp
from typing import Dict, Optional

import torch

from mmocr_mms.models.backbones.checkpoint_convert import \
    extract_backbone_state_dict

__all__ = ['convert_to_backbone_checkpoint']


def convert_to_backbone_checkpoint(src: str,
                                   dst: str,
                                   prefix: Optional[str] = None,
                                   out_prefix: str = 'backbone.') -> Dict:
    """Write ``{'state_dict': {out_prefix + key: tensor}, 'meta': {...}}``.

    Accepts MMS runner checkpoints (``state_dict`` with ``backbone.`` keys)
    and MAERec / Union14M / timm MAE checkpoints (timm keys under ``model``;
    decoder keys dropped). The output holds only tensors, strings and ints,
    so it loads with ``torch.load(..., weights_only=True)``, and its keys
    start with ``backbone.``, the prefix MMOCR recognizers use, so
    ``init_cfg=dict(type='Pretrained', checkpoint=dst, prefix='backbone.')``
    loads it into a ``TextViT``.

    Returns the ``meta`` dict written.
    """
    from mmocr_mms.utils.checkpoint import load_local_checkpoint
    ckpt = load_local_checkpoint(src, map_location='cpu')
    sd = extract_backbone_state_dict(ckpt, prefix)
    if not sd:
        raise ValueError(f'{src}: no backbone weights found (prefix '
                         f'{prefix!r}); keys start with '
                         f'{sorted({k.split(".")[0] for k in _keys(ckpt)})}')
    meta = dict(source=osp.basename(src), num_tensors=len(sd),
                num_params=int(sum(v.numel() for v in sd.values())))
    src_meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    for key in ('epoch', 'iter'):
        if isinstance(src_meta.get(key), int):
            meta[key] = src_meta[key]
    out = {
        'state_dict': {out_prefix + k: v.detach().cpu().contiguous()
                       for k, v in sd.items()},
        'meta': meta,
    }
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    tmp = dst + '.tmp'
    torch.save(out, tmp)
    os.replace(tmp, dst)  # never leave a half-written file under dst
    return meta


def _keys(ckpt) -> list:
    for wrapper in ('state_dict', 'model'):
        if isinstance(ckpt, dict) and isinstance(ckpt.get(wrapper), dict):
            return list(ckpt[wrapper])
    return list(ckpt) if isinstance(ckpt, dict) else []
