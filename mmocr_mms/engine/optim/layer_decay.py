"""Layer-wise learning-rate decay for MMOCR models with a TextViT encoder.

Fine-tuning a masked-image-modeling encoder usually scales the learning
rate of layer ``d`` (0 = patch embedding, ``L + 1`` = the last) by
``rate ** (L + 1 - d)`` (MAE, BEiT, MAERec). mmpretrain's
``LearningRateDecayOptimWrapperConstructor`` does this only when the
*model* has ``get_layer_depth``, which mmpretrain's classifiers have and
MMOCR's recognizers (``SVTR``, ``EncoderDecoderRecognizer``, ...) do not,
and mmpretrain is an optional dependency here. This constructor builds on
mmengine's ``DefaultOptimWrapperConstructor`` (so ``custom_keys``,
``norm_decay_mult``, ``bias_decay_mult``, ... work as everywhere) and then
scales each parameter's learning rate by the depth that
``model.backbone.get_layer_depth`` gives it
(:meth:`TextViT.get_layer_depth <mmocr_mms.models.backbones.TextViT.
get_layer_depth>`); parameters outside the backbone (neck, decoder, head)
keep the full rate.
"""
from typing import Callable, List

from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from mmocr.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['TextLayerDecayOptimWrapperConstructor']


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class TextLayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Layer-wise LR decay for models whose ``backbone`` has a
    ``get_layer_depth(name, prefix)`` method (a :class:`TextViT`).

    Config (``layer_decay_rate`` in ``paramwise_cfg``, as mmpretrain's):

    .. code-block:: python

        optim_wrapper = dict(
            constructor='TextLayerDecayOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
            paramwise_cfg=dict(layer_decay_rate=0.75,
                               norm_decay_mult=0.0, bias_decay_mult=0.0,
                               custom_keys={'pos_embed': dict(
                                   decay_mult=0.0)}))

    Every parameter gets its own group (as with mmengine's constructor)
    whose ``lr`` is what mmengine's rules give it times ``lr_scale = rate
    ** (max_depth - depth - 1)``; the group also records ``lr_scale``,
    ``layer_id`` and ``param_name``. mmengine's parameter schedulers scale
    every group's ``lr`` alike, so the ratios hold through warm-up and
    decay.

    Raises:
        TypeError: the model has no ``backbone`` with ``get_layer_depth``.
    """

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   **kwargs) -> None:
        first = len(params)
        super().add_params(params, module, prefix=prefix, **kwargs)
        if prefix:  # children: the top-level call scales every group once
            return
        rate = self.paramwise_cfg.get('layer_decay_rate', 1.0)
        depth = self.backbone_depth(module)
        names = {id(p): n for n, p in module.named_parameters()}
        for group in params[first:]:
            name = names[id(group['params'][0])]
            layer, max_layer = depth(name)
            scale = rate**(max_layer - layer - 1)
            group['lr'] = group.get('lr', self.base_lr) * scale
            group.update(lr_scale=scale, layer_id=layer, param_name=name)

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
