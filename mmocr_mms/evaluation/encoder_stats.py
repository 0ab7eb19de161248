"""Token statistics of a ViT encoder, layer by layer: do its tokens still
tell the positions of a word apart?

A CTC recognizer reads one frame per column, so it needs tokens that differ
from column to column. A short masked-image-modeling run can leave an
encoder whose blocks add one large vector shared by every token of an image
(a global summary of colour and polarity that already lowers the pixel
loss); its tokens then point the same way and fine-tuning has to undo that
first. These statistics show it before any fine-tuning is spent:

* ``norm``: mean L2 norm of a token.
* ``token_cos``: mean cosine similarity between two different tokens of the
  same image (1: every position carries the same direction).
* ``centered_cos``: the same after subtracting the mean token of all images
  and positions, so a vector shared by every image (which a linear head
  absorbs like a bias) does not count; a vector shared by the tokens of
  one image but not by other images still does.
* ``within_share``: the share of the tokens' variance (around the mean token
  of all images) that lies between the positions of one image rather than
  between images (0: positions of an image are identical; 1: images share
  the same mean token). A vector added to every token of every image
  leaves it unchanged; ``token_cos`` is what such a vector moves.
* ``within_rank``: effective rank (exp of the entropy of the normalised
  squared singular values) of the tokens minus their image's mean token:
  how many directions the position-specific part spans.
* ``attn_entropy``: mean entropy of the attention rows divided by
  ``log(S)`` (1: every query averages all tokens uniformly; lower: it picks
  some), over all S tokens the attention sees (a cls token included).
  ``None`` for the final norm.

The tokens are taken after every block and after the final ``norm`` (an
identity with ``final_norm=False``, then that row repeats the last block),
running all blocks whatever ``out_indices`` says, without padding. Every
layer's tokens of all N images are kept for the statistics (N x S x C
floats per layer: 256 crops of TextViT-S with 4 x 4 patches take ~100 MB
per layer).

``python tools/analysis_tools/encoder_stats.py`` prints and plots them for
any number of checkpoints.
"""
import math
from typing import Dict, List, Optional

import torch
import torch.nn as nn

__all__ = ['encoder_token_stats', 'format_token_stats']


def _effective_rank(x: torch.Tensor) -> float:
    """exp(entropy) of the normalised squared singular values of the 2-D
    ``x`` (rows = samples); 0 for an all-zero matrix."""
    s = torch.linalg.svdvals(x.double()) ** 2
    total = s.sum()
    if total <= 0:
        return 0.0
    p = s / total
    p = p[p > 0]
    return float(torch.exp(-(p * p.log()).sum()))


def _layer_stats(tokens: torch.Tensor) -> Dict[str, float]:
    """Statistics of one layer's (N, S, C) tokens (see the module doc)."""
    t = tokens.double()
    n, s, _ = t.shape
    within = t - t.mean(dim=1, keepdim=True)
    total = t - t.mean(dim=(0, 1), keepdim=True)
    total_var = float(total.pow(2).sum())
    within_share = float(within.pow(2).sum()) / total_var \
        if total_var > 0 else 0.0
    return dict(norm=float(t.norm(dim=-1).mean()),
                token_cos=_same_image_cosine(t),
                centered_cos=_same_image_cosine(total),
                within_share=within_share,
                within_rank=_effective_rank(within.reshape(n * s, -1)))


def _same_image_cosine(t: torch.Tensor) -> float:
    """Mean cosine between two different tokens of one image, (N, S, C)."""
    n, s, _ = t.shape
    if s < 2:
        return 1.0
    unit = nn.functional.normalize(t, dim=-1)
    gram = torch.einsum('nsc,ntc->nst', unit, unit)
    off_diag = gram.sum(dim=(1, 2)) - gram.diagonal(dim1=1, dim2=2).sum(-1)
    return float(off_diag.sum() / (n * s * (s - 1)))


def _attention_entropy(attn: nn.Module, x: torch.Tensor) -> float:
    """Mean row entropy / log(S) of ``attn``'s softmax(q k^T / sqrt(d)) on
    its (N, S, C) input ``x`` (an :class:`~mmocr_mms.models.layers.
    Attention`: fused ``qkv``, ``num_heads``, ``head_dim``)."""
    n, s, _ = x.shape
    qkv = attn.qkv(x).reshape(n, s, 3, attn.num_heads, attn.head_dim)
    q, k = qkv[:, :, 0].transpose(1, 2), qkv[:, :, 1].transpose(1, 2)
    logits = (q.double() @ k.double().transpose(-1, -2)) / math.sqrt(
        attn.head_dim)
    logp = logits.log_softmax(dim=-1)
    ent = -(logp.exp() * logp).sum(-1).mean()
    return float(ent / math.log(s)) if s > 1 else 1.0


@torch.no_grad()
def encoder_token_stats(backbone: nn.Module, inputs: torch.Tensor,
                        batch_size: int = 64) -> List[Dict[str, Optional[
                            float]]]:
    """Per-layer token statistics of a :class:`TextViT` on a batch of images.

    Args:
        backbone: A :class:`~mmocr_mms.models.backbones.TextViT` (``blocks``
            of :class:`~mmocr_mms.models.layers.TransformerBlock`, final
            ``norm``). It runs in eval mode; its mode is restored.
        inputs: (N, 3, H, W) normalised images at the backbone's
            ``img_size``, N >= 2 (with one image ``within_share`` is 1 by
            construction).
        batch_size: Images per forward pass (the statistics are computed on
            all N at once afterwards).

    Returns:
        One dict per block (``layer``: ``'block0'`` ...) and one for the
        final norm (``'norm'``), each with ``norm``, ``token_cos``,
        ``centered_cos``, ``within_share``, ``within_rank`` and
        ``attn_entropy`` (see the module doc); the cls token, if any, is
        left out of all but ``attn_entropy``.
    """
    if inputs.dim() != 4 or inputs.shape[0] < 2:
        raise ValueError('inputs must be (N, 3, H, W) with N >= 2, got '
                         f'{tuple(inputs.shape)}')
    for name in ('blocks', 'norm', 'patchify_embed', 'forward_tokens'):
        if not hasattr(backbone, name):
            raise TypeError(f'{type(backbone).__name__} has no {name!r}: '
                            'encoder_token_stats needs a TextViT')
    blocks = list(backbone.blocks)
    extra = int(getattr(backbone, 'num_extra_tokens', 0))
    outs: Dict[int, List[torch.Tensor]] = {i: [] for i in range(len(blocks))}
    ents: Dict[int, List[float]] = {i: [] for i in range(len(blocks))}
    finals: List[torch.Tensor] = []
    hooks = []
    for i, blk in enumerate(blocks):
        hooks.append(blk.register_forward_hook(
            lambda m, a, o, i=i: outs[i].append(o[:, extra:].float())))
        hooks.append(blk.attn.register_forward_hook(
            lambda m, a, o, i=i: ents[i].append(
                _attention_entropy(m, a[0]) * a[0].shape[0])))
    hooks.append(backbone.norm.register_forward_hook(
        lambda m, a, o: finals.append(o[:, extra:].float())))
    was_training = backbone.training
    backbone.eval()
    try:
        for start in range(0, inputs.shape[0], batch_size):
            # all blocks and the final norm, whatever out_indices says
            backbone.forward_tokens(
                backbone.patchify_embed(inputs[start:start + batch_size]))
    finally:
        for h in hooks:
            h.remove()
        backbone.train(was_training)
    n = inputs.shape[0]
    rows = []
    for i in range(len(blocks)):
        row = dict(layer=f'block{i}', **_layer_stats(torch.cat(outs[i])))
        row['attn_entropy'] = sum(ents[i]) / n
        rows.append(row)
    rows.append(dict(layer='norm', **_layer_stats(torch.cat(finals)),
                     attn_entropy=None))
    return rows


def format_token_stats(stats: Dict[str, List[dict]]) -> str:
    """A plain-text table: one block of rows per named encoder."""
    lines = []
    head = (f'{"layer":>8} {"norm":>8} {"token_cos":>9} {"c.cos":>6} '
            f'{"within":>7} {"w.rank":>7} {"attn_H":>7}')
    for name, rows in stats.items():
        lines += [name, head]
        for r in rows:
            ent = '-' if r['attn_entropy'] is None \
                else f'{r["attn_entropy"]:.3f}'
            lines.append(f'{r["layer"]:>8} {r["norm"]:8.2f} '
                         f'{r["token_cos"]:9.3f} {r["centered_cos"]:6.3f} '
                         f'{r["within_share"]:7.3f} '
                         f'{r["within_rank"]:7.1f} {ent:>7}')
        lines.append('')
    return '\n'.join(lines)
