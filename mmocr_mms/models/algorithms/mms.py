"""MMS: masked-image-modeling pretraining with multiple masking strategies.

The algorithm is MAE's (encoder on visible patches, light decoder, pixel loss
on masked patches) with two differences that text needs:

* masks come from the data pipeline (random patch, blockwise, span,
  :mod:`mmocr_mms.datasets.transforms.masking`), so one batch mixes
  strategies and therefore **numbers of visible patches**;
* everything is built on the true rectangular patch grid (8 x 32).

Variable visible counts. Samples are grouped by their number of visible
patches and the encoder runs once per group (``encoder_batching='bucket'``,
default): every mask transform masks an exact count, so an MMS batch has one
group per strategy and no padding at all. ``'pad'`` instead pads every
sample to the batch maximum and masks the padded keys in attention. Both
give the same loss and gradients as processing samples one by one (tested).
"""
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmocr.registry import MODELS

__all__ = ['MMS']

ForwardResults = Union[Dict[str, torch.Tensor], list, torch.Tensor]


@MODELS.register_module()
class MMS(BaseModel):
    """Multi-Masking-Strategy masked image modeling.

    Args:
        backbone (dict): Encoder config, a :class:`TextViT`.
        decoder (dict): Pixel decoder config, a :class:`MIMPixelDecoder`;
            ``grid``, ``patch_size``, ``in_channels``, ``encoder_dims`` and
            ``num_extra_tokens`` are filled in from the backbone.
        norm_pix (bool): Predict per-patch normalised pixels (target minus
            the patch mean, over sqrt(var + 1e-6)). Defaults to True.
        encoder_batching (str): ``'bucket'`` or ``'pad'`` (module doc).
        compile (bool | dict): ``torch.compile`` the encoder (its
            ``forward_tokens``: blocks and final norm) and the decoder (a
            dict is passed to ``torch.compile`` as options, e.g.
            ``dict(mode='max-autotune')``). No module is wrapped, so
            checkpoints keep their keys, and a ``copy.deepcopy`` of the
            model (EMA hooks, model averaging) runs compiled code on its
            own weights. Off by default (compilation takes tens of seconds
            and needs a C++ compiler on CPU).
        data_preprocessor (dict, optional): Defaults to MMOCR's
            ``TextRecogDataPreprocessor`` with ImageNet mean/std in RGB,
            the normalisation the fine-tuning configs use, so the encoder
            sees the same input statistics in both stages.
        init_cfg (dict, optional): MMEngine init config.

    Inputs: ``inputs`` (N, 3, H, W) normalised images; ``data_samples`` with
    ``mask`` (H/p, W/p) bool (True = masked) and ``mask_type`` metainfo.
    """

    def __init__(self,
                 backbone: dict,
                 decoder: dict,
                 norm_pix: bool = True,
                 encoder_batching: str = 'bucket',
                 compile: Union[bool, dict] = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='TextRecogDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                bgr_to_rgb=True)
        if isinstance(data_preprocessor, dict):
            # Built from MMOCR's registry so the model also builds outside
            # a runner (no default scope needed).
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(norm_pix, bool):
            raise ValueError(f'norm_pix must be a bool, got {norm_pix!r}')
        if encoder_batching not in ('bucket', 'pad'):
            raise ValueError("encoder_batching must be 'bucket' or 'pad', "
                             f'got {encoder_batching!r}')
        self.backbone = MODELS.build(backbone)
        decoder = dict(decoder)
        decoder.update(
            grid=self.backbone.grid,
            patch_size=self.backbone.patch_size,
            in_channels=self.backbone.patch_embed.in_channels,
            encoder_dims=self.backbone.embed_dims,
            num_extra_tokens=self.backbone.num_extra_tokens)
        self.decoder = MODELS.build(decoder)
        self.norm_pix = norm_pix
        self.encoder_batching = encoder_batching
        self.patch_size = self.backbone.patch_size
        self.grid = self.backbone.grid
        if not isinstance(compile, (bool, dict)):
            raise ValueError(
                f'compile must be a bool or a dict, got {compile!r}')
        # Options only: the compiled functions are built on first use
        # (:meth:`_compiled`) and never copied with the model.
        self.compile_options = (dict(compile) if isinstance(compile, dict)
                                else {}) if compile else None

    # ------------------------------------------------------------------
    # torch.compile, copy-safe
    # ------------------------------------------------------------------
    def _compiled(self, name: str) -> Callable:
        """The compiled *unbound* function ``name`` (``'tokens'``: the
        backbone's ``forward_tokens``; ``'decoder'``: ``nn.Module``'s call,
        hooks included); the module is passed as its first argument.

        Unbound, so nothing ties a compiled function to one instance's
        weights: a ``copy.deepcopy`` of the model (EMA, model averaging)
        runs its own parameters. Kept out of the pickled / copied state
        (:meth:`__getstate__`); each instance builds them on first use.
        """
        fns = self.__dict__.get('_compiled_fns')
        if fns is None:
            opts = self.compile_options
            fns = dict(
                tokens=torch.compile(
                    type(self.backbone).forward_tokens, **opts),
                decoder=torch.compile(nn.Module._call_impl, **opts))
            self.__dict__['_compiled_fns'] = fns
        return fns[name]

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop('_compiled_fns', None)
        return state

    def _encode_tokens(self, x: torch.Tensor,
                       pad: Optional[torch.Tensor]) -> torch.Tensor:
        if self.compile_options is None:
            return self.backbone.forward_tokens(x, pad)
        return self._compiled('tokens')(self.backbone, x, pad)

    # ------------------------------------------------------------------
    # the steps of the method
    # ------------------------------------------------------------------
    def patchify(self, imgs: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, L, p*p*C), patches in row-major grid order,
        pixels within a patch as (row, column, channel)."""
        n, c, h, w = imgs.shape
        p = self.patch_size
        x = imgs.reshape(n, c, h // p, p, w // p, p)
        return x.permute(0, 2, 4, 3, 5, 1).reshape(n, (h // p) * (w // p),
                                                   p * p * c)

    def unpatchify(self, x: torch.Tensor) -> torch.Tensor:
        """(N, L, p*p*C) -> (N, C, H, W) on the grid :attr:`grid`."""
        n, _, d = x.shape
        p = self.patch_size
        c = d // (p * p)
        gh, gw = self.grid
        x = x.reshape(n, gh, gw, p, p, c).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(n, c, gh * p, gw * p)

    def forward_encoder(self, imgs: torch.Tensor,
                        mask: torch.Tensor) -> torch.Tensor:
        """Encode the visible patches only.

        Args:
            imgs: (N, C, H, W) normalised images.
            mask: (N, L) bool, True = masked.

        Returns:
            (N, E + L, C_enc): extra (cls) tokens, then the latents of the
            visible patches at their grid positions (zeros at masked ones).
        """
        tokens = self.backbone.patchify_embed(imgs)
        n, length, dims = tokens.shape
        e = self.backbone.num_extra_tokens
        visible = ~mask
        counts = visible.sum(1)
        if (counts == 0).any():
            raise ValueError('a sample has no visible patch')
        if self.encoder_batching == 'bucket':
            groups = [(counts == c).nonzero(as_tuple=True)[0]
                      for c in counts.unique().tolist()]
        else:
            groups = [torch.arange(n, device=imgs.device)]
        out = None
        for idx in groups:
            whole = len(groups) == 1
            vis = visible if whole else visible[idx]
            k = int(counts[idx].max())
            # Visible positions first, in grid order (stable sort).
            order = torch.sort(
                (~vis).to(torch.uint8), dim=1, stable=True).indices[:, :k]
            gather_idx = order[..., None].expand(-1, -1, dims)
            x = torch.gather(tokens if whole else tokens[idx], 1, gather_idx)
            valid = torch.gather(vis, 1, order)  # False only for padding
            pad = None if bool(valid.all()) else ~valid
            x = self._encode_tokens(x, pad)
            latents = x[:, e:] if pad is None else \
                x[:, e:] * valid[..., None]  # padded slots -> zeros
            # Scatter back to grid positions (padded slots point at masked
            # positions, which receive zeros).
            part = x.new_zeros(len(idx), length, dims).scatter(
                1, gather_idx, latents)
            if e:
                part = torch.cat([x[:, :e], part], 1)
            if whole:
                return part
            if out is None:
                out = part.new_zeros(n, e + length, dims)  # autocast dtype
            out[idx] = part
        return out

    def forward_decoder(self, latent: torch.Tensor,
                        mask: torch.Tensor) -> torch.Tensor:
        """(N, E + L, C_enc), (N, L) -> predicted pixels (N, L, p*p*C)."""
        if self.compile_options is None:
            return self.decoder(latent, mask)
        return self._compiled('decoder')(self.decoder, latent, mask)

    def target(self, imgs: torch.Tensor) -> torch.Tensor:
        """Pixel target (N, L, p*p*C), normalised per patch if norm_pix."""
        target = self.patchify(imgs)
        if self.norm_pix:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1e-6)**0.5
        return target

    def forward_loss(self, imgs: torch.Tensor, pred: torch.Tensor,
                     mask: torch.Tensor) -> torch.Tensor:
        """Per-sample MSE over masked patches only.

        Args:
            imgs: (N, C, H, W); pred: (N, L, p*p*C); mask: (N, L) bool.

        Returns:
            (N,) loss of each sample: the mean squared error over the pixels
            of its masked patches. Visible patches contribute nothing.
        """
        err = ((pred - self.target(imgs))**2).mean(dim=-1)  # (N, L)
        m = mask.to(err.dtype)
        return (err * m).sum(1) / m.sum(1).clamp(min=1)

    # ------------------------------------------------------------------
    # MMEngine modes
    # ------------------------------------------------------------------
    def _masks(self, inputs: torch.Tensor, data_samples) -> torch.Tensor:
        if data_samples is None or not all(
                'mask' in ds for ds in data_samples):
            raise ValueError('MMS needs data_samples with a `mask` field: put '
                             'a mask transform (e.g. MultiMasking) and '
                             'PackMIMInputs in the pipeline')
        mask = torch.stack([ds.mask for ds in data_samples]).to(
            inputs.device).bool()
        if tuple(mask.shape[1:]) != tuple(self.grid) or tuple(
                inputs.shape[-2:]) != (self.grid[0] * self.patch_size,
                                       self.grid[1] * self.patch_size):
            raise ValueError(
                f'mask grid {tuple(mask.shape[1:])} / image size '
                f'{tuple(inputs.shape[-2:])} do not match the model grid '
                f'{self.grid} with patch size {self.patch_size}')
        return mask.flatten(1)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> ForwardResults:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            mask = self._masks(inputs, data_samples)
            return self.forward_decoder(
                self.forward_encoder(inputs, mask), mask)
        raise ValueError(f'invalid mode {mode!r}')

    def loss(self, inputs: torch.Tensor,
             data_samples: list) -> Dict[str, torch.Tensor]:
        """Mean of the per-sample losses (every sample weighs the same,
        whatever its mask ratio), plus ``recon_<mask_type>``: the detached
        mean loss of each strategy present in the batch, for logging
        (names without 'loss' so MMEngine does not add them to the total).
        """
        mask = self._masks(inputs, data_samples)
        pred = self.forward_decoder(self.forward_encoder(inputs, mask), mask)
        per_sample = self.forward_loss(inputs, pred, mask)
        losses = dict(loss=per_sample.mean())
        types = [ds.metainfo.get('mask_type', 'unknown') for ds in data_samples]
        for name in sorted(set(types)):
            sel = torch.tensor([t == name for t in types],
                               device=per_sample.device)
            losses[f'recon_{name}'] = per_sample.detach()[sel].mean()
        return losses

    @torch.no_grad()
    def reconstruct(self, inputs: torch.Tensor,
                    mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Predictions in the preprocessed (normalised) image space.

        Returns ``(pred_img, mixed_img)``, both (N, C, H, W): every patch
        predicted, and the input with only its masked patches replaced by
        predictions. With ``norm_pix`` each predicted patch is mapped back
        with the mean/variance of the true patch (as MAE's visualisation
        does: the model predicts structure, not the patch's brightness).
        """
        pred = self.forward_decoder(self.forward_encoder(inputs, mask), mask)
        if self.norm_pix:
            patches = self.patchify(inputs)
            mean = patches.mean(dim=-1, keepdim=True)
            var = patches.var(dim=-1, keepdim=True)
            pred = pred * (var + 1e-6)**0.5 + mean
        pred_img = self.unpatchify(pred)
        mixed = torch.where(mask[..., None], pred, self.patchify(inputs))
        return pred_img, self.unpatchify(mixed)

    def denormalize(self, imgs: torch.Tensor) -> torch.Tensor:
        """Undo the data preprocessor: (N, C, H, W) -> pixel values
        0..255 (float) in the preprocessor's channel order (RGB)."""
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            imgs = imgs * pre.std + pre.mean
        return imgs.clamp(0, 255)

    def predict(self, inputs: torch.Tensor,
                data_samples: list) -> List:
        """Reconstructions, de-normalised to pixels.

        Adds to each data sample ``recon_img`` (C, H, W), all patches
        predicted, and ``mixed_img`` (C, H, W), visible patches kept and
        masked ones predicted; float 0..255, RGB.
        """
        mask = self._masks(inputs, data_samples)
        pred_img, mixed = self.reconstruct(inputs, mask)
        pred_img, mixed = self.denormalize(pred_img), self.denormalize(mixed)
        for ds, p, m in zip(data_samples, pred_img, mixed):
            ds.set_field(p, 'recon_img')
            ds.set_field(m, 'mixed_img')
        return data_samples
