"""Plain ViT encoder for scene-text word crops (MAE / MAERec style).

Default input: 32x128 crops, 4x4 patches -> an 8 x 32 grid of 256 tokens.
Parameter names follow timm's ``VisionTransformer`` (``patch_embed.proj``,
``cls_token``, ``pos_embed``, ``blocks.i.*``, ``norm``), so MAE / MAERec /
Union14M encoder checkpoints load by key. The fixed sin-cos position table is
built on the true rectangular grid (see
:mod:`mmocr_mms.models.utils.pos_embed`) and the grid is stored in a
``pos_grid`` buffer so checkpoints remember it. Checkpoint layouts (runner,
converted, timm / MAE / MAERec) and the position-table adaptation on load
live in :mod:`mmocr_mms.models.backbones.checkpoint_convert`.
"""
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from mmocr.registry import MODELS
from ..layers import PatchEmbed, TransformerBlock
from ..utils import resize_pos_embed, sincos_pos_embed_2d
# load_backbone_weights is also importable from here (older imports)
from .checkpoint_convert import adapt_pos_embed, load_backbone_weights

__all__ = ['TextViT']


@MODELS.register_module()
class TextViT(BaseModule):
    """ViT encoder for word crops.

    Args:
        arch: Preset name ('tiny' 192/12/3, 'small' 384/12/6 = MAERec-S,
            'base' 768/12/12; mlp_ratio 4) or a dict with ``embed_dims``,
            ``num_layers``, ``num_heads`` and optional ``mlp_ratio``
            (default 4).
        img_size: (H, W) of the pretraining input (an int means square).
        patch_size: Square patch side.
        in_channels: Image channels.
        with_cls_token: Prepend a learnable class token.
        drop_path_rate: Stochastic depth of the last block; it increases
            linearly from 0 over the blocks.
        qkv_bias: Bias in the qkv projections.
        learnable_pos_embed: Whether ``pos_embed`` (initialised as the 2D
            sin-cos table) is trained. When False the table is fixed and a
            checkpoint's ``pos_embed`` is always ignored on load (the
            deterministic table of *this* model is kept; a learned table
            dropped this way is logged as a WARNING), see
            :meth:`_load_from_state_dict`.
        out_type: 'featmap' -> (N, C, gh, gw); 'sequence' -> (N, L, C) patch
            tokens (cls token dropped); 'cls' -> (N, C) class token (needs
            ``with_cls_token``).
        out_indices: Block index or indices whose outputs are returned
            (negative values count from the end). The final norm is applied
            to the output of the last block only.
        final_norm: Apply LayerNorm ``norm`` after the last block. When
            False ``norm`` is an identity (no parameters).
        output_tuple: Return a tuple (MMDet necks) or a single tensor
            (MMOCR recognizers). None: a tuple only for several
            ``out_indices``.
        frozen_stages: -1 freezes nothing; k >= 0 freezes the patch
            embedding, cls token and position embedding plus the first k
            blocks (kept in eval mode); k == num_layers also freezes
            ``norm``.
        norm_eps: LayerNorm epsilon.
        stem: Patch embedding, 'linear' (one Conv2d, the timm / MAE layout)
            or 'hmlp' (a patch-local hierarchical stem of 2x2 convolutions;
            no pixel of a masked patch reaches a visible token, see
            :class:`~mmocr_mms.models.layers.PatchEmbed`).
        init_cfg: mmengine init config, e.g. ``dict(type='Pretrained',
            checkpoint=..., prefix='backbone.')``.

    Shapes: ``forward`` maps (N, in_channels, H, W) to a tuple with one
    output per ``out_indices`` entry; H and W may differ from ``img_size``
    when divisible by ``patch_size`` (the grid part of the position
    embedding is then resized bicubically).
    """

    arch_zoo: Dict[str, Dict[str, Any]] = {
        'tiny': dict(embed_dims=192, num_layers=12, num_heads=3,
                     mlp_ratio=4.),
        'small': dict(embed_dims=384, num_layers=12, num_heads=6,
                      mlp_ratio=4.),
        'base': dict(embed_dims=768, num_layers=12, num_heads=12,
                     mlp_ratio=4.),
    }
    _arch_alias = {'t': 'tiny', 's': 'small', 'b': 'base'}
    out_types = ('featmap', 'sequence', 'cls')

    def __init__(self,
                 arch: Union[str, Dict[str, Any]] = 'small',
                 img_size: Union[int, Sequence[int]] = (32, 128),
                 patch_size: int = 4,
                 in_channels: int = 3,
                 with_cls_token: bool = False,
                 drop_path_rate: float = 0.,
                 qkv_bias: bool = True,
                 learnable_pos_embed: bool = False,
                 out_type: str = 'featmap',
                 out_indices: Union[int, Sequence[int]] = -1,
                 final_norm: bool = True,
                 frozen_stages: int = -1,
                 output_tuple: Optional[bool] = None,
                 norm_eps: float = 1e-6,
                 stem: str = 'linear',
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch_settings = self._parse_arch(arch)
        self.embed_dims: int = self.arch_settings['embed_dims']
        self.num_layers: int = self.arch_settings['num_layers']
        self.num_heads: int = self.arch_settings['num_heads']
        self.mlp_ratio: float = self.arch_settings['mlp_ratio']

        if isinstance(img_size, int):
            img_size = (img_size, img_size)
        self.img_size = (int(img_size[0]), int(img_size[1]))
        self.patch_size = int(patch_size)
        if self.img_size[0] % self.patch_size or \
                self.img_size[1] % self.patch_size:
            raise ValueError(f'img_size {self.img_size} is not divisible by '
                             f'patch_size {self.patch_size}')
        self._grid = (self.img_size[0] // self.patch_size,
                      self.img_size[1] // self.patch_size)

        if out_type not in self.out_types:
            raise ValueError(f'out_type must be one of {self.out_types}, '
                             f'got {out_type!r}')
        if out_type == 'cls' and not with_cls_token:
            raise ValueError("out_type='cls' requires with_cls_token=True")
        self.out_type = out_type
        self.with_cls_token = with_cls_token
        self.num_extra_tokens = int(with_cls_token)
        self.learnable_pos_embed = learnable_pos_embed

        self.patch_embed = PatchEmbed(in_channels, self.embed_dims,
                                      self.patch_size, stem=stem)
        if with_cls_token:
            self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        # Always a Parameter (never a plain buffer) so timm / MAERec
        # checkpoints load the key `pos_embed` whether it is trained or not.
        self.pos_embed = nn.Parameter(
            sincos_pos_embed_2d(self.embed_dims, self._grid,
                                with_cls_token).unsqueeze(0),
            requires_grad=learnable_pos_embed)
        # The pretraining grid travels with the checkpoint so a later load
        # into another input size resizes from the right rectangle.
        self.register_buffer(
            'pos_grid', torch.tensor(self._grid, dtype=torch.long),
            persistent=True)

        if not 0 <= drop_path_rate < 1:
            raise ValueError('drop_path_rate must be in [0, 1), got '
                             f'{drop_path_rate}')
        dpr = torch.linspace(0, drop_path_rate, self.num_layers).tolist()
        self.blocks = nn.ModuleList([
            TransformerBlock(
                self.embed_dims,
                self.num_heads,
                mlp_ratio=self.mlp_ratio,
                qkv_bias=qkv_bias,
                drop_path=dpr[i],
                norm_eps=norm_eps) for i in range(self.num_layers)
        ])
        self.final_norm = final_norm
        self.norm = nn.LayerNorm(self.embed_dims, eps=norm_eps) \
            if final_norm else nn.Identity()

        if isinstance(out_indices, int):
            out_indices = [out_indices]
        idx = []
        for i in out_indices:
            j = i + self.num_layers if i < 0 else i
            if not 0 <= j < self.num_layers:
                raise ValueError(f'out index {i} out of range for '
                                 f'{self.num_layers} layers')
            idx.append(j)
        self.out_indices: Tuple[int, ...] = tuple(idx)

        if not -1 <= frozen_stages <= self.num_layers:
            raise ValueError(f'frozen_stages must be in [-1, '
                             f'{self.num_layers}], got {frozen_stages}')
        self.frozen_stages = frozen_stages
        # MMOCR recognizers take a tensor from the backbone, MMDet-style
        # necks a tuple: default to a tensor for one output index.
        self.output_tuple = len(self.out_indices) > 1 \
            if output_tuple is None else bool(output_tuple)
        if not self.output_tuple and len(self.out_indices) > 1:
            raise ValueError('output_tuple=False needs a single out index')
        self._freeze_stages()
        # (grid, device, dtype, data_ptr, version) -> resized fixed table.
        self._pos_cache: Dict[tuple, torch.Tensor] = {}

    # ------------------------------------------------------------------ #
    # construction helpers
    # ------------------------------------------------------------------ #
    @classmethod
    def _parse_arch(cls, arch: Union[str, Dict[str, Any]]) -> Dict[str, Any]:
        """Resolve a preset name or validate an arch dict."""
        if isinstance(arch, str):
            name = cls._arch_alias.get(arch.lower(), arch.lower())
            if name not in cls.arch_zoo:
                raise ValueError(f'unknown arch {arch!r}; presets: '
                                 f'{sorted(cls.arch_zoo)}')
            return dict(cls.arch_zoo[name])
        if not isinstance(arch, Mapping):
            raise TypeError(f'arch must be a str or dict, got {type(arch)}')
        required = {'embed_dims', 'num_layers', 'num_heads'}
        if not required <= set(arch):
            raise ValueError(f'arch dict needs keys {sorted(required)}, got '
                             f'{sorted(arch)}')
        out = dict(arch)
        out.setdefault('mlp_ratio', 4.)
        for key in ('embed_dims', 'num_layers', 'num_heads'):
            if not isinstance(out[key], int) or out[key] < 1:
                raise ValueError(f'arch {key} must be a positive int, got '
                                 f'{out[key]!r}')
        if out['embed_dims'] % out['num_heads']:
            raise ValueError(f"arch embed_dims ({out['embed_dims']}) must be "
                             f"divisible by num_heads ({out['num_heads']})")
        if not out['mlp_ratio'] > 0:
            raise ValueError(f"arch mlp_ratio must be > 0, got "
                             f"{out['mlp_ratio']}")
        return out

    @property
    def grid(self) -> Tuple[int, int]:
        """(gh, gw) patch grid of ``img_size`` (e.g. (8, 32))."""
        return self._grid

    def _freeze_stages(self) -> None:
        """Stop gradients and put frozen parts in eval mode."""
        if self.frozen_stages < 0:
            return
        frozen: List[nn.Module] = [self.patch_embed]
        frozen += [self.blocks[i] for i in range(self.frozen_stages)]
        if self.frozen_stages == self.num_layers:
            frozen.append(self.norm)
        for m in frozen:
            m.eval()
            for p in m.parameters():
                p.requires_grad = False
        self.pos_embed.requires_grad = False
        if self.with_cls_token:
            self.cls_token.requires_grad = False

    def get_layer_depth(self, param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Depth of a parameter for layer-wise learning-rate decay, as
        mmpretrain's ``VisionTransformer.get_layer_depth``.

        Args:
            param_name: Parameter name, e.g. ``backbone.blocks.3.attn.qkv.
                weight`` with ``prefix='backbone.'``.
            prefix: Prefix of this backbone's parameters in ``param_name``.

        Returns:
            (layer_depth, num_layers + 2): 0 for the embedding
            (``patch_embed``, ``pos_embed``, ``cls_token``), ``i + 1`` for
            ``blocks.i``, ``num_layers + 1`` for the final ``norm`` and
            anything else (a head outside the backbone gets the full rate
            from a decay of ``rate ** (num_layers + 2 - depth - 1)``).
        """
        num_layers = self.num_layers + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        name = param_name[len(prefix):]
        if name.split('.')[0] in ('patch_embed', 'pos_embed', 'cls_token'):
            return 0, num_layers
        if name.startswith('blocks.'):
            return int(name.split('.')[1]) + 1, num_layers
        return num_layers - 1, num_layers

    def train(self, mode: bool = True) -> 'TextViT':
        """Set train mode, keeping frozen stages in eval (no drop path)."""
        super().train(mode)
        if mode:
            self._freeze_stages()
        return self

    def init_weights(self) -> None:
        """MAE's init, then ``init_cfg`` (e.g. a Pretrained checkpoint).

        Without ``init_cfg`` (or with only Pretrained entries, which then
        overwrite it) the encoder is initialised as MAE's
        ``MaskedAutoencoderViT.initialize_weights`` does: every Linear weight
        (the fused qkv projection included) xavier-uniform with zero bias,
        LayerNorm 1/0, ``patch_embed.proj`` xavier-uniform on its flattened
        (C, in_ch*p*p) view (MAE treats it like a Linear layer) with zero
        bias, cls token normal(std=0.02); ``pos_embed`` keeps its sin-cos
        table. Other init_cfg types replace this default entirely.

        A single ``dict(type='Pretrained', checkpoint=..., prefix=...)`` is
        loaded with :func:`load_backbone_weights`: a checkpoint of which no
        layer weight matches raises ``ValueError`` (instead of leaving a
        random encoder behind a warning), partial matches are logged.
        """
        cfgs = self.init_cfg or []
        cfgs = [cfgs] if isinstance(cfgs, dict) else list(cfgs)
        if not self._is_init and all(
                c.get('type') == 'Pretrained' for c in cfgs):
            self._default_init()
            if len(cfgs) == 1:
                # Our loader instead of mmengine's PretrainedInit: it
                # accepts MMS / converted / MAERec layouts, resizes the
                # position embedding, lists partial matches and raises when
                # no weight matches (mmengine would only log that).
                load_backbone_weights(self, cfgs[0]['checkpoint'],
                                      prefix=cfgs[0].get('prefix'))
                self._is_init = True
                return
        # Runs init_cfg (mmengine's PretrainedInit -> load_state_dict ->
        # our _load_from_state_dict, which resizes pos_embed) and warns on a
        # second call instead of wiping loaded weights.
        super().init_weights()

    def _default_init(self) -> None:
        """MAE's weight init (see :meth:`init_weights`)."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # MAE treats the patch projection like a Linear layer (so are the
        # convolutions of an hMLP stem).
        for m in self.patch_embed.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight.data.view(
                    m.weight.shape[0], -1))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        if self.with_cls_token:
            nn.init.normal_(self.cls_token, std=.02)

    # ------------------------------------------------------------------ #
    # forward
    # ------------------------------------------------------------------ #
    def _grid_pos_embed(self, grid: Tuple[int, int]) -> torch.Tensor:
        """Position embedding of the patch tokens of a ``grid`` input.

        Returns:
            (1, gh*gw, C); resized from ``self.grid`` when they differ.
        """
        pe = self.pos_embed[:, self.num_extra_tokens:]
        if grid == self._grid:
            return pe
        if self.pos_embed.requires_grad and torch.is_grad_enabled():
            # Trained table: recompute every call so gradients flow.
            return resize_pos_embed(pe, self._grid, grid)
        # The parameter's version counter changes on in-place updates
        # (optimizer steps, load_state_dict), which invalidates the cache.
        key = (grid, pe.device, pe.dtype, self.pos_embed.data_ptr(),
               self.pos_embed._version)
        cached = self._pos_cache.get(key)
        if cached is None:
            if len(self._pos_cache) > 16:  # bound memory for odd sizes
                self._pos_cache.clear()
            cached = resize_pos_embed(pe.detach(), self._grid, grid)
            self._pos_cache[key] = cached
        return cached

    def _embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        tokens, grid = self.patch_embed(x)
        return tokens + self._grid_pos_embed(grid).to(tokens.dtype), grid

    def patchify_embed(self, x: torch.Tensor) -> torch.Tensor:
        """Patch embedding plus position embedding, no cls token.

        Args:
            x: (N, in_channels, H, W), H and W divisible by ``patch_size``.

        Returns:
            (N, L, C) with L = (H/p) * (W/p), row-major grid order.
        """
        return self._embed(x)[0]

    def _prepend_cls(
        self, tokens: torch.Tensor, key_padding_mask: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        if not self.with_cls_token:
            return tokens, key_padding_mask
        n = tokens.shape[0]
        cls = (self.cls_token + self.pos_embed[:, :1]).to(tokens.dtype)
        tokens = torch.cat([cls.expand(n, -1, -1), tokens], dim=1)
        if key_padding_mask is not None:
            # The cls token is never padding.
            key_padding_mask = torch.cat([
                key_padding_mask.new_zeros(n, 1, dtype=torch.bool),
                key_padding_mask.bool()
            ], dim=1)
        return tokens, key_padding_mask

    def forward_tokens(
            self,
            tokens: torch.Tensor,
            key_padding_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Run the encoder on already embedded (e.g. visible) tokens.

        Args:
            tokens: (N, S, C) outputs of :meth:`patchify_embed`, possibly
                subsampled / padded.
            key_padding_mask: Optional (N, S) bool, True = padding that no
                token attends to (padded rows still get finite outputs).

        Returns:
            (N, S (+1), C) after all blocks and the final norm; with
            ``with_cls_token`` the cls token (plus its position embedding)
            is at position 0.
        """
        x, mask = self._prepend_cls(tokens, key_padding_mask)
        for blk in self.blocks:
            x = blk(x, mask)
        return self.norm(x)

    def _format(self, x: torch.Tensor,
                grid: Tuple[int, int]) -> torch.Tensor:
        if self.out_type == 'cls':
            return x[:, 0]
        patches = x[:, self.num_extra_tokens:]
        if self.out_type == 'sequence':
            return patches
        n, _, c = patches.shape
        return patches.transpose(1, 2).reshape(n, c, *grid)

    def forward(
        self, x: torch.Tensor
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        """Encode images.

        Args:
            x: (N, in_channels, H, W).

        Returns:
            A tuple with one entry per ``out_indices`` (in that order),
            or, with ``output_tuple`` False (the default for a single
            index, as MMOCR recognizers expect), that entry alone:
            (N, C, H/p, W/p) for 'featmap', (N, L, C) for 'sequence',
            (N, C) for 'cls'. Blocks after the largest out index are
            skipped (their parameters get no gradient).
        """
        tokens, grid = self._embed(x)
        x, _ = self._prepend_cls(tokens, None)
        last = max(self.out_indices)
        feats: Dict[int, torch.Tensor] = {}
        for i, blk in enumerate(self.blocks):
            x = blk(x)
            if i == self.num_layers - 1:
                x = self.norm(x)
            if i in self.out_indices:
                feats[i] = self._format(x, grid)
            if i == last:
                break
        outs = tuple(feats[i] for i in self.out_indices)
        return outs if self.output_tuple else outs[0]

    # ------------------------------------------------------------------ #
    # checkpoint loading
    # ------------------------------------------------------------------ #
    def _load_from_state_dict(self, state_dict: dict, prefix: str,
                              local_metadata: dict, strict: bool,
                              missing_keys: List[str],
                              unexpected_keys: List[str],
                              error_msgs: List[str]) -> None:
        """Adapt ``pos_embed`` / ``pos_grid`` of a checkpoint, then load.

        * ``pos_grid``: this model's grid always wins (the buffer describes
          this model's table); the checkpoint's value only tells the source
          grid. Absent entries (timm checkpoints) are not reported missing.
        * fixed (non-learnable) ``pos_embed``: the model keeps its own
          sin-cos table whatever the checkpoint holds; when they differ this
          is logged at INFO if the checkpoint's table is the sin-cos table
          of another grid, and as a WARNING if it is anything else (a
          learned table, which is dropped). Absent entries are not reported
          missing.
        * learnable ``pos_embed``: when the checkpoint's grid (from its
          ``pos_grid``, else :func:`infer_grid` on its token count) or its
          cls row differs from this model's, the grid part is resized
          bicubically and the cls row dropped (model without cls; a
          WARNING) or zero-filled (checkpoint without cls).
        """
        adapt_pos_embed(self, state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)
