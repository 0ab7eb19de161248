"""Layer-wise learning-rate decay for MMOCR models with a TextViT encoder.

Fine-tuning a masked-image-modeling encoder usually scales the learning
rate of layer ``d`` (0 = patch embedding, ``L + 1`` = the last) by
``rate ** (L + 1 - d)`` (MAE, BEiT, MAERec). mmpretrain's
``LearningRateDecayOptimWrapperConstructor`` does this when the *model*
has ``get_layer_depth``, which mmpretrain's classifiers have and MMOCR's
recognizers (``SVTR``, ``EncoderDecoderRecognizer``, ...) do not; this
constructor takes the depth from ``model.backbone.get_layer_depth``
(:meth:`TextViT.get_layer_depth <mmocr_mms.models.backbones.TextViT.
get_layer_depth>`) and gives every parameter outside the backbone (encoder,
decoder, head) the full rate.
"""
from typing import Callable, List, Optional

from mmpretrain.engine.optimizers import \
    LearningRateDecayOptimWrapperConstructor
from torch import nn

from mmocr.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['TextLayerDecayOptimWrapperConstructor']


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class TextLayerDecayOptimWrapperConstructor(
        LearningRateDecayOptimWrapperConstructor):
    """mmpretrain's layer-wise LR decay for models whose ``backbone`` has a
    ``get_layer_depth(name, prefix)`` method (a :class:`TextViT`).

    Config (``paramwise_cfg`` as mmpretrain's, e.g. MAE fine-tuning):

    .. code-block:: python

        optim_wrapper = dict(
            constructor='TextLayerDecayOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
            paramwise_cfg=dict(layer_decay_rate=0.75,
                               norm_decay_mult=0.0, bias_decay_mult=0.0,
                               custom_keys={'pos_embed': dict(
                                   decay_mult=0.0)}))

    Each parameter group gets ``lr = base_lr * lr_scale`` with ``lr_scale =
    rate ** (max_depth - depth - 1)``; mmengine's parameter schedulers
    scale every group's ``lr`` alike, so the ratios hold through warm-up
    and decay.

    Raises:
        TypeError: the model has no ``backbone`` with ``get_layer_depth``.
    """

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   get_layer_depth: Optional[Callable] = None,
                   **kwargs) -> None:
        if get_layer_depth is None and prefix == '':
            get_layer_depth = self.backbone_depth(module)
        super().add_params(params, module, prefix=prefix,
                           get_layer_depth=get_layer_depth, **kwargs)

    @staticmethod
    def backbone_depth(model: nn.Module) -> Callable:
        """``name -> (depth, max_depth)`` of a model's parameters from its
        backbone's ``get_layer_depth`` (names outside ``backbone.`` get the
        backbone's last depth, so the full learning rate)."""
        if hasattr(model, 'get_layer_depth'):
            return model.get_layer_depth
        backbone = getattr(model, 'backbone', None)
        if backbone is None or not hasattr(backbone, 'get_layer_depth'):
            raise TypeError(
                f'layer-wise lr decay needs a model with get_layer_depth or '
                f'a backbone with one (e.g. TextViT); {type(model).__name__}'
                f' has backbone {type(backbone).__name__}')

        def depth(name: str):
            return backbone.get_layer_depth(name, prefix='backbone.')
        return depth
