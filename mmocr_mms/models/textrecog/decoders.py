"""Incremental (cached keys / values) greedy decoding for MMOCR's
``NRTRDecoder``.

MMOCR's ``NRTRDecoder.forward_test`` runs the whole decoder on the whole
``max_seq_len + 1`` target sequence at every one of its ``max_seq_len``
steps, recomputing every layer for every earlier position and projecting
the encoder memory to keys / values again each time: O(T^2) layer
evaluations and T memory projections per layer.

In eval mode the hidden state of target position j at every layer depends
only on the tokens at positions <= j (causal mask; keys whose token is the
padding index are masked), and those tokens never change once written. So
each step needs only the new position: its query against the cached
self-attention keys / values of positions <= j, and the memory keys /
values computed once. :class:`CachedNRTRDecoder` does exactly that with the
same modules, parameters and attention arithmetic (MMOCR's
``ScaledDotProductAttention``), so its probabilities equal the stock
decoder's up to float rounding and a checkpoint of either loads into the
other.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from mmocr.models.textrecog.decoders import NRTRDecoder
from mmocr.registry import MODELS

__all__ = ['CachedNRTRDecoder']

_POST_NORM = ('self_attn', 'norm', 'enc_dec_attn', 'norm', 'ffn', 'norm')


def _heads(linear: torch.nn.Module, x: torch.Tensor, n_head: int,
           dim: int) -> torch.Tensor:
    """(N, L, D) -> projected (N, n_head, L, dim)."""
    n, length, _ = x.shape
    return linear(x).view(n, length, n_head, dim).transpose(1, 2)


def _attend(mha: torch.nn.Module, q_in: torch.Tensor, k: torch.Tensor,
            v: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    """MMOCR ``MultiHeadAttention.forward`` with precomputed keys / values.

    Args:
        mha: The ``MultiHeadAttention`` module.
        q_in: (N, 1, D) query input (before ``linear_q``).
        k, v: (N, n_head, S, d_k / d_v) projected keys / values.
        mask: (N, 1, 1, S), nonzero = attend; or None.

    Returns:
        (N, 1, D).
    """
    n = q_in.shape[0]
    q = _heads(mha.linear_q, q_in, mha.n_head, mha.d_k)
    out, _ = mha.attention(q, k, v, mask=mask)
    out = out.transpose(1, 2).contiguous().view(n, 1, mha.dim_v)
    return mha.proj_drop(mha.fc(out))


@MODELS.register_module()
class CachedNRTRDecoder(NRTRDecoder):
    """``NRTRDecoder`` whose test-time greedy decoding caches each layer's
    self-attention keys / values over the decoded prefix and the
    cross-attention keys / values of the encoder memory.

    Training (``forward_train`` / ``loss``), parameters and checkpoints are
    those of ``NRTRDecoder``; only ``forward_test`` differs, and it returns
    the same probabilities (tested within 1e-5) at a fraction of the cost.

    Args:
        stop_when_all_ended: Stop decoding once every sequence of the batch
            has emitted the end token. The probabilities of the remaining
            steps are then set to a one-hot end token: MMOCR's
            ``AttentionPostprocessor`` reads nothing after the end token, so
            decoded texts and scores are unchanged, but the tensor differs
            from the stock decoder's after each sequence's end. Set False
            for the stock decoder's full (N, max_seq_len, C) tensor.
        **kwargs: ``NRTRDecoder`` arguments.

    Shapes: ``forward_test(feat, out_enc (N, S, d_model), data_samples)``
    -> probabilities (N, max_seq_len, C).
    """

    def __init__(self, stop_when_all_ended: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(stop_when_all_ended, bool):
            raise ValueError('stop_when_all_ended must be a bool, got '
                             f'{stop_when_all_ended!r}')
        self.stop_when_all_ended = stop_when_all_ended

    def _memory_kv(self, out_enc: torch.Tensor
                   ) -> List[Tuple[torch.Tensor, torch.Tensor]]:
        """Cross-attention keys / values of every layer, once."""
        kv = []
        for layer in self.layer_stack:
            mha = layer.enc_attn
            kv.append((_heads(mha.linear_k, out_enc, mha.n_head, mha.d_k),
                       _heads(mha.linear_v, out_enc, mha.n_head, mha.d_v)))
        return kv

    def _layer_step(self, layer, x: torch.Tensor, step: int,
                    cache: Tuple[torch.Tensor, torch.Tensor],
                    self_mask: torch.Tensor, mem_kv, src_mask
                    ) -> torch.Tensor:
        """One ``TFDecoderLayer`` on the newest position (N, 1, D), with
        its keys / values written into ``cache`` at ``step``."""
        k_cache, v_cache = cache
        sa = layer.self_attn

        def self_attn(inp):
            k_cache[:, :, step:step + 1] = _heads(sa.linear_k, inp,
                                                  sa.n_head, sa.d_k)
            v_cache[:, :, step:step + 1] = _heads(sa.linear_v, inp,
                                                  sa.n_head, sa.d_v)
            return _attend(sa, inp, k_cache[:, :, :step + 1],
                           v_cache[:, :, :step + 1], self_mask)

        mem_k, mem_v = mem_kv
        if layer.operation_order == _POST_NORM:
            h = self_attn(x)
            h += x
            h = layer.norm1(h)
            e = _attend(layer.enc_attn, h, mem_k, mem_v, src_mask)
            e += h
            e = layer.norm2(e)
            out = layer.mlp(e)
            out += e
            return layer.norm3(out)
        h = self_attn(layer.norm1(x))
        h += x
        e = _attend(layer.enc_attn, layer.norm2(h), mem_k, mem_v, src_mask)
        e += h
        out = layer.mlp(layer.norm3(e))
        out += e
        return out

    def forward_test(self,
                     feat: Optional[torch.Tensor] = None,
                     out_enc: Optional[torch.Tensor] = None,
                     data_samples: Optional[Sequence] = None
                     ) -> torch.Tensor:
        """Greedy decoding with cached keys / values.

        Args:
            feat: Unused.
            out_enc: (N, S, d_model) encoder output.
            data_samples: Batch of ``TextRecogDataSample`` (``valid_ratio``
                masks the memory as in ``NRTRDecoder``).

        Returns:
            (N, max_seq_len, C) character probabilities.
        """
        valid_ratios = [s.get('valid_ratio') for s in data_samples or []]
        src_mask = self._get_source_mask(out_enc, valid_ratios)
        if src_mask is not None:
            src_mask = src_mask[:, None, None, :]  # N, 1, 1, S
        n, steps = out_enc.size(0), self.max_seq_len
        tokens = torch.full((n, steps + 1), self.padding_idx,
                            device=out_enc.device, dtype=torch.long)
        tokens[:, 0] = self.start_idx
        mem = self._memory_kv(out_enc)
        caches = []
        for layer in self.layer_stack:
            sa = layer.self_attn
            caches.append((out_enc.new_zeros(n, sa.n_head, steps, sa.d_k),
                           out_enc.new_zeros(n, sa.n_head, steps, sa.d_v)))
        pos = self.position_enc.position_table.to(out_enc.dtype)
        end_idx = self.dictionary.end_idx
        ended = torch.zeros(n, dtype=torch.bool, device=out_enc.device)
        outputs = []
        for step in range(steps):
            x = self.trg_word_emb(tokens[:, step:step + 1])
            x = self.dropout(x + pos[:, step:step + 1])
            # keys whose token is padding are masked, as in NRTRDecoder
            self_mask = (tokens[:, :step + 1] !=
                         self.padding_idx)[:, None, None, :]
            for layer, cache, kv in zip(self.layer_stack, caches, mem):
                x = self._layer_step(layer, x, step, cache, self_mask, kv,
                                     src_mask)
            logits = self.classifier(self.layer_norm(x)[:, 0])
            outputs.append(logits)
            best = logits.argmax(-1)
            tokens[:, step + 1] = best
            if self.stop_when_all_ended and end_idx is not None:
                ended |= best == end_idx
                if bool(ended.all()) and step + 1 < steps:
                    break
        probs = self.softmax(torch.stack(outputs, dim=1))
        if probs.size(1) < steps:
            rest = probs.new_zeros(n, steps - probs.size(1), probs.size(2))
            rest[..., end_idx] = 1.0
            probs = torch.cat([probs, rest], dim=1)
        return probs
